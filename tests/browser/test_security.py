"""The Content-Security-Policy in a real browser: every page works with it, and none trips it."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium reports each refused script, style or eval on the console and as a DOM event.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def _violations(page: Any, console: list[str]) -> list[str]:
    return [*console, *page.evaluate("window.__csp || []")]


def test_the_workspace_the_finder_and_the_api_docs_run_under_the_policy_without_a_violation(live_server, page):
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(LISTEN)
    profile = factories.profile(factories.partner("Alpha Cloud"), keywords=["cloud migration"])
    factories.referral(profile)
    user = factories.user(profile.partner, email="anna@partner.example")

    sign_in(page, live_server.url, user.email)
    assert page.locator(".skip-link").evaluate("e => getComputedStyle(e).position") == "absolute"  # base.css
    assert page.locator("table.ls-inbox col").first.evaluate("e => getComputedStyle(e).width") != "auto"
    assert _violations(page, console) == []

    page.goto(f"{live_server.url}/partners/")
    page.get_by_label("What are you looking for?").fill("cloud")
    page.get_by_role("heading", name="Alpha Cloud").wait_for()  # htmx swapped the results in
    assert _violations(page, console) == []

    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="Leadshare API").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/ping").first.wait_for()
    assert _violations(page, console) == []
