"""A customer in the public finder, in Russian: search, filter by city and radius, ask two partners, fix an
invalid e-mail, send; the confirmation arrives over SMTP and both partners find the referral in their inbox."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route, expect

from leadshare.worker import run_pass
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Location
from referrals.models import Engagement, Referral
from tests import factories
from tests.browser.conftest import sign_in
from tests.smtp import subject, text

pytestmark = pytest.mark.django_db(transaction=True)


def cloud_partner(name: str, slug: str, city: str, keywords: list[str]) -> BusinessProfile:
    profile = factories.profile(
        factories.partner(name), city=city, contacts=(f"alerts@{slug}.example",), keywords=keywords, languages=["ru"]
    )
    if city == "Munich":
        Location.objects.filter(profile=profile).update(city="Munich", lat=48.137, lon=11.575)
        profile.save()  # indexed again, with the new coordinates
    factories.user(profile.partner, email=f"admin@{slug}.example")
    return profile


def test_a_customer_asks_two_partners_found_in_russian_and_both_see_the_referral(
    live_server, browser: Browser, smtp_server
):
    alpha = cloud_partner("Альфа Облако", "alpha", "Berlin", ["облачное решение", "перенос почты"])
    bravo = cloud_partner("Bravo Cloud", "bravo", "Berlin", ["облачные решения"])
    cloud_partner("Munich Cloud", "munich", "Munich", ["облачное решение"])  # too far
    cloud_partner("Printer Land", "printer", "Berlin", ["принтеры"])  # not what is asked

    context = browser.new_context(locale="ru-RU", timezone_id="UTC")
    context.set_default_timeout(10_000)
    customer = context.new_page()
    customer.goto(f"{live_server.url}/partners/")
    expect(customer.get_by_role("heading", name="Найти партнёра")).to_be_visible()
    # A marker on the window survives only if the results are updated in place (htmx), not reloaded.
    customer.evaluate("window.__stayed = true")
    customer.get_by_label("Что вы ищете?").fill("облачные решения")
    customer.locator("#s-country").select_option("DE")
    customer.locator("#s-city").fill("Берлин")
    customer.get_by_label("В радиусе (км)").fill("50")
    customer.get_by_role("button", name="Найти", exact=True).click()
    results = customer.locator("#results h3")
    expect(results).to_have_count(2)
    expect(customer.locator("#results-heading")).to_have_text("Найдено партнёров: 2")
    assert sorted(results.all_inner_texts()) == ["Bravo Cloud", "Альфа Облако"]
    expect(customer).to_have_url(re.compile(r"/partners/\?.*radius_km=50"))
    assert customer.evaluate("window.__stayed") is True
    # The request form carries the new search, so an invalid request shows these results again.
    expect(customer.locator('#search-state input[name="search-q"]')).to_have_value("облачные решения")
    customer.locator("#results details").first.locator("summary").click()
    expect(customer.locator("#results details").first.locator("table")).to_be_visible()

    customer.get_by_label("Обратиться в «Альфа Облако»").check()
    customer.get_by_label("Обратиться в «Bravo Cloud»").check()
    customer.get_by_label("Компания", exact=True).fill("ООО Ромашка")
    customer.get_by_label("Размер вашей компании").select_option("50-249")
    customer.get_by_label("Ваша отрасль").select_option("manufacturing")
    customer.get_by_label("Ваша страна").select_option("DE")
    customer.locator("#r-city").fill("Берлин")
    customer.get_by_label("Ваше имя").fill("Анна Петрова")
    customer.get_by_label("Эл. почта").fill("anna@romashka")
    customer.get_by_label("Телефон").fill("+49 30 1234567")
    customer.get_by_label("Что вам нужно?").fill("Перенести почту 200 сотрудников в облако")
    customer.get_by_label("Отмеченные партнёры могут связаться со мной по этому запросу.").check()
    customer.get_by_role("button", name="Отправить запрос").click()

    email = customer.get_by_label("Эл. почта")
    expect(customer.locator("#r-email-error")).to_have_text(
        "Введите правильный адрес электронной почты, например anna@example.com."
    )
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "r-email-error")
    assert not Engagement.objects.exists()
    # The same search and the same two partners ticked; what was typed is kept.
    expect(results).to_have_count(2)
    expect(customer.get_by_label("Обратиться в «Альфа Облако»")).to_be_checked()
    expect(customer.get_by_label("Обратиться в «Bravo Cloud»")).to_be_checked()
    expect(customer.get_by_label("Компания", exact=True)).to_have_value("ООО Ромашка")

    email.fill("anna@romashka.example")
    customer.get_by_role("button", name="Отправить запрос").click()
    expect(customer.get_by_role("heading", name="Спасибо: ваш запрос отправлен")).to_be_visible()
    asked = customer.locator("main ul").first.locator("li")
    expect(asked).to_have_count(2)  # in the order of the results, which the ranking decides
    assert sorted(asked.all_inner_texts()) == ["Bravo Cloud", "Альфа Облако"]

    engagement = Engagement.objects.get()
    assert (engagement.source, engagement.language, engagement.customer_city) == ("finder", "ru", "Berlin")
    referrals = {r.profile_id: r for r in Referral.objects.filter(engagement=engagement)}
    assert set(referrals) == {alpha.pk, bravo.pk}

    run_pass(timezone.now())  # the worker's pass: the outbox goes out over SMTP
    [confirmation] = smtp_server.to("anna@romashka.example")
    assert subject(confirmation) == "Ваш запрос отправлен 2 партнёрам"
    body = text(confirmation)
    assert "- Альфа Облако\n- Bravo Cloud\n" in body
    assert f"/partners/?request={engagement.public_token}" in body
    assert not OutboxMessage.objects.filter(sent_at__isnull=True, channel="email").exists()
    assert len(smtp_server.to("alerts@alpha.example")) == 1
    assert len(smtp_server.to("alerts@bravo.example")) == 1
    context.close()

    for slug, profile in (("alpha", alpha), ("bravo", bravo)):
        partner_context = browser.new_context(locale="en-US", timezone_id="UTC")
        partner_context.set_default_timeout(10_000)
        page: Page = partner_context.new_page()
        sign_in(page, live_server.url, f"admin@{slug}.example")
        page.goto(f"{live_server.url}/referrals/")
        row = page.locator(f'tr[data-referral="{referrals[profile.pk].pk}"]')
        expect(row).to_contain_text("Перенести почту 200 сотрудников в облако")
        assert "anna@romashka.example" not in page.content()
        partner_context.close()


# --- The page's limits, errors and filters --------------------------------------------------------


def four_partners_in_berlin_and_one_in_paris() -> None:
    for name in ("Alpha Cloud", "Bravo Cloud", "Charlie Cloud", "Delta Cloud"):
        factories.profile(factories.partner(name), keywords=["cloud migration"])
    factories.profile(factories.partner("Paris Cloud", country="FR"), country="FR", city="Paris")


def english_page(browser: Browser, javascript: bool = True) -> Page:
    context = browser.new_context(locale="en-US", timezone_id="UTC", java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without JavaScript"])
def test_after_a_failed_send_the_page_opens_at_the_focused_error_summary(live_server, browser: Browser, javascript):
    four_partners_in_berlin_and_one_in_paris()
    customer = english_page(browser, javascript)
    customer.goto(f"{live_server.url}/partners/?q=cloud")
    customer.get_by_label("Ask Alpha Cloud").check()
    customer.get_by_label("E-mail").fill("anna@")
    customer.get_by_role("button", name="Send my request").click()

    summary = customer.locator("#request-errors")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    assert customer.evaluate("window.scrollY") < 400
    expect(summary.get_by_role("heading")).to_have_text("Your request was not sent: please correct these fields.")
    email_link = summary.get_by_role("link", name="Enter a valid e-mail address, such as anna@example.com.")
    expect(email_link).to_have_attribute("href", "#r-email")
    email_link.click()
    expect(customer.locator("#r-email")).to_be_in_viewport()
    assert not Engagement.objects.exists()
    customer.context.close()


def test_a_fourth_partner_cannot_be_ticked_and_the_counters_say_what_is_left(live_server, browser: Browser):
    four_partners_in_berlin_and_one_in_paris()
    customer = english_page(browser)
    customer.goto(f"{live_server.url}/partners/?q=cloud&country=DE")
    counter = customer.locator("#chosen-count")
    expect(counter).to_have_text("0 of 3 chosen")
    for name in ("Alpha Cloud", "Bravo Cloud"):
        customer.get_by_label(f"Ask {name}").check()
    expect(counter).to_have_text("2 of 3 chosen")
    customer.get_by_label("Ask Charlie Cloud").check()
    expect(counter).to_have_text("3 of 3 chosen: untick one to choose another.")
    fourth = customer.get_by_label("Ask Delta Cloud")
    expect(fourth).to_be_disabled()
    expect(fourth).not_to_be_checked()

    customer.get_by_label("Ask Bravo Cloud").uncheck()
    expect(counter).to_have_text("2 of 3 chosen")
    expect(fourth).to_be_enabled()

    need = customer.locator("#r-need")
    expect(need).to_have_attribute("maxlength", "5000")
    expect(customer.locator("#r-need-left")).to_have_text("Characters left: 5000")
    need.fill("Move mail")
    expect(customer.locator("#r-need-left")).to_have_text("Characters left: 4991")
    assert not Engagement.objects.exists()
    customer.context.close()


def test_filters_apply_as_they_change_and_keep_the_ticks(live_server, browser: Browser):
    four_partners_in_berlin_and_one_in_paris()
    customer = english_page(browser)
    customer.goto(f"{live_server.url}/partners/")
    customer.evaluate("window.__stayed = true")
    expect(customer.locator("#results-heading")).to_have_text("5 partners found")
    customer.get_by_label("Ask Paris Cloud").check()

    customer.locator("#s-country").focus()
    customer.locator("#s-country").select_option("DE")
    expect(customer.locator("#results-heading")).to_have_text("4 partners found")
    expect(customer).to_have_url(re.compile(r"/partners/\?.*country=DE"))
    expect(customer.locator("#s-country")).to_be_focused()
    # Paris Cloud is no longer in the results, and still ticked, with the request form.
    expect(customer.locator("#also-ticked").get_by_label("Ask Paris Cloud")).to_be_checked()
    expect(customer.locator("#chosen-count")).to_have_text("1 of 3 chosen")
    assert customer.evaluate("window.__stayed") is True
    assert not Engagement.objects.exists()
    customer.context.close()


def test_the_optional_consents_hint_sits_beside_its_text_not_over_the_checkbox(live_server, browser: Browser):
    customer = english_page(browser)
    customer.goto(f"{live_server.url}/partners/?q=cloud")
    box = customer.locator("#r-consent_share").bounding_box()
    hint = customer.locator('label[for="r-consent_share"] small').bounding_box()
    assert box is not None and hint is not None
    assert hint["x"] > box["x"] + box["width"]
    customer.context.close()


def test_the_city_list_offers_cities_before_a_country_is_chosen(live_server, browser: Browser):
    customer = english_page(browser)
    customer.goto(f"{live_server.url}/partners/")
    customer.locator("#s-city").fill("Hambu")
    expect(customer.locator('#search-cities option[value="Hamburg"]')).to_have_count(1)
    customer.context.close()


def test_a_filters_answer_that_comes_after_the_customer_typed_on_does_not_undo_the_typing(
    live_server, browser: Browser
):
    four_partners_in_berlin_and_one_in_paris()
    customer = english_page(browser)
    customer.goto(f"{live_server.url}/partners/")
    held: list[Route] = []
    search_for_germany = re.compile(r".*/partners/\?.*country=DE.*")
    customer.route(search_for_germany, lambda route: held.append(route))
    customer.evaluate(
        """document.addEventListener("htmx:beforeSwap", function (event) {
             if (event.detail.requestConfig.elt.id === "search") window.__swapped = event.detail.shouldSwap;
           })"""
    )
    customer.locator("#s-country").select_option("DE")
    customer.wait_for_function("() => document.querySelector('#search').classList.contains('htmx-request')")
    customer.locator("#s-city").fill("Hamburg")
    held[0].continue_()
    customer.wait_for_function("() => window.__swapped !== undefined")

    assert customer.evaluate("window.__swapped") is False
    expect(customer.locator("#s-city")).to_have_value("Hamburg")
    expect(customer.locator("#results-heading")).to_have_text("5 partners found")
    customer.context.close()


def test_on_a_phone_the_filters_stay_open_while_the_last_one_is_cleared(live_server, browser: Browser):
    four_partners_in_berlin_and_one_in_paris()
    customer = english_page(browser)
    customer.set_viewport_size({"width": 390, "height": 844})
    customer.goto(f"{live_server.url}/partners/?country=DE")
    country = customer.locator("#s-country")
    expect(country).to_be_visible()
    country.focus()
    country.select_option("")
    expect(customer.locator("#results-heading")).to_have_text("5 partners found")
    expect(country).to_be_visible()
    expect(country).to_be_focused()
    customer.context.close()
