"""`manage.py demo`: a living programme, built once for this module through the real services."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from leadshare.demo import PASSWORD
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Location, Partner, ProfileContact, Role, User
from referrals.lifecycle import OPEN, State
from referrals.models import Engagement, ProfileResponsiveness, Referral, ReferralEvent
from taxonomy.seed import REASONS

pytestmark = pytest.mark.django_db

LOGINS = [
    "admin@leadshare.example",
    "agent@leadshare.example",
    "partner@leadshare.example",
    "user@leadshare.example",
    "profile@leadshare.example",
    "partner.en@leadshare.example",
]


@dataclass
class Built:
    output: str
    started: datetime
    finished: datetime


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo, built once and rolled back after the module's tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        started = timezone.now()
        call_command("demo", stdout=out)
        yield Built(out.getvalue(), started, timezone.now())
        transaction.set_rollback(True)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Partner, BusinessProfile, User, Engagement, Referral, ReferralEvent, OutboxMessage)
    }


def test_the_demo_makes_at_least_25_partners_in_eight_countries(demo):
    assert Partner.objects.count() >= 25
    countries = set(BusinessProfile.objects.values_list("country", flat=True))
    assert countries == {"RU", "KZ", "DE", "GB", "US", "FR", "PL", "NL"}


def test_every_partner_has_one_or_two_profiles_and_every_profile_one_to_five_locations_and_a_contact(demo):
    per_partner = Counter(BusinessProfile.objects.values_list("partner_id", flat=True))
    assert set(per_partner.values()) == {1, 2}
    assert len(per_partner) == Partner.objects.count()
    per_profile = Counter(Location.objects.values_list("profile_id", flat=True))
    assert len(per_profile) == BusinessProfile.objects.count()
    assert min(per_profile.values()) >= 1
    assert max(per_profile.values()) <= 5
    assert not BusinessProfile.objects.filter(contacts__isnull=True).exists()
    assert max(BusinessProfile.objects.annotate(n=Count("industries")).values_list("n", flat=True)) <= 5


def test_locations_carry_real_city_coordinates(demo):
    moscow = set(Location.objects.filter(city="Москва").values_list("lat", "lon"))
    berlin = set(Location.objects.filter(city="Berlin").values_list("lat", "lon"))
    assert moscow == {(55.7558, 37.6173)}
    assert berlin == {(52.52, 13.405)}


def test_russian_speaking_partners_get_russian_keywords_and_alerts_in_russian(demo):
    profile = BusinessProfile.objects.get(partner__name="Облачные Системы", country="RU")
    assert "облачные решения" in profile.keywords or "миграция почты" in profile.keywords
    assert set(
        ProfileContact.objects.filter(profile__partner__country__in=["RU", "KZ"]).values_list("language", flat=True)
    ) == {"ru"}
    assert set(
        ProfileContact.objects.exclude(profile__partner__country__in=["RU", "KZ"]).values_list("language", flat=True)
    ) == {"en"}
    english = BusinessProfile.objects.get(partner__name="Nordlicht IT GmbH", country="DE")
    assert all(word.isascii() for word in english.keywords)


def test_some_profiles_are_paused_and_some_have_a_capacity(demo):
    paused = set(BusinessProfile.objects.filter(status="paused").values_list("partner__name", "country"))
    assert paused == {("Baltic Code Sp. z o.o.", "DE"), ("Severn Data Ltd", "GB"), ("Южный Бизнес-Софт", "RU")}
    assert BusinessProfile.objects.filter(capacity__isnull=False).count() == 4


def test_every_partner_has_a_referrals_admin_and_some_have_a_referrals_user_and_a_profile_admin(demo):
    admins = Counter(User.objects.filter(role=Role.REFERRALS_ADMIN).values_list("partner_id", flat=True))
    assert len(admins) == Partner.objects.count()
    assert set(admins.values()) == {1}
    assert User.objects.filter(role=Role.REFERRALS_USER).count() == 5
    assert User.objects.filter(role=Role.PROFILE_ADMIN).count() == 5


def test_every_referral_state_is_present(demo):
    states = dict(Referral.objects.values_list("state").annotate(n=Count("id")))
    assert set(states) == {s.value for s in State}
    assert 150 <= Engagement.objects.count() <= 300


def test_referrals_come_from_the_finder_agents_and_advertising_with_campaign_ids(demo):
    sources = set(Engagement.objects.values_list("source", flat=True))
    assert sources == {"finder", "agent", "advertising"}
    assert not Engagement.objects.filter(source="advertising", campaign_id="").exists()
    assert not Engagement.objects.exclude(source="advertising").exclude(campaign_id="").exists()
    assert not Engagement.objects.filter(contacts__isnull=True).exists()
    agent = User.objects.get(email="agent@leadshare.example")
    assert set(Engagement.objects.filter(source="agent").values_list("created_by", flat=True)) == {agent.pk}


def test_every_referral_history_starts_with_create_and_ends_in_its_current_state(demo):
    histories: dict[int, list[tuple[str, str, datetime]]] = {}
    for referral_id, action, to_state, at in ReferralEvent.objects.order_by("at", "id").values_list(
        "referral_id", "action", "to_state", "at"
    ):
        histories.setdefault(referral_id, []).append((action, to_state, at))
    states = dict(Referral.objects.values_list("id", "state"))
    assert set(histories) == set(states)
    for referral_id, events in histories.items():
        assert events[0][:2] == ("create", "new"), referral_id
        assert events[-1][1] == states[referral_id], referral_id
        assert events[-1][2] <= demo.finished


def test_reasons_are_from_the_listed_codes(demo):
    listed = {(kind, code) for kind, code, _en, _ru in REASONS}
    kinds = {"skip": "skip", "decline": "decline", "lose": "lose"}
    used = set(ReferralEvent.objects.filter(action__in=kinds).values_list("action", "reason"))
    assert {(kinds[action], reason) for action, reason in used if reason} <= listed
    assert not ReferralEvent.objects.filter(action__in=["decline", "lose"], reason="").exists()


def test_accepted_referrals_carry_a_deal_value_currency_and_close_date(demo):
    accepted = Referral.objects.filter(state__in=["negotiating", "won", "lost"])
    assert accepted.count() > 0
    assert not accepted.filter(deal_value__isnull=True).exists()
    assert not accepted.filter(deal_currency="").exists()
    assert not accepted.filter(expected_close_date__isnull=True).exists()
    assert not Referral.objects.filter(state="won", final_value__isnull=True).exists()


def test_no_open_referral_has_a_deadline_in_the_past_after_building(demo):
    open_states = [s.value for s in OPEN if s != State.NEGOTIATING]
    timed = Referral.objects.filter(state__in=open_states)
    assert timed.count() > 0
    assert not timed.filter(deadline_at__isnull=True).exists()
    assert not timed.filter(deadline_at__lte=demo.finished).exists()
    assert not Referral.objects.exclude(state__in=open_states).filter(deadline_at__isnull=False).exists()


def test_fast_partners_answer_sooner_and_miss_less_than_absent_ones(demo):
    def stats(name: str) -> ProfileResponsiveness:
        return ProfileResponsiveness.objects.get(profile__partner__name=name, profile__country__in=["RU", "GB"])

    fast, absent = stats("Облачные Системы"), stats("Caledonia Systems Ltd")
    assert fast.mean_seconds_to_first_answer < absent.mean_seconds_to_first_answer
    assert fast.share_answered_within_24h > absent.share_answered_within_24h
    assert ProfileResponsiveness.objects.filter(missed__gt=0).exists()


def test_historic_outbox_rows_are_marked_delivered_and_only_the_last_hour_stays_due(demo):
    older = OutboxMessage.objects.filter(created_at__lt=demo.started - timedelta(hours=1))
    assert older.count() > 100
    assert not older.filter(due_at__isnull=False).exists()
    assert list(older.exclude(sent_at=F("created_at")).values_list("id", flat=True)) == []
    due = OutboxMessage.objects.filter(due_at__isnull=False)
    assert not due.filter(created_at__lt=demo.started - timedelta(hours=1)).exists()


def test_the_operator_and_partner_logins_authenticate_with_the_printed_password(demo):
    assert f"password for all: {PASSWORD}" in demo.output
    for email in LOGINS:
        assert email in demo.output
        assert authenticate(email=email, password=PASSWORD) is not None, email
    admin = User.objects.get(email="admin@leadshare.example")
    assert (admin.role, admin.is_staff, admin.is_superuser, admin.partner_id) == ("programme_admin", True, True, None)
    agent = User.objects.get(email="agent@leadshare.example")
    assert (agent.role, agent.is_staff, agent.partner_id) == ("agent", False, None)
    partner_admin = User.objects.get(email="partner@leadshare.example")
    assert (partner_admin.role, partner_admin.partner.name, partner_admin.language) == (
        "referrals_admin",
        "Облачные Системы",
        "ru",
    )
    assert authenticate(email="admin@leadshare.example", password="wrong") is None


def test_the_demo_partners_have_referrals_waiting_for_an_answer(demo):
    for email in ("partner@leadshare.example", "partner.en@leadshare.example"):
        partner = User.objects.get(email=email).partner
        assert Referral.objects.filter(partner=partner, state="new").exists(), email


def test_if_empty_on_a_filled_database_adds_nothing_and_prints_the_logins(demo):
    before = counts()
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert counts() == before
    assert "no demo data added" in out.getvalue()
    assert "partner@leadshare.example" in out.getvalue()


def test_without_if_empty_a_filled_database_is_refused(demo):
    before = counts()
    with pytest.raises(CommandError, match="already has"):
        call_command("demo", stdout=io.StringIO())
    assert counts() == before
