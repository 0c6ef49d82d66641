"""The agents' console in a real browser: an agent sends a customer's request to partners the finder proposes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from finder.indexing import reindex_profile
from referrals.models import Engagement, Referral
from taxonomy.models import Product
from tests import factories
from tests.browser.conftest import sign_in
from tests.browser.test_workspace import shoot

pytestmark = pytest.mark.django_db(transaction=True)

AGENT = "agent@operator.example"
NEED = "Move 200 mailboxes to the cloud before the summer"


@pytest.fixture
def mail_partners():
    """Three partners in Berlin that do e-mail; each with its referrals admin."""
    profiles = []
    for name in ("Cloudwerk", "Nordlicht IT", "Spree Systems"):
        profile = factories.profile(factories.partner(name))
        profile.products.add(Product.objects.get(code="office-suite"))
        factories.user(profile.partner, email=f"admin@{name.split()[0].lower()}.example")
        reindex_profile(profile.pk)
        profiles.append(profile)
    return profiles


def fill_request(page: Page) -> None:
    page.get_by_label("Company", exact=True).fill("Contoso GmbH")
    page.get_by_label("Company size (employees)").select_option("50-249")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Contact name").fill("Anna Schmidt")
    page.get_by_label("Contact e-mail").fill("anna@contoso.example")
    page.get_by_label("Contact phone").fill("+49 30 1234567")
    page.get_by_label("What the customer needs").fill(NEED)
    page.get_by_label("Office suite and email").check()


def test_an_agent_sends_a_referral_from_the_console_and_the_partners_see_it(
    live_server, page: Page, browser: Browser, mail_partners
):
    factories.user(role="agent", email=AGENT)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, AGENT)
    page.get_by_role("link", name="Console").first.click()
    page.wait_for_url(f"{live_server.url}/console/")
    page.get_by_role("link", name="New referral").last.click()
    page.wait_for_url(f"{live_server.url}/console/referrals/new/")

    fill_request(page)
    page.evaluate("window.__stayed = true")
    page.get_by_role("button", name="Find partners").click()
    # The consent box was left unticked: the error appears by it, in place, and nothing is proposed.
    expect(page.locator("#id_consent_contact_error")).to_have_text(
        "The customer must agree to be contacted by the partners."
    )
    expect(page.get_by_role("heading", name="Proposed partners")).to_have_count(0)

    page.get_by_label("The customer agrees to be contacted by the chosen partners").check()
    page.get_by_role("button", name="Find partners").click()
    expect(page.get_by_role("heading", name="Proposed partners")).to_be_visible()
    assert page.evaluate("window.__stayed") is True  # htmx refreshed the form in place
    for name in ("Cloudwerk", "Nordlicht IT", "Spree Systems"):
        expect(page.get_by_label(name)).to_be_visible()
    expect(page.locator(".ls-why").first).to_contain_text("km away")  # the engine's reasons, in points
    shoot(page, "console-new-referral.png")

    page.get_by_label("Cloudwerk").check()
    page.get_by_label("Spree Systems").check()
    # A double click sends the form twice: the one-time token makes it one engagement. The second submission
    # aborts the first's navigation, so the test waits for where the page ends up, not for a navigation.
    page.get_by_role("button", name="Send to the ticked partners").dblclick()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/console/engagements/\d+/$"), timeout=15_000)
    engagement = Engagement.objects.get()
    assert page.url == f"{live_server.url}/console/engagements/{engagement.pk}/"
    expect(page.locator("main section[role=status]").first).to_be_visible()
    expect(page.get_by_role("row", name="Cloudwerk")).to_contain_text("New")
    expect(page.get_by_role("row", name="Spree Systems")).to_contain_text("New")
    expect(page.get_by_role("row", name="Nordlicht IT")).to_have_count(0)
    assert (engagement.source, engagement.created_by.email, engagement.need) == ("agent", AGENT, NEED)
    assert sorted(Referral.objects.values_list("partner__name", flat=True)) == ["Cloudwerk", "Spree Systems"]

    for email, sees in (("admin@cloudwerk.example", 1), ("admin@spree.example", 1), ("admin@nordlicht.example", 0)):
        context = browser.new_context(locale="en-US", timezone_id="UTC")
        partner_page = context.new_page()
        sign_in(partner_page, live_server.url, email)
        partner_page.goto(f"{live_server.url}/referrals/")
        expect(partner_page.get_by_role("link", name=NEED)).to_have_count(sees)
        context.close()
