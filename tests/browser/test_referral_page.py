"""A partner answers a referral in a real browser: masked until interested, then the contacts show."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals.models import Referral
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_partner_sees_no_contacts_until_interested_then_sees_them(live_server, page):
    profile = factories.profile()
    factories.user(profile.partner, email="admin@partner.example")
    referral = factories.referral(profile, now=timezone.now())
    sign_in(page, live_server.url, "admin@partner.example")

    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    assert "Move 200 mailboxes to the cloud" in page.content()
    assert "anna@contoso.example" not in page.content()
    assert "Contoso GmbH" not in page.content()

    page.get_by_role("button", name="I'm interested").click()
    page.wait_for_selector("text=anna@contoso.example")
    assert "Contoso GmbH" in page.content()
    assert Referral.objects.get(pk=referral.pk).state == "evaluating"


def test_a_user_of_another_partner_gets_not_found_for_a_referral_url(live_server, page):
    referral = factories.referral(factories.profile(), now=timezone.now())
    other = factories.user(email="other@another.example")
    sign_in(page, live_server.url, other.email)
    response = page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    assert response is not None and response.status == 404
    assert "anna@contoso.example" not in page.content()


def test_after_an_in_place_action_the_keyboard_focus_lands_on_what_happened(live_server, page):
    profile = factories.profile()
    factories.user(profile.partner, email="admin@partner.example")
    referral = factories.referral(profile, now=timezone.now())
    sign_in(page, live_server.url, "admin@partner.example")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")

    page.get_by_role("button", name="I'm interested").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=anna@contoso.example")
    # A locator, not wait_for_function: the page's Content-Security-Policy forbids evaluating strings as code.
    expect(page.locator("#referral-panel:focus, #referral-panel :focus")).to_have_count(1)


def test_keyboard_shortcuts_act_on_the_page_and_press_question_mark_for_their_help(live_server, page):
    profile = factories.profile()
    factories.user(profile.partner, email="admin@partner.example")
    referral = factories.referral(profile, now=timezone.now())
    sign_in(page, live_server.url, "admin@partner.example")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")

    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("I'm interested")
    page.keyboard.press("i")  # the help is open: no action
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    assert Referral.objects.get(pk=referral.pk).state == "new"

    # Typed into a field, a key is just a letter.
    page.keyboard.press("e")
    expect(page.locator("#notes-text")).to_be_focused()
    page.keyboard.type("ian")
    expect(page.locator("#notes-text")).to_have_value("ian")
    assert Referral.objects.get(pk=referral.pk).state == "new"

    page.locator("h1").click()
    page.keyboard.press("i")
    expect(page.locator("#customer")).to_contain_text("anna@contoso.example")
    assert Referral.objects.get(pk=referral.pk).state == "evaluating"

    page.get_by_role("button", name="Keyboard shortcuts (?)").click()
    expect(help_dialog).to_be_visible()
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_be_hidden()
