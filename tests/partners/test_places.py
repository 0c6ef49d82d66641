"""Country and city names in the reader's language come from CLDR; what it does not know stays as stored."""

from __future__ import annotations

import pytest
from django.utils import translation

from partners.places import city_name, countries, country_name, currency_name


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


def test_a_city_cldr_does_not_know_reads_as_the_reader_typed_it_when_that_is_one_of_its_spellings():
    assert (
        city_name("Hamburg", "DE", "ru", typed="гамбург"),
        city_name("Hamburg", "DE", "ru", typed="  Гамбург "),
        city_name("Hamburg", "DE", "ru", typed="Berlin"),
        city_name("Hamburg", "DE", "ru"),
        city_name("Berlin", "DE", "ru", typed="Berlin"),
    ) == ("Гамбург", "Гамбург", "Hamburg", "Hamburg", "Берлин")


def test_a_city_cldr_does_not_know_or_in_another_country_is_kept_as_stored():
    assert (city_name("Potsdam", "DE", "ru"), city_name("Berlin", "US", "ru"), city_name("Berlin", "DE", "xx")) == (
        "Potsdam",
        "Berlin",
        "Berlin",
    )


def test_every_country_is_listed_by_its_name_in_the_readers_alphabet():
    russian, english = countries("ru"), countries("en")
    assert russian[:2] == [("AU", "Австралия"), ("AT", "Австрия")]
    assert english[:2] == [("AF", "Afghanistan"), ("AX", "Åland Islands")]
    assert {code for code, _name in russian} == {code for code, _name in english}
    assert len(russian) == 250  # the city list's countries less those gone since (AN, CS), which CLDR no longer names


def test_the_active_language_names_a_country_when_none_is_given():
    with translation.override("ru"):
        assert (country_name("DE"), city_name("Berlin", "DE"), currency_name("EUR")) == ("Германия", "Берлин", "евро")


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [("RUB", "ru", "российский рубль"), ("RUB", "en", "Russian Ruble"), ("kzt", "ru", "казахский тенге")],
)
def test_a_currency_is_named_in_the_readers_language(code, language, name):
    assert currency_name(code, language) == name


def test_an_unknown_currency_or_language_keeps_the_code():
    assert (currency_name("XQQ", "ru"), currency_name("RUB", "xx"), currency_name("", "ru")) == ("XQQ", "RUB", "")
