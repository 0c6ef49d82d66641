"""GET /api/v1/finder/profiles: the finder's search, public."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.test import Client

from tests.finder.profiles import make

pytestmark = pytest.mark.django_db

URL = "/api/v1/finder/profiles"


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_anyone_can_search_without_a_token():
    profile = make("Cloudy", country="RU", city="Moscow", keywords=["облачное решение"], industries=["finance"])
    make("Other", country="RU", city="Moscow", keywords=["бухгалтерия"])
    response = Client().get(URL, {"q": "облачные решения", "country": "RU", "city": "Moscow", "radius_km": "20"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert {k: v for k, v in item.items() if k != "why"} == {
        "profile_id": profile.pk,
        "location_id": profile.locations.get().pk,
        "partner_name": "Cloudy",
        "city": "Moscow",
        "country": "RU",
        "distance_km": 0.0,
        "tags": ["Financial services", "облачное решение"],
        "score": item["score"],
    }
    signals = [c["signal"] for c in item["why"]]
    assert signals == ["tags", "text", "meaning", "proximity", "responsiveness", "outcomes", "fit"]
    assert item["why"][0] == {
        "signal": "tags",
        "label": "Its tags and keywords match 2 of 2 search words",
        "value": 1.0,
        "weight": 0.32,
        "points": 0.32,
    }
    assert item["score"] == pytest.approx(sum(c["points"] for c in item["why"]), abs=1e-3)
    assert body["facets"]["industry"] == [{"code": "finance", "label": "Financial services", "count": 1}]
    assert list(body["facets"]) == ["country", "size", "industry", "product", "service", "language"]


def test_pages_follow_with_next_cursor():
    for i in range(3):
        make(f"P{i}", keywords=["crm"])
    first = Client().get(URL, {"q": "crm", "limit": 2}).json()
    second = Client().get(URL, {"q": "crm", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["partner_name"] for i in first["items"] + second["items"]] == ["P0", "P1", "P2"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"city": "Berlin", "radius_km": "-5"}, "radius_km", "The radius is a number of kilometres from 0 to 20040."),
        ({"city": "Atlantis", "country": "DE"}, "city", "We do not know this city. Choose one from the list."),
        ({"cursor": "garbage"}, "cursor", "This cursor is not valid for this search. Start again without it."),
        ({"size": "huge"}, "size", "Unknown size: huge."),
        ({"radius_km": "far"}, "radius_km", "Input should be a valid number, unable to parse string as a number"),
        ({"limit": "0"}, "limit", "Input should be greater than or equal to 1"),
    ],
)
def test_bad_input_is_a_problem_by_the_field_and_changes_nothing(params, field, message):
    make("One", keywords=["crm"])
    before = row_counts()
    response = Client().get(URL, params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert (body["status"], body["errors"]) == (422, [{"field": field, "message": message}])
    assert row_counts() == before


def test_the_operation_is_documented_as_public():
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"][URL]["get"]
    assert "security" not in operation or operation["security"] == []
    assert {p["name"] for p in operation["parameters"]} >= {
        "q",
        "country",
        "city",
        "radius_km",
        "size",
        "industry",
        "product",
        "service",
        "language",
        "cursor",
    }
