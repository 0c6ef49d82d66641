"""The partner workspace in a real browser: the inbox, one referral from new to won, decline, archive, no-JS."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from notifications.models import OutboxMessage
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Referral, ReferralEvent
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
EMAIL = "admin@partner.example"

SAMPLES = [
    # (hours ago, need, company, size, industry, city, products)
    (
        1,
        "Move 200 mailboxes to the cloud before the summer",
        "Contoso GmbH",
        "50-249",
        "manufacturing",
        "Berlin",
        ["office-suite", "security"],
    ),
    (
        5,
        "A CRM for our field sales team of 40 people, with mobile access",
        "Fabrikam AG",
        "250-999",
        "retail",
        "Hamburg",
        ["crm"],
    ),
    (
        20,
        "Data warehouse and dashboards for five stores",
        "Tailspin Toys",
        "10-49",
        "retail",
        "Munich",
        ["analytics", "cloud-platform"],
    ),
    (
        30,
        "Replace our on-premises ERP; about 300 users in two countries",
        "Northwind Traders",
        "1000-4999",
        "transport",
        "Frankfurt",
        ["erp", "cloud-platform"],
    ),
    (60, "Security review after a phishing incident", "Litware Inc", "1-9", "finance", "Cologne", ["security"]),
]


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def snapshot(referral_id: int) -> tuple[object, ...]:
    row = Referral.objects.get(pk=referral_id)
    return (
        row.state,
        row.version,
        row.deal_value,
        ReferralEvent.objects.filter(referral_id=referral_id).count(),
        OutboxMessage.objects.count(),
    )


@pytest.fixture
def partner_profile():
    profile = factories.profile()
    factories.user(profile.partner, email=EMAIL)
    return profile


def sample_referrals(profile) -> list[Referral]:
    now = timezone.now()
    made = []
    for hours, need, company, size, industry, city, products in SAMPLES:
        made.append(
            factories.referral(
                profile,
                now=now - timedelta(hours=hours, minutes=7),
                need=need,
                company=company,
                size=size,
                industry=industry,
                city=city,
                requested_products=products,
            )
        )
    return made


def wide(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_partner_answers_a_referral_from_the_inbox_to_won_in_place(live_server, page, partner_profile):
    referrals = sample_referrals(partner_profile)
    first = referrals[0]
    wide(page)
    sign_in(page, live_server.url, EMAIL)
    page.goto(f"{live_server.url}/referrals/")
    expect(page.get_by_role("link", name="Move 200 mailboxes to the cloud before the summer")).to_be_visible()
    expect(page.locator(f'tr[data-referral="{referrals[3].pk}"]')).to_contain_text("24 h passed without an answer")
    assert "Contoso GmbH" not in page.content()
    shoot(page, "inbox.png")

    page.get_by_role("link", name="Move 200 mailboxes to the cloud before the summer").click()
    page.wait_for_url(f"{live_server.url}/referrals/{first.pk}/")
    assert "anna@contoso.example" not in page.content() and "Contoso GmbH" not in page.content()
    # A marker on the window survives only if the page is updated in place, not reloaded.
    page.evaluate("window.__stayed = true")

    page.get_by_role("button", name="I'm interested").click()
    expect(page.locator("#customer")).to_contain_text("anna@contoso.example")
    expect(page.locator("#customer")).to_contain_text("Contoso GmbH")
    assert page.evaluate("window.__stayed") is True
    assert Referral.objects.get(pk=first.pk).state == "evaluating"

    before = snapshot(first.pk)
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Expected close date").fill("2099-03-01")
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#deal_value-error")).to_have_text("Enter the amount.")
    expect(page.get_by_label("Estimated deal value")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Estimated deal value")).to_have_attribute("aria-describedby", "deal_value-error")
    assert snapshot(first.pk) == before
    assert page.evaluate("window.__stayed") is True

    page.locator("#notes-text").fill("Anna prefers calls after 2 pm.")
    page.get_by_role("button", name="Save notes").click()
    expect(page.locator(".ls-notice")).to_have_text("Notes saved.")
    shoot(page, "referral.png")

    page.get_by_label("Estimated deal value").fill("12500")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Expected close date").fill("2099-03-01")
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".ls-notice")).to_have_text("Accepted. Good luck with the deal!")
    after = Referral.objects.get(pk=first.pk)
    assert (after.state, str(after.deal_value), after.deal_currency) == ("negotiating", "12500.00", "EUR")

    page.get_by_label("Final deal value (EUR)").fill("14000")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Won").click()
    expect(page.locator(".ls-notice")).to_have_text("Marked as won. Congratulations!")
    expect(page.locator("#history")).to_contain_text("Marked as won")
    assert page.evaluate("window.__stayed") is True
    assert asked == [f"Mark referral {first.pk} as won?"]
    won = Referral.objects.get(pk=first.pk)
    assert (won.state, str(won.final_value)) == ("won", "14000.00")


def test_dismissing_the_question_before_no_thanks_changes_nothing(live_server, page, partner_profile):
    referral = factories.referral(partner_profile, now=timezone.now())
    sign_in(page, live_server.url, EMAIL)
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    before = snapshot(referral.pk)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="No thanks").click()
    expect(page.get_by_role("button", name="I'm interested")).to_be_visible()
    page.wait_for_timeout(300)
    assert asked == [f"Answer no thanks to referral {referral.pk}?"]
    assert snapshot(referral.pk) == before


def test_a_partner_declines_a_referral_with_a_reason(live_server, page, partner_profile):
    referral = factories.referral(partner_profile, now=timezone.now())
    services.mark_interested(referral.pk, ActorRef.system("test"), timezone.now())
    sign_in(page, live_server.url, EMAIL)
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")

    before = snapshot(referral.pk)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Decline").click()
    expect(page.locator("#decline-reason-error")).to_have_text("Choose a reason.")
    assert snapshot(referral.pk) == before

    page.locator("#decline-reason").select_option("no-capacity")
    page.locator("#decline-comment").fill("Fully booked until March")
    page.get_by_role("button", name="Decline").click()
    expect(page.locator(".ls-notice")).to_have_text("Declined. The customer will be offered other partners.")
    expect(page.locator("#customer")).not_to_contain_text("anna@contoso.example")
    after = Referral.objects.get(pk=referral.pk)
    assert (after.state, after.reason, after.comment) == ("declined", "no-capacity", "Fully booked until March")


def test_the_archive_filters_by_outcome(live_server, page, partner_profile):
    won, skipped = sample_referrals(partner_profile)[:2]
    actor = ActorRef.system("test")
    services.mark_interested(won.pk, actor, timezone.now())
    services.accept(won.pk, actor, timezone.now(), "9000", "EUR", "2099-01-01")
    services.win(won.pk, actor, timezone.now(), "9500")
    services.skip(skipped.pk, actor, timezone.now(), "no-capacity")
    sign_in(page, live_server.url, EMAIL)

    page.goto(f"{live_server.url}/referrals/")
    page.get_by_role("link", name="Archive").click()
    expect(page.locator("tbody tr[data-referral]")).to_have_count(2)
    page.get_by_label("Outcome").select_option("won")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr[data-referral]")).to_have_count(1)
    expect(page.locator(f'tr[data-referral="{won.pk}"]')).to_contain_text("Won")
    page.get_by_label("Outcome").select_option("skipped")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tbody tr[data-referral]")).to_have_count(1)
    expect(page.locator(f'tr[data-referral="{skipped.pk}"]')).to_be_visible()


def test_a_partner_answers_no_thanks_to_two_ticked_referrals_at_once(live_server, page, partner_profile):
    first, second, third = sample_referrals(partner_profile)[:3]
    wide(page)
    sign_in(page, live_server.url, EMAIL)
    page.goto(f"{live_server.url}/referrals/")
    page.get_by_label(f"Select referral {first.pk}").check()
    page.get_by_label(f"Select referral {third.pk}").check()
    page.get_by_label("Reason (optional)").select_option("no-capacity")
    page.get_by_role("button", name="No thanks to selected").click()
    expect(page.get_by_role("heading", name="Answer no thanks to the selected referrals?")).to_be_visible()
    assert [Referral.objects.get(pk=r.pk).state for r in (first, second, third)] == ["new", "new", "new"]
    page.get_by_role("button", name="Yes, answer no thanks to 2 referrals").click()
    report = page.locator("#bulk-report")
    expect(report).to_contain_text(f"#{first.pk}: Answered no thanks.")
    expect(report).to_contain_text(f"#{third.pk}: Answered no thanks.")
    assert [Referral.objects.get(pk=r.pk).state for r in (first, second, third)] == ["skipped", "new", "skipped"]
    expect(page.locator("tbody tr[data-referral]")).to_have_count(len(SAMPLES) - 2)


def test_new_referrals_arriving_while_the_inbox_is_open_are_announced(live_server, page, partner_profile):
    factories.referral(partner_profile, now=timezone.now())
    page.clock.install()
    sign_in(page, live_server.url, EMAIL)
    page.goto(f"{live_server.url}/referrals/")
    expect(page.locator("#fresh-referrals")).to_be_empty()
    factories.referral(partner_profile, now=timezone.now() + timedelta(seconds=1))
    page.clock.run_for(21_000)
    expect(page.locator("#fresh-referrals")).to_contain_text("1 new referral arrived.")
    page.locator("#fresh-referrals").get_by_role("link", name="Show").click()
    expect(page.locator("tbody tr[data-referral]")).to_have_count(2)


def test_without_javascript_an_action_posts_the_form_and_redirects(live_server, browser: Browser, partner_profile):
    referral = factories.referral(partner_profile, now=timezone.now())
    context = browser.new_context(java_script_enabled=False, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, EMAIL)
        page.goto(f"{live_server.url}/referrals/{referral.pk}/")
        page.get_by_role("button", name="I'm interested").click()
        page.wait_for_url(f"{live_server.url}/referrals/{referral.pk}/")
        expect(page.locator("#customer")).to_contain_text("anna@contoso.example")
        expect(page.get_by_role("status").first).to_contain_text("You are interested")

        before = snapshot(referral.pk)
        page.get_by_role("button", name="Accept").click()
        expect(page.locator("#deal_value-error")).to_have_text("Enter the amount.")
        # The failed form came back by a redirect: reloading reads the page, it does not post again.
        assert page.url == f"{live_server.url}/referrals/{referral.pk}/"
        assert snapshot(referral.pk) == before

        page.locator("#decline-reason").select_option("no-capacity")
        page.get_by_role("button", name="Decline").click()
        expect(page.locator("#confirm-question")).to_have_text(f"Decline referral {referral.pk}?")
        assert snapshot(referral.pk) == before
        page.get_by_role("button", name="Yes, decline").click()
        page.wait_for_url(f"{live_server.url}/referrals/{referral.pk}/")
        assert Referral.objects.get(pk=referral.pk).state == "declined"
    finally:
        context.close()


def test_a_russian_user_works_in_russian(live_server, page, partner_profile, tmp_path):
    factories.user(partner_profile.partner, email="ru@partner.example", language="ru", time_zone="Europe/Moscow")
    referral = sample_referrals(partner_profile)[0]
    wide(page)
    sign_in(page, live_server.url, "ru@partner.example")
    page.goto(f"{live_server.url}/referrals/")
    expect(page.get_by_role("heading", name="Рекомендации")).to_be_visible()
    expect(page.locator(f'tr[data-referral="{referral.pk}"]')).to_contain_text("Офисный пакет и почта")
    page.screenshot(path=str(tmp_path / "inbox-ru.png"), full_page=True)
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    page.get_by_role("button", name="Мне интересно").click()
    expect(page.locator(".ls-notice")).to_contain_text("Вам интересно")
    page.get_by_role("button", name="Принять").click()
    expect(page.locator("#deal_value-error")).to_have_text("Введите сумму.")
    page.screenshot(path=str(tmp_path / "referral-ru.png"), full_page=True)
    assert Referral.objects.get(pk=referral.pk).state == "evaluating"
