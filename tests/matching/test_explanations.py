"""The engine's stored reasons in the reader's language, for the partner (its own row only) and the operator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from matching import explanations
from matching.engine import labels
from matching.engine.types import Contribution, Label
from matching.models import RoutingCandidate
from referrals.routing_why import Reason, Routing
from tests import factories
from tests.decisions import MINE, THEIRS, decided

pytestmark = pytest.mark.django_db


def test_every_label_template_the_engine_marks_has_a_russian_translation_in_each_plural_form():
    untranslated = []
    for template in explanations.templates():
        for n in (1, 2, 5, 21):
            part = {"template": template, "values": dict.fromkeys(PLACEHOLDER.findall(template), n)}
            with translation.override("en"):
                english = explanations.rendered(part)
            with translation.override("ru"):
                if explanations.rendered(part) == english:
                    untranslated.append((template, n))

    assert len(explanations.templates()) == 35
    assert "new partner: a fair chance" in explanations.templates()
    assert untranslated == []


# A value for each placeholder a template may hold: codes the vocabulary names, and numbers.
SAMPLE_VALUES = {
    "industry": "manufacturing",
    "products": "office-suite",
    "size": "10-49",
    "km": 1234,
    "language": "de",
    "count": 2,
    "source": "advertising",
    "budget": 25000,
    "yes": 4,
    "asked": 5,
    "total": 5,
    "hours": 6,
    "kind": "office-suite",
    "value": 12300,
    "open": 3,
    "capacity": 5,
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
NBSP = "\N{NO-BREAK SPACE}"  # Russian groups thousands with it


@pytest.mark.parametrize("template", labels.TEMPLATES)
def test_each_label_renders_in_english_and_russian_with_its_values(template):
    values = {key: SAMPLE_VALUES[key] for key in PLACEHOLDER.findall(template)}
    part = explanations.stored(Contribution("signal", Label(template, values), 1.0))

    with translation.override("en"):
        english = explanations.rendered(part)
    with translation.override("ru"):
        russian = explanations.rendered(part)

    assert "%(" not in english and "%(" not in russian
    assert russian != english
    for number in (v for v in values.values() if isinstance(v, int)):
        assert f"{number:,}" in english and f"{number:,}".replace(",", NBSP) in russian


def test_a_label_is_stored_as_its_template_and_values_and_read_in_the_readers_language():
    label = Label(labels.ACCEPTED_SIMILAR, {"yes": 4, "total": 5, "kind": "office-suite"})
    part = explanations.stored(Contribution("accepted before", label, 7.0))

    assert part == {
        "signal": "accepted before",
        "template": "you accepted %(yes)s of %(total)s similar %(kind)s deals",
        "values": {"yes": 4, "total": 5, "kind": "office-suite"},
        "points": 7.0,
    }
    assert str(label) == "you accepted 4 of 5 similar office-suite deals"
    with translation.override("en"):
        assert explanations.rendered(part) == "you accepted 4 of 5 similar Office suite and email deals"
    with translation.override("ru"):
        assert explanations.rendered(part) == "вы приняли 4 из 5 похожих сделок Офисный пакет и почта"
        assert explanations.rendered({**part, "values": {"yes": 4, "total": 5, "kind": ""}}) == (
            "вы приняли 4 из 5 похожих сделок"
        )
        assert (
            explanations.rendered(
                explanations.stored(Contribution("distance", Label(labels.DISTANCE_KM, {"km": 1234}), 1.0))
            )
            == f"1{NBSP}234 км от вас"
        )


def test_a_stored_old_format_row_still_renders_in_the_readers_language():
    old = {"signal": "speed", "label": "answers within 6 h", "points": 1.5}

    with translation.override("ru"):
        assert explanations.rendered(old) == "отвечает в течение 6 ч"
    with translation.override("en"):
        assert explanations.rendered(old) == "answers within 6 h"


def test_a_template_this_catalogue_does_not_know_is_shown_in_english_with_its_values():
    part = {"signal": "new", "template": "%(n)s new things", "values": {"n": 3}, "points": 0.0}

    with translation.override("ru"):
        assert explanations.rendered(part) == "3 new things"


def test_a_label_reads_in_russian_with_its_numbers_and_its_codes_named():
    with translation.override("ru"):
        assert explanations.translated("12 km away") == "12 км от вас"
        assert explanations.translated("1,234 km away") == f"1{NBSP}234 км от вас"
        assert explanations.translated("answers within 6 h") == "отвечает в течение 6 ч"
        assert explanations.translated("works in manufacturing") == "работает в отрасли «Производство»"
        assert (
            explanations.translated("you accepted 4 of 5 similar office-suite deals")
            == "вы приняли 4 из 5 похожих сделок Офисный пакет и почта"
        )
        assert explanations.translated("you accepted 4 of 5 similar deals") == "вы приняли 4 из 5 похожих сделок"
        assert explanations.translated(labels.NEW_PARTNER) == ("новый партнёр: честный шанс")


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


def test_the_operator_reads_a_requests_decisions_in_the_same_queries_however_many_the_cascade_made(
    django_assert_num_queries,
):
    profiles = [factories.profile(factories.partner(f"Partner {n}")) for n in range(4)]
    engagement = factories.engagement(profiles[:1])
    decided(engagement, [(profiles[0], THEIRS, True, ""), (profiles[1], MINE, False, "")])
    for profile in profiles[1:]:  # the cascade's offers, one decision each
        decided(engagement, [(profile, MINE, True, "")])

    # The decisions; every candidate with its profile and partner; the four taxonomies the labels name codes from.
    with django_assert_num_queries(6):
        decisions = explanations.decisions_of(engagement)

    assert [[(c.partner_name, c.chosen) for c in d.candidates] for d in decisions] == [
        [("Partner 0", True), ("Partner 1", False)],
        [("Partner 1", True)],
        [("Partner 2", True)],
        [("Partner 3", True)],
    ]


def test_every_label_a_real_decision_stores_reads_in_russian():
    for _ in range(3):
        factories.profile()
    engagement = factories.engagement([], route_count=2, source="advertising")
    parts = [part for c in RoutingCandidate.objects.filter(decision__engagement=engagement) for part in c.contributions]

    with translation.override("en"):
        english = {explanations.rendered(part) for part in parts}
    with translation.override("ru"):
        untranslated = {explanations.rendered(part) for part in parts} & english

    assert len({part["template"] for part in parts}) >= 10
    assert untranslated == set()
    with translation.override("ru"):
        assert explanations.translated("came from advertising") == "источник: Реклама"


# Each counted label for 1, 2, 5 and 21: English has two forms, Russian three for whole numbers (21 as 1).
PLURALS = [
    (
        labels.WORDS_SHARED,
        {"count": 1},
        "1 of your keywords matches the request",
        "1 ваше ключевое слово совпадает с запросом",
    ),
    (
        labels.WORDS_SHARED,
        {"count": 2},
        "2 of your keywords match the request",
        "2 ваших ключевых слова совпадают с запросом",
    ),
    (
        labels.WORDS_SHARED,
        {"count": 5},
        "5 of your keywords match the request",
        "5 ваших ключевых слов совпадают с запросом",
    ),
    (
        labels.WORDS_SHARED,
        {"count": 21},
        "21 of your keywords match the request",
        "21 ваше ключевое слово совпадает с запросом",
    ),
    (labels.INTERESTED_IN, {"yes": 1, "asked": 1}, "interested in 1 of 1 request", "заинтересовались 1 из 1 запроса"),
    (labels.INTERESTED_IN, {"yes": 1, "asked": 2}, "interested in 1 of 2 requests", "заинтересовались 1 из 2 запросов"),
    (labels.INTERESTED_IN, {"yes": 4, "asked": 5}, "interested in 4 of 5 requests", "заинтересовались 4 из 5 запросов"),
    (
        labels.INTERESTED_IN,
        {"yes": 9, "asked": 21},
        "interested in 9 of 21 requests",
        "заинтересовались 9 из 21 запроса",
    ),
    (
        labels.ACCEPTED_SIMILAR,
        {"yes": 1, "total": 1, "kind": ""},
        "you accepted 1 of 1 similar deal",
        "вы приняли 1 из 1 похожей сделки",
    ),
    (
        labels.ACCEPTED_SIMILAR,
        {"yes": 2, "total": 2, "kind": ""},
        "you accepted 2 of 2 similar deals",
        "вы приняли 2 из 2 похожих сделок",
    ),
    (
        labels.ACCEPTED_SIMILAR,
        {"yes": 1, "total": 5, "kind": ""},
        "you accepted 1 of 5 similar deals",
        "вы приняли 1 из 5 похожих сделок",
    ),
    (
        labels.ACCEPTED_SIMILAR,
        {"yes": 3, "total": 21, "kind": ""},
        "you accepted 3 of 21 similar deals",
        "вы приняли 3 из 21 похожей сделки",
    ),
    (
        labels.WON_SIMILAR,
        {"yes": 1, "total": 1, "kind": "office-suite"},
        "you won 1 of 1 similar Office suite and email deal",
        "вы выиграли 1 из 1 похожей сделки Офисный пакет и почта",
    ),
    (
        labels.WON_SIMILAR,
        {"yes": 2, "total": 2, "kind": ""},
        "you won 2 of 2 similar deals",
        "вы выиграли 2 из 2 похожих сделок",
    ),
    (
        labels.WON_SIMILAR,
        {"yes": 5, "total": 5, "kind": ""},
        "you won 5 of 5 similar deals",
        "вы выиграли 5 из 5 похожих сделок",
    ),
    (
        labels.WON_SIMILAR,
        {"yes": 0, "total": 21, "kind": ""},
        "you won 0 of 21 similar deals",
        "вы выиграли 0 из 21 похожей сделки",
    ),
    (
        labels.INTERESTED_SIMILAR,
        {"yes": 1, "total": 1, "kind": ""},
        "interested in 1 of 1 similar request",
        "заинтересовались 1 из 1 похожего запроса",
    ),
    (
        labels.INTERESTED_SIMILAR,
        {"yes": 1, "total": 2, "kind": ""},
        "interested in 1 of 2 similar requests",
        "заинтересовались 1 из 2 похожих запросов",
    ),
    (
        labels.INTERESTED_SIMILAR,
        {"yes": 1, "total": 5, "kind": ""},
        "interested in 1 of 5 similar requests",
        "заинтересовались 1 из 5 похожих запросов",
    ),
    (
        labels.INTERESTED_SIMILAR,
        {"yes": 1, "total": 21, "kind": ""},
        "interested in 1 of 21 similar requests",
        "заинтересовались 1 из 21 похожего запроса",
    ),
    (labels.CAPACITY_OPEN, {"open": 1, "capacity": 1}, "1 of 1 open referral", "открыто 1 из 1 рекомендации"),
    (labels.CAPACITY_OPEN, {"open": 1, "capacity": 2}, "1 of 2 open referrals", "открыто 1 из 2 рекомендаций"),
    (labels.CAPACITY_OPEN, {"open": 3, "capacity": 5}, "3 of 5 open referrals", "открыто 3 из 5 рекомендаций"),
    (labels.CAPACITY_OPEN, {"open": 20, "capacity": 21}, "20 of 21 open referrals", "открыто 20 из 21 рекомендации"),
]


@pytest.mark.parametrize(("template", "values", "english", "russian"), PLURALS)
def test_a_counted_label_takes_the_plural_form_its_number_takes_in_each_language(template, values, english, russian):
    part = explanations.stored(Contribution("signal", Label(template, values), 1.0))

    with translation.override("en"):
        assert explanations.rendered(part) == english
    with translation.override("ru"):
        assert explanations.rendered(part) == russian


def test_numbers_of_a_thousand_and_more_are_written_as_the_readers_language_writes_them():
    budget = explanations.stored(Contribution("budget", Label(labels.BUDGET_ABOUT, {"budget": 16500}), 1.0))
    accepted = explanations.stored(
        Contribution("accepted before", Label(labels.ACCEPTED_SIMILAR, {"yes": 1000, "total": 1021, "kind": ""}), 1.0)
    )

    with translation.override("en"):
        assert explanations.rendered(budget) == "budget about 16,500 EUR"
        assert explanations.rendered(accepted) == "you accepted 1,000 of 1,021 similar deals"
    with translation.override("ru"):
        assert explanations.rendered(budget) == f"бюджет около 16{NBSP}500 EUR"
        assert explanations.rendered(accepted) == f"вы приняли 1{NBSP}000 из 1{NBSP}021 похожей сделки"


def test_a_row_stored_before_plurals_renders_in_the_form_its_number_takes():
    # Rows kept the English plural as the template, or (before templates) the English text with grouped numbers.
    as_template = {
        "signal": "responsiveness",
        "template": "interested in %(yes)s of %(asked)s requests",
        "values": {"yes": 1, "asked": 1},
        "points": 2.0,
    }
    as_text = {"signal": "responsiveness", "label": "interested in 1 of 1,021 requests", "points": 2.0}

    with translation.override("en"):
        assert explanations.rendered(as_template) == "interested in 1 of 1 request"
        assert explanations.rendered(as_text) == "interested in 1 of 1,021 requests"
    with translation.override("ru"):
        assert explanations.rendered(as_template) == "заинтересовались 1 из 1 запроса"
        assert explanations.rendered(as_text) == f"заинтересовались 1 из 1{NBSP}021 запроса"
        assert explanations.translated("budget about 16,500 EUR") == f"бюджет около 16{NBSP}500 EUR"


def test_an_old_text_row_whose_count_is_not_a_number_is_shown_as_stored():
    with translation.override("ru"):
        assert explanations.translated("many of your keywords match the request") == (
            "many of your keywords match the request"
        )


def test_the_distance_label_has_its_own_context_so_another_apps_km_away_keeps_its_own_russian():
    with open(Path(settings.BASE_DIR) / "matching/locale/ru/LC_MESSAGES/django.po", "rb") as po:
        catalogue = read_po(po)

    assert catalogue.get(labels.DISTANCE_KM) is None
    assert catalogue.get(labels.DISTANCE_KM, context="routing reason").string == "%(km)s км от вас"
    with translation.override("ru"):
        assert explanations.rendered({"signal": "distance", "template": labels.DISTANCE_KM, "values": {"km": 12}}) == (
            "12 км от вас"
        )
