"""Webhook management through the API: only the partner's referrals admin, never another partner's."""

from __future__ import annotations

import pytest

from notifications.models import OutboxMessage, Webhook
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True


def test_creating_a_webhook_returns_its_generated_secret_once(partner_api):
    response = partner_api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/in", "events": ["referral.updated"]})
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 20
    assert (body["url"], body["events"], body["active"]) == ("http://127.0.0.1:9/in", ["referral.updated"], True)
    listed = partner_api.get("/api/v1/webhooks").json()
    assert [h["id"] for h in listed] == [body["id"]]
    assert "secret" not in listed[0]


def test_a_non_http_url_or_unknown_event_is_refused_and_nothing_is_created(partner_api):
    response = partner_api.post("/api/v1/webhooks", {"url": "ftp://example.com/x", "events": ["referral.updated"]})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["url"]
    response = partner_api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["referral.deleted"]})
    assert response.status_code == 422
    assert Webhook.objects.count() == 0


def test_a_short_secret_is_refused(partner_api):
    response = partner_api.post(
        "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["referral.created"], "secret": "short"}
    )
    assert response.status_code == 422
    assert Webhook.objects.count() == 0


def test_patch_and_delete_change_only_what_was_sent(partner_api):
    hook_id = partner_api.post(
        "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["referral.created"]}
    ).json()["id"]
    response = partner_api.patch(f"/api/v1/webhooks/{hook_id}", {"active": False})
    assert (response.status_code, response.json()["active"], response.json()["events"]) == (
        200,
        False,
        ["referral.created"],
    )
    assert partner_api.delete(f"/api/v1/webhooks/{hook_id}").status_code == 204
    assert Webhook.objects.count() == 0


def test_the_test_endpoint_queues_a_ping_that_the_log_shows_after_delivery(partner_api):
    hook_id = partner_api.post(
        "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["referral.created"]}
    ).json()["id"]
    response = partner_api.post(f"/api/v1/webhooks/{hook_id}/test")
    assert response.status_code == 202
    row = OutboxMessage.objects.get(webhook_id=hook_id)
    assert (response.json()["event_id"], row.template) == (f"evt_{row.pk}", "ping")
    assert partner_api.get(f"/api/v1/webhooks/{hook_id}/deliveries").json() == []


def test_another_partners_webhook_is_not_found_and_unchanged(partner_api):
    other_admin = factories.user(email="admin@other.example")
    other_id = (
        client_for(other_admin)
        .post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["referral.created"]})
        .json()["id"]
    )
    assert partner_api.get(f"/api/v1/webhooks/{other_id}").status_code == 404
    assert partner_api.patch(f"/api/v1/webhooks/{other_id}", {"active": False}).status_code == 404
    assert partner_api.delete(f"/api/v1/webhooks/{other_id}").status_code == 404
    assert partner_api.post(f"/api/v1/webhooks/{other_id}/test").status_code == 404
    assert partner_api.get(f"/api/v1/webhooks/{other_id}/deliveries").status_code == 404
    assert Webhook.objects.get(pk=other_id).active is True
    assert OutboxMessage.objects.filter(webhook_id=other_id).count() == 0


def test_a_referrals_user_may_not_manage_webhooks(profile):
    member = factories.user(profile.partner, role="referrals_user", email="member@partner.example")
    response = client_for(member).post(
        "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["referral.created"]}
    )
    assert response.status_code == 403
    assert Webhook.objects.count() == 0
