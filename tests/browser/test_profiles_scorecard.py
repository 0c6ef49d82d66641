"""A profile admin edits a business profile in a real browser, picking a city from the bundled list;
a referrals admin opens the scorecard. Screenshots of both go to docs/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from partners.models import Location, Role
from referrals.models import Referral
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_profile_admin_adds_a_location_picked_from_the_city_list(live_server, page):
    profile = factories.profile(website="https://partner.example")
    factories.user(profile.partner, role=Role.REFERRALS_ADMIN, email="admin@partner.example")
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "admin@partner.example")

    page.goto(f"{live_server.url}/profiles/")
    page.get_by_role("link", name="Germany (DE)").click()
    city = page.locator('input[name="location-1-city"]')
    city.click()
    city.press_sequentially("Hamb")
    # The datalist is filled from the bundled list by htmx, for Germany only, with coordinates.
    page.wait_for_selector('#cities-1 option[value="Hamburg"]', state="attached")
    assert "53.5507, 9.9930" in page.locator('#cities-1 option[value="Hamburg"]').inner_text()
    city.fill("Hamburg")  # what choosing the option does
    page.locator('input[name="location-1-address"]').fill("Jungfernstieg 7")
    page.get_by_label("Retail").check()
    page.get_by_label("Keywords: skills and solutions, one per line").fill("Exchange migration\nTeams rollout")
    page.get_by_role("button", name="Save profile").click()

    page.wait_for_selector("text=Your changes are saved.")
    hamburg = Location.objects.get(profile=profile, city="Hamburg")
    assert (hamburg.address, hamburg.lat, hamburg.lon) == ("Jungfernstieg 7", 53.55073, 9.99302)
    assert list(profile.locations.values_list("city", flat=True)) == ["Berlin", "Hamburg"]
    assert page.locator("text=Coordinates: 53.5507, 9.9930").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "profile.png"), full_page=True)


def _history(profile, now):  # type: ignore[no-untyped-def]
    """Twelve weeks of referrals: answers getting faster, a few missed, some deals won and lost."""
    plan = [
        # (days ago received, hours to answer or None, final state, value)
        (80, 40, "declined", None),
        (78, 30, "won", 12000),
        (75, None, "missed", None),
        (71, 20, "lost", 8000),
        (68, 36, "skipped", None),
        (64, 26, "won", 5400),
        (61, None, "missed", None),
        (57, 18, "negotiating", 15000),
        (54, 22, "declined", None),
        (50, 14, "won", 9800),
        (47, 30, "expired", None),
        (43, 9, "lost", 4000),
        (40, 12, "won", 7300),
        (36, 6, "skipped", None),
        (33, 8, "negotiating", 22000),
        (29, 5, "won", 6100),
        (26, None, "missed", None),
        (22, 4, "declined", None),
        (19, 3, "won", 11000),
        (15, 7, "negotiating", 8500),
        (12, 2, "won", 4800),
        (8, 3, "lost", 3000),
        (5, 1.5, "negotiating", 17500),
        (3, 2, "evaluating", None),
        (1.5, None, "new", None),
    ]
    for days, answer_hours, state, value in plan:
        created = now - timedelta(days=days)
        referral = factories.referral(profile, now=created)
        answered = created + timedelta(hours=answer_hours) if answer_hours is not None else None
        changes = {"state": state, "first_answer_at": answered}
        if state in ("evaluating", "negotiating", "won", "lost", "declined", "expired"):
            changes["evaluating_at"] = answered
        if state in ("negotiating", "won", "lost"):
            changes |= {
                "negotiating_at": answered + timedelta(days=1),  # type: ignore[operator]
                "deal_value": Decimal(value),
                "deal_currency": "EUR",
            }
        closed = created + timedelta(days=min(days * 0.6, 10))
        if state == "won":
            changes |= {"won_at": closed, "final_value": Decimal(value) * Decimal("0.9")}
        elif state in ("lost", "declined", "skipped", "expired"):
            changes[f"{state}_at"] = closed if state != "skipped" else answered
        elif state == "missed":
            changes["missed_at"] = created + timedelta(hours=72)
        Referral.objects.filter(pk=referral.pk).update(**changes)


def test_a_referrals_admin_opens_the_scorecard_with_figures_charts_and_advice(live_server, page):
    profile = factories.profile()
    factories.user(profile.partner, email="admin@partner.example")
    _history(profile, timezone.now())
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "admin@partner.example")

    page.goto(f"{live_server.url}/scorecard/")
    assert page.get_by_role("heading", name="Your scorecard").is_visible()
    # 25 referrals have had their 24 h (21 answered, 3 missed, 1 still new after 36 h); 16 answered within it.
    assert page.locator('[data-figure="share-in-time"]').inner_text() == "64%"
    assert page.locator('[data-figure="missed"]').inner_text() == "3"
    assert page.locator("#advice li").first.inner_text().startswith("1 referral has waited more than 24 h")
    assert "the best partners answer 90%" in page.locator("#advice").inner_text()
    assert page.locator("#response-chart svg rect").count() == 12  # an answered referral arrived every week
    assert page.locator("#outcome-chart svg rect").count() > 10
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scorecard.png"), full_page=True)
