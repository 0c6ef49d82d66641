"""The customer's status page in the browser's language: what each partner asked did, the note's alternatives once
one dropped out, nothing of the partners' own notes or values, and a styled 404 for a link that opens nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from finder import status
from kernel import dates
from notifications import emails
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Role
from referrals import services, timers
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from tests import factories
from tests.api import counting
from tests.factories import NOW
from tests.finder.test_views import form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]
H = timedelta(hours=1)


def person_of(profile: BusinessProfile) -> ActorRef:
    return ActorRef.person(factories.user(profile.partner, role=Role.REFERRALS_ADMIN))


def path_of(url: str) -> str:
    return urlsplit(url).path


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def between(body: str, start: str, end: str) -> str:
    return body[body.index(start) : body.index(end, body.index(start)) + len(end)]


def day(at: Any, language: str) -> str:
    return dates.date_text(at, language)


# The request went out four days ago; the page is read now (the wall clock is NOW in every test).
SENT = NOW - 96 * H


@pytest.fixture
def request_in_every_state() -> tuple[Engagement, dict[str, BusinessProfile]]:
    """A request that went to five partners: one interested, one preparing an offer (with its deal value and notes),
    one that declined (with its comment) and one that missed its deadline, then to a sixth the customer chose
    afterwards, not answered yet; one more partner was never asked."""
    names = ("Alpha Cloud", "Bravo Systems", "Cirrus IT", "Delta Mail", "Echo Data", "Foxtrot Cloud", "Golf IT")
    made = {name: factories.profile(factories.partner(name)) for name in names}
    alpha, bravo, cirrus, delta, echo, foxtrot, _golf = made.values()
    engagement = factories.engagement([alpha, bravo, cirrus, delta, echo], SENT)
    ids = dict(engagement.referrals.values_list("profile_id", "pk"))
    for profile in (alpha, bravo, cirrus, delta):
        services.mark_interested(ids[profile.pk], person_of(profile), SENT + H)
    services.accept(ids[cirrus.pk], person_of(cirrus), SENT + 2 * H, "9876", "EUR", factories.close_date())
    Referral.objects.filter(pk=ids[cirrus.pk]).update(notes="Customer seems price-sensitive")
    services.decline(ids[delta.pk], person_of(delta), SENT + 3 * H, "not-our-field", "Too small for us")
    timers.sweep(SENT + 72 * H)  # Echo has not answered: missed
    services.offer_to_more(engagement.pk, [foxtrot.pk], ActorRef.system("customer"), SENT + 73 * H)
    return engagement, made


# (partner, what it did, since when) in the order asked.
LISTED = {
    "en": [
        ("Alpha Cloud", "Interested: will get in touch with you", "since {sent}"),
        ("Bravo Systems", "Interested: will get in touch with you", "since {sent}"),
        ("Cirrus IT", "Preparing an offer with you", "since {sent}"),
        ("Delta Mail", "Decided not to go ahead", "since {sent}"),
        ("Echo Data", "Did not answer in time", "since {missed}"),
        ("Foxtrot Cloud", "Has not answered yet", "since {missed}"),
    ],
    "ru": [
        ("Alpha Cloud", "Заинтересован: свяжется с вами", "с {sent}"),
        ("Bravo Systems", "Заинтересован: свяжется с вами", "с {sent}"),
        ("Cirrus IT", "Готовит для вас предложение", "с {sent}"),
        ("Delta Mail", "Решил не продолжать", "с {sent}"),
        ("Echo Data", "Не ответил вовремя", "с {missed}"),
        ("Foxtrot Cloud", "Ещё не ответил", "с {missed}"),
    ],
}


def listed(language: str, locations: dict[str, int], dates: dict[str, str]) -> str:
    items = [
        f'<li><a href="/partners/{locations[name]}/">{name}</a>: {words} <small>({since.format(**dates)})</small></li> '
        for name, words, since in LISTED[language]
    ]
    return '<ul class="ls-asked"> ' + "".join(items) + "</ul>"


OFFERED = {
    "en": (
        '<h2 id="alternatives-heading">Other partners for your request</h2> <p>Not every partner will follow up. '
        "These partners fit your request too. One click sends it to a partner (you confirm on the page):</p> "
        '<ul class="ls-alternatives"> <li><a href="LINK">Send my request to Golf IT</a> (Berlin)</li> </ul>'
    ),
    "ru": (
        '<h2 id="alternatives-heading">Другие партнёры для вашего запроса</h2> <p>Не все партнёры свяжутся с вами. '
        "Вашему запросу подходят и эти партнёры. Один щелчок отправляет запрос партнёру (вы подтвердите это на "
        'странице):</p> <ul class="ls-alternatives"> <li><a href="LINK">Отправить запрос партнёру Golf IT</a> '
        "(Berlin)</li> </ul>"
    ),
}
HEADED = {
    "en": '<h1>Your request</h1> <dl class="ls-request"> <dt>Company</dt><dd>Contoso GmbH</dd> <dt>Sent on</dt>',
    "ru": '<h1>Ваш запрос</h1> <dl class="ls-request"> <dt>Компания</dt><dd>Contoso GmbH</dd> <dt>Отправлен</dt>',
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_page_says_what_each_partner_asked_did_in_the_customers_words_and_offers_others(
    request_in_every_state, language
):
    engagement, made = request_in_every_state
    locations = {name: profile.locations.get().pk for name, profile in made.items()}
    before = counting.rows()

    response = Client(headers={"Accept-Language": language}).get(path_of(status.link(engagement, NOW)))

    body = text(response)
    assert response.status_code == 200
    assert HEADED[language] in body
    assert f'<time datetime="{SENT.isoformat()}">{day(SENT, language)}</time>' in body
    dates = {"sent": day(SENT, language), "missed": day(SENT + 72 * H, language)}
    assert between(body, '<ul class="ls-asked">', "</ul>") == listed(language, locations, dates)
    offered = between(body, '<h2 id="alternatives-heading">', "</ul>")
    link = re.search(r'href="([^"]+)"', offered)
    assert link is not None
    assert offered.replace(link.group(1), "LINK") == OFFERED[language]
    assert link.group(1).startswith(f"http://127.0.0.1:8000/partners/requests/{engagement.public_token}/add/")
    assert f'<a href="/partners/?request={engagement.public_token}">' in body
    # Nothing of the partners' own: deal values, notes, reasons, comments; nothing of the customer's contacts.
    for private in ("9876", "9 876", "price-sensitive", "not-our-field", "Too small", "anna@contoso", "Anna"):
        assert private not in body
    assert counting.rows() == before


def test_while_every_partner_may_still_follow_up_the_page_offers_no_one_else():
    asked = factories.profile(factories.partner("Nordlicht IT"))
    factories.profile(factories.partner("Golf IT"))
    engagement = factories.engagement([asked], SENT)

    body = text(Client().get(path_of(status.link(engagement, NOW))))

    assert "Nordlicht IT</a>: Has not answered yet" in body
    assert "Other partners for your request" not in body
    assert "Golf IT" not in body


def test_a_requests_link_never_shows_another_request():
    mine = factories.engagement([factories.profile(factories.partner("Nordlicht IT"))], SENT)
    theirs = factories.engagement([factories.profile(factories.partner("Südwind AG"))], SENT, company="Fabrikam")
    client = Client()

    my_page = text(client.get(path_of(status.link(mine, NOW))))
    my_signature_on_theirs = path_of(status.link(mine, NOW)).replace(mine.public_token, theirs.public_token)

    assert "Nordlicht IT" in my_page and "Contoso GmbH" in my_page
    assert "Südwind AG" not in my_page and "Fabrikam" not in my_page
    assert client.get(my_signature_on_theirs).status_code == 404


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "<h1>Page not found</h1>"), ("ru", "<h1>Страница не найдена</h1>")]
)
def test_a_tampered_link_is_a_styled_404_and_changes_nothing(language, heading):
    asked = factories.profile(factories.partner("Nordlicht IT"))
    engagement = factories.engagement([asked], SENT)
    path = path_of(status.link(engagement, NOW))
    tampered = path[:-2] + ("A/" if path[-2] != "A" else "B/")
    before, outbox = counting.rows(), OutboxMessage.objects.count()

    response = Client(headers={"Accept-Language": language}).get(tampered)

    assert response.status_code == 404
    assert heading in text(response)
    assert "Nordlicht IT" not in text(response)
    assert counting.rows() == before
    assert OutboxMessage.objects.count() == outbox
    assert list(Referral.objects.values_list("state", flat=True)) == ["new"]


def test_an_expired_link_is_a_404():
    engagement = factories.engagement([factories.profile()], SENT)

    response = Client().get(path_of(status.link(engagement, NOW - status.LINK_VALID - H)))

    assert response.status_code == 404


def test_the_page_is_kept_from_search_engines_caches_and_referrers():
    engagement = factories.engagement([factories.profile()], SENT)

    response = Client().get(path_of(status.link(engagement, NOW)))

    assert (response["X-Robots-Tag"], response["Referrer-Policy"], response["Cache-Control"]) == (
        "noindex, nofollow",
        "no-referrer",
        "private, no-store",
    )
    assert '<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">' in text(
        response
    )


def test_the_page_is_limited_per_address_like_the_finder(settings):
    engagement = factories.engagement([factories.profile()], SENT)
    path = path_of(status.link(engagement, NOW))
    settings.FINDER_RATE_LIMIT = "2/m"
    client = Client()

    codes = [client.get(path).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_after_sending_from_the_finder_the_thanks_page_points_to_the_email_whose_link_opens_the_requests_page(
    client,
):
    alpha = factories.profile(factories.partner("Alpha Cloud"), keywords=["облачное решение"])
    response = client.post("/partners/request/", form([alpha.pk]))
    engagement = Engagement.objects.get()

    thanks = text(client.get(response["Location"]))
    rendered = emails.render(OutboxMessage.objects.get(template="customer_request_sent"), NOW)
    link = re.search(r"/partners/requests/\S+/status/\S+/", rendered.text)

    assert "We have sent you a confirmation by e-mail with a link to your request's page" in thanks
    assert engagement.public_token not in thanks  # the request's own links go to the customer's address alone
    assert link is not None
    page = text(client.get(link.group(0)))
    assert "Alpha Cloud</a>: Has not answered yet" in page
