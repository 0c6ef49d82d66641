"""The inbox's own actions: "assigned to me", several referrals at once, saved views; each for its own people only."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from partners.models import Role
from referrals import saved_views, services
from referrals.actors import ActorRef
from referrals.forms import InboxQuery
from referrals.models import Referral, ReferralEvent, SavedView
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def row_ids(body):
    return [int(x) for x in re.findall(r'<tr class="ls-row" data-referral="(\d+)"', body)]


def untouched(*referrals):
    """Everything a bulk action would change, to compare before and after."""
    return (
        [tuple(Referral.objects.values_list("state", "assignee_id", "version").get(pk=r.pk)) for r in referrals],
        ReferralEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


def report(body):
    return re.findall(r'<li data-referral="(\d+)" class="(ls-ok|ls-failed)"><a [^>]+>#\d+</a>: ([^<]+)</li>', body)


# --- Assigned to me -------------------------------------------------------------------------------------


def test_assigned_to_me_lists_and_counts_only_the_referrals_assigned_to_the_user(signed_in, profile, admin_user):
    mine, other = factories.referral(profile), factories.referral(profile)
    services.assign(mine.pk, ActorRef.person(admin_user), timezone.now(), admin_user.pk)
    body = signed_in.get("/referrals/?mine=1").content.decode()
    assert row_ids(body) == [mine.pk]
    assert re.findall(r'\?tab=new&amp;mine=1"[^>]*>[^<]+<span class="ls-count">(\d+)</span>', body) == ["1"]
    assert 'name="mine" value="1" checked' in body
    assert sorted(row_ids(signed_in.get("/referrals/").content.decode())) == sorted([mine.pk, other.pk])


# --- Several referrals at once ----------------------------------------------------------------------------


def test_an_admin_assigns_the_ticked_referrals_and_reads_what_happened_to_each(signed_in, profile):
    colleague = factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    a, b = factories.referral(profile), factories.referral(profile)
    theirs = factories.referral(factories.profile())
    response = signed_in.post(
        "/referrals/bulk/",
        {"bulk_action": "assign", "ids": [a.pk, theirs.pk, b.pk], "assignee": colleague.pk, "sort": "oldest"},
    )
    assert (response.status_code, response["Location"]) == (302, "/referrals/?sort=oldest")
    assert [Referral.objects.get(pk=r.pk).assignee_id for r in (a, b, theirs)] == [colleague.pk, colleague.pk, None]
    body = signed_in.get(response["Location"]).content.decode()
    assert report(body) == [
        (str(a.pk), "ls-ok", "Assignee saved."),
        (str(theirs.pk), "ls-failed", "Not found among the referrals you may work: nothing was done."),
        (str(b.pk), "ls-ok", "Assignee saved."),
    ]
    assert report(signed_in.get("/referrals/").content.decode()) == []


def test_no_thanks_to_the_ticked_referrals_asks_first_and_changes_nothing(signed_in, profile):
    a, b = factories.referral(profile), factories.referral(profile)
    before = untouched(a, b)
    response = signed_in.post("/referrals/bulk/", {"bulk_action": "skip", "ids": [a.pk, b.pk], "reason": "no-capacity"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Yes, answer no thanks to 2 referrals" in body
    assert re.findall(r'<input type="hidden" name="ids" value="(\d+)">', body) == [str(a.pk), str(b.pk)]
    assert '<input type="hidden" name="reason" value="no-capacity">' in body
    assert untouched(a, b) == before


def test_confirmed_no_thanks_closes_each_ticked_referral_with_the_reason(signed_in, profile):
    a, b = factories.referral(profile), factories.referral(profile)
    services.mark_interested(b.pk, ActorRef.system("colleague"), timezone.now())
    signed_in.post(
        "/referrals/bulk/", {"bulk_action": "skip", "ids": [a.pk, b.pk], "reason": "no-capacity", "confirmed": "yes"}
    )
    assert [Referral.objects.values_list("state", "reason").get(pk=r.pk) for r in (a, b)] == [
        ("skipped", "no-capacity"),
        ("evaluating", ""),
    ]
    assert report(signed_in.get("/referrals/").content.decode()) == [
        (str(a.pk), "ls-ok", "Answered no thanks."),
        (str(b.pk), "ls-failed", "Not possible in its state: nothing was done."),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bulk_action": "skip", "reason": "bored", "confirmed": "yes"}, "Choose one of the listed reasons."),
        ({"bulk_action": "explode"}, "Choose what to do with the selected referrals."),
        ({"bulk_action": "assign", "assignee": "someone"}, "Choose a member of your team."),
    ],
)
def test_a_bad_bulk_form_is_told_why_and_changes_nothing(signed_in, profile, data, message):
    referral = factories.referral(profile)
    before = untouched(referral)
    response = signed_in.post("/referrals/bulk/", {"ids": [referral.pk], **data}, follow=True)
    assert response.redirect_chain == [("/referrals/", 302)]
    assert message in response.content.decode()
    assert untouched(referral) == before


def test_nothing_ticked_is_told_so(signed_in, profile):
    response = signed_in.post("/referrals/bulk/", {"bulk_action": "assign", "assignee": ""}, follow=True)
    assert "Select at least one referral." in response.content.decode()


@pytest.mark.parametrize("role", [Role.PROFILE_ADMIN, Role.AGENT, Role.PROGRAMME_ADMIN])
def test_people_who_do_not_work_referrals_have_no_bulk_actions(client, profile, role):
    referral = factories.referral(profile)
    before = untouched(referral)
    client.force_login(factories.user(profile.partner if role == Role.PROFILE_ADMIN else None, role=role))
    data = {"bulk_action": "skip", "ids": [referral.pk], "confirmed": "yes"}
    assert client.post("/referrals/bulk/", data).status_code == 404
    assert untouched(referral) == before


def test_the_inbox_offers_bulk_assign_to_admins_and_no_thanks_on_the_new_tab_only(signed_in, client, profile):
    factories.referral(profile)
    body = signed_in.get("/referrals/").content.decode()
    assert 'value="assign"' in body and 'value="skip"' in body and 'form="bulk"' in body
    assert 'value="skip"' not in signed_in.get("/referrals/?tab=evaluating").content.decode()
    member = factories.user(profile.partner, role=Role.REFERRALS_USER)
    client.force_login(member)
    assert 'value="assign"' not in client.get("/referrals/").content.decode()


# --- Saved views ------------------------------------------------------------------------------------------


def test_saving_the_current_filters_lists_them_as_a_link_in_the_inbox(signed_in, admin_user):
    response = signed_in.post("/referrals/views/", {"name": "Mine by deadline", "mine": "1", "sort": "deadline"})
    assert (response.status_code, response["Location"]) == (302, "/referrals/?sort=deadline&mine=1")
    body = signed_in.get(response["Location"]).content.decode()
    assert "View “Mine by deadline” saved." in body
    assert '<a href="/referrals/?sort=deadline&amp;mine=1">Mine by deadline</a>' in body


def test_a_view_without_a_name_is_refused_and_nothing_is_saved(signed_in):
    response = signed_in.post("/referrals/views/", {"name": " ", "mine": "1"}, follow=True)
    assert "Enter a name for the view." in response.content.decode()
    assert SavedView.objects.count() == 0


def test_nobody_sees_or_deletes_another_persons_view(client, profile, admin_user):
    view = saved_views.save(admin_user, "Admin's own", InboxQuery(mine=True), timezone.now())
    for outsider in (
        factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example"),
        factories.user(email="other@another.example"),
    ):
        client.force_login(outsider)
        assert "Admin&#x27;s own" not in client.get("/referrals/").content.decode()
        assert client.post(f"/referrals/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_the_owner_deletes_a_view(signed_in, admin_user):
    view = saved_views.save(admin_user, "Mine", InboxQuery(mine=True), timezone.now())
    response = signed_in.post(f"/referrals/views/{view.pk}/delete/", follow=True)
    assert "View deleted." in response.content.decode()
    assert not SavedView.objects.exists()


def test_the_inbox_actions_need_a_signed_in_user(client, profile):
    referral = factories.referral(profile)
    for url in ("/referrals/bulk/", "/referrals/views/", "/referrals/views/1/delete/"):
        assert client.post(url, {"ids": [referral.pk], "bulk_action": "skip", "name": "x"}).status_code == 302
    assert Referral.objects.get(pk=referral.pk).state == "new" and SavedView.objects.count() == 0


def test_the_inbox_tools_speak_russian_to_a_russian_user(client, profile):
    factories.referral(profile)
    client.force_login(factories.user(profile.partner, email="ru@partner.example", language="ru"))
    body = client.get("/referrals/").content.decode()
    for text in ("Назначенные мне", "Назначить отмеченные", "«Нет, спасибо» на отмеченные", "Сохранить представление"):
        assert text in body
