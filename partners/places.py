"""Country and city names in the reader's language, from CLDR (Babel): no hand-written lists.

Countries are CLDR's territory names. CLDR names cities only where a time zone is named after one (its
"exemplar city": Berlin, Moscow, New York, Almaty, about 450 of them, the large ones), so a city it does not
know keeps the spelling it was stored with. E-mails use this today; pages can ask the same functions.
"""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global

from partners.cities import fold


@cache
def _locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return None


def country_name(code: str, language: str) -> str:
    """The country of an ISO 3166 alpha-2 code in `language`; the code itself if CLDR has no name for it."""
    locale = _locale(language)
    names = locale.territories if locale is not None else {}
    return str(names.get(code.upper(), code)) if code else ""


def _from_zone_id(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def _english(zone: str) -> str:
    """CLDR's English name of a zone's city: its own where it has one, else the zone id's (as CLDR derives it)."""
    english = _locale("en")
    assert english is not None
    return str(english.time_zones.get(zone, {}).get("city", "")) or _from_zone_id(zone)


@cache
def _zones() -> dict[tuple[str, str], str]:
    """(country, folded English city name) -> the time zone named after that city."""
    aliases: dict[str, list[str]] = {}
    for old, new in get_global("zone_aliases").items():
        aliases.setdefault(new, []).append(old)
    zones: dict[tuple[str, str], str] = {}
    for zone, country in get_global("zone_territories").items():
        for name in [_english(zone), *(_from_zone_id(z) for z in [zone, *aliases.get(zone, [])])]:
            zones.setdefault((country, fold(name)), zone)
    return zones


def city_name(city: str, country: str, language: str) -> str:
    """`city` (in `country`, alpha-2) as `language` writes it, when CLDR knows the city; else as given."""
    zone = _zones().get((country.upper(), fold(city)))
    locale = _locale(language)
    if zone is None or locale is None:
        return city
    named = str(locale.time_zones.get(zone, {}).get("city", ""))
    return named or (_english(zone) if locale.language == "en" else city)
