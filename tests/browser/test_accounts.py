"""Accounts in a real browser: the language switch is remembered, and another partner's page is our 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partners.models import User
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_user_switches_to_russian_and_it_is_remembered_after_a_reload_and_signing_out(live_server, page):
    user = factories.user(email="olga@partner.example")
    sign_in(page, live_server.url, user.email)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Referrals").is_visible()

    page.get_by_role("button", name="Русский").click()
    page.wait_for_url(f"{live_server.url}/referrals/**")
    nav = page.get_by_role("navigation", name="Главное меню")
    nav.get_by_role("link", name="Рекомендации").wait_for()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert User.objects.get(pk=user.pk).language == "ru"

    page.reload()
    assert nav.get_by_role("link", name="Рекомендации").is_visible()
    assert nav.get_by_role("link", name="Команда").is_visible()

    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert page.get_by_role("heading", name="Войти").is_visible()


def test_a_referral_of_another_partner_shows_the_404_page(live_server, page):
    referral = factories.referral(factories.profile(), now=timezone.now())
    other = factories.user(email="a@partner-a.example")
    sign_in(page, live_server.url, other.email)
    response = page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert "Contoso" not in page.content()
