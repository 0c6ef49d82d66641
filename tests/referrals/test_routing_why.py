"""The referral page says why the partner received a referral: the engine's reasons from its own chosen row, in
its language, or who named it."""

from __future__ import annotations

import re

import pytest

from referrals import routing_why
from tests import factories
from tests.decisions import MINE, THEIRS, decided

pytestmark = pytest.mark.django_db


def _reasons(body: str) -> list[str]:
    section = re.search(r'<article id="why-routed">(.*?)</article>', body, re.S)
    assert section is not None
    return re.findall(r"<li data-signal=\"[^\"]+\">([^<]*)</li>", section.group(1))


def _shared_request():
    mine, theirs = factories.profile(), factories.profile()
    engagement = factories.engagement([mine, theirs], source="advertising")
    decided(engagement, [(theirs, THEIRS, True, ""), (mine, MINE, True, "new partner")])
    return engagement.referrals.get(profile=mine), engagement.referrals.get(profile=theirs)


def test_the_partner_reads_why_the_engine_chose_it_in_words(client):
    mine, _theirs = _shared_request()
    client.force_login(factories.user(mine.partner, email="admin@mine.example"))

    body = client.get(f"/referrals/{mine.pk}/").content.decode()

    assert _reasons(body) == [
        "you accepted 4 of 5 similar Office suite and email deals",
        "12 km away",
        "answers within 6 h",
        "new partner: a fair chance",
    ]


def test_the_partner_never_reads_another_partners_reasons(client):
    mine, theirs = _shared_request()
    client.force_login(factories.user(mine.partner, email="admin@mine.example"))

    body = client.get(f"/referrals/{mine.pk}/").content.decode()
    other = client.get(f"/referrals/{theirs.pk}/")

    assert "480 km away" not in body and "you won 9 of 9" not in body
    assert other.status_code == 404


def test_a_russian_partner_reads_its_reasons_in_russian_with_the_numbers_kept(client):
    mine, _theirs = _shared_request()
    client.force_login(factories.user(mine.partner, email="ru@mine.example", language="ru"))

    body = client.get(f"/referrals/{mine.pk}/").content.decode()

    assert "Почему вы его получили" in body
    assert _reasons(body) == [
        "вы приняли 4 из 5 похожих сделок Офисный пакет и почта",
        "12 км от вас",
        "отвечает в течение 6 ч",
        "новый партнёр: честный шанс",
    ]
    assert "km away" not in body and "a fair chance" not in body


@pytest.mark.parametrize(
    ("source", "said"),
    [("finder", "Chosen by the customer."), ("agent", "Chosen by an agent."), ("advertising", "")],
)
def test_a_referral_a_person_named_says_who_chose_it_and_gives_no_reasons(client, profile, source, said):
    referral = factories.referral(profile, source=source)
    client.force_login(factories.user(profile.partner, email="admin@mine.example"))

    body = client.get(f"/referrals/{referral.pk}/").content.decode()

    assert routing_why.of(referral) is None
    assert '<article id="why-routed">' not in body
    if said:
        assert f'<p id="why-routed">{said}</p>' in body
    else:
        assert 'id="why-routed"' not in body
