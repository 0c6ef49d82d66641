"""Webhook management through the API: only the partner's referrals admin, never another partner's."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from notifications.models import OutboxMessage, Webhook
from tests import factories
from tests.api.conftest import client_for
from tests.factories import NOW

pytestmark = pytest.mark.django_db
# Receivers at 127.0.0.1 are accepted: a test host (leadshare/settings_test.py, WEBHOOK_TEST_HOSTS).


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


def test_an_internal_address_is_refused_at_registration_and_nothing_is_created(settings, partner_api):
    settings.WEBHOOK_TEST_HOSTS = []
    for url in ("http://127.0.0.1:9/in", "http://[::ffff:7f00:1]/in", "http://169.254.169.254/latest"):
        response = partner_api.post("/api/v1/webhooks", {"url": url, "events": ["referral.created"]})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "url"
    assert Webhook.objects.count() == 0


def test_test_events_are_limited_per_partner_with_429_and_retry_after(settings, fresh_rate_limits, partner_api):
    settings.WEBHOOK_TEST_RATE = "3/m"
    other_api = client_for(factories.user(email="admin@other.example"))
    with time_machine.travel(NOW, tick=False) as traveller:
        hook_ids = [create(partner_api, f"http://127.0.0.1:9/{n}") for n in range(2)]
        other_id = create(other_api, "http://127.0.0.1:9/other")
        codes = [partner_api.post(f"/api/v1/webhooks/{hook_ids[n % 2]}/test").status_code for n in range(3)]
        refused = partner_api.post(f"/api/v1/webhooks/{hook_ids[1]}/test")
        other = other_api.post(f"/api/v1/webhooks/{other_id}/test").status_code
        traveller.shift(19)
        still_refused = partner_api.post(f"/api/v1/webhooks/{hook_ids[0]}/test").status_code
        traveller.shift(1)
        again = partner_api.post(f"/api/v1/webhooks/{hook_ids[0]}/test").status_code
    assert (codes, other) == ([202, 202, 202], 202)  # the other partner has a limit of its own
    assert (refused.status_code, refused["Content-Type"], refused["Retry-After"]) == (
        429,
        "application/problem+json",
        "20",
    )
    assert (
        refused.json()["detail"] == "Too many test events for your organisation. Try again in 20 s (see Retry-After)."
    )
    assert (still_refused, again) == (429, 202)
    # The refused tests queued nothing: three, then one after the wait, and the other partner's one.
    assert OutboxMessage.objects.filter(webhook_id__in=hook_ids).count() == 4
    assert OutboxMessage.objects.filter(webhook_id=other_id).count() == 1


def create(api, url):  # type: ignore[no-untyped-def]
    return api.post("/api/v1/webhooks", {"url": url, "events": ["referral.created"]}).json()["id"]


# --- Rotating the secret ------------------------------------------------------------------------------------


def at_offset(seconds):  # type: ignore[no-untyped-def]
    return (NOW + timedelta(seconds=seconds)).isoformat()


DAY = timedelta(days=1)


def secrets_of(hook_id):  # type: ignore[no-untyped-def]
    return Webhook.objects.filter(pk=hook_id).values_list("secret", "previous_secret", "previous_secret_until").get()


def test_rotating_keeps_the_old_secret_signing_until_the_chosen_time_then_reports_no_overlap(
    partner_api, fresh_rate_limits
):
    with time_machine.travel(NOW, tick=False) as traveller:
        created = partner_api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["referral.created"]})
        hook_id, old = created.json()["id"], created.json()["secret"]
        assert created.json()["previous_secret_until"] is None
        until = NOW + 2 * DAY
        response = partner_api.post(f"/api/v1/webhooks/{hook_id}/secret", {"previous_valid_until": until.isoformat()})
        assert response.status_code == 200
        new = response.json()["secret"]
        assert (new[:6], new != old, response.json()["previous_secret_until"]) == ("whsec_", True, at(until))
        assert secrets_of(hook_id) == (new, old, until)
        assert partner_api.get(f"/api/v1/webhooks/{hook_id}").json()["previous_secret_until"] == at(until)
        traveller.move_to(until)
        assert partner_api.get(f"/api/v1/webhooks/{hook_id}").json()["previous_secret_until"] is None


def at(instant):  # type: ignore[no-untyped-def]
    return instant.isoformat().replace("+00:00", "Z")


def test_rotating_to_a_secret_of_ones_own_with_no_overlap_replaces_it_at_once(partner_api, fresh_rate_limits):
    with time_machine.travel(NOW, tick=False):
        hook_id = create(partner_api, "http://127.0.0.1:9/x")
        old = Webhook.objects.get(pk=hook_id).secret
        body = {"secret": "our-own-new-secret-0001", "previous_valid_until": at(NOW)}
        response = partner_api.post(f"/api/v1/webhooks/{hook_id}/secret", body)
    assert (response.status_code, response.json()["secret"], response.json()["previous_secret_until"]) == (
        200,
        "our-own-new-secret-0001",
        None,
    )
    assert secrets_of(hook_id) == ("our-own-new-secret-0001", old, NOW)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"previous_valid_until": at_offset(-60)}, "previous_valid_until"),
        ({"previous_valid_until": at_offset(30 * 86400 + 1)}, "previous_valid_until"),
        ({"previous_valid_until": "naive"}, "previous_valid_until"),
        ({"previous_valid_until": at_offset(3600), "secret": "short"}, "secret"),
        ({"previous_valid_until": at_offset(3600), "secret": "the-current-secret-000"}, "secret"),
        ({"secret": "a-fine-new-secret-0001"}, "previous_valid_until"),
    ],
)
def test_a_rotation_that_is_not_valid_is_refused_and_changes_nothing(partner_api, fresh_rate_limits, body, field):  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        hook_id = partner_api.post(
            "/api/v1/webhooks",
            {"url": "http://127.0.0.1:9/x", "events": ["referral.created"], "secret": "the-current-secret-000"},
        ).json()["id"]
        if body.get("previous_valid_until") == "naive":
            body = {"previous_valid_until": (NOW + DAY).replace(tzinfo=None).isoformat()}
        response = partner_api.post(f"/api/v1/webhooks/{hook_id}/secret", body)
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, [field])
    assert secrets_of(hook_id) == ("the-current-secret-000", "", None)


def test_another_partners_webhook_cannot_be_rotated_and_keeps_its_secret(partner_api):
    other_id = create(client_for(factories.user(email="admin@other.example")), "http://127.0.0.1:9/x")
    before = secrets_of(other_id)
    response = partner_api.post(f"/api/v1/webhooks/{other_id}/secret", {"previous_valid_until": at(NOW + DAY)})
    assert response.status_code == 404
    assert secrets_of(other_id) == before


def test_setting_a_secret_with_patch_ends_an_overlap(partner_api, fresh_rate_limits):
    with time_machine.travel(NOW, tick=False):
        hook_id = create(partner_api, "http://127.0.0.1:9/x")
        partner_api.post(f"/api/v1/webhooks/{hook_id}/secret", {"previous_valid_until": at(NOW + DAY)})
        response = partner_api.patch(f"/api/v1/webhooks/{hook_id}", {"secret": "leaked-so-replaced-0001"})
    assert (response.status_code, response.json()["previous_secret_until"]) == (200, None)
    assert secrets_of(hook_id) == ("leaked-so-replaced-0001", "", None)
