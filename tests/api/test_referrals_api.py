"""The referrals endpoints: list, read with ETag, actions with If-Match, masking, problem+json errors."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.decisions import MINE, THEIRS, decided

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(profile):
    return factories.referral(profile, now=timezone.now())


def test_reading_a_new_referral_masks_the_customer_and_gives_an_etag(partner_api, fresh):
    response = partner_api.get(f"/api/v1/referrals/{fresh.pk}")
    assert response.status_code == 200
    assert response["ETag"] == '"v1"'
    body = response.json()
    assert (body["state"], body["status"], body["substatus"]) == ("new", "New", "Pending")
    assert body["customer"] == {
        "company": None,
        "size": "50-249",
        "industry": "manufacturing",
        "country": "DE",
        "city": "Berlin",
        "contacts": None,
    }


def test_interested_unmasks_the_contacts(partner_api, fresh):
    response = partner_api.post(f"/api/v1/referrals/{fresh.pk}/interested", headers={"If-Match": '"v1"'})
    assert response.status_code == 200
    assert response["ETag"] == '"v2"'
    body = response.json()
    assert (body["state"], body["substatus"]) == ("evaluating", "Received")
    assert body["customer"]["contacts"] == [
        {"name": "Anna Schmidt", "email": "anna@contoso.example", "phone": "+49 30 1234567"}
    ]
    assert body["customer"]["company"] == "Contoso GmbH"


def test_a_stale_if_match_is_412_and_changes_nothing(partner_api, fresh):
    partner_api.post(f"/api/v1/referrals/{fresh.pk}/interested")
    response = partner_api.post(
        f"/api/v1/referrals/{fresh.pk}/decline", {"reason": "duplicate"}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    assert Referral.objects.get(pk=fresh.pk).state == "evaluating"


def test_an_action_not_allowed_is_409_with_a_sentence(partner_api, fresh):
    response = partner_api.post(f"/api/v1/referrals/{fresh.pk}/win", {})
    assert response.status_code == 409
    assert response.json()["detail"] == "A referral that is new cannot take the action 'win'."
    assert ReferralEvent.objects.filter(referral=fresh).count() == 1


def test_accept_with_a_bad_value_is_422_naming_the_field(partner_api, fresh):
    partner_api.post(f"/api/v1/referrals/{fresh.pk}/interested")
    response = partner_api.post(
        f"/api/v1/referrals/{fresh.pk}/accept",
        {"deal_value": 0, "currency": "EUR", "expected_close_date": "2099-01-01"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["deal_value"]
    assert Referral.objects.get(pk=fresh.pk).state == "evaluating"


def test_assigning_a_profile_admin_is_422_and_changes_nothing(partner_api, profile, fresh):
    profile_admin = factories.user(profile.partner, role="profile_admin", email="profiles@partner.example")
    response = partner_api.patch(f"/api/v1/referrals/{fresh.pk}", {"notes": "Call", "assignee": profile_admin.pk})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "assignee", "message": "Choose a member of your team."}]
    after = Referral.objects.get(pk=fresh.pk)
    assert (after.assignee_id, after.notes, after.version) == (None, "", 1)
    assert list(ReferralEvent.objects.filter(referral=fresh).values_list("action", flat=True)) == ["create"]


def test_the_list_pages_with_a_cursor_oldest_change_first(partner_api, profile):
    made = [factories.referral(profile, now=timezone.now(), company=f"C{i}") for i in range(3)]
    first = partner_api.get("/api/v1/referrals", limit=2).json()
    assert [r["id"] for r in first["items"]] == [made[0].pk, made[1].pk]
    second = partner_api.get("/api/v1/referrals", limit=2, cursor=first["next_cursor"]).json()
    assert ([r["id"] for r in second["items"]], second["next_cursor"]) == ([made[2].pk], None)


def test_another_partners_referral_is_404_everywhere(fresh):
    from tests.api.conftest import client_for

    stranger = client_for(factories.user(email="stranger@other.example"))
    assert stranger.get(f"/api/v1/referrals/{fresh.pk}").status_code == 404
    assert stranger.post(f"/api/v1/referrals/{fresh.pk}/interested").status_code == 404
    assert stranger.get("/api/v1/referrals").json() == {"items": [], "next_cursor": None}
    assert Referral.objects.get(pk=fresh.pk).state == "new"


def test_no_token_is_401_problem(client, fresh):
    response = client.get("/api/v1/referrals")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_the_csv_export_writes_text_that_would_start_a_formula_as_text(partner_api, profile):
    referral = factories.referral(
        profile, timezone.now(), company="@Contoso", need="=SUM(A1:A9)", campaign_id="+spring", address="-1"
    )
    assert partner_api.post(f"/api/v1/referrals/{referral.pk}/interested").status_code == 200
    response = partner_api.get("/api/v1/referrals.csv")
    assert response.status_code == 200
    header, row = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
    values = dict(zip(header, row, strict=True))
    assert (values["company"], values["need"], values["campaign_id"]) == ("'@Contoso", "'=SUM(A1:A9)", "'+spring")
    assert (values["city"], values["state"]) == ("Berlin", "evaluating")


def test_the_csv_export_opens_in_excel_with_russian_text_and_matches_the_json(partner_api, profile):
    referral = factories.referral(
        profile,
        timezone.now(),
        company="ООО «Ромашка»",
        city="Москва",
        need="Перенести почту; 200 ящиков",
        requested_industries=["manufacturing", "retail"],
        requested_services=["migration", "training"],
    )
    assert partner_api.post(f"/api/v1/referrals/{referral.pk}/interested").status_code == 200
    item = partner_api.get("/api/v1/referrals").json()["items"][0]
    response = partner_api.get("/api/v1/referrals.csv", sep="semicolon")
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeffid;engagement_id;profile_id;state;".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1
    row = rows[0]
    assert (row["company"], row["city"], row["need"]) == ("ООО «Ромашка»", "Москва", "Перенести почту; 200 ящиков")
    assert (row["industries"], row["products"], row["services"]) == (
        "manufacturing retail",
        "office-suite",
        "migration training",
    )
    assert (row["created_at"], row["updated_at"], row["respond_by"]) == (
        item["created_at"],
        item["updated_at"],
        item["respond_by"],
    )
    commas = b"".join(partner_api.get("/api/v1/referrals.csv").streaming_content)
    assert commas.startswith("\ufeffid,engagement_id,profile_id,state,".encode())


def test_an_unknown_csv_separator_is_a_422_problem_naming_sep(partner_api, profile):
    factories.referral(profile, timezone.now())
    response = partner_api.get("/api/v1/referrals.csv", sep="tab")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["sep"]


def test_a_routed_referral_says_why_in_routing_from_its_own_chosen_row_only(partner_api, profile):
    theirs = factories.profile()
    engagement = factories.engagement([profile, theirs], source="advertising")
    decided(engagement, [(theirs, THEIRS, True, ""), (profile, MINE, True, "new partner")])
    mine = engagement.referrals.get(profile=profile)

    body = partner_api.get(f"/api/v1/referrals/{mine.pk}").json()

    assert body["routing"] == {
        "policy": "engine",
        "model_version": "engine-7",
        "why": [
            {
                "signal": "accepted before",
                "label": "you accepted 4 of 5 similar Office suite and email deals",
                "points": 7.0,
            },
            {"signal": "distance", "label": "12 km away", "points": 2.5},
            {"signal": "responsiveness", "label": "answers within 6 h", "points": 1.5},
            {"signal": "boost", "label": "new partner: a fair chance", "points": 0.0},
        ],
    }


def test_a_referral_no_decision_chose_has_routing_null(partner_api, fresh):
    body = partner_api.get(f"/api/v1/referrals/{fresh.pk}").json()

    assert "routing" in body
    assert body["routing"] is None
