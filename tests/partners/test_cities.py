"""partners.cities: the bundled city list, looked up by any spelling, kept, and read ahead by a starting server."""

from __future__ import annotations

import threading

from partners import cities


def test_a_city_is_found_by_any_spelling_case_and_accents_aside() -> None:
    moscow = cities.lookup("RU", "Москва")
    assert moscow is not None and (moscow.name, moscow.country) == ("Moscow", "RU")
    assert cities.lookup("RU", "  moscow ") == moscow
    zurich = cities.lookup("CH", "Zurich")
    assert zurich is not None and zurich.name == "Zürich"
    assert cities.lookup("DE", "Atlantis") is None
    assert cities.lookup("DE", "") is None


def test_without_a_country_a_search_looks_in_every_country_the_biggest_first() -> None:
    assert [(c.name, c.country) for c in cities.search("", "", limit=3)] == [
        ("Shanghai", "CN"),
        ("Beijing", "CN"),
        ("Shenzhen", "CN"),
    ]
    assert [(c.name, c.country) for c in cities.search("", "москв", limit=1)] == [("Moscow", "RU")]
    assert {c.country for c in cities.search("DE", "berl", limit=5)} == {"DE"}


def test_a_search_finds_the_name_first_then_other_spellings_then_what_contains_it() -> None:
    assert [c.name for c in cities.search("DE", "mün", limit=3)] == ["Munich", "Münster", "Munster"]
    assert [(c.name, c.country) for c in cities.search("RU", "москв")] == [("Moscow", "RU"), ("Zamoskvorech’ye", "RU")]
    assert cities.search("DE", "zzq") == []
    assert cities.search("DE", "\x00\n") == cities.search("DE", "")


def test_a_lookup_is_kept() -> None:
    cities.lookup.cache_clear()
    first = cities.lookup("DE", "Berlin")
    assert cities.lookup("DE", "Berlin") is first
    assert cities.lookup.cache_info().hits == 1


def test_warming_reads_the_list_and_its_search_string_in_a_thread() -> None:
    for kept in (cities._by_country, cities._everywhere, cities._haystack):
        kept.cache_clear()
    cities.warm()
    for thread in threading.enumerate():
        if thread.name == "cities-warm":
            thread.join(timeout=30)
    assert cities._by_country.cache_info().currsize == 1
    assert cities._haystack.cache_info().currsize == 1


def test_a_country_is_known_by_its_two_or_three_letter_code() -> None:
    codes = cities.country_codes()
    assert (codes["USA"], codes["US"], codes["DEU"], codes["RUS"], codes["XKX"]) == ("US", "US", "DE", "RU", "XK")
    assert "ZZZ" not in codes and "ZZ" not in codes
