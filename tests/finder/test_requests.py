"""The customer's request from the finder (finder.requests.send_request): one engagement, spam kept out."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from finder import requests
from finder.requests import RateLimited, RequestInput, send_request
from kernel.errors import InvalidInput
from notifications import emails
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Partner
from referrals.models import CustomerContact, Engagement, Referral, ReferralEvent
from taxonomy.models import CompanySize
from tests import factories
from tests.api import counting
from tests.factories import NOW
from tests.finder.customers import request_fields, two_partners

IP = "203.0.113.7"


pytestmark = pytest.mark.usefixtures("fresh_rate_limits")


@pytest.fixture
def two(db):  # type: ignore[no-untyped-def]
    return two_partners()


def data(profile_ids: list[int], **overrides: Any) -> RequestInput:
    return RequestInput(**request_fields(profile_ids, **({"city": "berlin", "language": "en"} | overrides)))


def test_a_request_to_two_partners_is_one_finder_engagement_with_a_referral_each(two):
    alpha, bravo = two
    outcome = send_request(data([bravo.pk, alpha.pk], consent_share=True), IP, NOW)
    engagement = Engagement.objects.get()
    assert outcome.engagement == engagement
    assert (engagement.source, engagement.customer_company, engagement.customer_city) == (
        "finder",
        "Contoso GmbH",
        "Berlin",
    )
    assert (engagement.consent_contact, engagement.consent_share, engagement.created_at) == (True, True, NOW)
    assert list(engagement.contacts.values_list("name", "email", "phone")) == [
        ("Anna Schmidt", "anna@contoso.example", "+49 30 1234567")
    ]
    referrals = list(Referral.objects.order_by("pk"))
    assert outcome.referral_ids == [r.pk for r in referrals]
    assert [(r.profile_id, r.state) for r in referrals] == [(alpha.pk, "new"), (bravo.pk, "new")]
    assert outcome.asked == ["Bravo Systems", "Alpha Cloud"]
    assert (outcome.already_asked, outcome.already_asked_ids) == ([], [])
    assert list(ReferralEvent.objects.values_list("actor_kind", "actor_label", "action")) == [
        ("system", "partner finder", "create"),
        ("system", "partner finder", "create"),
    ]
    assert sorted(
        OutboxMessage.objects.filter(channel="email").values_list("template", "to_address", "language", "referral_id")
    ) == sorted(
        [
            ("referral_new", "alerts@alpha.example", "en", referrals[0].pk),
            ("referral_new", "alerts@bravo.example", "en", referrals[1].pk),
            ("customer_request_sent", "anna@contoso.example", "en", referrals[0].pk),
        ]
    )


def test_the_confirmation_lists_the_partners_asked_and_links_to_others_in_the_customers_language(two, settings):
    settings.SITE_ROOT = "https://leadshare.example"
    alpha, bravo = two
    outcome = send_request(data([alpha.pk, bravo.pk], language="ru"), IP, NOW)
    assert outcome.engagement is not None
    message = OutboxMessage.objects.get(template="customer_request_sent")
    assert message.language == "ru"
    rendered = emails.render(message)
    assert rendered.subject == "Ваш запрос отправлен 2 партнёрам"
    link = f"https://leadshare.example/partners/?request={outcome.engagement.public_token}"
    assert "- Alpha Cloud\n- Bravo Systems\n" in rendered.text
    assert "Спасибо: запрос компании Contoso GmbH отправлен этим партнёрам:" in rendered.text
    assert link in rendered.text
    assert f'<a href="{link}">' in rendered.html


def test_the_confirmation_in_english(two):
    alpha, _bravo = two
    send_request(data([alpha.pk]), IP, NOW)
    rendered = emails.render(OutboxMessage.objects.get(template="customer_request_sent"))
    assert rendered.subject == "Your request went to 1 partner"
    assert "Thank you: the request from Contoso GmbH went to these partners:\n- Alpha Cloud\n" in rendered.text


def test_every_field_is_checked_by_field_and_nothing_is_written(two):
    before = counting.rows()
    empty = RequestInput(
        profile_ids=[],
        company=" ",
        size="",
        industry="",
        country="",
        city="",
        contact_name="",
        email="anna@",
        phone="",
        need="",
        consent_contact=False,
    )
    with pytest.raises(InvalidInput) as caught:
        send_request(empty, IP, NOW)
    assert caught.value.errors == {
        "profile_ids": "Choose at least one partner.",
        "company": "Enter your company's name.",
        "size": "Choose your company's size.",
        "industry": "Choose your industry.",
        "country": "Choose your country.",
        "city": "Enter your city.",
        "contact_name": "Enter your name.",
        "email": "Enter a valid e-mail address, such as anna@example.com.",
        "phone": "Enter your phone number.",
        "need": "Describe what you need.",
        "consent_contact": "Agree to be contacted by the partners you chose, or we cannot send your request.",
    }
    assert counting.rows() == before


def test_values_outside_the_lists_are_refused_by_field(two):
    alpha, _bravo = two
    bad = data(
        [alpha.pk],
        size="huge",
        industry="mining",
        country="XX",
        phone="call me",
        budget=Decimal("-5"),
        budget_currency="DOGE",
        timeline="x" * 121,
        language="de",
        company="c" * 201,
        need="n" * 5001,
    )
    before = counting.rows()
    with pytest.raises(InvalidInput) as caught:
        send_request(bad, IP, NOW)
    assert caught.value.errors == {
        "company": "Keep the company name under 200 characters.",
        "size": "Choose a company size from the list.",
        "industry": "Choose an industry from the list.",
        "country": "Choose a country from the list.",
        "phone": "Enter a phone number of 6 to 20 digits; spaces, +, - and brackets are fine.",
        "need": "Keep the description under 5,000 characters.",
        "budget": "The budget must be greater than zero.",
        "budget_currency": "Choose a currency from the list.",
        "timeline": "Keep the timeline under 120 characters.",
        "language": "Use en or ru.",
    }
    assert counting.rows() == before


def test_a_city_not_in_the_country_is_refused(two):
    alpha, _bravo = two
    with pytest.raises(InvalidInput) as caught:
        send_request(data([alpha.pk], city="Atlantis"), IP, NOW)
    assert caught.value.errors == {"city": "We do not know this city in the chosen country. Check the spelling."}
    assert not Engagement.objects.exists()


def test_a_budget_needs_its_currency_and_is_kept_with_it(two):
    alpha, _bravo = two
    with pytest.raises(InvalidInput) as caught:
        send_request(data([alpha.pk], budget=Decimal("5000.001")), IP, NOW)
    assert caught.value.errors == {
        "budget": "Use at most two decimals.",
        "budget_currency": "Choose the budget's currency.",
    }
    assert not Engagement.objects.exists()
    send_request(data([alpha.pk], budget=Decimal("5000"), budget_currency="EUR", timeline="Q1 2027"), IP, NOW)
    assert list(Engagement.objects.values_list("budget", "budget_currency", "timeline")) == [
        (Decimal("5000.00"), "EUR", "Q1 2027")
    ]


def test_more_than_three_partners_are_refused_and_nothing_is_sent(two):
    profiles = [*two, factories.profile(), factories.profile()]
    before = counting.rows()
    with pytest.raises(InvalidInput) as caught:
        send_request(data([p.pk for p in profiles]), IP, NOW)
    assert caught.value.errors == {"profile_ids": "Choose at most 3 partners."}
    assert counting.rows() == before


def test_paused_suspended_opted_out_and_unknown_partners_are_refused(two):
    alpha, bravo = two
    BusinessProfile.objects.filter(pk=alpha.pk).update(status="paused")
    Partner.objects.filter(pk=bravo.partner_id).update(status="suspended")
    picky = factories.profile(only_target_sizes=True)
    picky.target_sizes.set([CompanySize.objects.get(code="1-9")])
    message = {"profile_ids": "Some of the partners you chose cannot take requests now. Choose others."}
    before = counting.rows()
    for ids in ([alpha.pk], [bravo.pk], [picky.pk], [999999]):
        with pytest.raises(InvalidInput) as caught:
            send_request(data(ids), IP, NOW)
        assert caught.value.errors == message
    assert counting.rows() == before


def test_a_bot_that_fills_the_honeypot_is_told_it_worked_and_nothing_happens(two):
    alpha, _bravo = two
    before = counting.rows()
    outcome = send_request(data([alpha.pk], honeypot="https://spam.example"), IP, NOW)
    assert outcome == requests.RequestOutcome(engagement=None)
    assert not outcome.all_duplicates
    assert counting.rows() == before


def test_the_same_email_asking_the_same_partner_within_a_day_asks_only_the_others(two):
    alpha, bravo = two
    first = send_request(data([alpha.pk]), IP, NOW)
    later = NOW + timedelta(hours=23)
    again = send_request(data([alpha.pk, bravo.pk], email="ANNA@contoso.example"), "198.51.100.1", later)
    assert again.engagement is not None and again.engagement != first.engagement
    assert list(again.engagement.referrals.values_list("profile_id", flat=True)) == [bravo.pk]
    assert (again.asked, again.already_asked, again.already_asked_ids) == (
        ["Bravo Systems"],
        ["Alpha Cloud"],
        [alpha.pk],
    )
    assert Referral.objects.filter(profile=alpha).count() == 1
    assert OutboxMessage.objects.filter(template="customer_request_sent").count() == 2
    notice = OutboxMessage.objects.get(template="customer_already_asked")
    assert (notice.to_address, notice.referral_id, notice.payload) == (
        "anna@contoso.example",
        first.referral_ids[0],
        {"partners": ["Alpha Cloud"]},
    )


def test_when_every_partner_was_already_asked_the_earlier_request_stands(two):
    alpha, bravo = two
    send_request(data([alpha.pk, bravo.pk]), IP, NOW)
    before = counting.rows()
    outcome = send_request(data([bravo.pk, alpha.pk]), "198.51.100.1", NOW + timedelta(hours=1))
    assert outcome.engagement is None
    assert outcome.all_duplicates
    assert (outcome.already_asked, outcome.already_asked_ids) == (
        ["Bravo Systems", "Alpha Cloud"],
        [bravo.pk, alpha.pk],
    )
    assert counting.rows() == before | {"OutboxMessage": before["OutboxMessage"] + 1}  # the owner's notice


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        (
            "en",
            "Your request to Alpha Cloud, Bravo Systems was sent again",
            "We did not send it to them again: the earlier request from Contoso GmbH stands",
        ),
        (
            "ru",
            "Ваш запрос партнёрам Alpha Cloud, Bravo Systems отправлен повторно",
            "Повторно мы его не отправили: прежний запрос компании Contoso GmbH остаётся в силе",
        ),
    ],
)
def test_the_addresss_owner_is_told_in_the_language_of_their_request_whoever_asked_again(
    two, settings, language, subject, line
):
    settings.SITE_ROOT = "https://leadshare.example"
    alpha, bravo = two
    first = send_request(data([alpha.pk, bravo.pk], language=language), IP, NOW)
    assert first.engagement is not None
    other = "ru" if language == "en" else "en"
    send_request(data([alpha.pk, bravo.pk], language=other, contact_name="Mallory"), "198.51.100.1", NOW)
    rendered = emails.render(OutboxMessage.objects.get(template="customer_already_asked"))
    assert rendered.subject == subject
    assert "- Alpha Cloud\n- Bravo Systems\n" in rendered.text
    assert line in rendered.text
    assert f"https://leadshare.example/partners/?request={first.engagement.public_token}" in rendered.text
    assert "Mallory" not in rendered.text + rendered.html


def test_after_a_day_the_same_partner_can_be_asked_again(two):
    alpha, _bravo = two
    send_request(data([alpha.pk]), IP, NOW)
    outcome = send_request(data([alpha.pk]), IP, NOW + timedelta(hours=24, seconds=1))
    assert outcome.engagement is not None
    assert Referral.objects.filter(profile=alpha).count() == 2


def test_another_email_may_ask_the_same_partner(two):
    alpha, _bravo = two
    send_request(data([alpha.pk]), IP, NOW)
    outcome = send_request(data([alpha.pk], email="ben@contoso.example"), IP, NOW)
    assert outcome.engagement is not None
    assert CustomerContact.objects.count() == 2


def test_an_address_may_send_five_requests_an_hour(two):
    alpha, _bravo = two
    for i in range(requests.REQUESTS_PER_WINDOW):
        send_request(data([alpha.pk], email=f"person{i}@contoso.example"), IP, NOW + timedelta(minutes=i))
    before = counting.rows()
    with pytest.raises(RateLimited) as caught:
        send_request(data([alpha.pk], email="sixth@contoso.example"), IP, NOW + timedelta(minutes=10))
    # The first request leaves the window at NOW + 60 min: 50 minutes from the refused one.
    assert caught.value.retry_after == 50 * 60 + 1
    assert counting.rows() == before
    outcome = send_request(data([alpha.pk], email="sixth@contoso.example"), IP, NOW + timedelta(minutes=60, seconds=1))
    assert outcome.engagement is not None
    other = send_request(data([alpha.pk], email="seventh@contoso.example"), "198.51.100.1", NOW + timedelta(minutes=10))
    assert other.engagement is not None


def test_an_email_may_send_five_requests_an_hour_from_any_address(two):
    alpha, bravo = two
    for i in range(requests.REQUESTS_PER_WINDOW):
        # Duplicates count too: they are requests all the same.
        send_request(data([alpha.pk]), f"198.51.100.{i}", NOW + timedelta(minutes=i))
    before = counting.rows()
    with pytest.raises(RateLimited):
        send_request(data([bravo.pk]), "192.0.2.99", NOW + timedelta(minutes=10))
    assert counting.rows() == before


def test_invalid_requests_do_not_count_against_the_limit(two):
    alpha, _bravo = two
    for _ in range(requests.REQUESTS_PER_WINDOW + 2):
        with pytest.raises(InvalidInput):
            send_request(data([alpha.pk], email="nope"), IP, NOW)
    assert send_request(data([alpha.pk]), IP, NOW).engagement is not None


def test_bots_count_against_the_limit(two):
    alpha, _bravo = two
    bot = data([alpha.pk], honeypot="x")
    for _ in range(requests.REQUESTS_PER_WINDOW):
        send_request(bot, IP, NOW)
    with pytest.raises(RateLimited):
        send_request(replace(bot, honeypot=""), IP, NOW)
    assert not Engagement.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_request_sent_ten_times_at_once_asks_each_partner_once(monkeypatch):
    from tests.referrals.test_concurrency import race

    alpha, bravo = two_partners()
    monkeypatch.setattr(requests, "REQUESTS_PER_WINDOW", 100)  # the 24 h rule under test, not the rate limit
    outcomes = race(*[lambda i=i: send_request(data([alpha.pk, bravo.pk]), f"198.51.100.{i}", NOW) for i in range(10)])
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert sorted(Referral.objects.values_list("profile_id", flat=True)) == sorted([alpha.pk, bravo.pk])
    assert Engagement.objects.count() == 1
    assert OutboxMessage.objects.filter(template="customer_already_asked").count() == 9


def test_two_locations_of_one_partner_are_refused_by_the_field_and_nothing_is_written(two):
    alpha, _bravo = two
    vienna = factories.profile(partner_=alpha.partner, country="AT", city="Vienna")
    before = counting.rows()
    with pytest.raises(InvalidInput) as caught:
        send_request(data([alpha.pk, vienna.pk]), IP, NOW)
    assert caught.value.errors == {
        "profile_ids": "Choose one location per partner: each partner is asked once per request."
    }
    assert counting.rows() == before


# --- Nobody chosen: the programme's routing ----------------------------------------------------------


def test_a_request_with_nobody_chosen_goes_to_the_partners_the_routing_chooses(two):
    alpha, bravo = two
    outcome = send_request(data([], route=True), IP, NOW)
    engagement = Engagement.objects.get()
    assert outcome.engagement == engagement
    assert engagement.source == "finder"
    assert sorted(Referral.objects.values_list("profile_id", flat=True)) == sorted([alpha.pk, bravo.pk])
    assert sorted(outcome.asked) == ["Alpha Cloud", "Bravo Systems"]
    confirmation = OutboxMessage.objects.get(template="customer_request_sent")
    assert (confirmation.to_address, confirmation.referral_id) == ("anna@contoso.example", outcome.referral_ids[0])


def test_routing_asks_at_most_as_many_partners_as_a_customer_may_choose(db):
    for name in ("Alpha", "Bravo", "Charlie", "Delta", "Echo"):
        factories.profile(factories.partner(name))
    send_request(data([], route=True), IP, NOW)
    assert Referral.objects.count() == requests.MAX_PARTNERS


def test_partners_chosen_by_the_customer_win_over_routing(two):
    alpha, _bravo = two
    send_request(data([alpha.pk], route=True), IP, NOW)
    assert list(Referral.objects.values_list("profile_id", flat=True)) == [alpha.pk]


def test_routing_that_finds_nobody_says_so_and_writes_nothing(db):
    before = counting.rows()
    with pytest.raises(InvalidInput) as raised:
        send_request(data([], route=True), IP, NOW)
    assert raised.value.errors == {"route": "No partner can take your request now. Please try again later."}
    assert counting.rows() == before
    assert not OutboxMessage.objects.exists()


def test_without_routing_a_request_with_nobody_chosen_is_refused(two):
    before = counting.rows()
    with pytest.raises(InvalidInput) as raised:
        send_request(data([]), IP, NOW)
    assert raised.value.errors == {"profile_ids": "Choose at least one partner."}
    assert counting.rows() == before
