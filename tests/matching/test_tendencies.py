"""The scorecard's part on learning, read from a partner's recorded answers: the kinds of deal it accepts and turns
down, and the keywords and tags that bring it requests it turns down, in the partner's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from console import admin_services
from matching import tendencies
from partners.models import BusinessProfile, Role
from referrals import services
from tests import factories
from tests.factories import NOW
from tests.matching.partner_answers import BACKUP_DEAL, CRM_DEAL, SMALL_MAIL_DEAL, answered, profile_with_tags

pytestmark = pytest.mark.django_db
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def partner_answers() -> BusinessProfile:
    """12 answers in the window: 4 CRM deals accepted (one of them "in the cloud") and 1 declined, 4 small mail
    deals turned down, 3 backup deals skipped; and what must not count."""
    profile = profile_with_tags()
    at = NOW - 30 * DAY
    answered(profile, "accept", at, **CRM_DEAL | {"need": "CRM in the cloud for sales"})
    for n in range(1, 4):
        answered(profile, "accept", at + n * DAY, **CRM_DEAL)
    answered(profile, "decline", at + 4 * DAY, **CRM_DEAL)
    for n, answer in enumerate(["skip", "skip", "decline", "decline"]):
        answered(profile, answer, at + (5 + n) * DAY, **SMALL_MAIL_DEAL)
    for n in range(3):
        answered(profile, "skip", at + (9 + n) * DAY, **BACKUP_DEAL)
    # No answers: still new, and missed.
    answered(profile, "none", NOW - DAY, **SMALL_MAIL_DEAL)
    missed = answered(profile, "none", NOW - 20 * DAY, **SMALL_MAIL_DEAL)
    services.apply_deadline(missed.pk, NOW - 17 * DAY)
    # Older than the window.
    answered(profile, "decline", NOW - (tendencies.WEEKS * 7 + 1) * DAY, **CRM_DEAL)
    # Turned down for reasons that are not about the deal: it was full, or the customer is out of its region.
    answered(profile, "full", at + 12 * DAY, **BACKUP_DEAL)
    answered(profile, "decline-full", at + 13 * DAY, **SMALL_MAIL_DEAL)
    answered(profile, "out-of-region", at + 14 * DAY, **CRM_DEAL)
    # Confirmed as spam by the programme.
    flagged = answered(profile, "spam", NOW - 2 * DAY, **SMALL_MAIL_DEAL)
    admin_services.confirm_spam(factories.user(None, role=Role.PROGRAMME_ADMIN), flagged.pk, "", NOW - DAY)
    # Another partner's answers, of the same kinds.
    other = profile_with_tags(country="FR")
    for n in range(4):
        answered(other, "decline", at + n * DAY, **CRM_DEAL)
    return profile


def test_the_kinds_of_deal_the_partner_accepts_and_turns_down_in_words(partner_answers):
    with translation.override("en"):
        found = tendencies.words(partner_answers.partner_id, NOW)

    assert found.answers == 12
    assert found.accepts == [
        "You accepted 4 of 5 deals of 25,000 to 100,000 EUR.",
        "You accepted 4 of 5 deals in Retail.",
        "You accepted 4 of 5 deals for CRM.",
        "You accepted 4 of 5 deals from companies with 50-249 employees.",
    ]
    assert found.turns_down == [
        "You turned down all 7 deals from companies with 10-49 employees.",
        "You turned down all 4 deals under 5,000 EUR.",
        "You turned down all 4 deals in Manufacturing.",
        "You turned down all 4 deals for Office suite and email.",
    ]


def test_the_keywords_and_tags_that_bring_what_the_partner_turns_down_with_a_suggestion(partner_answers):
    with translation.override("en"):
        found = tendencies.words(partner_answers.partner_id, NOW)

    assert found.tags_to_review == [
        "Your keyword “cloud” matched 7 requests you turned down and 1 you accepted. "
        "Consider removing it or making it more specific.",
        "Your product “Office suite and email” matched 4 requests you turned down and 0 you accepted. "
        "Consider removing it from your profile if you do not want such requests.",
    ]


def test_the_tendencies_in_russian(partner_answers):
    with translation.override("ru"):
        found = tendencies.words(partner_answers.partner_id, NOW)

    assert found.accepts[1] == "Вы приняли 4 из 5 сделок (отрасль «Розничная торговля»)."
    assert found.turns_down[:2] == [
        "Вы отказались от всех 7 сделок (размер компании: 10-49 сотрудников).",
        "Вы отказались от всех 4 сделок (бюджет до 5\xa0000 EUR).",
    ]
    assert found.tags_to_review == [
        "Ключевое слово «cloud»: запросов, от которых вы отказались, — 7, принятых — 1. "
        "Возможно, стоит убрать это слово или сделать его точнее.",
        "Продукт «Офисный пакет и почта»: запросов, от которых вы отказались, — 4, принятых — 0. "
        "Если такие запросы вам не нужны, возможно, стоит убрать это из профиля.",
    ]


def test_a_keyword_the_partner_removed_is_no_longer_questioned(partner_answers):
    BusinessProfile.objects.filter(pk=partner_answers.pk).update(keywords=["email migration"])
    partner_answers.products.set(["crm"])

    with translation.override("en"):
        assert tendencies.words(partner_answers.partner_id, NOW).tags_to_review == []


def test_only_the_most_recent_answers_are_read(partner_answers, monkeypatch):
    monkeypatch.setattr(tendencies, "MAX_ANSWERS", 3)

    found = tendencies.answers(partner_answers.partner_id, NOW)

    assert [(a.accepted, sorted(a.kinds)) for a in found] == [
        (False, [("industry", "finance"), ("product", "security"), ("size", "10-49")])
    ] * 3


def test_reading_the_answers_costs_the_same_few_queries_however_many_there_are(partner_answers):
    with CaptureQueriesContext(connection) as twelve:
        assert len(tendencies.answers(partner_answers.partner_id, NOW)) == 12
    for n in range(6):
        answered(partner_answers, "skip", NOW - (2 + n) * HOUR, **BACKUP_DEAL)
    with CaptureQueriesContext(connection) as eighteen:
        assert len(tendencies.answers(partner_answers.partner_id, NOW)) == 18

    assert len(twelve) == len(eighteen) == 7  # referrals, profiles, and the profiles' five related lists


def test_a_partner_with_no_answers_is_told_nothing_yet():
    profile = profile_with_tags()
    answered(profile, "none", NOW - DAY, **CRM_DEAL)

    found = tendencies.words(profile.partner_id, NOW)

    assert (found.answers, found.accepts, found.turns_down, found.tags_to_review) == (0, [], [], [])
