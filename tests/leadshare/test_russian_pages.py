"""A Russian reader sees no English message of ours: every main page, walked in Russian, shows no message id of
our .po files verbatim and no run of three English words outside a short allow-list, and its headings start
with a capital letter."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client

from finder import alternatives
from partners.models import Location, Role
from referrals import services
from referrals.actors import ActorRef
from tests import factories

pytestmark = pytest.mark.django_db

# Names and identifiers that are the same in every language.
ALLOWED = {"Leadshare", "English", "CSV", "API", "OpenAPI", "EUR", "RUB", "Partner Center", "Pico", "htmx", "Microsoft"}

# Attributes whose values a reader hears or sees.
SPOKEN_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "hx-confirm", "data-confirm"}
# What names a part of the page, a column, a fact or a field: a Russian one starts with a capital letter.
HEADINGS = {"h1", "h2", "h3", "h4", "th", "legend", "summary", "caption", "dt", "label"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}|%%")
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){2,}")


@dataclass
class Text(HTMLParser):
    """What a page shows and says: its text, node by node, its spoken attributes, and its headings."""

    texts: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    _skipping: int = 0
    _open: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        if tag in HEADINGS:
            self._open.append("")
        values = dict(attrs)
        self.texts += [v for k, v in attrs if k in SPOKEN_ATTRIBUTES and v]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skipping -= 1
        if tag in HEADINGS and self._open:
            self.headings.append(self._open.pop().strip())

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._open:
            self._open[-1] += data
        if data.strip():
            self.texts.append(" ".join(data.split()))


def english_messages() -> tuple[set[str], set[str]]:
    """Our English messages: whole ones (a text node equal to one is English) and their fixed parts of two words
    or more (found anywhere in a text)."""
    root = Path(settings.BASE_DIR)
    whole: set[str] = set()
    parts: set[str] = set()
    for po in [root / "locale/ru/LC_MESSAGES/django.po", *sorted(root.glob("*/locale/ru/LC_MESSAGES/django.po"))]:
        with po.open("rb") as file:
            for message in read_po(file):
                for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
                    if not msgid or msgid in ALLOWED:
                        continue
                    whole.add(" ".join(msgid.split()))
                    for part in PLACEHOLDER.split(msgid):
                        part = " ".join(part.split()).strip(" .,:;·()—-")
                        if len(re.findall(r"[A-Za-z]{2,}", part)) >= 2 and part not in ALLOWED:
                            parts.add(part)
    return whole, parts


def messages_in(html: str, messages: tuple[set[str], set[str]]) -> tuple[Text, list[str]]:
    """The page read, and our English messages on it: whole ones, or their fixed parts inside a text."""
    whole, parts = messages
    page = Text()
    page.feed(html)
    found = [t for t in page.texts if t in whole]
    found += [f"{p!r} in {t!r}" for t in page.texts if t not in whole for p in parts if p in t]
    return page, found


def english_in(html: str, messages: tuple[set[str], set[str]]) -> list[str]:
    page, found = messages_in(html, messages)
    for text in page.texts:
        for run in ENGLISH_RUN.findall(text):
            if not any(run in allowed or allowed in run for allowed in ALLOWED):
                found.append(f"three English words: {run!r} in {text!r}")
    # A single letter is a keyboard shortcut's key (the referral page's help).
    found += [f"heading in lower case: {h!r}" for h in page.headings if h[:1].islower() and len(h) > 1]
    return sorted(set(found))


# --- The world: everything a customer, a partner and the operator typed, in Russian --------------------------


def russian_world() -> dict[str, int | str]:
    partner = factories.partner("Облачные решения", country="RU")
    profile = factories.profile(partner, country="RU", city="Moscow", contact_language="ru")
    Location.objects.filter(profile=profile).update(address="Тверская ул., 1", lat=55.75, lon=37.62)
    profile.description = "Переносим почту в облако."
    profile.keywords = ["почта", "облако"]
    profile.save()
    factories.user(partner, email="partner@example.com", language="ru")
    customer = {
        "company": "ООО «Ромашка»",
        "country": "RU",
        "city": "Москва",
        "address": "Арбат, 10",
        "need": "Перенести 200 почтовых ящиков в облако",
        "contacts": [services.ContactInput("Анна Иванова", "anna@romashka.example", "+7 495 123-45-67")],
        "language": "ru",
    }
    fresh = factories.referral(profile, factories.NOW - timedelta(hours=30), **customer)
    weighed = factories.referral(profile, factories.NOW - timedelta(hours=3), **customer)
    services.mark_interested(weighed.pk, ActorRef.system("test"), factories.NOW - timedelta(hours=2))
    factories.user(role=Role.PROGRAMME_ADMIN, email="admin@operator.example", language="ru")
    other = factories.profile(factories.partner("Северный ветер", country="RU"), country="RU", city="Moscow")
    offer = alternatives.link(fresh.engagement, other.pk, factories.NOW).removeprefix(settings.SITE_ROOT)
    return {
        "offer": offer,
        "request": fresh.engagement.public_token,
        "profile": profile.pk,
        "location": profile.locations.get().pk,
        "partner": partner.pk,
        "referral": fresh.pk,
        "weighed": weighed.pk,
        "engagement": fresh.engagement_id,
    }


# An agent's request for the routing engine's proposals, as a Russian-speaking agent types it.
PROPOSAL = {
    "token": "0" * 32,
    "company": "ООО «Ромашка»",
    "size": "50-249",
    "industry": "manufacturing",
    "country": "RU",
    "city": "Москва",
    "contact_name": "Анна Иванова",
    "contact_email": "anna@romashka.example",
    "contact_phone": "+7 495 123-45-67",
    "need": "Перенести почту в облако",
    "language": "ru",
    "consent_contact": "on",
    "step": "propose",
}


def signed_in(email: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.login(email=email, password="correct horse battery")
    return client


def walk(client: Client, pages: list[tuple[str, str, dict[str, str] | None, int]]) -> dict[str, list[str]]:
    """Each page's English (url -> what), asserting first that each answered as expected and in Russian."""
    messages = english_messages()
    found = {}
    for method, url, data, status in pages:
        response = client.post(url, data or {}) if method == "POST" else client.get(url)
        assert (url, response.status_code) == (url, status)
        if status == 302:  # a plain POST that failed: its errors wait for the page it lands on, walked next
            continue
        html = response.content.decode()
        assert '<html lang="ru">' in html, url
        if english := english_in(html, messages):
            found[url] = english
    return found


def test_the_public_pages_in_russian_show_no_english_of_ours():
    world = russian_world()
    pages = [
        ("GET", "/partners/", None, 200),
        ("GET", "/partners/?q=почта&country=RU", None, 200),
        ("GET", "/partners/?q=почта&city=Moscow&radius_km=50", None, 200),
        ("GET", "/partners/?city=Нигдебург", None, 422),
        ("GET", f"/partners/{world['location']}/", None, 200),
        ("GET", f"/partners/?request={world['request']}", None, 200),
        ("GET", str(world["offer"]), None, 200),
        ("GET", str(world["offer"]).replace("/add/", "/add/x"), None, 404),
        ("POST", "/partners/request/", {"profile_ids": str(world["profile"])}, 422),
        ("GET", "/accounts/login/", None, 200),
        ("GET", "/no-such-page/", None, 404),
    ]
    assert walk(Client(HTTP_ACCEPT_LANGUAGE="ru"), pages) == {}


def test_a_partners_pages_in_russian_show_no_english_of_ours():
    world = russian_world()
    pages = [
        ("GET", "/referrals/", None, 200),
        ("GET", "/referrals/?tab=archive", None, 200),
        ("GET", f"/referrals/{world['referral']}/", None, 200),
        ("GET", f"/referrals/{world['weighed']}/", None, 200),
        ("POST", f"/referrals/{world['weighed']}/accept/", {"deal_value": "много", "currency": "XXX"}, 302),
        ("GET", f"/referrals/{world['weighed']}/", None, 200),
        ("GET", "/referrals/changes/", None, 200),
        ("GET", "/profiles/", None, 200),
        ("GET", f"/profiles/{world['profile']}/", None, 200),
        ("POST", f"/profiles/{world['profile']}/", {"country": "RU"}, 422),
        ("GET", "/profiles/new/", None, 200),
        ("GET", "/scorecard/", None, 200),
        ("GET", "/team/", None, 200),
        ("GET", "/settings/", None, 200),
        ("POST", "/settings/", {"language": "ru", "time_zone": "Луна/Море_Спокойствия"}, 400),
        ("POST", "/team/invite/", {"email": "не адрес"}, 400),
        ("GET", "/console/", None, 403),
    ]
    assert walk(signed_in("partner@example.com"), pages) == {}


def test_the_consoles_pages_in_russian_show_no_english_of_ours():
    world = russian_world()
    pages = [
        ("GET", "/console/", None, 200),
        ("GET", "/console/referrals/new/", None, 200),
        ("POST", "/console/referrals/new/", {"need": "x", "budget": "0", "budget_currency": "EUR"}, 422),
        ("POST", "/console/referrals/new/", PROPOSAL, 200),
        ("GET", f"/console/engagements/{world['engagement']}/", None, 200),
        ("GET", "/console/leads/", None, 200),
        ("GET", "/console/partners/", None, 200),
        ("GET", f"/console/partners/{world['partner']}/", None, 200),
        ("GET", "/console/programme/", None, 200),
        ("GET", "/console/spam/", None, 200),
        ("GET", "/console/breaches/", None, 200),
        ("GET", "/console/analytics/", None, 200),
    ]
    assert walk(signed_in("admin@operator.example"), pages) == {}


def test_the_check_finds_our_english_messages_english_words_and_a_heading_in_lower_case():
    messages = english_messages()
    assert english_in('<button aria-label="Search partners">x</button>', messages) == ["Search partners"]
    assert english_in("<p>Переносим the whole mail system</p>", messages) == [
        "three English words: 'the whole mail system' in 'Переносим the whole mail system'"
    ]
    assert english_in("<h2>почему в списке</h2>", messages) == ["heading in lower case: 'почему в списке'"]


def test_the_check_lets_names_identifiers_scripts_and_russian_pass():
    html = (
        "<title>Найти партнёра · Leadshare</title><p>Импорт из Partner Center, RUB · российский рубль</p>"
        "<script>var shown = 'Not shown to anyone';</script><h2>Почему в списке (оценка 0,9)</h2>"
    )
    assert english_in(html, english_messages()) == []
