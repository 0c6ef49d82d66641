"""The finder's search criteria checked and resolved into a plan, and the reference lists' labels."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, get_language_info, pgettext_lazy
from django.utils.translation import gettext as _

from finder import semantic, text
from finder.search import (
    DEFAULT_RADIUS_KM,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    MAX_RADIUS_KM,
    Criteria,
    InvalidCriteria,
    decode_cursor,
    fingerprint,
)
from matching import ranking
from partners import cities, places

# A filter as an error message names it ("Unknown size: huge.").
FILTER_WORDS = {
    "size": pgettext_lazy("search filter", "size"),
    "industry": pgettext_lazy("search filter", "industry"),
    "product": pgettext_lazy("search filter", "product"),
    "service": pgettext_lazy("search filter", "service"),
}

# Taxonomy labels, read once a minute (the lists change in the admin, rarely).
TERMS_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class Plan:
    criteria: Criteria
    stems: list[str]
    filters: dict[str, str]  # facet -> the chosen code
    origin: cities.City | None
    radius_km: float | None
    offset: int
    limit: int
    query: ranking.Query = field(default_factory=ranking.Query)
    need: semantic.Vector | None = field(default=None, compare=False)  # the need's embedding, with words


# --- Reference lists -------------------------------------------------------------------------------

_terms_cache: dict[str, Any] = {"at": -math.inf, "terms": {}}


def terms(refresh: bool = False) -> dict[str, dict[str, tuple[str, str]]]:
    """facet -> code -> (English label, Russian label), in the lists' order."""
    if refresh or time.monotonic() - _terms_cache["at"] > TERMS_TTL_SECONDS:
        from taxonomy.models import CompanySize, Industry, Product, ServiceType

        models: dict[str, Any] = {"size": CompanySize, "industry": Industry, "product": Product, "service": ServiceType}
        _terms_cache["terms"] = {
            facet: {t.code: (t.name_en, t.name_ru) for t in model.objects.all()} for facet, model in models.items()
        }
        _terms_cache["at"] = time.monotonic()
    found: dict[str, dict[str, tuple[str, str]]] = _terms_cache["terms"]
    return found


def label(facet: str, code: str) -> str:
    if facet == "country":
        return places.country_name(code)
    if facet == "language":
        try:
            return str(get_language_info(code)["name_translated"])
        except KeyError:
            return code
    names = terms().get(facet, {}).get(code)
    if names is None:
        return code
    return names[1] if (get_language() or "en")[:2] == "ru" else names[0]


# --- Checking the criteria -------------------------------------------------------------------------


def _find_city(country: str, name: str) -> cities.City | None:
    if country:
        return cities.lookup(country, name)
    found = [c for code, _n in cities.countries() if (c := cities.lookup(code, name)) is not None]
    return max(found, key=lambda c: c.population, default=None)


def plan(criteria: Criteria, cursor: str | None, limit: int) -> Plan:
    """The criteria checked and resolved; InvalidCriteria names every bad field."""
    errors: dict[str, str] = {}
    q = criteria.q.strip()
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = _("Keep the search under %(n)s characters.") % {"n": MAX_QUERY_LENGTH}
    country = criteria.country.strip().upper()
    if country and (len(country) != 2 or not country.isascii() or not country.isalpha()):
        errors["country"] = _("Use the two-letter country code, such as DE or RU.")
    language = criteria.language.strip().lower()
    if language and (len(language) != 2 or not language.isascii() or not language.isalpha()):
        errors["language"] = _("Use a two-letter language code, such as en or ru.")
    filters = {"country": country, "language": language}
    for facet in ("size", "industry", "product", "service"):
        code = str(getattr(criteria, facet)).strip()
        if code and code not in terms().get(facet, {}) and code not in terms(refresh=True).get(facet, {}):
            errors[facet] = _("Unknown %(facet)s: %(code)s.") % {"facet": FILTER_WORDS[facet], "code": code}
        filters[facet] = code
    radius = criteria.radius_km
    origin = None
    if radius is not None and (not math.isfinite(radius) or radius < 0 or radius > MAX_RADIUS_KM):
        limit_km = f"{MAX_RADIUS_KM:g}"
        errors["radius_km"] = _("The radius is a number of kilometres from 0 to %(max)s.") % {"max": limit_km}
    if criteria.city.strip():
        origin = _find_city(country if "country" not in errors else "", criteria.city)
        if origin is None:
            errors["city"] = _("We do not know this city. Choose one from the list.")
    elif radius is not None and "radius_km" not in errors:
        errors["radius_km"] = _("Choose a city to search around.")
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = _("Ask for 1 to %(n)s results at a time.") % {"n": MAX_LIMIT}
    if errors:
        raise InvalidCriteria(errors)
    offset = decode_cursor(cursor, fingerprint(criteria)) if cursor else 0
    stems = text.query_stems(q)
    if origin is not None and radius is None:
        radius = DEFAULT_RADIUS_KM
    need = semantic.need_vector(q) if stems else None
    # The learned fit takes part once the search says what kind of deal it is (matching.fit).
    learned = bool(stems) or any(filters[facet] for facet in ("industry", "product", "service", "size"))
    query = ranking.Query(
        words=len(stems),
        radius_km=radius if origin else None,
        size=filters["size"],
        meaning=need is not None,
        learned=learned,
    )
    active = {facet: code for facet, code in filters.items() if code}
    return Plan(criteria, stems, active, origin, radius if origin else None, offset, limit, query, need)
