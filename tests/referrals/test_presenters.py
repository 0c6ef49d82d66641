"""referrals.presenters: what a partner sees of a referral, on every channel that reads it."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.utils import translation

from notifications import emails, outbox, webhooks
from notifications.models import OutboxMessage
from referrals import services
from referrals.actors import ActorRef
from referrals.presenters import present
from tests import factories
from tests.api.conftest import client_for
from tests.factories import NOW

pytestmark = pytest.mark.django_db

NEED = "Move 200 mailboxes in 2026, budget 50 000 EUR. Call me: +7 916 123-45-67, ivan.petrov@example.com"
HIDDEN_NEED = "Move 200 mailboxes in 2026, budget 50 000 EUR. Call me: {0}, {0}"
HIDDEN_EN = "contact details hidden until you are interested"
HIDDEN_RU = "контактные данные скрыты, пока вы не проявите интерес"
CONTACT_FRAGMENTS = ["916", "123-45-67", "ivan.petrov", "ivan@contoso"]


@pytest.fixture
def asked():  # type: ignore[no-untyped-def]
    profile = factories.profile(contact_language="ru")
    return factories.referral(profile, need=NEED, timeline="by March, ask for ivan@contoso.example")


def test_a_new_referral_hides_the_contacts_written_into_its_free_text(asked):
    view = present(asked)
    assert view.masked
    assert view.need == HIDDEN_NEED.format(HIDDEN_EN)
    assert view.timeline == f"by March, ask for {HIDDEN_EN}"
    assert view.city == "Berlin"


def test_the_marker_is_in_the_readers_language(asked):
    with translation.override("ru"):
        assert present(asked).need == HIDDEN_NEED.format(HIDDEN_RU)


def test_once_the_partner_is_interested_the_free_text_shows_in_full(asked):
    admin = factories.user(asked.partner)
    services.mark_interested(asked.pk, ActorRef.person(admin), NOW)
    asked.refresh_from_db()
    view = present(asked)
    assert not view.masked
    assert (view.need, view.timeline) == (NEED, "by March, ask for ivan@contoso.example")


def test_the_alert_the_page_the_api_the_csv_and_the_webhook_carry_none_of_it(asked, client):
    admin = factories.user(asked.partner)
    alert = OutboxMessage.objects.get(template=outbox.PARTNER_NEW_REFERRAL, referral_id=asked.pk)
    rendered = emails.render(alert)
    api = client_for(admin)
    read = api.get(f"/api/v1/referrals/{asked.pk}").content.decode()
    exported = api.get("/api/v1/referrals.csv")
    table = "".join(chunk.decode() for chunk in exported.streaming_content)
    hook = OutboxMessage(pk=1, template="referral.created", referral_id=asked.pk, created_at=NOW)
    payload = webhooks.body(hook).decode()
    client.force_login(admin)
    page = client.get(f"/referrals/{asked.pk}/").content.decode()
    assert HIDDEN_RU in rendered.text and HIDDEN_RU in rendered.html  # the contact reads Russian
    assert json.loads(read)["need"] == HIDDEN_NEED.format(HIDDEN_EN)
    assert [row["need"] for row in csv.DictReader(io.StringIO(table))] == [HIDDEN_NEED.format(HIDDEN_EN)]
    assert json.loads(payload)["data"]["referral"]["need"] == HIDDEN_NEED.format(HIDDEN_EN)
    assert HIDDEN_EN in page
    for channel in (rendered.subject, rendered.text, rendered.html, read, table, payload, page):
        assert not [fragment for fragment in CONTACT_FRAGMENTS if fragment in channel]
