"""axe-core (vendored in tests/browser/vendor/axe-core/) finds no serious or critical violation on the main pages:
the finder, a partner's workspace, the console, signing in and the error pages, in English and in Russian, on
a wide screen and on a 390 px phone, in light and in dark colours. A failure lists each violation as page,
rule, element, axe's help and its details. The Russian finder's screenshot goes to docs/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Literal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize, expect

from partners.models import Role
from referrals.models import Engagement
from tests import factories
from tests.browser.test_finder import cloud_partner
from tests.browser.test_profiles_scorecard import _history as history
from tests.browser.test_workspace import sample_referrals, shoot
from tests.leadshare.test_russian_pages import english_messages, messages_in

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
WIDE: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
PARTNER = "admin@partner.example"
AGENT = "agent@operator.example"
PROGRAMME_ADMIN = "programme@operator.example"
LOCALES = {"en": "en-US", "ru": "ru-RU"}
# axe's default rules (WCAG 2.x A and AA, and its best practices); minor and moderate findings do not fail.
FAILING_IMPACTS = ("serious", "critical")
# ... except these, which are cleared and stay so: a role ARIA does not allow on its element.
FAILING_RULES = ("aria-allowed-role",)
RUN_AXE = """async () => {
  const {violations} = await axe.run(document, {resultTypes: ['violations']});
  return violations.flatMap(v => v.nodes.map(n => ({
    id: v.id, impact: n.impact || v.impact, help: v.help, target: n.target.join(' '),
    detail: (n.failureSummary || '').split('\\n').slice(1).join(' ').trim()})));
}"""

Visitor = Callable[..., Page]


def violations(page: Page, label: str) -> list[str]:
    """The serious and critical violations (and FAILING_RULES') axe finds on the page as it is now, one line each;
    on a Russian page also every English message of ours it shows, as the browser has it (text that scripts
    wrote included)."""
    assert page.evaluate("typeof axe") == "object", "axe-core was not injected"
    found = [
        f"{label}: {v['id']} ({v['impact']}) at {v['target']}: {v['help']}. {v['detail']}"
        for v in page.evaluate(RUN_AXE)
        if v["impact"] in FAILING_IMPACTS or v["id"] in FAILING_RULES
    ]
    if page.evaluate("document.documentElement.lang") == "ru":
        found += [f"{label}: English of ours: {english}" for english in ours_in(page.content())]
    return found


@cache
def our_messages() -> tuple[set[str], set[str]]:
    return english_messages()


def ours_in(html: str) -> list[str]:
    """Our English messages on the page (tests/leadshare/test_russian_pages.py's check, without its runs of any
    three English words: the browser tests' partners and customers write English)."""
    return sorted(set(messages_in(html, our_messages())[1]))


def audit(page: Page, url: str, size: ViewportSize = WIDE, status: int = 200) -> list[str]:
    page.set_viewport_size(size)
    response = page.goto(url)
    assert response is not None and response.status == status, url
    return violations(page, f"{path(url)} at {size['width']} px")


def path(url: str) -> str:
    return "/" + url.split("//", 1)[-1].split("/", 1)[-1]


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Visitor]:
    """A fresh browser window in the language and colours asked for, with axe loaded into every page it opens.
    An init script, unlike a <script> tag, is not refused by the site's Content-Security-Policy, which stays on."""
    contexts = []

    def open_window(language: str, colours: Literal["light", "dark"] = "light") -> Page:
        # Reduced motion switches Pico's colour transitions off, so axe never measures a colour halfway.
        context = browser.new_context(
            locale=LOCALES[language], timezone_id="UTC", color_scheme=colours, reduced_motion="reduce"
        )
        context.set_default_timeout(10_000)
        context.add_init_script(script=AXE)
        contexts.append(context)
        return context.new_page()

    yield open_window
    for context in contexts:
        context.close()


def sign_in_as(page: Page, base_url: str, email: str) -> None:
    """By the form's fields rather than their labels, which are in the browser's language."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill("correct horse battery")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_a_violation_is_listed_with_its_page_rule_element_help_and_detail(live_server, visitor: Visitor):
    page = visitor("en")
    clean = audit(page, f"{live_server.url}/accounts/login/")
    # A pale grey on white that the page does not have: what a contrast failure looks like in the list.
    page.evaluate("""() => { const p = document.createElement('p'); p.id = 'pale'; p.textContent = 'Pale';
                             p.setAttribute('class', 'ls-pale'); document.querySelector('main').append(p);
                             document.styleSheets[0].insertRule('.ls-pale { color: #ddd; background: #fff; }'); }""")
    assert clean == []
    assert violations(page, "/accounts/login/ with a pale line") == [
        "/accounts/login/ with a pale line: color-contrast (serious) at #pale: Elements must meet minimum color "
        "contrast ratio thresholds. Element has insufficient color contrast of 1.35 (foreground color: #dddddd, "
        "background color: #ffffff, font size: 15.0pt (20px), font weight: normal). Expected contrast ratio of 4.5:1"
    ]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_public_pages_have_no_serious_accessibility_violation(live_server, visitor: Visitor, language):
    profile = factories.profile(keywords=["cloud solutions"])
    engagement = factories.engagement([profile])
    page = visitor(language)
    base = live_server.url
    found = [
        *audit(page, f"{base}/accounts/login/"),
        *audit(page, f"{base}/accounts/password/reset/"),
        *audit(page, f"{base}/partners/"),
        *audit(page, f"{base}/partners/?q=cloud"),
        *audit(page, f"{base}/partners/?q=cloud", PHONE),
        *audit(page, f"{base}/partners/{profile.locations.get().pk}/"),
        *audit(page, f"{base}/partners/?request={engagement.public_token}"),
        *audit(page, f"{base}/no-such-page/", status=404),
        *audit(page, f"{base}/partners/999999/", PHONE, status=404),
    ]
    found += finder_states(page, f"{base}/partners/?q=cloud")
    assert not Engagement.objects.exclude(pk=engagement.pk).exists()
    found += sent(page)
    assert Engagement.objects.exclude(pk=engagement.pk).count() == 1
    assert page.locator("html").get_attribute("lang") == language
    assert found == []


def finder_states(page: Page, url: str) -> list[str]:
    """The filters a phone folds away, open; then the request form sent empty, with every error showing."""
    page.set_viewport_size(PHONE)
    page.goto(url)
    page.locator(".ls-filter-box summary").click()
    expect(page.locator("#s-country")).to_be_visible()
    found = violations(page, f"{path(url)} at 390 px with the filters open")
    page.set_viewport_size(WIDE)
    page.goto(url)
    expect(page.locator("#results h3")).to_have_count(1)
    page.locator("#request button[type=submit]").click()
    page.locator("#request .ls-error").first.wait_for()
    return found + violations(page, f"{path(url)} with the request form's errors")


def sent(page: Page) -> list[str]:
    """The request form filled in properly from the page with its errors, then the page saying it was sent."""
    page.locator('input[name="profile_ids"]').first.check()
    for field, value in (("company", "Fabrikam AG"), ("city", "Berlin"), ("contact_name", "Olga Berg")):
        page.locator(f"#r-{field}").fill(value)
    page.locator("#r-email").fill("olga@fabrikam.example")
    page.locator("#r-phone").fill("+49 30 1234567")
    page.locator("#r-need").fill("Move 200 mailboxes to the cloud")
    page.locator("#r-size").select_option("50-249")
    page.locator("#r-industry").select_option("manufacturing")
    page.locator("#r-country").select_option("DE")
    page.locator("#r-consent_contact").check()
    page.locator("#request button[type=submit]").click()
    page.wait_for_url("**/partners/sent/**")
    return violations(page, "/partners/sent/")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_partners_pages_have_no_serious_accessibility_violation(live_server, visitor: Visitor, language):
    profile = factories.profile()
    factories.user(profile.partner, email=PARTNER, language=language)
    history(profile, timezone.now())  # every state and badge in the archive, figures on the scorecard
    newest = sample_referrals(profile)[0]
    page = visitor(language)
    sign_in_as(page, live_server.url, PARTNER)
    base = live_server.url
    found = [
        *audit(page, f"{base}/referrals/"),
        *audit(page, f"{base}/referrals/", PHONE),
        *audit(page, f"{base}/referrals/?tab=archive"),
        *audit(page, f"{base}/referrals/?tab=archive", PHONE),
        *audit(page, f"{base}/referrals/changes/"),
        *audit(page, f"{base}/referrals/{newest.pk}/"),
        *audit(page, f"{base}/referrals/{newest.pk}/", PHONE),
        *audit(page, f"{base}/profiles/"),
        *audit(page, f"{base}/profiles/{profile.pk}/"),
        *audit(page, f"{base}/scorecard/"),
        *audit(page, f"{base}/team/"),
        *audit(page, f"{base}/settings/"),
        *audit(page, f"{base}/console/", status=403),
        *audit(page, f"{base}/referrals/999999/", status=404),
    ]
    found += referral_states(page, f"{base}/referrals/{newest.pk}/")
    found += notices(page, base)
    found += form_errors(page, base, profile.pk)
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/referrals/")
    page.locator("header summary").click()
    expect(page.locator(".ls-menu-panel")).to_be_visible()
    found += violations(page, "/referrals/ at 390 px with the menu open")
    assert page.locator("html").get_attribute("lang") == language
    assert found == []


def referral_states(page: Page, url: str) -> list[str]:
    """The shortcuts' help; evaluating; a refusal without its reason (the error in place); and the confirmation
    a form sent without JavaScript gets."""
    page.set_viewport_size(WIDE)
    page.goto(url)
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    found = violations(page, f"{path(url)} with the shortcuts' help open")
    page.keyboard.press("Escape")
    page.locator('form[action$="/interested/"] button[type=submit]').click()
    decline = page.locator('form[action$="/decline/"]')
    decline.wait_for()
    found += violations(page, f"{path(url)} evaluating")
    page.once("dialog", lambda dialog: dialog.accept())
    decline.locator("button[type=submit]").click()
    page.locator("#decline-reason[aria-invalid=true]").wait_for()
    found += violations(page, f"{path(url)} declined without a reason")
    decline.locator("select[name=reason]").select_option(index=1)
    with page.expect_navigation():  # form.submit() posts as a browser without JavaScript does, not through htmx
        decline.evaluate("form => HTMLFormElement.prototype.submit.call(form)")
    page.locator("#confirm").wait_for()
    return found + violations(page, f"{path(url)} asking to confirm the refusal")


def notices(page: Page, base: str) -> list[str]:
    """The notices a page shows after a form: that it worked, and that it did not."""
    page.set_viewport_size(WIDE)
    page.goto(f"{base}/settings/")
    page.locator("main form button[type=submit]").click()
    page.locator(".ls-message.success").wait_for()
    found = violations(page, "/settings/ saved")
    page.goto(f"{base}/referrals/")
    page.locator("#bulk button[name=bulk_action][value=skip]").click()
    page.locator(".ls-message.error").wait_for()
    return found + violations(page, "/referrals/ after a bulk action without a referral ticked")


def form_errors(page: Page, base: str, profile_id: int) -> list[str]:
    """An invitation sent without an address, and a profile saved with a website that is not one."""
    page.set_viewport_size(WIDE)
    page.goto(f"{base}/team/")
    page.locator('form[action$="/team/invite/"] button[type=submit]').click()
    page.locator("main [aria-invalid=true]").first.wait_for()
    found = violations(page, "/team/ with the invitation's errors")
    page.goto(f"{base}/profiles/{profile_id}/")
    page.locator("#website").fill("not a website")
    page.locator('main form[enctype="multipart/form-data"] button[type=submit]').last.click()
    page.locator("#website[aria-invalid=true]").wait_for()
    return found + violations(page, f"/profiles/{profile_id}/ with the profile's errors")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_console_pages_have_no_serious_accessibility_violation(live_server, visitor: Visitor, language):
    profile = factories.profile()
    history(profile, timezone.now())  # figures for the analytics
    referral = sample_referrals(profile)[-1]  # 60 hours without an answer: an SLA breach
    factories.user(role=Role.PROGRAMME_ADMIN, email=PROGRAMME_ADMIN, language=language)
    factories.user(role=Role.AGENT, email=AGENT, language=language)
    base = live_server.url

    admin = visitor(language)
    sign_in_as(admin, base, PROGRAMME_ADMIN)
    found = [
        *audit(admin, f"{base}/console/"),
        *audit(admin, f"{base}/console/", PHONE),
        *audit(admin, f"{base}/console/engagements/{referral.engagement_id}/"),
        *audit(admin, f"{base}/console/leads/"),
        *audit(admin, f"{base}/console/partners/"),
        *audit(admin, f"{base}/console/partners/{profile.partner_id}/"),
        *audit(admin, f"{base}/console/programme/"),
        *audit(admin, f"{base}/console/spam/"),
        *audit(admin, f"{base}/console/breaches/"),
        *audit(admin, f"{base}/console/analytics/"),
        *audit(admin, f"{base}/console/analytics/", PHONE),
    ]

    agent = visitor(language)
    sign_in_as(agent, base, AGENT)
    found += audit(agent, f"{base}/console/referrals/new/")
    agent.locator("main form button[type=submit]").first.click()  # empty: the errors come back in place (htmx)
    agent.locator(".ls-error").first.wait_for()
    found += violations(agent, "/console/referrals/new/ with errors")
    found += audit(agent, f"{base}/console/programme/", status=403)
    assert agent.locator("html").get_attribute("lang") == language
    assert found == []


def test_a_table_that_scrolls_sideways_on_a_phone_is_a_tab_stop_only_while_it_scrolls(live_server, visitor: Visitor):
    history(factories.profile(), timezone.now())
    factories.user(role=Role.PROGRAMME_ADMIN, email=PROGRAMME_ADMIN)
    page = visitor("en")
    sign_in_as(page, live_server.url, PROGRAMME_ADMIN)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/console/analytics/")
    wide_table = page.locator("#table-partner table")
    expect(wide_table).to_have_attribute("tabindex", "0")
    assert wide_table.evaluate("table => table.scrollWidth > table.clientWidth") is True
    wide_table.focus()
    page.keyboard.press("ArrowRight")
    expect(wide_table).not_to_have_js_property("scrollLeft", 0)
    # The breaches table holds links, so the focus reaches it already: no extra tab stop.
    page.goto(f"{live_server.url}/console/breaches/")
    expect(page.locator("#breaches")).not_to_have_attribute("tabindex", "0")

    page.goto(f"{live_server.url}/console/analytics/")
    expect(wide_table).to_have_attribute("tabindex", "0")
    page.set_viewport_size(WIDE)
    expect(wide_table).not_to_have_attribute("tabindex", "0")
    assert page.locator("main [tabindex='0']").count() == 0


def test_in_dark_colours_the_pages_have_no_serious_accessibility_violation(live_server, visitor: Visitor):
    """Pico follows the system's dark mode, so the project's own colours (notices, errors, counts) must too."""
    profile = factories.profile(keywords=["cloud solutions"])
    factories.user(profile.partner, email=PARTNER)
    factories.user(role=Role.PROGRAMME_ADMIN, email=PROGRAMME_ADMIN)
    history(profile, timezone.now())
    newest = sample_referrals(profile)[0]
    base = live_server.url

    customer = visitor("en", "dark")
    found = [
        *audit(customer, f"{base}/accounts/login/"),
        *audit(customer, f"{base}/no-such-page/", status=404),
        *finder_states(customer, f"{base}/partners/?q=cloud"),
    ]
    partner = visitor("en", "dark")
    sign_in_as(partner, base, PARTNER)
    found += [
        *audit(partner, f"{base}/referrals/"),
        *audit(partner, f"{base}/referrals/?tab=archive"),
        *audit(partner, f"{base}/scorecard/"),
        *audit(partner, f"{base}/console/", status=403),
        *referral_states(partner, f"{base}/referrals/{newest.pk}/"),
        *notices(partner, base),
    ]
    admin = visitor("en", "dark")
    sign_in_as(admin, base, PROGRAMME_ADMIN)
    found += [*audit(admin, f"{base}/console/analytics/"), *audit(admin, f"{base}/console/breaches/")]
    assert partner.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is True
    assert found == []


def test_a_russian_finder_page_with_results_has_no_serious_violation_and_is_shot_for_the_docs(
    live_server, visitor: Visitor
):
    cloud_partner("Альфа Облако", "alpha", "Berlin", ["облачное решение", "перенос почты"])
    cloud_partner("Bravo Cloud", "bravo", "Berlin", ["облачные решения"])
    cloud_partner("Облачный Мюнхен", "munich", "Munich", ["облачное решение", "резервное копирование"])
    page = visitor("ru")
    found = audit(page, f"{live_server.url}/partners/?q=облачные+решения&country=DE")
    expect(page.locator("#results-heading")).to_have_text("Найдено партнёров: 3")
    expect(page.get_by_role("heading", name="Найти партнёра")).to_be_visible()
    assert found == []
    shoot(page, "finder-ru.png")
