"""Phones (WCAG 1.4.10 Reflow): no main page scrolls sideways at 390 and 320 px, in English and Russian; the
signed-in header folds into a menu that opens from the keyboard; the inbox shows each referral as a card; the
finder's filters fold away. A screenshot of the phone inbox goes to docs/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from partners.models import Role
from taxonomy.models import CompanySize
from tests import factories
from tests.browser.test_workspace import sample_referrals, shoot

pytestmark = pytest.mark.django_db(transaction=True)

PHONE: ViewportSize = {"width": 390, "height": 844}
SMALLEST: ViewportSize = {"width": 320, "height": 640}
PARTNER = "admin@partner.example"
PROGRAMME_ADMIN = "programme@operator.example"


def sign_in(page: Page, base_url: str, email: str) -> None:
    """Wherever a role lands after signing in, the form is behind us."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def sideways(page: Page, url: str) -> list[str]:
    """The widths at which the page at `url` is wider than the window, as "url at N px: M px"."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    wider = []
    for size in (PHONE, SMALLEST):
        page.set_viewport_size(size)
        scroll_width, window_width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        if scroll_width > window_width:
            wider.append(f"{url} at {window_width} px: {scroll_width} px")
    page.set_viewport_size(PHONE)
    return wider


@pytest.fixture
def partner_world():
    profile = factories.profile()
    factories.user(profile.partner, email=PARTNER)
    return profile, sample_referrals(profile)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_page_of_a_partner_scrolls_sideways_on_a_phone(live_server, page, language):
    profile = factories.profile()
    factories.user(profile.partner, email=PARTNER, language=language)
    referrals = sample_referrals(profile)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, PARTNER)
    base = live_server.url
    urls = [
        "/referrals/",
        "/referrals/?tab=archive",
        f"/referrals/{referrals[0].pk}/",
        "/profiles/",
        f"/profiles/{profile.pk}/",
        "/scorecard/",
        "/team/",
        "/settings/",
        "/partners/",
        "/partners/?q=cloud",
        f"/partners/{profile.locations.get().pk}/",
    ]
    wider = [line for url in urls for line in sideways(page, base + url)]
    assert page.locator("html").get_attribute("lang") == language
    assert wider == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_console_page_scrolls_sideways_on_a_phone(live_server, page, language):
    profile = factories.profile()
    referral = sample_referrals(profile)[-1]  # 60 hours without an answer: an SLA breach
    factories.user(role=Role.PROGRAMME_ADMIN, email=PROGRAMME_ADMIN, language=language)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, PROGRAMME_ADMIN)
    base = live_server.url
    urls = [
        "/console/",
        "/console/referrals/new/",
        f"/console/engagements/{referral.engagement_id}/",
        "/console/leads/",
        "/console/partners/",
        f"/console/partners/{profile.partner_id}/",
        "/console/programme/",
        "/console/spam/",
        "/console/breaches/",
        "/console/analytics/",
    ]
    wider = [line for url in urls for line in sideways(page, base + url)]
    assert page.locator("html").get_attribute("lang") == language
    assert wider == []


def test_on_a_phone_the_menu_opens_from_the_keyboard_and_sign_out_is_in_it(live_server, page, partner_world):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, PARTNER)
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_hidden()
    expect(page.get_by_role("link", name="Scorecard")).to_be_hidden()

    page.locator("header summary").focus()
    page.keyboard.press("Enter")
    expect(sign_out).to_be_visible()
    expect(page.get_by_role("link", name="Scorecard")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").startswith("Referrals")  # then its unread count
    assert page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]") == [390, 390]

    sign_out.click()
    page.wait_for_url(f"{live_server.url}/accounts/login/**")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_on_a_wide_screen_the_links_show_in_a_row_without_a_menu(live_server, page, partner_world):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, PARTNER)
    expect(page.locator("header summary")).to_be_hidden()
    expect(page.get_by_role("link", name="Scorecard")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_on_a_phone_each_referral_in_the_inbox_is_a_card(live_server, page, partner_world):
    _profile, referrals = partner_world
    first = referrals[0]
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, PARTNER)
    page.goto(f"{live_server.url}/referrals/")

    card = page.locator(f'tr[data-referral="{first.pk}"]')
    need = card.get_by_role("link", name="Move 200 mailboxes to the cloud before the summer")
    expect(need).to_be_visible()
    expect(card.locator(".ls-c-customer")).to_contain_text(CompanySize.objects.get(code="50-249").label())
    expect(card.locator(".ls-c-customer")).to_contain_text("Berlin, Germany")
    expect(card.locator(".ls-c-left")).to_contain_text("left")
    expect(card.locator(".ls-c-left .ls-badge")).to_have_text("New")
    expect(page.locator("table.ls-inbox thead")).to_be_hidden()
    # The need takes the card's whole width, and nothing in the list scrolls sideways either.
    card_box, need_box = card.bounding_box(), card.locator(".ls-c-need").bounding_box()
    assert card_box is not None and need_box is not None
    assert card_box["x"] + card_box["width"] <= 390
    assert need_box["width"] >= card_box["width"] - 40
    assert page.evaluate("(e => e.scrollWidth <= e.clientWidth)(document.querySelector('main .overflow-auto'))")
    shoot(page, "phone-inbox.png")


def test_on_a_wide_screen_the_inbox_stays_a_table_without_the_cards_state(live_server, page, partner_world):
    _profile, referrals = partner_world
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, PARTNER)
    page.goto(f"{live_server.url}/referrals/")
    expect(page.locator("table.ls-inbox thead")).to_be_visible()
    badge = page.locator(f'tr[data-referral="{referrals[0].pk}"] .ls-c-left .ls-badge')
    expect(badge).to_have_count(1)
    expect(badge).to_be_hidden()


def test_on_a_phone_the_finders_filters_fold_away_until_one_is_chosen(live_server, page):
    factories.profile()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/partners/")
    country = page.locator("#s-country")
    expect(country).to_be_hidden()
    page.get_by_text("Filters", exact=True).click()
    expect(country).to_be_visible()

    page.goto(f"{live_server.url}/partners/?country=DE")
    expect(country).to_be_visible()
    expect(country).to_have_value("DE")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/partners/")
    expect(page.get_by_text("Filters", exact=True)).to_be_hidden()
    expect(country).to_be_visible()


def test_a_visitor_who_is_not_signed_in_sees_sign_in_and_the_language_without_a_menu(live_server, page):
    page.set_viewport_size(SMALLEST)
    page.goto(f"{live_server.url}/partners/")
    expect(page.locator("header summary")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Язык: Русский")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") == 320
