"""SLA breaches and analytics: exact figures from hand-made referrals, counted in SQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console import admin_reports
from console.admin_reports import BreachFilter
from console.models import AdminAction
from partners.models import Partner, Role
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Engagement, Programme
from tests import factories
from tests.console.admin_fixtures import NOW, at, programme_admin

pytestmark = pytest.mark.django_db
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
START, END = (NOW - 90 * DAY).date(), NOW.date()  # the last 90 days, as the period's fields take them
PERIOD = f"from={START}&to={END}"


@pytest.fixture
def boss(client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    user = programme_admin()
    client.force_login(user)
    at(monkeypatch, NOW)
    return user


def person(profile: Any) -> ActorRef:
    return ActorRef.person(factories.user(profile.partner, role=Role.REFERRALS_ADMIN))


@pytest.fixture
def breaches_world(db: Any) -> dict[str, Any]:
    alpha = factories.profile(factories.partner("Alpha"))
    beta = factories.profile(factories.partner("Beta"))
    missed = factories.referral(alpha, NOW - 10 * DAY)
    services.apply_deadline(missed.pk, NOW)  # missed at NOW - 7 days
    expired = factories.referral(beta, NOW - 20 * DAY, company="Fabrikam")
    services.mark_interested(expired.pk, person(beta), NOW - 20 * DAY + HOUR)
    services.apply_deadline(expired.pk, NOW)  # expired at NOW - 13 days + 1 h
    late = factories.referral(alpha, NOW - 30 * HOUR, company="Tailspin")  # late since NOW - 6 h
    on_time = factories.referral(beta, NOW - 2 * HOUR, company="Northwind")  # not late yet
    answered = factories.referral(beta, NOW - 40 * HOUR, company="Litware")
    services.mark_interested(answered.pk, person(beta), NOW - 39 * HOUR)
    old_miss = factories.referral(alpha, NOW - 100 * DAY, company="Adatum")
    services.apply_deadline(old_miss.pk, NOW)  # missed 97 days ago: outside the last 90 days
    return {"alpha": alpha.partner, "beta": beta.partner, "missed": missed.pk, "expired": expired.pk,
            "late": late.pk, "on_time": on_time.pk, "old": old_miss.pk}  # fmt: skip


def test_breaches_are_missed_expired_and_late_answers_newest_first(breaches_world):
    w = breaches_world
    spec = BreachFilter(NOW - 90 * DAY, NOW + DAY)
    rows = admin_reports.breaches(spec, NOW, 24 * HOUR)
    assert [(r.pk, r.breach, r.breached_at) for r in rows] == [
        (w["late"], "late", NOW - 6 * HOUR),
        (w["missed"], "missed", NOW - 7 * DAY),
        (w["expired"], "expired", NOW - 13 * DAY + HOUR),
    ]


def test_breaches_filter_by_partner_kind_and_period(breaches_world):
    w = breaches_world
    wide = BreachFilter(NOW - 200 * DAY, NOW + DAY)
    assert [r.pk for r in admin_reports.breaches(wide, NOW, 24 * HOUR)][-1] == w["old"]
    alpha = BreachFilter(NOW - 90 * DAY, NOW + DAY, partner_id=w["alpha"].pk)
    assert [r.pk for r in admin_reports.breaches(alpha, NOW, 24 * HOUR)] == [w["late"], w["missed"]]
    expired = BreachFilter(NOW - 90 * DAY, NOW + DAY, kind="expired")
    assert [r.pk for r in admin_reports.breaches(expired, NOW, 24 * HOUR)] == [w["expired"]]
    last_week = BreachFilter(NOW - 7 * DAY, NOW)
    assert [r.pk for r in admin_reports.breaches(last_week, NOW, 24 * HOUR)] == [w["late"], w["missed"]]
    assert admin_reports.breach_partners(alpha, NOW, 24 * HOUR) == [(w["alpha"].pk, "Alpha"), (w["beta"].pk, "Beta")]


def test_a_new_referral_is_late_only_once_it_waited_longer_than_the_answer_window_as_the_lifecycle_says(db):
    from referrals.lifecycle import answer_overdue

    waited_exactly = factories.referral(factories.profile(), NOW - 24 * HOUR)
    waited_longer = factories.referral(factories.profile(), NOW - 24 * HOUR - timedelta(seconds=1))
    spec = BreachFilter(NOW - 90 * DAY, NOW + DAY)
    assert (answer_overdue(24 * HOUR, 24 * HOUR), answer_overdue(24 * HOUR + timedelta(seconds=1), 24 * HOUR)) == (
        False,
        True,
    )
    assert [r.pk for r in admin_reports.breaches(spec, NOW, 24 * HOUR)] == [waited_longer.pk]
    assert waited_exactly.pk not in [r.pk for r in admin_reports.breaches(spec, NOW, 24 * HOUR)]


def test_the_breaches_page_and_its_csv(client, boss, breaches_world):
    w = breaches_world
    page = client.get(f"/console/breaches/?{PERIOD}").content.decode()
    assert "3 breaches" in page
    assert page.index(f'data-referral="{w["late"]}"') < page.index(f'data-referral="{w["missed"]}"')
    assert "New, not answered in time" in page and "Expired while evaluating" in page
    assert f'href="/console/breaches.csv?from={START}&amp;to={END}"' in page
    response = client.get(f"/console/breaches.csv?{PERIOD}&partner={w['alpha'].pk}")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="sla-breaches-{START}-{END}.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["referral_id", "breach", "breached_at", "state", "partner_id", "partner", "engagement_id", "received_at"],
        [str(w["late"]), "late", f"{NOW - 6 * HOUR:%Y-%m-%dT%H:%M:%S}Z", "new", str(w["alpha"].pk), "Alpha",
         str(_engagement(w["late"])), f"{NOW - 30 * HOUR:%Y-%m-%dT%H:%M:%S}Z"],
        [str(w["missed"]), "missed", f"{NOW - 7 * DAY:%Y-%m-%dT%H:%M:%S}Z", "missed", str(w["alpha"].pk), "Alpha",
         str(_engagement(w["missed"])), f"{NOW - 10 * DAY:%Y-%m-%dT%H:%M:%S}Z"],
    ]  # fmt: skip


def test_each_breach_row_links_to_its_referral_which_the_admin_may_open(client, boss, breaches_world):
    late = breaches_world["late"]
    page = client.get(f"/console/breaches/?{PERIOD}").content.decode()
    assert f'<td><a href="/referrals/{late}/">{late} · Tailspin</a></td>' in page
    assert page.count('<td><a href="/referrals/') == 3
    assert client.get(f"/referrals/{late}/").status_code == 200


def _engagement(referral_id: int) -> int:
    from referrals.models import Referral

    return Referral.objects.get(pk=referral_id).engagement_id


def test_a_bad_period_on_the_breaches_page_is_named_by_the_field(client, boss, breaches_world):
    response = client.get(f"/console/breaches/?from={END}&to={END - 30 * DAY}")
    assert response.status_code == 422
    assert '<small id="to-error">The end must be on or after the start.</small>' in response.content.decode()


def test_breaches_paginate_25_a_page(client, boss):
    alpha = factories.profile()
    for i in range(27):
        factories.referral(alpha, NOW - 30 * HOUR - i * timedelta(minutes=1), company=f"Company {i}")
    first = client.get("/console/breaches/").content.decode()
    assert first.count("data-referral=") == 25 and "Page 1 of 2" in first
    assert client.get("/console/breaches/?page=2").content.decode().count("data-referral=") == 2


@pytest.mark.parametrize(
    ("hours", "english", "russian"),
    [
        (1, "still new after 1 hour.", "остаются новыми дольше 1 часа."),
        (2, "still new after 2 hours.", "остаются новыми дольше 2 часов."),
        (5, "still new after 5 hours.", "остаются новыми дольше 5 часов."),
        (21, "still new after 21 hours.", "остаются новыми дольше 21 часа."),
    ],
)
def test_the_breaches_page_names_the_programmes_answer_window_with_its_plural(client, boss, hours, english, russian):
    Programme.objects.update_or_create(pk=1, defaults={"first_answer_urged_hours": hours})
    assert english in client.get("/console/breaches/").content.decode()
    boss.language = "ru"
    boss.save(update_fields=["language"])
    assert russian in client.get("/console/breaches/").content.decode()


# --- Analytics ---------------------------------------------------------------------------------


@pytest.fixture
def analytics_world(db: Any) -> dict[str, Any]:
    """Alpha and Beta, four requests in the period and one before it."""
    alpha = factories.profile(factories.partner("Alpha"))
    beta = factories.profile(factories.partner("Beta"), city="Munich")
    a, b = person(alpha), person(beta)
    t1 = NOW - 10 * DAY
    e1 = factories.engagement([alpha, beta], t1, city="Berlin", source="agent")
    r1a, r1b = (e1.referrals.get(profile=p) for p in (alpha, beta))
    services.mark_interested(r1a.pk, a, t1 + 2 * HOUR)  # 120 min
    services.accept(r1a.pk, a, t1 + 3 * HOUR, "1000.00", "EUR", factories.close_date(30))
    services.skip(r1b.pk, b, t1 + 30 * HOUR)  # 1800 min
    t2 = NOW - 5 * DAY
    e2 = factories.engagement([alpha], t2, city="Munich", source="advertising", campaign_id="spring")
    r2 = e2.referrals.get()
    services.mark_interested(r2.pk, a, t2 + HOUR)  # 60 min
    services.decline(r2.pk, a, t2 + 2 * HOUR, "not-our-field")
    t3 = NOW - DAY
    factories.engagement([beta], t3, country="RU", city="Moscow", source="advertising", campaign_id="spring")
    t4 = NOW - 3 * DAY
    e4 = factories.engagement([beta], t4, city="Berlin", source="agent")
    r4 = e4.referrals.get()
    services.mark_interested(r4.pk, b, t4 + 90 * timedelta(minutes=1))  # 90 min
    services.accept(r4.pk, b, t4 + 2 * HOUR, "250.50", "USD", factories.close_date(30))
    services.win(r4.pk, b, t4 + 3 * HOUR, "300")
    factories.engagement([alpha], NOW - 200 * DAY)  # before the period
    return {"alpha": alpha.partner, "beta": beta.partner}


def test_the_grouped_figures_by_partner_are_exact(analytics_world):
    cohort = admin_reports.received_between(NOW - 90 * DAY, NOW)
    rows, histogram = admin_reports.grouped(cohort, "partner")
    alpha, beta = (next(r for r in rows if r.key[1] == name) for name in ("Alpha", "Beta"))
    assert (alpha.received, alpha.answered, alpha.interested, alpha.accepted) == (2, 2, 2, 1)
    assert (alpha.by_state["negotiating"], alpha.by_state["declined"]) == (1, 1)
    assert (alpha.median_hours, alpha.p90_hours, alpha.acceptance_rate, alpha.win_rate) == (1.5, 1.9, 0.5, None)
    assert {k: str(v) for k, v in alpha.pipeline.items()} == {"EUR": "1000.00"}
    assert (beta.received, beta.answered, beta.interested, beta.accepted, beta.won) == (3, 2, 1, 1, 1)
    assert (beta.by_state["new"], beta.by_state["skipped"], beta.by_state["won"]) == (1, 1, 1)
    assert (beta.median_hours, beta.p90_hours, beta.acceptance_rate, beta.win_rate) == (15.75, 27.15, 1.0, 1.0)
    assert beta.pipeline == {}
    assert sorted(histogram) == [(60, 1), (90, 1), (120, 1), (1800, 1)]


def test_by_source_region_and_campaign(analytics_world):
    cohort = admin_reports.received_between(NOW - 90 * DAY, NOW)
    by_source = {r.key: (r.received, r.won, r.median_hours) for r in admin_reports.grouped(cohort, "source")[0]}
    assert by_source == {("agent",): (3, 1, 2.0), ("advertising",): (2, 0, 1.0)}
    by_region = {r.key: r.received for r in admin_reports.grouped(cohort, "region")[0]}
    assert by_region == {("DE", "Berlin"): 3, ("DE", "Munich"): 1, ("RU", "Moscow"): 1}
    by_campaign = {r.key: r.received for r in admin_reports.grouped(cohort, "campaign")[0]}
    assert by_campaign == {("",): 3, ("spring",): 2}


def test_the_number_of_queries_does_not_grow_with_the_referrals(analytics_world):
    cohort = admin_reports.received_between(NOW - 90 * DAY, NOW)
    with CaptureQueriesContext(connection) as small:
        admin_reports.grouped(cohort, "partner")
    for i in range(10):
        factories.engagement([factories.profile()], NOW - i * HOUR)
    with CaptureQueriesContext(connection) as large:
        admin_reports.grouped(cohort, "partner")
    assert len(small.captured_queries) == len(large.captured_queries) == 3
    assert all("GROUP BY" in q["sql"] for q in large.captured_queries)


def test_the_analytics_page_shows_the_period_charts_and_tables(client, boss, analytics_world):
    response = client.get(f"/console/analytics/?{PERIOD}")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<p class="ls-figure" data-figure="received">5</p>' in page
    assert '<span data-figure="median">1.8</span> h' in page  # 60, 90, 120, 1800 minutes: 105 min
    assert '<strong data-figure="p90">21.6</strong>' in page  # rank 2.7: 120 + 0.7 * 1680 = 1296 min
    assert page.count('class="ls-chart"') == 3
    assert '<li data-figure="pipeline">1,000.00 EUR</li>' in page
    assert f'href="/console/analytics/partner.csv?from={START}&amp;to={END}"' in page
    assert "(no campaign)" in page and "spring" in page


def test_the_analytics_page_writes_its_figures_in_the_readers_number_format(client, boss, analytics_world):
    boss.language = "ru"
    boss.save(update_fields=["language"])
    page = client.get(f"/console/analytics/?{PERIOD}").content.decode()
    assert '<span data-figure="median">1,8</span> ч' in page
    assert '<strong data-figure="p90">21,6</strong> ч' in page
    assert '<li data-figure="pipeline">1\xa0000,00 EUR</li>' in page
    # Beta in the table by partner: 3 received, 2 answered, median 15,75 h and p90 27,15 h to one decimal.
    assert "<td>Beta</td><td>3</td><td>2</td><td>15,8</td><td>27,1</td>" in page


def test_the_analytics_csv_has_every_row_of_a_table(client, boss, analytics_world):
    response = client.get(f"/console/analytics/partner.csv?{PERIOD}")
    assert response["Content-Disposition"] == f'attachment; filename="referrals-by-partner-{START}-{END}.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["partner_id", "partner", "received", "new"]
    w = analytics_world
    assert rows[1] == [str(w["beta"].pk), "Beta", "3", "1", "0", "0", "1", "0", "1", "0", "0", "0", "2",
                       "15.75", "27.15", "1", "1", "1.0000", "1", "0", "1.0000", "0", ""]  # fmt: skip
    assert rows[2] == [str(w["alpha"].pk), "Alpha", "2", "0", "0", "1", "0", "0", "0", "0", "1", "0", "2",
                       "1.50", "1.90", "2", "1", "0.5000", "0", "0", "", "1", "1000.00 EUR"]  # fmt: skip
    state = client.get(f"/console/analytics/state.csv?{PERIOD}")
    lines = list(csv.reader(io.StringIO(b"".join(state.streaming_content).decode("utf-8-sig"))))
    assert lines == [["state", "referrals"], ["new", "1"], ["evaluating", "0"], ["negotiating", "1"], ["won", "1"],
                     ["lost", "0"], ["skipped", "1"], ["missed", "0"], ["declined", "1"], ["expired", "0"]]  # fmt: skip
    assert client.get("/console/analytics/nonsense.csv").status_code == 404


def test_a_bad_period_on_the_analytics_page_is_named_by_the_field(client, boss):
    response = client.get("/console/analytics/?from=yesterday")
    assert response.status_code == 422
    assert '<small id="from-error">Enter a date as YYYY-MM-DD.</small>' in response.content.decode()


def _csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_every_console_csv_writes_text_that_would_start_a_formula_as_text(client, boss, analytics_world):
    w = analytics_world
    Partner.objects.filter(pk=w["alpha"].pk).update(name='=HYPERLINK("http://evil.example","Alpha")')
    Engagement.objects.filter(campaign_id="spring").update(campaign_id="@spring")
    Engagement.objects.filter(customer_city="Munich").update(customer_city="-Munich")
    late = factories.referral(w["alpha"].profiles.get(), NOW - 30 * HOUR)  # Alpha's breach: answered late
    period = f"from={(NOW - 90 * DAY).date()}&to={NOW.date()}"
    breaches = _csv_rows(client.get(f"/console/breaches.csv?{period}&partner={w['alpha'].pk}"))
    by_partner = _csv_rows(client.get(f"/console/analytics/partner.csv?{period}"))
    by_region = _csv_rows(client.get(f"/console/analytics/region.csv?{period}"))
    by_campaign = _csv_rows(client.get(f"/console/analytics/campaign.csv?{period}"))
    assert [(row[0], row[5]) for row in breaches[1:]] == [(str(late.pk), '\'=HYPERLINK("http://evil.example","Alpha")')]
    assert sorted(row[1] for row in by_partner[1:]) == ['\'=HYPERLINK("http://evil.example","Alpha")', "Beta"]
    assert sorted(tuple(row[:2]) for row in by_region[1:]) == [("DE", "'-Munich"), ("DE", "Berlin"), ("RU", "Moscow")]
    assert sorted(row[0] for row in by_campaign[1:]) == ["", "'@spring"]


def reads_russian(user: Any) -> None:
    type(user).objects.filter(pk=user.pk).update(language="ru")


def test_a_console_csv_in_russian_is_utf8_with_a_byte_order_mark_and_separated_by_semicolons(
    client, boss, breaches_world
):
    w = breaches_world
    Partner.objects.filter(pk=w["alpha"].pk).update(name="Альфа; Сервис")
    reads_russian(boss)
    response = client.get(f"/console/breaches.csv?{PERIOD}&partner={w['alpha'].pk}")
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbfreferral_id;breach;breached_at;state;partner_id;partner;engagement_id;")
    assert f';"Альфа; Сервис";{_engagement(w["late"])};'.encode() in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [row[5] for row in rows[1:]] == ["Альфа; Сервис", "Альфа; Сервис"]


def test_sep_chooses_the_separator_of_a_console_csv_whatever_the_language(client, boss, analytics_world):
    english_semicolons = client.get(f"/console/analytics/state.csv?{PERIOD}&sep=semicolon")
    reads_russian(boss)
    russian_commas = client.get(f"/console/analytics/state.csv?{PERIOD}&sep=comma")
    assert b"".join(english_semicolons.streaming_content).startswith(b"\xef\xbb\xbfstate;referrals\r\nnew;1\r\n")
    assert b"".join(russian_commas.streaming_content).startswith(b"\xef\xbb\xbfstate,referrals\r\nnew,1\r\n")


def test_an_unknown_separator_is_a_plain_400_in_the_page_language_and_no_file(client, boss, analytics_world):
    actions = AdminAction.objects.count()
    reads_russian(boss)
    response = client.get(f"/console/analytics/partner.csv?{PERIOD}&sep=tab")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in response
    assert response.content.decode() == "Укажите sep=comma или sep=semicolon."
    assert AdminAction.objects.count() == actions
