"""The referral pages: they parse, call the services, and render; errors change nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from partners.models import Role
from referrals import exports, services
from referrals.actors import ActorRef
from referrals.forms import SHORTCUTS
from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.calendar_words import en_date, ru_date
from tests.factories import NOW

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# What the confirmation page's button adds to an action that closes a referral.
CONFIRMED = {"confirmed": "yes"}


@pytest.fixture
def fresh(profile):
    return factories.referral(profile, now=timezone.now())


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def snapshot(referral_id):
    """Everything an action would change: the row's state and version, its history, its outbox."""
    row = Referral.objects.get(pk=referral_id)
    return (
        row.state,
        row.version,
        row.deal_value,
        row.notes,
        row.assignee_id,
        ReferralEvent.objects.filter(referral_id=referral_id).count(),
        OutboxMessage.objects.count(),
    )


def evaluating(profile, **overrides):
    referral = factories.referral(profile, now=timezone.now(), **overrides)
    services.mark_interested(referral.pk, ActorRef.system("test"), timezone.now())
    return Referral.objects.get(pk=referral.pk)


def negotiating(profile, **overrides):
    referral = evaluating(profile, **overrides)
    services.perform(
        referral.pk,
        services.Action.ACCEPT,
        ActorRef.system("test"),
        timezone.now(),
        services.ActionInput(deal_value="12500", currency="EUR", expected_close_date="2099-01-01"),
    )
    return Referral.objects.get(pk=referral.pk)


def row_ids(body):
    return [int(x) for x in re.findall(r'data-referral="(\d+)"', body)]


# --- The inbox -----------------------------------------------------------------------------------


def test_the_inbox_lists_new_referrals_without_the_customers_identity(signed_in, fresh):
    response = signed_in.get("/referrals/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/referrals/{fresh.pk}/" in body
    assert "Contoso GmbH" not in body and "anna@contoso.example" not in body


def test_the_inbox_needs_a_signed_in_user(client, fresh):
    response = client.get("/referrals/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/referrals/")


def test_the_tabs_show_how_many_referrals_each_holds(signed_in, profile):
    factories.referral(profile, now=timezone.now())
    factories.referral(profile, now=timezone.now())
    evaluating(profile)
    negotiating(profile)
    lost = negotiating(profile)
    services.lose(lost.pk, ActorRef.system("test"), timezone.now(), "price")
    body = signed_in.get("/referrals/").content.decode()
    counts = dict(re.findall(r'\?tab=(\w+)"[^>]*>[^<]+<span class="ls-count">(\d+)</span>', body))
    assert counts == {"new": "2", "evaluating": "1", "negotiating": "1", "archive": "1"}


def test_each_tab_lists_only_its_own_referrals(signed_in, profile):
    new = factories.referral(profile, now=timezone.now())
    ev = evaluating(profile)
    neg = negotiating(profile)
    assert row_ids(signed_in.get("/referrals/").content.decode()) == [new.pk]
    assert row_ids(signed_in.get("/referrals/?tab=evaluating").content.decode()) == [ev.pk]
    assert row_ids(signed_in.get("/referrals/?tab=negotiating").content.decode()) == [neg.pk]
    assert row_ids(signed_in.get("/referrals/?tab=archive").content.decode()) == []


def test_the_archive_filters_by_outcome(signed_in, profile):
    won = negotiating(profile)
    services.win(won.pk, ActorRef.system("test"), timezone.now(), "13000")
    skipped = factories.referral(profile, now=timezone.now())
    services.skip(skipped.pk, ActorRef.system("test"), timezone.now())
    declined = evaluating(profile)
    services.decline(declined.pk, ActorRef.system("test"), timezone.now(), "no-capacity")
    assert sorted(row_ids(signed_in.get("/referrals/?tab=archive").content.decode())) == sorted(
        [won.pk, skipped.pk, declined.pk]
    )
    assert row_ids(signed_in.get("/referrals/?tab=archive&outcome=won").content.decode()) == [won.pk]
    assert row_ids(signed_in.get("/referrals/?tab=archive&outcome=declined").content.decode()) == [declined.pk]
    assert row_ids(signed_in.get("/referrals/?tab=archive&outcome=missed").content.decode()) == []


def test_an_unknown_tab_or_outcome_falls_back_to_the_defaults(signed_in, fresh):
    assert row_ids(signed_in.get("/referrals/?tab=secret&outcome=nope&sort=x").content.decode()) == [fresh.pk]


def test_the_inbox_sorts_newest_oldest_and_by_deadline_soonest(signed_in, profile):
    now = timezone.now()
    older = factories.referral(profile, now=now - timedelta(hours=30))
    newer = factories.referral(profile, now=now - timedelta(hours=1))
    assert row_ids(signed_in.get("/referrals/").content.decode()) == [newer.pk, older.pk]
    assert row_ids(signed_in.get("/referrals/?sort=oldest").content.decode()) == [older.pk, newer.pk]
    assert row_ids(signed_in.get("/referrals/?sort=deadline").content.decode()) == [older.pk, newer.pk]


def test_the_search_finds_the_need_and_the_city(signed_in, profile):
    mail = factories.referral(profile, now=timezone.now())
    erp = factories.referral(profile, now=timezone.now(), need="Roll out ERP", city="Hamburg")
    assert row_ids(signed_in.get("/referrals/?q=mailboxes").content.decode()) == [mail.pk]
    assert row_ids(signed_in.get("/referrals/?q=hamburg").content.decode()) == [erp.pk]


def test_the_search_never_matches_a_masked_company_but_does_match_a_visible_one(signed_in, profile):
    masked = factories.referral(profile, now=timezone.now(), company="Fabrikam AG")
    shown = evaluating(profile, company="Fabrikam AG")
    assert row_ids(signed_in.get("/referrals/?q=Fabrikam").content.decode()) == []
    assert row_ids(signed_in.get("/referrals/?tab=evaluating&q=Fabrikam").content.decode()) == [shown.pk]
    assert masked.pk not in row_ids(signed_in.get("/referrals/?tab=new&q=Fabrikam").content.decode())


def test_the_inbox_shows_25_a_page_and_the_pager_keeps_the_filters(signed_in, profile):
    for _ in range(27):
        factories.referral(profile, now=timezone.now())
    first = signed_in.get("/referrals/?tab=new&sort=oldest").content.decode()
    assert len(row_ids(first)) == 25
    assert "Page 1 of 2" in first
    assert "?tab=new&amp;sort=oldest&amp;page=2" in first
    assert len(row_ids(signed_in.get("/referrals/?tab=new&sort=oldest&page=2").content.decode())) == 2


def test_a_row_shows_size_industry_city_products_age_and_time_left(signed_in, profile):
    factories.referral(profile, now=timezone.now() - timedelta(hours=2))
    body = signed_in.get("/referrals/").content.decode()
    for text in ("50-249 employees", "Manufacturing", "Berlin", "Office suite and email", "2\xa0hours ago"):
        assert text in body
    assert "2\xa0days, 21\xa0hours left" in body or "2\xa0days, 22\xa0hours left" in body


def test_a_referral_received_this_minute_reads_just_now(signed_in, profile):
    factories.referral(profile, now=timezone.now())
    body = signed_in.get("/referrals/").content.decode()
    assert ">just now</time>" in body and "0\xa0minutes" not in body


def test_a_russian_reader_sees_ages_times_left_and_dates_in_russian_in_their_time_zone(client, profile):
    reader = factories.user(profile.partner, email="ru@partner.example", language="ru", time_zone="Asia/Tokyo")
    client.force_login(reader)
    received = NOW - 2 * timedelta(hours=1)
    referral = factories.referral(profile, now=received)
    inbox = client.get("/referrals/").content.decode()
    assert ">2\xa0часа назад</time>" in inbox
    assert re.search(r"осталось 2\xa0дня 2[12]\xa0час", inbox)
    in_tokyo = received + 9 * timedelta(hours=1)  # Japan keeps no summer time
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f"Получена {ru_date(in_tokyo)}, {in_tokyo:%H:%M} (2\xa0часа назад)" in page


def test_a_new_referral_unanswered_for_24_hours_is_marked(signed_in, profile):
    late = factories.referral(profile, now=timezone.now() - timedelta(hours=25))
    body = signed_in.get("/referrals/").content.decode()
    row = body[body.index(f'data-referral="{late.pk}"') :]
    assert "24 h passed without an answer" in row[: row.index("</tr>")]
    factories.referral(profile, now=timezone.now())
    assert signed_in.get("/referrals/").content.decode().count("24 h passed without an answer") == 1


def test_the_inbox_speaks_russian_to_a_russian_user(client, profile):
    user = factories.user(profile.partner, email="ru@partner.example", language="ru")
    factories.referral(profile, now=timezone.now())
    client.force_login(user)
    body = client.get("/referrals/").content.decode()
    for text in ("Рекомендации", "Новые", "Архив", "50-249 сотрудников", "Производство", "Офисный пакет и почта"):
        assert text in body


def test_the_inbox_polls_for_referrals_that_arrive_while_it_is_open(signed_in, profile):
    body = signed_in.get("/referrals/").content.decode()
    poll = re.search(r'hx-get="([^"]+)" hx-trigger="every 20s"', body)
    assert poll is not None
    url = poll.group(1).replace("&amp;", "&")
    assert "new referral" not in signed_in.get(url).content.decode()
    factories.referral(profile, now=timezone.now() + timedelta(seconds=1))
    factories.referral(profile, now=timezone.now() + timedelta(seconds=1))
    fragment = signed_in.get(url).content.decode()
    assert "2 new referrals arrived." in fragment and "?tab=new" in fragment


def test_the_polling_fragment_counts_only_this_partners_referrals(signed_in, profile):
    since = timezone.now().isoformat()
    factories.referral(factories.profile(), now=timezone.now() + timedelta(seconds=1))
    fragment = signed_in.get("/referrals/fresh/", {"since": since}).content.decode()
    assert "new referral" not in fragment


# --- One referral: answering ----------------------------------------------------------------------


def test_a_new_referral_page_shows_the_overview_and_no_contacts(signed_in, fresh):
    body = signed_in.get(f"/referrals/{fresh.pk}/").content.decode()
    assert "Move 200 mailboxes to the cloud" in body
    assert ">I'm interested</button>" in body and ">No thanks</button>" in body and ">Accept</button>" not in body
    for secret in ("Anna Schmidt", "anna@contoso.example", "+49 30 1234567", "Contoso GmbH", "Alexanderplatz 1"):
        assert secret not in body


def test_the_referral_page_shows_the_time_left_prominently(signed_in, fresh):
    body = signed_in.get(f"/referrals/{fresh.pk}/").content.decode()
    assert re.search(r'class="ls-big">2\xa0days, 2\d\xa0hours left</span>', body)


def test_interested_reveals_the_contacts(signed_in, fresh):
    response = signed_in.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"})
    assert (response.status_code, response["Location"]) == (302, f"/referrals/{fresh.pk}/")
    body = signed_in.get(f"/referrals/{fresh.pk}/").content.decode()
    assert "anna@contoso.example" in body and "+49 30 1234567" in body and "Contoso GmbH" in body


def test_interested_with_htmx_returns_only_the_panel_with_the_contacts(signed_in, fresh):
    response = signed_in.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="referral-panel">') and "<html" not in body
    assert "anna@contoso.example" in body and 'name="version" value="2"' in body


def test_no_thanks_with_a_reason_skips_and_tells_the_customer(signed_in, fresh):
    signed_in.post(f"/referrals/{fresh.pk}/skip/", {"version": "1", "reason": "no-capacity", **CONFIRMED})
    after = Referral.objects.get(pk=fresh.pk)
    assert (after.state, after.reason) == ("skipped", "no-capacity")
    assert OutboxMessage.objects.filter(referral=fresh, template="customer_partner_declined").count() == 1


def test_no_thanks_without_a_reason_is_fine(signed_in, fresh):
    signed_in.post(f"/referrals/{fresh.pk}/skip/", {"version": "1", **CONFIRMED})
    assert Referral.objects.get(pk=fresh.pk).state == "skipped"


def test_accept_without_a_value_shows_the_field_error_and_changes_nothing(signed_in, fresh):
    signed_in.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"})
    before = snapshot(fresh.pk)
    response = signed_in.post(
        f"/referrals/{fresh.pk}/accept/",
        {"version": "2", "deal_value": "", "currency": "EUR", "expected_close_date": factories.close_date()},
        follow=True,
    )
    assert response.redirect_chain == [(f"/referrals/{fresh.pk}/", 302)]
    body = response.content.decode()
    assert '<small class="ls-error" id="deal_value-error">Enter the amount.</small>' in body
    assert 'aria-invalid="true" aria-describedby="deal_value-error"' in body
    assert snapshot(fresh.pk) == before
    assert before[:2] == ("evaluating", 2)


def test_accept_with_every_field_wrong_shows_each_message_next_to_its_field(signed_in, profile):
    referral = evaluating(profile)
    before = snapshot(referral.pk)
    response = signed_in.post(
        f"/referrals/{referral.pk}/accept/",
        {"version": str(referral.version), "deal_value": "-5", "currency": "", "expected_close_date": "2001-01-01"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="deal_value-error">The amount must be greater than zero.' in body
    assert 'id="currency-error">Choose a currency.' in body
    assert 'id="expected_close_date-error">The expected close date cannot be in the past.' in body
    assert 'value="-5"' in body
    assert snapshot(referral.pk) == before


def test_a_correct_accept_moves_to_negotiating_and_keeps_the_deal(signed_in, profile):
    referral = evaluating(profile)
    response = signed_in.post(
        f"/referrals/{referral.pk}/accept/",
        {
            "version": str(referral.version),
            "deal_value": "12 500,50",
            "currency": "EUR",
            "expected_close_date": "2099-03-01",
        },
    )
    assert response.status_code == 302
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, str(after.deal_value), after.deal_currency, str(after.expected_close_date)) == (
        "negotiating",
        "12500.50",
        "EUR",
        "2099-03-01",
    )
    body = signed_in.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Accepted. Good luck with the deal!" in body
    assert "12,500.50 EUR" in body
    assert "Won" in body and "Lost" in body


def test_decline_without_a_reason_shows_the_error_and_changes_nothing(signed_in, profile):
    referral = evaluating(profile)
    before = snapshot(referral.pk)
    response = signed_in.post(f"/referrals/{referral.pk}/decline/", {"version": str(referral.version)}, follow=True)
    assert response.redirect_chain == [(f"/referrals/{referral.pk}/", 302)]
    assert 'id="decline-reason-error">Choose a reason.' in response.content.decode()
    assert snapshot(referral.pk) == before


def test_decline_with_a_reason_and_comment_records_both_and_tells_the_customer(signed_in, profile):
    referral = evaluating(profile)
    signed_in.post(
        f"/referrals/{referral.pk}/decline/",
        {"version": str(referral.version), "reason": "region-not-served", "comment": "Only Bavaria", **CONFIRMED},
    )
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.reason, after.comment) == ("declined", "region-not-served", "Only Bavaria")
    assert OutboxMessage.objects.filter(referral=referral, template="customer_partner_declined").count() == 1
    body = signed_in.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Region not served" in body and "anna@contoso.example" not in body


def test_won_records_the_final_value(signed_in, profile):
    referral = negotiating(profile)
    signed_in.post(
        f"/referrals/{referral.pk}/win/", {"version": str(referral.version), "final_value": "14000", **CONFIRMED}
    )
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, str(after.final_value)) == ("won", "14000.00")
    assert "14,000.00 EUR" in signed_in.get(f"/referrals/{referral.pk}/").content.decode()


def test_won_with_a_bad_value_shows_the_error_and_changes_nothing(signed_in, profile):
    referral = negotiating(profile)
    before = snapshot(referral.pk)
    response = signed_in.post(
        f"/referrals/{referral.pk}/win/", {"version": str(referral.version), "final_value": "lots"}, follow=True
    )
    assert 'id="final_value-error">Enter a number, such as 12500 or 12500.50.' in response.content.decode()
    assert snapshot(referral.pk) == before


def test_lost_records_the_reason(signed_in, profile):
    referral = negotiating(profile)
    signed_in.post(
        f"/referrals/{referral.pk}/lose/", {"version": str(referral.version), "reason": "competitor", **CONFIRMED}
    )
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.reason) == ("lost", "competitor")


def test_a_stale_form_is_told_the_referral_changed_and_changes_nothing(signed_in, fresh):
    signed_in.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"})
    before = snapshot(fresh.pk)
    response = signed_in.post(f"/referrals/{fresh.pk}/skip/", {"version": "1", **CONFIRMED}, follow=True)
    assert "This referral changed while you were looking at it" in response.content.decode()
    assert snapshot(fresh.pk) == before
    assert not OutboxMessage.objects.filter(template="customer_partner_declined").exists()


def test_a_stale_htmx_form_gets_the_current_panel_and_a_plain_message(signed_in, fresh):
    services.mark_interested(fresh.pk, ActorRef.system("colleague"), timezone.now())
    before = snapshot(fresh.pk)
    response = signed_in.post(f"/referrals/{fresh.pk}/skip/", {"version": "1"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert">This referral changed while you were looking at it.' in body
    assert "anna@contoso.example" in body and 'name="version" value="2"' in body
    assert snapshot(fresh.pk) == before


def test_an_answer_after_the_deadline_is_refused_and_the_referral_is_missed(signed_in, profile):
    late = factories.referral(profile, now=NOW - timedelta(hours=73))
    response = signed_in.post(f"/referrals/{late.pk}/interested/", {"version": "1"}, follow=True)
    deadline = NOW - timedelta(hours=1)  # 72 h after it arrived, shown in the reader's zone (UTC)
    said = f"Too late: the deadline to answer passed at {en_date(deadline)}, {deadline:%H:%M}."
    assert said in response.content.decode()
    after = Referral.objects.get(pk=late.pk)
    assert after.state == "missed"
    assert list(ReferralEvent.objects.filter(referral=late).values_list("action", flat=True)) == ["create", "miss"]


def test_an_answer_to_a_closed_referral_is_refused_and_changes_nothing(signed_in, fresh):
    services.skip(fresh.pk, ActorRef.system("test"), timezone.now())
    before = snapshot(fresh.pk)
    response = signed_in.post(f"/referrals/{fresh.pk}/interested/", {"version": "2"}, follow=True)
    assert "This is not possible for this referral any more." in response.content.decode()
    assert snapshot(fresh.pk) == before


# --- One referral: notes, assignee, history --------------------------------------------------------


def test_notes_are_saved_and_the_history_says_so(signed_in, fresh):
    response = signed_in.post(f"/referrals/{fresh.pk}/notes/", {"version": "1", "notes": "Call on Monday"}, **HTMX)
    body = response.content.decode()
    assert "Notes saved." in body and "Call on Monday" in body and "Notes updated" in body
    after = Referral.objects.get(pk=fresh.pk)
    assert (after.notes, after.version, after.state) == ("Call on Monday", 2, "new")


def test_notes_that_are_too_long_show_the_error_and_change_nothing(signed_in, fresh):
    before = snapshot(fresh.pk)
    response = signed_in.post(f"/referrals/{fresh.pk}/notes/", {"version": "1", "notes": "x" * 20001}, follow=True)
    assert response.redirect_chain == [(f"/referrals/{fresh.pk}/", 302)]
    assert 'id="notes-text-error">Keep notes under 20,000 characters.' in response.content.decode()
    assert snapshot(fresh.pk) == before


def test_an_admin_assigns_a_team_member(signed_in, profile, fresh):
    colleague = factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    body = signed_in.get(f"/referrals/{fresh.pk}/").content.decode()
    assert "bob@partner.example" in body
    signed_in.post(f"/referrals/{fresh.pk}/assign/", {"version": "1", "assignee": str(colleague.pk)})
    assert Referral.objects.get(pk=fresh.pk).assignee_id == colleague.pk
    assert "Assigned to bob@partner.example" in signed_in.get(f"/referrals/{fresh.pk}/").content.decode()


def test_the_assignee_choices_are_the_people_who_can_open_the_referral(signed_in, profile, fresh):
    factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    factories.user(profile.partner, role=Role.PROFILE_ADMIN, email="profiles@partner.example")
    factories.user(profile.partner, role=Role.REFERRALS_USER, email="gone@partner.example", is_active=False)
    response = signed_in.get(f"/referrals/{fresh.pk}/")
    team = [member.email for member in response.context["team"]]
    assert team == ["admin@partner.example", "bob@partner.example"]


def test_assigning_someone_of_another_partner_shows_an_error_and_changes_nothing(signed_in, fresh):
    stranger = factories.user(email="stranger@another.example")
    before = snapshot(fresh.pk)
    response = signed_in.post(
        f"/referrals/{fresh.pk}/assign/", {"version": "1", "assignee": str(stranger.pk)}, follow=True
    )
    assert response.redirect_chain == [(f"/referrals/{fresh.pk}/", 302)]
    assert 'id="assignee-select-error">Choose a member of your team.' in response.content.decode()
    assert snapshot(fresh.pk) == before


def test_a_referrals_user_sees_the_assignee_but_cannot_assign(client, profile, fresh):
    member = factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    services.assign(fresh.pk, ActorRef.person(factories.user(profile.partner)), timezone.now(), member.pk)
    client.force_login(member)
    body = client.get(f"/referrals/{fresh.pk}/").content.decode()
    assert "bob@partner.example" in body and 'name="assignee"' not in body
    before = snapshot(fresh.pk)
    assert client.post(f"/referrals/{fresh.pk}/assign/", {"assignee": ""}).status_code == 404
    assert snapshot(fresh.pk) == before


def test_the_history_shows_each_step_with_its_actor_and_time_in_the_users_zone(client, profile, fresh):
    user = factories.user(profile.partner, email="tokyo@partner.example", time_zone="Asia/Tokyo")
    client.force_login(user)
    client.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"})
    body = client.get(f"/referrals/{fresh.pk}/").content.decode()
    history = body[body.index('id="history"') :]
    assert "Referral received" in history and "Marked as interested" in history
    assert "(New → Evaluating)" in history and "tokyo@partner.example" in history
    assert re.search(r'<time datetime="[^"]+\+09:00">', history)


def test_the_referral_page_speaks_russian_to_a_russian_user(client, profile, fresh):
    user = factories.user(profile.partner, email="ru@partner.example", language="ru")
    client.force_login(user)
    body = client.get(f"/referrals/{fresh.pk}/").content.decode()
    for text in ("Мне интересно", "Нет, спасибо", "История", "Рекомендация получена", "Производство"):
        assert text in body
    response = client.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"}, follow=True)
    assert "Вам интересно" in response.content.decode()


# --- Tenancy ----------------------------------------------------------------------------------------


def test_another_partners_referral_is_not_found_on_every_page(client, fresh):
    client.force_login(factories.user(email="other@another.example"))
    before = snapshot(fresh.pk)
    assert client.get(f"/referrals/{fresh.pk}/").status_code == 404
    assert client.post(f"/referrals/{fresh.pk}/interested/", {"version": "1"}).status_code == 404
    assert client.post(f"/referrals/{fresh.pk}/notes/", {"version": "1", "notes": "x"}).status_code == 404
    assert client.post(f"/referrals/{fresh.pk}/assign/", {"version": "1", "assignee": ""}).status_code == 404
    assert f"/referrals/{fresh.pk}/" not in client.get("/referrals/").content.decode()
    assert snapshot(fresh.pk) == before


def test_an_unknown_action_is_not_found(signed_in, fresh):
    assert signed_in.post(f"/referrals/{fresh.pk}/explode/").status_code == 404
    assert signed_in.post(f"/referrals/{fresh.pk}/miss/").status_code == 404
    assert Referral.objects.get(pk=fresh.pk).version == 1


# --- Actions that close a referral are confirmed ------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data", "question"),
    [
        ("skip", {"reason": "no-capacity"}, "Answer no thanks to referral {id}?"),
        ("decline", {"reason": "no-capacity", "comment": "Fully booked"}, "Decline referral {id}?"),
        ("win", {"final_value": "14000"}, "Mark referral {id} as won?"),
        ("lose", {"reason": "competitor"}, "Mark referral {id} as lost?"),
    ],
)
def test_a_plain_form_that_closes_a_referral_asks_first_and_changes_nothing(signed_in, profile, action, data, question):
    referral = {"skip": factories.referral, "decline": evaluating}.get(action, negotiating)(profile)
    before = snapshot(referral.pk)
    response = signed_in.post(f"/referrals/{referral.pk}/{action}/", {"version": str(referral.version), **data})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<h1 id="confirm-question">{question.format(id=referral.pk)}</h1>' in body
    assert '<input type="hidden" name="confirmed" value="yes">' in body
    assert f'<input type="hidden" name="version" value="{referral.version}">' in body
    for name, value in data.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in body
    assert snapshot(referral.pk) == before


def test_the_confirmation_shows_what_will_be_recorded(signed_in, profile):
    referral = negotiating(profile)
    body = signed_in.post(f"/referrals/{referral.pk}/win/", {"version": str(referral.version), "final_value": "14000"})
    assert "<dt>Final deal value</dt><dd>14,000.00 EUR</dd>" in body.content.decode()
    declined = evaluating(profile)
    page = signed_in.post(
        f"/referrals/{declined.pk}/decline/",
        {"version": str(declined.version), "reason": "region-not-served", "comment": "Only Bavaria"},
    ).content.decode()
    assert "<dt>Reason</dt><dd>Region not served</dd>" in page and "<dt>Comment</dt><dd>Only Bavaria</dd>" in page
    assert "The referral closes and the customer will be offered other partners. This cannot be undone." in page


def test_the_confirmation_button_takes_the_action(signed_in, profile):
    referral = negotiating(profile)
    response = signed_in.post(
        f"/referrals/{referral.pk}/lose/", {"version": str(referral.version), "reason": "price", **CONFIRMED}
    )
    assert (response.status_code, response["Location"]) == (302, f"/referrals/{referral.pk}/")
    assert Referral.objects.get(pk=referral.pk).state == "lost"


def test_a_form_with_errors_is_not_confirmed_but_shown_again_with_them(signed_in, profile):
    referral = evaluating(profile)
    before = snapshot(referral.pk)
    response = signed_in.post(
        f"/referrals/{referral.pk}/decline/", {"version": str(referral.version), "comment": "Busy"}, follow=True
    )
    body = response.content.decode()
    assert response.redirect_chain == [(f"/referrals/{referral.pk}/", 302)]
    assert 'id="decline-reason-error">Choose a reason.' in body and "Busy</textarea>" in body
    assert 'id="confirm-question"' not in body
    assert snapshot(referral.pk) == before


def test_a_failed_form_is_shown_once_so_a_reload_neither_posts_again_nor_repeats_the_error(signed_in, profile):
    referral = evaluating(profile)
    signed_in.post(f"/referrals/{referral.pk}/accept/", {"version": str(referral.version), "deal_value": "lots"})
    assert "deal_value-error" in signed_in.get(f"/referrals/{referral.pk}/").content.decode()
    again = signed_in.get(f"/referrals/{referral.pk}/")
    assert again.status_code == 200 and "deal_value-error" not in again.content.decode()


def test_no_confirmation_is_offered_for_an_action_the_referral_no_longer_allows(signed_in, fresh):
    services.skip(fresh.pk, ActorRef.system("test"), timezone.now())
    before = snapshot(fresh.pk)
    response = signed_in.post(f"/referrals/{fresh.pk}/skip/", {"version": "2"}, follow=True)
    body = response.content.decode()
    assert response.redirect_chain == [(f"/referrals/{fresh.pk}/", 302)]
    assert "This is not possible for this referral any more." in body and 'id="confirm-question"' not in body
    assert snapshot(fresh.pk) == before


def test_nobody_outside_the_partner_gets_a_confirmation_page(client, profile):
    referral = negotiating(profile)
    before = snapshot(referral.pk)
    for outsider in (factories.user(email="other@another.example"), factories.user(None, role=Role.AGENT)):
        client.force_login(outsider)
        response = client.post(f"/referrals/{referral.pk}/win/", {"version": str(referral.version)})
        assert response.status_code == 404
    assert snapshot(referral.pk) == before


def test_with_htmx_the_browser_asks_before_each_action_that_closes_a_referral(signed_in, profile):
    new = factories.referral(profile, now=timezone.now())
    body = signed_in.get(f"/referrals/{new.pk}/").content.decode()
    assert re.findall(r'hx-confirm="([^"]+)"', body) == [f"Answer no thanks to referral {new.pk}?"]
    deal = negotiating(profile)
    body = signed_in.get(f"/referrals/{deal.pk}/").content.decode()
    assert re.findall(r'hx-confirm="([^"]+)"', body) == [
        f"Mark referral {deal.pk} as won?",
        f"Mark referral {deal.pk} as lost?",
    ]


def test_clearing_the_final_value_before_won_is_an_error_and_changes_nothing(signed_in, profile):
    referral = negotiating(profile)
    before = snapshot(referral.pk)
    response = signed_in.post(
        f"/referrals/{referral.pk}/win/", {"version": str(referral.version), "final_value": ""}, **HTMX
    )
    assert 'id="final_value-error">Enter the amount.' in response.content.decode()
    assert snapshot(referral.pk) == before
    assert Referral.objects.get(pk=referral.pk).final_value is None


def test_the_currency_starts_at_the_customers_budget_currency(signed_in, profile):
    referral = evaluating(profile, budget=Decimal("20000"), budget_currency="USD")
    body = signed_in.get(f"/referrals/{referral.pk}/").content.decode()
    assert re.findall(r'<option value="(\w+)" selected>', body) == ["USD"]
    failed = signed_in.post(
        f"/referrals/{referral.pk}/accept/",
        {"version": str(referral.version), "deal_value": "", "currency": "GBP"},
        **HTMX,
    ).content.decode()
    assert re.findall(r'<option value="(\w+)" selected>', failed) == ["GBP"]


def test_the_confirmation_speaks_russian_to_a_russian_user(client, profile):
    referral = negotiating(profile)
    client.force_login(factories.user(profile.partner, email="ru@partner.example", language="ru"))
    body = client.post(f"/referrals/{referral.pk}/win/", {"version": str(referral.version), "final_value": "1"})
    text = body.content.decode()
    assert f"Отметить рекомендацию {referral.pk} как выигранную?" in text
    assert "Да, отметить как выигранную" in text and "Отменить это нельзя." in text


# --- The inbox as CSV -------------------------------------------------------------------------------------


def read_csv(response):
    # Read whatever the CSV owner (kernel/csvexport.py) chooses for the byte order mark and the separator.
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;")
    header, *rows = csv.reader(io.StringIO(text), dialect)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def test_the_inbox_downloads_its_filtered_list_with_the_api_csvs_columns(signed_in, profile):
    cloud = factories.referral(profile, now=timezone.now(), need="Move mail to the cloud")
    factories.referral(profile, now=timezone.now(), need="A CRM for sales")
    interested = evaluating(profile, need="Cloud backups")
    response = signed_in.get("/referrals/referrals.csv?q=cloud")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="referrals.csv"'
    header, rows = read_csv(response)
    assert header == exports.COLUMNS
    assert [(int(r["id"]), r["state"], r["need"], r["company"]) for r in rows] == [
        (cloud.pk, "new", "Move mail to the cloud", "")
    ]
    _, evaluating_rows = read_csv(signed_in.get("/referrals/referrals.csv?tab=evaluating"))
    assert [(int(r["id"]), r["company"]) for r in evaluating_rows] == [(interested.pk, "Contoso GmbH")]


def test_the_inbox_page_links_to_the_csv_of_its_own_filters(signed_in, fresh):
    body = signed_in.get("/referrals/?tab=archive&outcome=won&q=mail&mine=1&page=2").content.decode()
    assert '<a href="/referrals/referrals.csv?tab=archive&amp;outcome=won&amp;q=mail&amp;mine=1" download>' in body


def test_the_csv_holds_every_page_and_only_what_is_assigned_to_me_when_asked(signed_in, profile, admin_user):
    made = [factories.referral(profile, now=timezone.now() - timedelta(minutes=n)) for n in range(27)]
    services.assign(made[5].pk, ActorRef.person(admin_user), timezone.now(), admin_user.pk)
    _, rows = read_csv(signed_in.get("/referrals/referrals.csv"))
    assert [int(r["id"]) for r in rows] == [r.pk for r in made]
    _, mine = read_csv(signed_in.get("/referrals/referrals.csv?mine=1"))
    assert [int(r["id"]) for r in mine] == [made[5].pk]


def test_the_csv_writes_a_formula_as_text(signed_in, profile):
    factories.referral(profile, now=timezone.now(), need="=HYPERLINK(1)")
    _, rows = read_csv(signed_in.get("/referrals/referrals.csv"))
    assert [r["need"] for r in rows] == ["'=HYPERLINK(1)"]


def test_nobody_downloads_another_partners_referrals(client, fresh):
    client.force_login(factories.user(email="other@another.example"))
    header, rows = read_csv(client.get("/referrals/referrals.csv?tab=new"))
    assert (header, rows) == (exports.COLUMNS, [])
    client.force_login(factories.user(role=Role.PROFILE_ADMIN))
    assert client.get("/referrals/referrals.csv").status_code == 404


def test_the_csv_needs_a_signed_in_user(client, fresh):
    response = client.get("/referrals/referrals.csv")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/referrals/referrals.csv")


# --- The operator's staff read every partner's referrals ---------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.PROGRAMME_ADMIN])
def test_operators_see_which_partner_each_referral_belongs_to(client, role):
    ours = factories.referral(factories.profile(factories.partner("Alpha Cloud")), now=timezone.now())
    theirs = factories.referral(factories.profile(factories.partner("Beta Systems")), now=timezone.now())
    client.force_login(factories.user(None, role=role))
    body = client.get("/referrals/").content.decode()
    partners = re.findall(
        r'data-referral="(\d+)">.*?<div class="ls-meta ls-partner">Partner: ([^<]+)</div>', body, re.S
    )
    assert sorted(partners) == sorted([(str(ours.pk), "Alpha Cloud"), (str(theirs.pk), "Beta Systems")])
    page = client.get(f"/referrals/{theirs.pk}/").content.decode()
    assert '<p id="referral-partner">Partner: <strong>Beta Systems</strong></p>' in page


def test_a_partners_own_people_are_not_told_the_partner_on_every_row(signed_in, fresh):
    assert "ls-partner" not in signed_in.get("/referrals/").content.decode()
    assert 'id="referral-partner"' not in signed_in.get(f"/referrals/{fresh.pk}/").content.decode()


# --- Keyboard shortcuts ------------------------------------------------------------------------------------


def shortcut_keys(body):
    return re.findall(r'data-shortcut="([^"]+)" aria-keyshortcuts="\1"', body)


def test_the_help_lists_every_shortcut_and_the_page_marks_what_each_acts_on(signed_in, profile):
    help_keys = [key for key, _label in SHORTCUTS]
    new = signed_in.get(f"/referrals/{factories.referral(profile, now=timezone.now()).pk}/").content.decode()
    assert re.findall(r"<dt><kbd>([^<]+)</kbd></dt>", new) == help_keys
    assert "<dt><kbd>i</kbd></dt><dd>I&#x27;m interested</dd>" in new
    assert sorted(shortcut_keys(new)) == sorted(["u", "i", "n", "e", "m"])
    assert sorted(shortcut_keys(signed_in.get(f"/referrals/{evaluating(profile).pk}/").content.decode())) == sorted(
        ["u", "a", "d", "e", "m"]
    )
    assert sorted(shortcut_keys(signed_in.get(f"/referrals/{negotiating(profile).pk}/").content.decode())) == sorted(
        ["u", "w", "l", "e", "m"]
    )
    assert set(help_keys) - {"?"} == {"u", "i", "n", "a", "d", "w", "l", "e", "m"}


def test_someone_who_may_only_read_a_referral_gets_no_action_shortcuts(client, profile):
    referral = factories.referral(profile, now=timezone.now())
    client.force_login(factories.user(None, role=Role.AGENT))
    assert shortcut_keys(client.get(f"/referrals/{referral.pk}/").content.decode()) == ["u"]
