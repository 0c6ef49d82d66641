"""The engine's stored reasons in the reader's language, for the partner (its own row only) and the operator."""

from __future__ import annotations

import pytest
from django.utils import translation

from matching import explanations
from matching.engine import explain
from matching.models import RoutingCandidate
from referrals.routing_why import Reason, Routing
from tests import factories
from tests.decisions import MINE, THEIRS, decided

pytestmark = pytest.mark.django_db


def test_every_label_template_the_engine_marks_has_a_russian_translation():
    with translation.override("ru"):
        untranslated = [t for t in explanations.templates() if translation.gettext(t) == t]

    assert len(explanations.templates()) == 32
    assert "new partner: a fair chance" in explanations.templates()
    assert untranslated == []


def test_a_label_reads_in_russian_with_its_numbers_and_its_codes_named():
    with translation.override("ru"):
        assert explanations.translated("12 km away") == "12 км от вас"
        assert explanations.translated("1,234 km away") == "1,234 км от вас"
        assert explanations.translated("answers within 6 h") == "отвечает в течение 6 ч"
        assert explanations.translated("works in manufacturing") == "работает в отрасли «Производство»"
        assert (
            explanations.translated("you accepted 4 of 5 similar office-suite deals")
            == "вы приняли 4 из 5 похожих сделок Офисный пакет и почта"
        )
        assert explanations.translated("you accepted 4 of 5 similar deals") == "вы приняли 4 из 5 похожих сделок"
        assert explanations.translated(explain.gettext_noop("new partner: a fair chance")) == (
            "новый партнёр: честный шанс"
        )


def test_a_label_reads_in_english_as_stored():
    with translation.override("en"):
        assert explanations.translated("you accepted 4 of 5 similar deals") == "you accepted 4 of 5 similar deals"
        assert explanations.translated("came from agent") == "came from Operator agent"


def test_a_label_no_template_matches_is_shown_as_stored():
    assert explanations.translated("a label from another engine") == "a label from another engine"


def test_the_partner_reads_the_signals_that_raised_its_score_biggest_first_then_its_boost():
    assert explanations.partner_reasons(MINE) == (
        Reason("accepted before", "you accepted 4 of 5 similar Office suite and email deals", 7.0),
        Reason("distance", "12 km away", 2.5),
        Reason("responsiveness", "answers within 6 h", 1.5),
        Reason("boost", "new partner: a fair chance", 0.0),
    )


def test_a_referral_is_explained_by_its_own_chosen_row_only():
    mine, theirs = factories.profile(), factories.profile()
    engagement = factories.engagement([mine, theirs])
    decided(engagement, [(theirs, THEIRS, True, ""), (mine, MINE, True, "new partner")])
    referral = engagement.referrals.get(profile=mine)

    routing = explanations.of_referral(referral)

    assert routing == Routing("engine", "engine-7", explanations.partner_reasons(MINE))
    assert all("480" not in r.label and "won" not in r.label for r in routing.why)


def test_a_referral_no_decision_chose_has_no_explanation():
    mine, other = factories.profile(), factories.profile()
    engagement = factories.engagement([mine])
    decided(engagement, [(mine, MINE, False, ""), (other, THEIRS, True, "")])

    assert explanations.of_referral(engagement.referrals.get(profile=mine)) is None


def test_the_operator_reads_every_candidate_in_rank_order_with_each_signals_points():
    first, second = factories.profile(factories.partner("Cloudwerk")), factories.profile(factories.partner("Nordlicht"))
    engagement = factories.engagement([first])
    decided(engagement, [(first, THEIRS, True, ""), (second, MINE, False, "")])

    (decision,) = explanations.decisions_of(engagement)

    assert [(c.rank, c.partner_name, c.score, c.chosen) for c in decision.candidates] == [
        (1, "Cloudwerk", 16.0, True),
        (2, "Nordlicht", 20.5, False),
    ]
    assert [(s.signal, s.label, s.points) for s in decision.candidates[0].signals] == [
        ("base", "a typical request", 10.0),
        ("distance", "480 km away", 1.0),
        ("won before", "you won 9 of 9 similar Office suite and email deals", 5.0),
    ]


def test_every_label_a_real_decision_stores_reads_in_russian():
    for _ in range(3):
        factories.profile()
    engagement = factories.engagement([], route_count=2, source="advertising")
    labels = {
        part["label"]
        for candidate in RoutingCandidate.objects.filter(decision__engagement=engagement)
        for part in candidate.contributions
    }

    with translation.override("ru"):
        untranslated = [label for label in labels if explanations.translated(label) == label]

    assert len(labels) >= 10
    assert untranslated == []
    with translation.override("ru"):
        assert explanations.translated("came from advertising") == "источник: Реклама"
