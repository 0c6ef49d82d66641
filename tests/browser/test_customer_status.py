"""A customer in Russian follows their request from the confirmation e-mail's link: who answered, and, once a partner
will not follow up, sends the request to an alternative in two clicks and sees it on the page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from finder.requests import RequestInput, send_request
from leadshare.worker import run_pass
from partners.models import Role
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from tests import factories
from tests.smtp import text

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_follows_the_request_and_sends_it_to_an_alternative(
    live_server, browser: Browser, smtp_server, settings
):
    settings.SITE_ROOT = live_server.url  # the e-mail's and the page's links lead to this server
    alpha, bravo, cirrus = (factories.profile(factories.partner(n)) for n in ("Альфа Облако", "Bravo Cloud", "Cirrus"))
    send_request(
        RequestInput(
            profile_ids=[alpha.pk, bravo.pk],
            company="ООО Ромашка",
            size="50-249",
            industry="manufacturing",
            country="DE",
            city="Berlin",
            contact_name="Анна Петрова",
            email="anna@romashka.example",
            phone="+49 30 1234567",
            need="Перенести почту 200 сотрудников в облако",
            consent_contact=True,
            language="ru",
        ),
        "203.0.113.7",
        timezone.now(),
    )
    engagement = Engagement.objects.get()
    skipped = Referral.objects.get(profile=bravo)
    bravo_admin = factories.user(bravo.partner, role=Role.REFERRALS_ADMIN)
    services.skip(skipped.pk, ActorRef.person(bravo_admin), timezone.now(), "not-our-field")
    run_pass(timezone.now())  # the worker's pass: the confirmation goes out over SMTP
    [confirmation, _note] = smtp_server.to("anna@romashka.example")
    found = re.search(rf"{re.escape(live_server.url)}/partners/requests/\S+/status/\S+/", text(confirmation))
    assert found is not None
    status_url = found.group(0)

    context = browser.new_context(locale="ru-RU", timezone_id="UTC")
    context.set_default_timeout(10_000)
    customer = context.new_page()
    customer.goto(status_url)
    expect(customer.get_by_role("heading", name="Ваш запрос", exact=True)).to_be_visible()
    asked = customer.locator("ul.ls-asked li")
    expect(asked).to_have_count(2)
    expect(asked.nth(0)).to_contain_text("Альфа Облако: Ещё не ответил")
    expect(asked.nth(1)).to_contain_text("Bravo Cloud: Не может помочь с этим запросом")
    offered = customer.locator("ul.ls-alternatives li")
    expect(offered).to_have_count(1)

    offered.get_by_role("link", name="Отправить запрос партнёру Cirrus").click()
    assert customer.evaluate("document.referrer") == ""  # the page's address, its key, stays on the page
    customer.get_by_role("button", name="Отправить запрос партнёру Cirrus").click()
    expect(customer.get_by_role("heading", name="Спасибо: ваш запрос отправлен")).to_be_visible()
    assert Referral.objects.filter(engagement=engagement, profile=cirrus).count() == 1

    customer.goto(status_url)
    expect(asked).to_have_count(3)
    expect(asked.nth(2)).to_contain_text("Cirrus: Ещё не ответил")
    expect(customer.locator("ul.ls-alternatives")).to_have_count(0)  # nobody else fits who was not asked
    context.close()
