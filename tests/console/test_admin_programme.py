"""Programme settings: the deadlines and reminder offsets, and the reason lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from console.models import AdminAction
from kernel.errors import InvalidInput
from matching import cascade
from partners.models import Role
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Programme, Referral
from taxonomy.models import Reason
from tests import factories
from tests.console.admin_fixtures import NOW, at, programme_admin, snapshot

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "new_deadline_hours": "72",
    "evaluating_deadline_hours": "168",
    "first_answer_urged_hours": "24",
    "warn_before_deadline_hours": "12",
    "cascade_window_hours": "96",
    "cascade_max_partners": "6",
}


@pytest.fixture
def boss(client: Any) -> Any:
    user = programme_admin()
    client.force_login(user)
    return user


def settings_now() -> tuple[int, int, int, int]:
    p = Programme.objects.get(pk=1)
    return (p.new_deadline_hours, p.evaluating_deadline_hours, p.first_answer_urged_hours, p.warn_before_deadline_hours)


def test_the_page_shows_the_settings_and_says_when_changes_apply(client, boss):
    page = client.get("/console/programme/").content.decode()
    assert 'name="new_deadline_hours" min="1" max="2160" value="72"' in page
    assert 'name="evaluating_deadline_hours" min="1" max="2160" value="168"' in page
    assert "Changes apply to referrals entering a state after you save" in page


def test_saving_new_deadlines_applies_to_referrals_that_arrive_afterwards(client, boss, monkeypatch):
    profile = factories.profile()
    before = factories.referral(profile, NOW)
    at(monkeypatch, NOW)
    response = client.post(
        "/console/programme/", DEFAULTS | {"new_deadline_hours": "96", "evaluating_deadline_hours": "336"}
    )
    assert response.status_code == 302 and response["Location"] == "/console/programme/"
    assert settings_now() == (96, 336, 24, 12)
    after = factories.referral(profile, NOW + timedelta(hours=1), company="Fabrikam")
    assert Referral.objects.get(pk=before.pk).deadline_at == NOW + timedelta(hours=72)
    assert after.deadline_at == NOW + timedelta(hours=1 + 96)
    action = AdminAction.objects.get()
    assert (action.kind, action.details, action.at) == (
        "settings", {"new_deadline_hours": [72, 96], "evaluating_deadline_hours": [168, 336]}, NOW,
    )  # fmt: skip


def test_the_page_shows_the_cascades_window_and_cap(client, boss):
    page = client.get("/console/programme/").content.decode()
    assert 'name="cascade_window_hours" min="1" max="2160" value="96"' in page
    assert 'name="cascade_max_partners" min="1" max="20" value="6"' in page


def test_saving_the_cascades_limits_keeps_a_history_line(client, boss, monkeypatch):
    at(monkeypatch, NOW)
    limits = {"cascade_window_hours": "48", "cascade_max_partners": "3"}
    response = client.post("/console/programme/", DEFAULTS | limits)
    assert response.status_code == 302
    programme = Programme.objects.get(pk=1)
    assert (programme.cascade_window_hours, programme.cascade_max_partners) == (48, 3)
    assert settings_now() == (72, 168, 24, 12)
    action = AdminAction.objects.get()
    assert (action.kind, action.details, action.at, action.actor_label) == (
        "settings", {"cascade_window_hours": [96, 48], "cascade_max_partners": [6, 3]}, NOW, boss.email,
    )  # fmt: skip
    history = client.get("/console/programme/").content.decode()
    assert "Programme settings changed" in history and "cascade_max_partners: [6, 3]" in history


@pytest.mark.parametrize(("cap", "offered"), [("6", 1), ("1", 0)])
def test_the_cascade_follows_the_cap_saved_on_the_page(client, boss, cap, offered):
    first, _spare = factories.profile(), factories.profile()
    engagement = factories.engagement([first], consent_share=True)
    client.post("/console/programme/", DEFAULTS | {"cascade_max_partners": cap})
    user = factories.user(first.partner, role=Role.REFERRALS_ADMIN)
    services.skip(engagement.referrals.get().pk, ActorRef.person(user), NOW + timedelta(hours=1), "not-our-field")

    assert cascade.offer_due(NOW + timedelta(hours=2)) == offered
    assert engagement.referrals.count() == 1 + offered


def test_the_cascade_follows_the_window_saved_on_the_page(client, boss):
    first, _spare = factories.profile(), factories.profile()
    engagement = factories.engagement([first], consent_share=True)
    client.post("/console/programme/", DEFAULTS | {"cascade_window_hours": "2"})
    user = factories.user(first.partner, role=Role.REFERRALS_ADMIN)
    services.skip(engagement.referrals.get().pk, ActorRef.person(user), NOW + timedelta(hours=3), "not-our-field")

    assert cascade.offer_due(NOW + timedelta(hours=3)) == 0  # older than the 2 h window (96 h by default)
    assert engagement.referrals.count() == 1


def test_a_programme_admin_in_russian_reads_the_cascades_errors_in_russian(client, boss):
    boss.language = "ru"
    boss.save()
    response = client.post("/console/programme/", DEFAULTS | {"cascade_max_partners": "0"})
    assert response.status_code == 422
    assert '<small id="cascade_max_partners-error">Введите от 1 до 20 партнёров.</small>' in response.content.decode()
    assert Programme.objects.get(pk=1).cascade_max_partners == 6


@pytest.mark.parametrize("role", [Role.AGENT, Role.REFERRALS_ADMIN])
def test_who_is_not_a_programme_admin_cannot_change_the_cascade(client, role):
    profile = factories.profile()
    client.force_login(factories.user(None if role == Role.AGENT else profile.partner, role=role))
    before = snapshot()
    response = client.post("/console/programme/", DEFAULTS | {"cascade_max_partners": "2"})
    assert response.status_code == 403
    assert snapshot() == before


def test_saving_unchanged_settings_records_nothing(client, boss):
    client.post("/console/programme/", DEFAULTS)
    assert AdminAction.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"new_deadline_hours": "0"}, "new_deadline_hours", "Enter at least 1 hour."),
        ({"new_deadline_hours": "-5"}, "new_deadline_hours", "Enter at least 1 hour."),
        ({"evaluating_deadline_hours": "2161"}, "evaluating_deadline_hours", "Enter at most 2160 hours (90 days)."),
        ({"evaluating_deadline_hours": "7 days"}, "evaluating_deadline_hours",
         "Enter a whole number of hours, such as 72."),
        ({"first_answer_urged_hours": ""}, "first_answer_urged_hours", "Enter a number of hours."),
        ({"first_answer_urged_hours": "72"}, "first_answer_urged_hours",
         "The reminder to answer must come before the deadline for new referrals."),
        ({"warn_before_deadline_hours": "72"}, "warn_before_deadline_hours",
         "The warning before a deadline must be shorter than both deadlines."),
        ({"evaluating_deadline_hours": "10", "warn_before_deadline_hours": "10"}, "warn_before_deadline_hours",
         "The warning before a deadline must be shorter than both deadlines."),
        ({"cascade_window_hours": "0"}, "cascade_window_hours", "Enter at least 1 hour."),
        ({"cascade_window_hours": "2161"}, "cascade_window_hours", "Enter at most 2160 hours (90 days)."),
        ({"cascade_window_hours": "4 days"}, "cascade_window_hours", "Enter a whole number of hours, such as 72."),
        ({"cascade_max_partners": ""}, "cascade_max_partners", "Enter a number of partners."),
        ({"cascade_max_partners": "0"}, "cascade_max_partners", "Enter 1 to 20 partners."),
        ({"cascade_max_partners": "21"}, "cascade_max_partners", "Enter 1 to 20 partners."),
        ({"cascade_max_partners": "six"}, "cascade_max_partners", "Enter a whole number of partners, such as 6."),
        ({"cascade_max_partners": "2.5"}, "cascade_max_partners", "Enter a whole number of partners, such as 6."),
    ],
)  # fmt: skip
def test_bad_settings_are_named_by_the_field_and_change_nothing(client, boss, changes, field, message):
    before = snapshot()
    response = client.post("/console/programme/", DEFAULTS | changes)
    assert response.status_code == 422
    page = response.content.decode()
    assert f'<small id="{field}-error">{message}</small>' in page
    assert f'aria-describedby="{field}-error"' in page
    assert snapshot() == before


def test_a_programme_admin_adds_a_reason_partners_can_then_choose(client, boss):
    response = client.post(
        "/console/programme/reasons/",
        {"kind": "lose", "code": "budget-frozen", "name_en": "Budget frozen", "name_ru": "Бюджет заморожен"},
    )
    assert response.status_code == 302
    reason = Reason.objects.get(kind="lose", code="budget-frozen")
    assert (reason.name_en, reason.name_ru, reason.active) == ("Budget frozen", "Бюджет заморожен", True)
    assert AdminAction.objects.get().details == {"kind": "lose", "code": "budget-frozen", "name_en": "Budget frozen"}
    profile = factories.profile()
    user = factories.user(profile.partner)
    referral = factories.referral(profile)
    me = ActorRef.person(user)
    services.mark_interested(referral.pk, me, NOW)
    services.accept(referral.pk, me, NOW, "100", "EUR", factories.close_date())
    assert services.lose(referral.pk, me, NOW, "budget-frozen").reason == "budget-frozen"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "win"}, "kind", "Choose no thanks, decline or lost."),
        ({"code": ""}, "code", "Enter a code, such as budget-frozen."),
        ({"code": "Budget Frozen"}, "code",
         "Use lowercase letters, digits and single hyphens (at most 64), such as budget-frozen."),
        ({"code": "price"}, "code", "This list already has a reason with this code. Rename or reactivate it."),
        ({"name_en": " "}, "name_en", "Enter the label partners see."),
        ({"name_ru": "я" * 121}, "name_ru", "Keep the label under 120 characters."),
    ],
)  # fmt: skip
def test_a_bad_new_reason_is_named_by_the_field_and_changes_nothing(client, boss, fields, field, message):
    before = snapshot()
    data = {"kind": "lose", "code": "budget-frozen", "name_en": "Budget frozen", "name_ru": "Бюджет"} | fields
    response = client.post("/console/programme/reasons/", data)
    assert response.status_code == 422
    assert f'<small id="{field}-error">{message}</small>' in response.content.decode()
    assert snapshot() == before


def test_renaming_a_reason_keeps_its_code(client, boss):
    reason = Reason.objects.get(kind="lose", code="price")
    client.post(f"/console/programme/reasons/{reason.pk}/", {"name_en": "Too expensive", "name_ru": "Слишком дорого"})
    reason.refresh_from_db()
    assert (reason.code, reason.name_en, reason.name_ru) == ("price", "Too expensive", "Слишком дорого")
    assert AdminAction.objects.get().details == {
        "kind": "lose", "code": "price", "before": ["Price", "Цена"], "after": ["Too expensive", "Слишком дорого"],
    }  # fmt: skip


def test_renaming_to_a_blank_label_changes_nothing(client, boss):
    reason = Reason.objects.get(kind="lose", code="price")
    before = snapshot()
    response = client.post(f"/console/programme/reasons/{reason.pk}/", {"name_en": "", "name_ru": "Цена"})
    assert response.status_code == 422
    row = response.content.decode().split(f'data-reason="{reason.pk}"')[1].split("</tr>")[0]
    assert "<small>Enter the label partners see.</small>" in row
    assert snapshot() == before


def test_a_deactivated_reason_is_no_longer_offered_and_can_come_back(client, boss):
    reason = Reason.objects.get(kind="lose", code="price")
    client.post(f"/console/programme/reasons/{reason.pk}/active/", {"active": "0"})
    assert Reason.objects.get(pk=reason.pk).active is False
    profile = factories.profile()
    me = ActorRef.person(factories.user(profile.partner))
    referral = factories.referral(profile)
    services.mark_interested(referral.pk, me, NOW)
    services.accept(referral.pk, me, NOW, "100", "EUR", factories.close_date())
    with pytest.raises(InvalidInput):
        services.lose(referral.pk, me, NOW, "price")
    client.post(f"/console/programme/reasons/{reason.pk}/active/", {"active": "1"})
    assert Reason.objects.get(pk=reason.pk).active is True
    assert [a.kind for a in AdminAction.objects.order_by("pk")] == ["reason_deactivate", "reason_reactivate"]


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("decline", "spam", "Partners flag spam with this reason, and the spam queue relies on it: keep it active."),
        ("skip", "spam", "Partners flag spam with this reason, and the spam queue relies on it: keep it active."),
    ],
)
def test_the_spam_reasons_cannot_be_deactivated(client, boss, kind, code, message):
    reason = Reason.objects.get(kind=kind, code=code)
    before = snapshot()
    response = client.post(f"/console/programme/reasons/{reason.pk}/active/", {"active": "0"}, follow=True)
    assert message in response.content.decode()
    assert snapshot() == before


def test_the_last_active_reason_of_a_list_stays_active(client, boss):
    last, *others = Reason.objects.filter(kind="lose").order_by("pk")
    Reason.objects.filter(pk__in=[o.pk for o in others]).update(active=False)
    before = snapshot()
    response = client.post(f"/console/programme/reasons/{last.pk}/active/", {"active": "0"}, follow=True)
    assert "keep at least one active in this list." in response.content.decode()
    assert snapshot() == before


def test_reasons_are_never_deleted_there_is_no_way_to(client, boss):
    reason = Reason.objects.get(kind="lose", code="price")
    assert client.delete(f"/console/programme/reasons/{reason.pk}/").status_code == 405
    assert Reason.objects.filter(pk=reason.pk).exists()


def test_an_unknown_reason_is_404(client, boss):
    assert client.post("/console/programme/reasons/999999/", {"name_en": "a", "name_ru": "b"}).status_code == 404
    assert client.post("/console/programme/reasons/999999/active/", {"active": "0"}).status_code == 404


def test_an_agent_cannot_change_settings_through_the_service(boss):
    agent = factories.user(None, role=Role.AGENT)
    from django.core.exceptions import PermissionDenied

    from console import admin_services

    with pytest.raises(PermissionDenied):
        admin_services.update_programme(agent, DEFAULTS | {"new_deadline_hours": "1"}, NOW)
    assert settings_now() == (72, 168, 24, 12)
