"""POST /api/v1/finder/requests: the finder's request as a public API (no token)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from finder import requests
from notifications.models import OutboxMessage
from referrals.models import Engagement, Referral
from tests import factories
from tests.api import counting
from tests.finder.customers import request_fields, two_partners

URL = "/api/v1/finder/requests"
PROBLEM = "application/problem+json"


pytestmark = pytest.mark.usefixtures("fresh_rate_limits")


@pytest.fixture
def two(db):  # type: ignore[no-untyped-def]
    return two_partners()


def body(profile_ids: list[int], **overrides: Any) -> dict[str, Any]:
    return request_fields(profile_ids, **overrides)


def post(payload: Any, ip: str = "203.0.113.7", **headers: str) -> Any:
    return Client().post(URL, payload, content_type="application/json", REMOTE_ADDR=ip, headers=headers)


ACCEPTED = "The request is on its way. A confirmation goes to the e-mail address it gave."


def test_a_request_needs_no_token_and_answers_202_naming_the_partners_it_is_for(two):
    alpha, bravo = two
    response = post(body([alpha.pk, bravo.pk], language="ru", budget="5000", budget_currency="EUR"))
    assert response.status_code == 202, response.content
    engagement = Engagement.objects.get()
    referrals = list(Referral.objects.order_by("pk"))
    assert response.json() == {"profile_ids": [alpha.pk, bravo.pk], "detail": ACCEPTED}
    assert (engagement.source, engagement.language, str(engagement.budget)) == ("finder", "ru", "5000.00")
    assert [r.profile_id for r in referrals] == [alpha.pk, bravo.pk]
    assert OutboxMessage.objects.filter(
        template="customer_request_sent", to_address="anna@contoso.example", language="ru"
    ).exists()


def test_a_token_changes_nothing_about_it(two):
    alpha, _bravo = two
    response = post(body([alpha.pk]), Authorization="Bearer not-a-token")
    assert response.status_code == 202


def test_bad_fields_are_a_422_problem_by_field_and_change_nothing(two):
    alpha, _bravo = two
    before = counting.rows()
    response = post(body([alpha.pk], email="anna@", city="Atlantis", consent_contact=False))
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [
        {"field": "city", "message": "We do not know this city in the chosen country. Check the spelling."},
        {"field": "email", "message": "Enter a valid e-mail address, such as anna@example.com."},
        {
            "field": "consent_contact",
            "message": "Agree to be contacted by the partners you chose, or we cannot send your request.",
        },
    ]
    assert counting.rows() == before


def test_more_than_three_partners_are_a_422(two):
    profiles = [*two, factories.profile(), factories.profile()]
    before = counting.rows()
    response = post(body([p.pk for p in profiles]))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "profile_ids", "message": "Choose at most 3 partners."}]
    assert counting.rows() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent_contact": "yes"}, "consent_contact"),
        ({"profile_ids": [True]}, "profile_ids.0"),
        ({"profile_ids": "1"}, "profile_ids"),
        ({"budget": 0, "budget_currency": "EUR"}, "budget"),
        ({"budget": 100}, "budget_currency"),  # the engagement validator's rule, as in the intake API
        ({"need": "x" * 5001}, "need"),
    ],
)
def test_values_of_the_wrong_type_are_a_422_by_field(two, change, field):
    alpha, _bravo = two
    before = counting.rows()
    response = post(body([alpha.pk]) | change)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert counting.rows() == before


def test_a_body_that_is_not_an_object_is_a_422(two):
    before = counting.rows()
    response = post([1, 2])
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert counting.rows() == before


def test_asking_the_same_partners_again_answers_as_if_it_went_and_tells_the_addresss_owner(two):
    alpha, bravo = two
    first = post(body([alpha.pk, bravo.pk], language="ru"))
    earlier = Referral.objects.order_by("pk").first()
    before = counting.rows()
    again = post(body([bravo.pk, alpha.pk], email="Anna@Contoso.example", language="en"), ip="198.51.100.1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == {"profile_ids": [bravo.pk, alpha.pk], "detail": ACCEPTED}
    assert Referral.objects.count() == 2
    notice = OutboxMessage.objects.get(template="customer_already_asked")
    assert (notice.to_address, notice.language, notice.referral_id, notice.payload) == (
        "anna@contoso.example", "ru", earlier.pk, {"partners": ["Bravo Systems", "Alpha Cloud"]},
    )  # fmt: skip
    assert counting.rows() == before | {"OutboxMessage": before["OutboxMessage"] + 1}  # that e-mail alone


def test_asking_one_partner_again_asks_only_the_new_one_and_answers_the_same(two):
    alpha, bravo = two
    post(body([alpha.pk]))
    response = post(body([alpha.pk, bravo.pk]))
    assert response.status_code == 202
    assert response.json() == {"profile_ids": [alpha.pk, bravo.pk], "detail": ACCEPTED}
    assert Referral.objects.filter(profile=bravo).count() == Referral.objects.filter(profile=alpha).count() == 1
    assert OutboxMessage.objects.filter(template="customer_already_asked").count() == 1


def test_too_many_requests_from_one_address_are_a_429_with_retry_after(two):
    alpha, _bravo = two
    for i in range(requests.REQUESTS_PER_WINDOW):
        assert post(body([alpha.pk], email=f"p{i}@contoso.example")).status_code == 202
    before = counting.rows()
    response = post(body([alpha.pk], email="late@contoso.example"))
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "Too many requests from this address. Please try again later."
    assert 3500 <= int(response["Retry-After"]) <= 3601
    assert counting.rows() == before
    assert post(body([alpha.pk], email="late@contoso.example"), ip="198.51.100.1").status_code == 202


def test_the_document_shows_it_as_public_with_its_errors(db):
    operation = Client().get("/api/v1/openapi.json").json()["paths"][URL]["post"]
    assert "security" not in operation or operation["security"] in ([], [{}])
    assert sorted(operation["responses"]) == ["202", "400", "413", "422", "429", "500"]
