"""The finder names countries, cities and currencies in the reader's language, from CLDR (partners.places)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partners.models import Location
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]


@pytest.fixture
def moscow():  # type: ignore[no-untyped-def]
    """A partner in Moscow (stored as typed in English) that migrates mail."""
    profile = factories.profile(factories.partner("Облачные решения", country="RU"), country="RU", city="Moscow")
    Location.objects.filter(profile=profile).update(lat=55.7558, lon=37.6173)
    profile.keywords = ["почта"]
    profile.save()  # reindexed with the place and the keyword
    return profile


def page(url: str, language: str) -> str:
    response = Client().get(url, headers={"Accept-Language": language})
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def option(body: str, code: str) -> str:
    """The text of the first option with that value."""
    found = re.search(rf'<option value="{code}"[^>]*>([^<]*)</option>', body)
    assert found is not None, code
    return found.group(1)


def test_the_country_filter_counts_russia_in_the_readers_language(moscow):
    assert option(page("/partners/?q=почта", "ru"), "RU") == "Россия (1)"
    assert option(page("/partners/?q=почта", "en"), "RU") == "Russia (1)"


def test_a_hit_reads_moscow_russia_in_russian_and_moscow_russia_in_english(moscow):
    assert "<p>Москва, Россия</p>" in page("/partners/?q=почта", "ru")
    assert "<p>Moscow, Russia</p>" in page("/partners/?q=почта", "en")


def test_the_why_of_a_search_around_a_city_names_the_city_in_russian(moscow):
    body = page("/partners/?q=почта&city=Москва&radius_km=50", "ru")
    assert "0 км от города Москва" in body
    assert "Moscow" not in body.split('id="results"')[1].split('id="request"')[0]


def test_a_city_cldr_does_not_name_reads_in_the_why_as_the_customer_typed_it():
    profile = factories.profile(factories.partner("Северная почта", country="DE"), country="DE", city="Hamburg")
    Location.objects.filter(profile=profile).update(lat=53.5511, lon=9.9937)
    profile.keywords = ["почта"]
    profile.save()
    body = page("/partners/?q=почта&country=DE&city=Гамбург&radius_km=50", "ru")
    assert "0 км от города Гамбург" in body


def test_the_request_forms_countries_and_currencies_are_in_russian(moscow):
    form = page("/partners/", "ru").split('id="request"')[1]
    assert (option(form, "DE"), option(form, "RU"), option(form, "RUB")) == (
        "Германия",
        "Россия",
        "RUB · российский рубль",
    )


def test_the_request_forms_countries_are_in_russian_alphabetical_order(moscow):
    form = page("/partners/", "ru").split('id="request"')[1]
    countries = re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]*)</option>', form.split('name="country"')[1])
    assert countries[:3] == ["Австралия", "Австрия", "Азербайджан"]


def test_a_partners_page_reads_its_city_and_country_in_russian(moscow):
    body = page(f"/partners/{moscow.locations.get().pk}/", "ru")
    assert "<p>Москва, Россия · Hauptstr. 1</p>" in body
    assert "<title>Облачные решения · Москва · Leadshare</title>" in body
