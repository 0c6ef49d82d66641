"""GET /api/v1/finder/profiles: the finder's search, public."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from finder.search import MAX_LIMIT, MAX_QUERY_LENGTH, Criteria, Results, search
from finder.throttle import FinderRateThrottle
from kernel.api_types import Output

router = Router(tags=["finder"])


class SearchFilters(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description="Free text in Russian or English")
    country: str = Field("", max_length=2, description="ISO 3166-1 alpha-2 code, e.g. DE")
    city: str = Field("", max_length=120, description="A city of the bundled list, e.g. Berlin (with country)")
    radius_km: float | None = Field(None, description="Kilometres around the city (50 if a city is given alone)")
    size: str = Field("", max_length=64, description="Customer company size code, e.g. 50-249")
    industry: str = Field("", max_length=64, description="Industry code")
    product: str = Field("", max_length=64, description="Product code")
    service: str = Field("", max_length=64, description="Service type code")
    language: str = Field("", max_length=2, description="ISO 639-1 code of a language the partner speaks")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="Results per page")


class ContributionOut(Output):
    signal: str = Field(
        description="tags, text, meaning, proximity, size_fit, responsiveness, outcomes or fit (learned by the engine)"
    )
    label: str
    value: float = Field(description="The signal's value, 0 to 1")
    weight: float = Field(description="Its weight in this search; the weights add up to 1")
    points: float = Field(description="value x weight; the points add up to the score")


class ProfileHitOut(Output):
    profile_id: int
    location_id: int | None = Field(description="The profile's location nearest the searched city, or its first")
    partner_name: str
    city: str
    country: str
    distance_km: float | None = Field(description="From the searched city, if one was given")
    tags: list[str] = Field(description="Industries, products, services and keywords")
    score: float = Field(description="0 to 1; see why")
    why: list[ContributionOut]


class FacetValueOut(Output):
    code: str
    label: str
    count: int = Field(description="Results this value would leave, the other filters kept")


class SearchPage(Output):
    items: list[ProfileHitOut]
    facets: dict[str, list[FacetValueOut]] = Field(
        description="country, size, industry, product, service, language: each value with its count"
    )
    total: int
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last one")


def _page(results: Results) -> dict[str, Any]:
    return {
        "items": [
            {
                "profile_id": h.profile_id,
                "location_id": h.location_id,
                "partner_name": h.partner_name,
                "city": h.city,
                "country": h.country,
                "distance_km": h.distance_km,
                "tags": h.tags,
                "score": h.score,
                "why": [vars(c) for c in h.why],
            }
            for h in results.hits
        ],
        "facets": {name: [vars(v) for v in values] for name, values in results.facets.items()},
        "total": results.total,
        "next_cursor": results.next_cursor,
    }


@router.get(
    "/finder/profiles",
    auth=None,
    throttle=[FinderRateThrottle()],
    response=SearchPage,
    summary="Search partners' business profiles (public, no token)",
    description=(
        "Active profiles of active partners matching the words (Russian or English, any word form) and filters, "
        "best first, with each result's reasons (`why`) and, per filter, how many results each value would leave."
    ),
    operation_id="searchProfiles",
)
def search_profiles(request: HttpRequest, filters: Query[SearchFilters]) -> dict[str, Any]:
    criteria = Criteria(
        q=filters.q,
        country=filters.country,
        city=filters.city,
        radius_km=filters.radius_km,
        size=filters.size,
        industry=filters.industry,
        product=filters.product,
        service=filters.service,
        language=filters.language,
    )
    return _page(search(criteria, timezone.now(), cursor=filters.cursor or None, limit=filters.limit))
