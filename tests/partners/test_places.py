"""Country and city names in the reader's language come from CLDR; what it does not know stays as stored."""

from __future__ import annotations

import pytest

from partners.places import city_name, country_name


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [("DE", "ru", "Германия"), ("DE", "en", "Germany"), ("ru", "ru", "Россия"), ("KZ", "en", "Kazakhstan")],
)
def test_a_country_is_named_in_the_readers_language(code, language, name):
    assert country_name(code, language) == name


def test_an_unknown_country_or_language_keeps_the_code_and_no_country_is_empty():
    assert (country_name("QQ", "ru"), country_name("DE", "xx"), country_name("", "ru")) == ("QQ", "DE", "")


@pytest.mark.parametrize(
    ("city", "country", "language", "name"),
    [
        ("Berlin", "DE", "ru", "Берлин"),
        ("Moscow", "RU", "ru", "Москва"),
        ("New York", "US", "ru", "Нью-Йорк"),
        ("Zürich", "CH", "ru", "Цюрих"),
        ("zurich", "CH", "en", "Zurich"),
        ("Kiev", "UA", "en", "Kyiv"),  # an older spelling, through CLDR's zone aliases
    ],
)
def test_a_city_cldr_knows_is_named_in_the_readers_language(city, country, language, name):
    assert city_name(city, country, language) == name


def test_a_city_cldr_does_not_know_or_in_another_country_is_kept_as_stored():
    assert (city_name("Potsdam", "DE", "ru"), city_name("Berlin", "US", "ru"), city_name("Berlin", "DE", "xx")) == (
        "Potsdam",
        "Berlin",
        "Berlin",
    )
