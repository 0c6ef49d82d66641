"""The scorecard's figures, checked with exact values on hand-made referrals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from matching import charts, metrics, scorecard
from matching.metrics import Facts
from partners.models import BusinessProfile, Role
from referrals.models import Programme, Referral
from tests import factories
from tests.calendar_words import en_day, ru_day
from tests.factories import NOW
from tests.matching.partner_answers import CRM_DEAL, SMALL_MAIL_DEAL, answered, profile_with_tags

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
WINDOW = 24 * HOUR  # the programme's answer window unless a test sets another


def ago(**kwargs: float) -> Any:
    return NOW - timedelta(**kwargs)


# One partner's referrals, and what each tells the scorecard (NOW = 2026-12-01 09:00 UTC).
SCENARIO: dict[str, dict[str, Any]] = {
    # accepted, still negotiating: answered in 2 h
    "A": {
        "created_at": ago(days=10),
        "state": "negotiating",
        "first_answer_at": ago(days=10) + 2 * HOUR,
        "evaluating_at": ago(days=10) + 2 * HOUR,
        "negotiating_at": ago(days=9),
        "deal_value": Decimal("1000.00"),
        "currency": "EUR",
    },
    # answered late (30 h), then declined
    "B": {
        "created_at": ago(days=10),
        "state": "declined",
        "first_answer_at": ago(days=10) + 30 * HOUR,
        "evaluating_at": ago(days=10) + 30 * HOUR,
        "closed_at": ago(days=8),
    },
    # never answered: missed after 72 h
    "C": {"created_at": ago(days=20), "state": "missed", "closed_at": ago(days=17)},
    # answered in 6 h, won 500 EUR
    "D": {
        "created_at": ago(days=5),
        "state": "won",
        "first_answer_at": ago(days=5) + 6 * HOUR,
        "evaluating_at": ago(days=5) + 6 * HOUR,
        "negotiating_at": ago(days=4),
        "closed_at": ago(days=1),
        "deal_value": Decimal("600.00"),
        "currency": "EUR",
        "final_value": Decimal("500.00"),
    },
    # answered in 10 h, lost
    "E": {
        "created_at": ago(days=3),
        "state": "lost",
        "first_answer_at": ago(days=3) + 10 * HOUR,
        "evaluating_at": ago(days=3) + 10 * HOUR,
        "negotiating_at": ago(days=3) + 11 * HOUR,
        "closed_at": ago(days=2),
        "deal_value": Decimal("50.00"),
        "currency": "EUR",
    },
    # arrived an hour ago: its 24 h have not passed, so it counts neither way yet
    "F": {"created_at": ago(hours=1), "state": "new"},
    # arrived 30 h ago, still unanswered: already late
    "G": {"created_at": ago(hours=30), "state": "new"},
    # received before the 12 weeks, negotiating now: in the pipeline only
    "H": {
        "created_at": ago(days=100),
        "state": "negotiating",
        "first_answer_at": ago(days=100) + HOUR,
        "evaluating_at": ago(days=100) + HOUR,
        "negotiating_at": ago(days=90),
        "deal_value": Decimal("2000.00"),
        "currency": "USD",
    },
    # answered in 1 h, then let the evaluation expire
    "I": {
        "created_at": ago(days=40),
        "state": "expired",
        "first_answer_at": ago(days=40) + HOUR,
        "evaluating_at": ago(days=40) + HOUR,
        "closed_at": ago(days=30),
    },
}


def check_card(card: metrics.Card) -> None:
    assert card.since == ago(days=84)
    assert card.received == 8  # all but H
    assert card.answer_window_closed == 7  # A B D E I answered; C and G past 24 h; F not yet
    assert card.answered_in_time == 4  # A D E I
    assert card.share_in_time == 4 / 7
    assert card.median_hours_to_answer == 6.0  # of 2, 30, 6, 10, 1
    assert (card.missed, card.expired) == (1, 1)
    assert (card.interested, card.accepted) == (5, 3)
    assert card.acceptance_rate == 0.6
    assert (card.won, card.lost, card.win_rate) == (1, 1, 0.5)
    assert card.negotiating_value == {"EUR": Decimal("1000.00"), "USD": Decimal("2000.00")}
    assert card.negotiating_count == 2
    assert card.won_value == {"EUR": Decimal("500.00")}
    assert (card.waiting, card.waiting_late) == (2, 1)
    # Week 11 is the last seven days; A and B arrived in week 10 (2 h and 30 h), D and E in week 11, I in week 6.
    assert card.weekly_median_hours == [None] * 6 + [1.0] + [None] * 3 + [16.0, 8.0]
    assert card.weekly_outcomes == {
        "won": [0] * 11 + [1],
        "lost": [0] * 11 + [1],
        "skipped": [0] * 12,
        "declined": [0] * 10 + [1, 0],
        "missed": [0] * 9 + [1, 0, 0],
        "expired": [0] * 7 + [1] + [0] * 4,
    }


# --- Pure arithmetic -----------------------------------------------------------------------------


def test_the_scorecard_arithmetic_on_hand_made_facts():
    check_card(metrics.compute([Facts(**f) for f in SCENARIO.values()], NOW, WINDOW))


def test_a_partner_with_no_referrals_has_no_rates_rather_than_zero():
    card = metrics.compute([], NOW, WINDOW)
    assert (card.share_in_time, card.median_hours_to_answer, card.acceptance_rate, card.win_rate) == (None,) * 4
    assert card.weekly_median_hours == [None] * 12
    assert card.negotiating_value == {} and card.won_value == {}


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert metrics.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert metrics.median([5.0]) == 5.0
    assert metrics.median([]) is None


def test_weeks_are_seven_day_periods_ending_now():
    assert metrics.week_of(NOW, NOW) == 11
    assert metrics.week_of(NOW - 7 * DAY + timedelta(seconds=1), NOW) == 11
    assert metrics.week_of(NOW - 7 * DAY, NOW) == 10
    assert metrics.week_of(NOW - 84 * DAY + timedelta(seconds=1), NOW) == 0
    assert metrics.week_of(NOW - 84 * DAY, NOW) is None
    assert metrics.week_of(NOW + HOUR, NOW) is None
    assert metrics.week_starts(NOW)[0] == NOW - 84 * DAY
    assert metrics.week_starts(NOW)[-1] == NOW - 7 * DAY


def test_an_answer_at_exactly_24_hours_is_in_time_and_a_second_later_is_not():
    facts = [
        Facts(created_at=ago(days=3), state="evaluating", first_answer_at=ago(days=2)),
        Facts(created_at=ago(days=3), state="evaluating", first_answer_at=ago(days=2) + timedelta(seconds=1)),
    ]
    card = metrics.compute(facts, NOW, WINDOW)
    assert (card.answered_in_time, card.answer_window_closed) == (1, 2)


def test_with_a_48_hour_answer_window_an_answer_after_30_hours_is_in_time():
    facts = [
        Facts(created_at=ago(days=3), state="evaluating", first_answer_at=ago(days=3) + 30 * HOUR),
        Facts(created_at=ago(hours=40), state="new"),  # unanswered, still inside the window
        Facts(created_at=ago(hours=49), state="new"),  # unanswered past the window: late
    ]
    card = metrics.compute(facts, NOW, 48 * HOUR)
    assert (card.answered_in_time, card.answer_window_closed, card.waiting, card.waiting_late) == (1, 2, 3 - 1, 1)


# --- Charts --------------------------------------------------------------------------------------


def test_axis_tops_are_round_numbers():
    assert [charts.nice_ceiling(v) for v in (0, 0.7, 3, 21, 30, 31, 240, 700)] == [1, 0.8, 3, 25, 30, 40, 250, 800]


def test_the_response_chart_draws_one_bar_per_answered_week_and_escapes_its_labels():
    svg = charts.response_times("Median <hours>", ["<b>1</b>", "2"], [12.0, None], 24.0, "none")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert svg.count("<rect ") == 1
    assert "&lt;b&gt;1&lt;/b&gt;: 12 h" in svg and "<b>" not in svg
    assert "Median &lt;hours&gt;" in svg
    # top 30 h (24 h x 1.25), plot 204 px high: 12 h is 81.6 px tall, drawn in the on-time colour
    assert 'height="81.6" fill="#1e88e5"' in svg


def test_the_outcome_chart_stacks_each_weeks_counts_with_whole_number_ticks():
    svg = charts.stacked_outcomes("Outcomes", ["w1", "w2"], {"won": [2, 0], "lost": [3, 0]}, {"won": "Won"})
    assert svg.count("<rect ") == 2
    assert ">8</text>" in svg and ">5</text>" in svg  # axis top 8 (multiple of 4); the total of w1
    assert "w1: Won 2" in svg and "w1: lost 3" in svg


# --- From the database ---------------------------------------------------------------------------

FIELDS = {"declined": "declined_at", "missed": "missed_at", "won": "won_at", "lost": "lost_at", "expired": "expired_at"}


def make(profile: BusinessProfile, spec: dict[str, Any]) -> Referral:
    referral = factories.referral(profile, now=spec["created_at"])
    changes: dict[str, Any] = {
        "state": spec["state"],
        "first_answer_at": spec.get("first_answer_at"),
        "evaluating_at": spec.get("evaluating_at"),
        "negotiating_at": spec.get("negotiating_at"),
        "deal_value": spec.get("deal_value"),
        "deal_currency": spec.get("currency", ""),
        "final_value": spec.get("final_value"),
    }
    if spec["state"] in FIELDS:
        changes[FIELDS[spec["state"]]] = spec["closed_at"]
    Referral.objects.filter(pk=referral.pk).update(**changes)
    return referral


@pytest.fixture
def scenario(db):  # type: ignore[no-untyped-def]
    profile = factories.profile()
    for spec in SCENARIO.values():
        make(profile, spec)
    # Another partner's referral, answered late and missed: not ours to count.
    make(factories.profile(country="FR"), {"created_at": ago(days=2), "state": "missed", "closed_at": ago(days=1)})
    return profile


def test_the_scorecard_reads_the_partners_referrals_from_the_database(scenario):
    check_card(scorecard.compute(scenario.partner_id, NOW))


def test_the_scorecard_counts_answers_in_time_by_the_programmes_answer_window(scenario):
    Programme.objects.update_or_create(pk=1, defaults={"first_answer_urged_hours": 48})
    answered_after_30_hours = make(
        scenario, {"created_at": ago(days=5), "state": "evaluating", "first_answer_at": ago(days=5) + 30 * HOUR}
    )
    before = metrics.compute(scorecard.facts(scenario.partner_id, NOW), NOW, WINDOW)
    card = scorecard.compute(scenario.partner_id, NOW)
    assert Referral.objects.get(pk=answered_after_30_hours.pk).state == "evaluating"
    assert (before.answered_in_time, card.answered_in_time) == (4, 6)


def test_the_advice_names_the_partners_own_figures(scenario):
    BusinessProfile.objects.filter(pk=scenario.pk).update(status="paused")
    card = scorecard.compute(scenario.partner_id, NOW)
    with translation.override("en"):
        assert scorecard.advice(card, ["DE"]) == [
            "1 referral has waited more than 24 h for your answer. "
            "Answer it now: even “No thanks” counts as an answer.",
            "Answer within 24 h: you answered 57% in time; the best partners answer 90%. "
            "Timely answers raise your place in the finder and in proposals.",
            "Answer your next 23 referrals within 24 h and you reach 90%.",  # (4 + 23) / (7 + 23)
            "1 referral missed in 12 weeks. A missed referral lowers your place more than a “No thanks”.",
            "1 referral expired after you said you were interested: accept or decline within 7 days.",
            "Your profile in Germany is paused: it gets no new referrals and is hidden from the finder.",
        ]


def test_the_answers_in_time_a_partner_needs_to_reach_the_best_share():
    assert metrics.answers_to_reach(0.9, 4, 7) == 23
    assert metrics.answers_to_reach(0.9, 8, 10) == 10  # 18 of 20
    assert metrics.answers_to_reach(0.9, 0, 1) == 9
    assert metrics.answers_to_reach(0.9, 9, 10) == metrics.answers_to_reach(0.9, 0, 0) == 0
    with translation.override("ru"):
        card = metrics.compute([Facts(created_at=ago(days=2), state="missed")], NOW, WINDOW)
        assert scorecard.advice(card, [])[1] == "Ответьте ещё на 9 рекомендаций в течение 24 ч — и у вас будет 90\xa0%."


def test_a_prompt_partner_is_told_to_keep_it_up():
    card = metrics.compute(
        [Facts(created_at=ago(days=2), state="evaluating", first_answer_at=ago(days=2) + HOUR)], NOW, WINDOW
    )
    with translation.override("en"):
        assert scorecard.advice(card, []) == ["You answered 100% in time: keep it up, it keeps you high in the finder."]


def test_money_and_percentages_follow_the_language():
    with translation.override("en"):
        assert scorecard.money(Decimal("1234567.5"), "EUR") == "1,234,567.50 EUR"
        assert scorecard.percent(4 / 7) == "57%"
        assert scorecard.hours_text(6.25) == "6.2 h" or scorecard.hours_text(6.25) == "6.3 h"
    with translation.override("ru"):
        assert scorecard.money(Decimal("1234567.5"), "EUR") == "1\xa0234\xa0567,50 EUR"
        assert scorecard.percent(4 / 7) == "57\xa0%"
        assert scorecard.hours_text(6.0) == "6,0 ч"


# --- The page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.REFERRALS_ADMIN, Role.REFERRALS_USER])
def test_the_partners_referrals_people_see_the_scorecard(client, scenario, role):
    client.force_login(factories.user(scenario.partner, role=role))
    response = client.get("/scorecard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="ls-chart"') == 2
    assert "Your scorecard" in page


def test_the_scorecard_page_shows_the_figures_of_now(client, db):
    profile = factories.profile()
    from django.utils import timezone

    now = timezone.now()
    make(
        profile,
        {
            "created_at": now - 2 * DAY,
            "state": "won",
            "first_answer_at": now - 2 * DAY + 3 * HOUR,
            "evaluating_at": now - 2 * DAY + 3 * HOUR,
            "negotiating_at": now - DAY,
            "closed_at": now - HOUR,
            "deal_value": Decimal("900"),
            "currency": "EUR",
            "final_value": Decimal("1250.5"),
        },
    )
    user = factories.user(profile.partner)
    client.force_login(user)
    page = client.get("/scorecard/").content.decode()
    assert '<p class="ls-figure" data-figure="share-in-time">100%</p>' in page
    assert "<strong>3.0 h</strong>" in page
    assert '<li data-figure="won">1,250.50 EUR</li>' in page
    user.language = "ru"
    user.save()
    ru = client.get("/scorecard/").content.decode()
    assert "Ваша карта показателей" in ru
    assert '<li data-figure="won">1\xa0250,50 EUR</li>' in ru


@pytest.mark.parametrize("role", [Role.PROFILE_ADMIN, Role.AGENT, Role.PROGRAMME_ADMIN])
def test_others_are_forbidden_the_scorecard(client, db, role):
    partner = factories.partner() if role == Role.PROFILE_ADMIN else None
    client.force_login(factories.user(partner, role=role))
    assert client.get("/scorecard/").status_code == 403


def test_the_page_tells_the_partner_the_deals_it_takes_and_the_tags_to_review_and_only_its_own(client, db):
    mine, theirs = profile_with_tags(), profile_with_tags(country="FR")
    for n in range(4):
        answered(mine, "accept", NOW - (10 + n) * DAY, **CRM_DEAL)
        answered(theirs, "skip", NOW - (10 + n) * DAY, **SMALL_MAIL_DEAL)
    user = factories.user(mine.partner, role=Role.REFERRALS_USER)
    client.force_login(user)

    page = client.get("/scorecard/").content.decode()

    assert "<li>You accepted all 4 deals for CRM.</li>" in page
    assert '<ul id="turns-down"><li>Nothing clear yet.</li></ul>' in page
    assert '<ul id="tags-to-review"><li>None to review.</li></ul>' in page
    assert "From your 4 answers since" in page and "at least 4 times" in page
    user.language = "ru"
    user.save()
    ru = client.get("/scorecard/").content.decode()
    assert "<li>Вы приняли все 4 сделки (продукт «CRM»).</li>" in ru
    assert "Ключевые слова и теги, которые стоит пересмотреть" in ru
    client.force_login(factories.user(theirs.partner, role=Role.REFERRALS_ADMIN))
    other = client.get("/scorecard/").content.decode()
    assert "<li>You turned down all 4 deals for Office suite and email.</li>" in other
    assert "CRM." not in other


def test_the_charts_name_each_week_by_its_first_day_in_the_readers_language(db):
    partner = factories.profile().partner
    first = NOW - metrics.WEEKS * 7 * DAY
    with translation.override("en"):
        english = scorecard.page(partner.pk, NOW)
    with translation.override("ru"):
        russian = scorecard.page(partner.pk, NOW)
    assert f">{en_day(first)}</text>" in english.response_chart
    assert f">{ru_day(first)}</text>" in russian.outcome_chart
