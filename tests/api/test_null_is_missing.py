"""An optional field sent as JSON null is the same as leaving it out, on every endpoint (kernel.api_types.Input)."""

from __future__ import annotations

import pytest

from notifications.models import OutboxMessage
from partners.models import ApiToken, BusinessProfile, Role
from referrals.models import Engagement, Referral
from tests import factories
from tests.api.conftest import client_for
from tests.api.test_engagements_api import request_body
from tests.api.test_profiles_api import AUSTRIA

pytestmark = pytest.mark.django_db


def test_an_engagement_with_a_null_campaign_id_is_created_without_one(profile):
    agent = client_for(factories.user(None, role=Role.AGENT, email="agent@operator.example"))
    body = request_body([profile.pk], campaign_id=None, timeline=None, requirements=None)
    response = agent.post("/api/v1/engagements", body, headers={"Idempotency-Key": "null-1"})
    assert response.status_code == 201, response.content
    engagement = Engagement.objects.get()
    assert (engagement.campaign_id, engagement.timeline, engagement.requested_products) == ("", "", [])


def test_a_profile_with_null_optional_fields_gets_their_defaults(partner_api, profile):
    body = AUSTRIA | {"description": None, "languages": None, "status": None, "only_target_sizes": None}
    response = partner_api.post("/api/v1/profiles", body)
    assert response.status_code == 201, response.content
    created = BusinessProfile.objects.get(country="AT")
    assert (created.description, created.languages, created.status, created.only_target_sizes) == (
        "",
        [],
        "active",
        False,
    )


def test_a_token_with_a_null_kind_is_a_personal_token(partner_api):
    response = partner_api.post("/api/v1/tokens", {"name": "CRM sync", "kind": None})
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "personal"
    assert ApiToken.objects.get(name="CRM sync").kind == ApiToken.Kind.PERSONAL


def test_skipping_with_a_null_comment_is_skipping_without_one(partner_api, referral):
    response = partner_api.post(f"/api/v1/referrals/{referral.pk}/skip", {"reason": "other", "comment": None})
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert (referral.state, referral.comment) == ("skipped", "")


def test_null_where_null_is_a_value_keeps_its_meaning_null_unassigns(partner_api, referral, admin_user):
    Referral.objects.filter(pk=referral.pk).update(assignee=admin_user)
    response = partner_api.patch(f"/api/v1/referrals/{referral.pk}", {"assignee": None})
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert referral.assignee_id is None


def test_a_required_field_sent_as_null_is_still_a_422_and_changes_nothing(partner_api, referral):
    response = partner_api.post(f"/api/v1/referrals/{referral.pk}/interested")
    assert response.status_code == 200
    outbox = OutboxMessage.objects.count()
    response = partner_api.post(f"/api/v1/referrals/{referral.pk}/decline", {"reason": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    referral.refresh_from_db()
    assert referral.state == "evaluating"
    assert OutboxMessage.objects.count() == outbox
