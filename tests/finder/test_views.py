"""The public finder pages: search with filters and "why here", a page per location, and the request form."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from console import admin_services
from finder import alternatives, requests, views
from notifications.models import OutboxMessage
from partners.models import BusinessProfile, Location, Partner, Role
from referrals import services
from referrals.actors import ActorRef
from referrals.models import Engagement, Referral
from tests import clock, factories
from tests.api import counting

pytestmark = pytest.mark.usefixtures("fresh_rate_limits")


@pytest.fixture
def cloud(db):  # type: ignore[no-untyped-def]
    """Two partners in Berlin tagged for cloud work, one in Munich, and one that does only printers."""
    made = {}
    for name, city, keywords in (
        ("Alpha Cloud", "Berlin", ["облачное решение", "email migration"]),
        ("Bravo Systems", "Berlin", ["облачные решения"]),
        ("Munich Cloud", "Munich", ["облачное решение"]),
        ("Printer Land", "Berlin", ["printers"]),
    ):
        profile = factories.profile(
            factories.partner(name),
            city=city,
            contacts=(f"alerts@{name.split()[0].lower()}.example",),
            keywords=keywords,
            languages=["ru", "de"],
            website=f"https://{name.split()[0].lower()}.example",
        )
        if city == "Munich":
            Location.objects.filter(profile=profile).update(lat=48.137, lon=11.575)
            profile.save()  # reindexed with the new coordinates
        made[name] = profile
    return made


def form(profile_ids: list[int], **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "profile_ids": [str(pk) for pk in profile_ids],
        "company": "ООО Ромашка",
        "size": "50-249",
        "industry": "manufacturing",
        "country": "DE",
        "city": "Berlin",
        "contact_name": "Анна Петрова",
        "email": "anna@romashka.example",
        "phone": "+49 30 1234567",
        "need": "Перенести почту в облако",
        "budget": "",
        "budget_currency": "",
        "timeline": "",
        "consent_contact": "on",
        "website": "",
        "search-q": "облачные решения",
        "search-city": "Berlin",
        "search-radius_km": "25",
    }
    return fields | overrides


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def names_listed(response: Any) -> list[str]:
    return re.findall(r'<h3><a href="/partners/\d+/">([^<]+)</a></h3>', response.content.decode())


# --- Search ------------------------------------------------------------------------------------


def test_a_search_in_russian_finds_the_partners_tagged_so_nearby_with_why_here(client, cloud):
    response = client.get("/partners/", {"q": "облачные решения", "city": "Berlin", "country": "DE", "radius_km": "25"})
    assert response.status_code == 200
    assert sorted(names_listed(response)) == ["Alpha Cloud", "Bravo Systems"]
    body = text(response)
    assert "2 partners found" in body
    alpha = cloud["Alpha Cloud"]
    assert (
        f'<input type="checkbox" form="request" name="profile_ids" value="{alpha.pk}"> Ask Alpha Cloud</label>' in body
    )
    assert f'href="/partners/{alpha.locations.get().pk}/"' in body
    assert body.count("<summary>Why here") == 2
    assert '<input id="s-q" type="search" name="q" value="облачные решения"' in body


def test_each_filter_option_shows_how_many_results_it_would_leave(client, cloud):
    response = client.get("/partners/", {"q": "облачные решения"})
    body = text(response)
    assert "3 partners found" in body
    assert '<option value="DE">Germany (3)</option>' in body
    assert '<option value="ru">Russian (3)</option>' in body


def test_results_come_a_page_at_a_time(client, cloud, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    first = client.get("/partners/", {"country": "DE"})
    body = text(first)
    assert "4 partners found" in body
    assert len(names_listed(first)) == 3
    [more] = re.findall(r'<a href="(\?[^"]+)" rel="next"', first.content.decode())
    assert "First page" not in body
    second = client.get("/partners/" + more.replace("&amp;", "&"))
    assert len(names_listed(second)) == 1
    assert set(names_listed(first)) | set(names_listed(second)) == set(cloud)
    assert 'rel="next"' not in second.content.decode()
    assert '<a href="?country=DE"' in second.content.decode()


def test_a_bad_radius_is_shown_by_the_field(client, cloud):
    response = client.get("/partners/", {"city": "Berlin", "country": "DE", "radius_km": "far"})
    assert response.status_code == 422
    body = text(response)
    assert 'aria-invalid="true" aria-describedby="s-radius-error"' in body
    assert '<small id="s-radius-error" class="ls-error">Enter the radius in kilometres, such as 50.</small>' in body
    assert names_listed(response) == []


@pytest.mark.parametrize(
    ("query", "status", "folded"),
    [
        ({"q": "cloud"}, 200, True),
        ({"q": "cloud", "country": "DE"}, 200, False),
        ({"city": "Berlin", "country": "DE", "radius_km": "20"}, 200, False),
        ({"radius_km": "far"}, 422, False),
    ],
)
def test_on_a_phone_the_filters_fold_away_unless_one_is_chosen_or_wrong(client, cloud, query, status, folded):
    response = client.get("/partners/", query)
    assert response.status_code == status
    body = text(response)
    assert ('<details class="ls-filter-box">' in body) is folded
    assert ('<details class="ls-filter-box" open>' in body) is not folded


def test_htmx_gets_the_page_with_errors_as_200(client, cloud):
    response = client.get("/partners/", {"radius_km": "far"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="s-radius-error"' in text(response)


def test_the_page_speaks_russian(client, cloud):
    response = client.get("/partners/", {"q": "облачные решения"}, headers={"Accept-Language": "ru"})
    body = text(response)
    assert "Найти партнёра" in body
    assert "Найдено партнёров: 3" in body
    assert "Почему в списке" in body


def test_the_customer_link_lists_other_partners_but_never_those_already_asked(client, profile):
    other = factories.profile(country="DE")
    engagement = factories.engagement([profile])
    body = client.get(f"/partners/?request={engagement.public_token}").content.decode()
    assert other.partner.name in body
    assert profile.partner.name not in body


def test_the_customer_link_prefills_the_request_but_not_the_contact_details(client, cloud):
    asked = cloud["Alpha Cloud"]
    engagement = factories.engagement([asked], company="Contoso GmbH")
    response = client.get(f"/partners/?request={engagement.public_token}")
    assert response.status_code == 200
    body = text(response)
    assert "More partners for the request from Contoso GmbH." in body
    assert '<input type="hidden" name="request" value="' + engagement.public_token + '">' in body
    assert sorted(names_listed(response)) == ["Bravo Systems", "Munich Cloud", "Printer Land"]
    assert 'name="company" type="text" value="Contoso GmbH"' in body
    assert 'name="email" type="email" value=""' in body
    # Searching again from the link keeps the asked partner out.
    again = client.get("/partners/", {"request": engagement.public_token, "q": "облачные решения"})
    assert sorted(names_listed(again)) == ["Bravo Systems", "Munich Cloud"]


def test_an_unknown_request_link_says_so_and_still_searches(client, cloud):
    response = client.get("/partners/?request=nope")
    assert response.status_code == 200
    assert "We could not find your request." in text(response)
    assert len(names_listed(response)) == 4


# --- A partner's page --------------------------------------------------------------------------


def test_a_location_page_shows_the_partner(client, cloud):
    alpha = cloud["Alpha Cloud"]
    alpha.industries.set(["finance"])
    location = alpha.locations.get()
    response = client.get(f"/partners/{location.pk}/")
    assert response.status_code == 200
    body = text(response)
    assert "<h1>Alpha Cloud</h1>" in body
    assert "<p>Berlin, Germany · Hauptstr. 1</p>" in body
    assert "We move mail to the cloud." in body
    assert "<dt>Languages</dt><dd>Russian, German</dd>" in body
    assert "<dt>Industries</dt><dd>Financial services</dd>" in body
    assert "<dt>Skills and solutions</dt><dd>облачное решение, email migration</dd>" in body
    assert 'href="https://alpha.example" rel="nofollow noopener"' in body


def test_ask_from_a_partners_page_comes_to_the_finder_with_that_partner_ticked(client, cloud):
    alpha = cloud["Alpha Cloud"]
    page = text(client.get(f"/partners/{alpha.locations.get().pk}/"))
    link = f"/partners/?profile_ids={alpha.pk}#request"
    assert f'<a href="{link}" role="button">Ask Alpha Cloud</a>' in page
    body = text(client.get(link))
    assert f'name="profile_ids" value="{alpha.pk}" checked> Ask Alpha Cloud' in body
    assert 'name="search-profile_ids"' not in body


def test_paused_suspended_and_unknown_locations_are_not_found(client, cloud):
    alpha, bravo = cloud["Alpha Cloud"], cloud["Bravo Systems"]
    BusinessProfile.objects.filter(pk=alpha.pk).update(status="paused")
    Partner.objects.filter(pk=bravo.partner_id).update(status="suspended")
    for location in (alpha.locations.get(), bravo.locations.get()):
        assert client.get(f"/partners/{location.pk}/").status_code == 404
        assert client.get(f"/partners/{location.pk}/logo/").status_code == 404
    assert client.get("/partners/999999/").status_code == 404


def test_cities_for_the_datalist(client, db):
    response = client.get("/partners/cities/", {"country": "DE", "city": "mün"})
    assert '<option value="Munich">DE</option>' in response.content.decode()


# --- The request -------------------------------------------------------------------------------


def test_a_request_from_the_page_goes_to_the_ticked_partners_and_thanks_the_customer(cloud):
    client = Client(headers={"Accept-Language": "ru"})
    alpha, bravo = cloud["Alpha Cloud"], cloud["Bravo Systems"]
    response = client.post("/partners/request/", form([alpha.pk, bravo.pk]))
    engagement = Engagement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/partners/sent/?to={alpha.pk}%2C{bravo.pk}"
    assert (engagement.source, engagement.language, engagement.customer_company) == ("finder", "ru", "ООО Ромашка")
    assert sorted(Referral.objects.values_list("profile_id", flat=True)) == sorted([alpha.pk, bravo.pk])
    confirmation = OutboxMessage.objects.get(template="customer_request_sent")
    assert (confirmation.to_address, confirmation.language) == ("anna@romashka.example", "ru")
    thanks = text(client.get(response["Location"]))
    assert "<li>Alpha Cloud</li><li>Bravo Systems</li>" in thanks
    assert engagement.public_token not in thanks  # the request's link goes to the customer's address alone


def test_an_invalid_email_is_shown_by_the_field_and_the_rest_is_kept(client, cloud):
    alpha, bravo = cloud["Alpha Cloud"], cloud["Bravo Systems"]
    before = counting.rows()
    response = client.post("/partners/request/", form([alpha.pk, bravo.pk], email="anna@"))
    assert response.status_code == 422
    body = text(response)
    assert 'name="email" type="email" value="anna@" autocomplete="email" required aria-invalid="true"' in body
    assert (
        '<small id="r-email-error" class="ls-error">Enter a valid e-mail address, such as anna@example.com.</small>'
        in body
    )
    assert '<a href="#r-email">Enter a valid e-mail address, such as anna@example.com.</a>' in body
    assert 'name="company" type="text" value="ООО Ромашка"' in body
    # The same search, with the same partners ticked.
    assert sorted(names_listed(response)) == ["Alpha Cloud", "Bravo Systems"]
    assert f'name="profile_ids" value="{alpha.pk}" checked>' in body
    assert f'name="profile_ids" value="{bravo.pk}" checked>' in body
    assert '<input type="hidden" name="search-q" value="облачные решения">' in body
    assert counting.rows() == before


def test_errors_are_in_russian_on_a_russian_page(cloud):
    client = Client(headers={"Accept-Language": "ru"})
    response = client.post("/partners/request/", form([], email="anna@", consent_contact=""))
    assert response.status_code == 422
    body = text(response)
    assert "Введите правильный адрес электронной почты, например anna@example.com." in body
    assert "Выберите хотя бы одного партнёра." in body
    assert "Без согласия на связь с выбранными партнёрами мы не можем отправить запрос." in body


def test_a_budget_that_is_not_a_number_is_shown_with_the_other_errors(client, cloud):
    response = client.post("/partners/request/", form([cloud["Alpha Cloud"].pk], budget="lots", phone=""))
    assert response.status_code == 422
    body = text(response)
    assert '<small id="r-budget-error" class="ls-error">Enter the budget as a number, such as 5000.</small>' in body
    assert '<small id="r-phone-error" class="ls-error">Enter your phone number.</small>' in body
    assert not Engagement.objects.exists()


def test_more_than_three_ticked_partners_are_refused_with_a_clear_message(client, cloud):
    ids = [p.pk for p in cloud.values()]
    before = counting.rows()
    response = client.post("/partners/request/", form(ids))
    assert response.status_code == 422
    assert '<p id="r-profile_ids-error" class="ls-error" role="alert">Choose at most 3 partners.</p>' in text(response)
    assert counting.rows() == before


def test_a_bot_filling_the_honeypot_sees_thanks_and_nothing_is_created(client, cloud):
    before = counting.rows()
    alpha = cloud["Alpha Cloud"]
    response = client.post("/partners/request/", form([alpha.pk], website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == f"/partners/sent/?to={alpha.pk}"
    assert "Thank you: your request is on its way" in text(client.get(response["Location"]))
    assert counting.rows() == before


def test_asking_the_same_partners_again_shows_the_same_thanks_and_asks_nobody(client, cloud):
    alpha = cloud["Alpha Cloud"]
    first = client.post("/partners/request/", form([alpha.pk]))
    before = counting.rows()
    again = client.post("/partners/request/", form([alpha.pk]))
    assert (again.status_code, again["Location"]) == (first.status_code, first["Location"])
    page, first_page = (re.sub(r'value="\w{64}"', "", text(client.get(r["Location"]))) for r in (again, first))
    assert page == first_page  # but for the form's CSRF token
    # Someone else may have sent it: the address's owner is told by e-mail, the sender nothing.
    assert counting.rows() == before | {"OutboxMessage": before["OutboxMessage"] + 1}
    assert OutboxMessage.objects.filter(template="customer_already_asked").count() == 1


def test_asking_one_partner_again_and_a_new_one_sends_only_the_new_one(client, cloud):
    alpha, bravo = cloud["Alpha Cloud"], cloud["Bravo Systems"]
    client.post("/partners/request/", form([alpha.pk]))
    response = client.post("/partners/request/", form([alpha.pk, bravo.pk]), follow=True)
    body = text(response)
    assert "in the last 24 hours" not in body
    assert "<li>Alpha Cloud</li><li>Bravo Systems</li>" in body
    assert Referral.objects.filter(profile=alpha).count() == 1
    assert Referral.objects.filter(profile=bravo).count() == 1


def test_too_many_requests_from_one_address_are_refused_with_retry_after(client, cloud):
    alpha = cloud["Alpha Cloud"]
    for i in range(requests.REQUESTS_PER_WINDOW):
        assert client.post("/partners/request/", form([alpha.pk], email=f"p{i}@romashka.example")).status_code == 302
    before = counting.rows()
    response = client.post("/partners/request/", form([alpha.pk], email="late@romashka.example"))
    assert response.status_code == 429
    assert 3500 <= int(response["Retry-After"]) <= 3601
    assert "Too many requests from this address. Please try again later." in text(response)
    assert counting.rows() == before


def test_the_request_form_takes_only_posts(client, db):
    assert client.get("/partners/request/").status_code == 405


# --- The one-click links of the customer's note ----------------------------------------------------


@pytest.fixture
def alternative_link(db):  # type: ignore[no-untyped-def]
    """A request sent to Nordlicht IT, and the note's link that would send it to Alpha Cloud too."""
    asked = factories.profile(factories.partner("Nordlicht IT"))
    other = factories.profile(factories.partner("Alpha Cloud"), contacts=("alpha@cloud.example",))
    engagement = factories.engagement([asked])
    path = urlsplit(alternatives.link(engagement, other.pk, factories.NOW)).path
    return engagement, other, path


def test_following_a_note_link_shows_the_partner_and_a_button_and_changes_nothing(client, alternative_link):
    path = alternative_link[2]
    before = counting.rows()

    response = client.get(path)

    body = text(response)
    assert response.status_code == 200
    assert "Send your request to Alpha Cloud? They will see it and may get in touch with you." in body
    assert '<form method="post">' in body and "Send my request to Alpha Cloud</button>" in body
    assert counting.rows() == before


def test_the_button_sends_the_request_to_that_partner_once(client, alternative_link):
    engagement, other, path = alternative_link
    before = counting.rows()

    response = client.post(path)

    assert response.status_code == 200
    assert "We sent your request to Alpha Cloud. They will get in touch with you if they can help." in text(response)
    assert Referral.objects.filter(engagement=engagement, profile=other).count() == 1
    after = counting.rows()
    assert (after["Referral"], after["ReferralEvent"], after["OutboxMessage"]) == (
        before["Referral"] + 1,
        before["ReferralEvent"] + 1,
        before["OutboxMessage"] + 1,
    )

    again = client.post(path)

    assert again.status_code == 409
    assert "This partner already has your request." in text(again)
    assert counting.rows() == after


def test_a_tampered_note_link_gives_a_clear_page_in_russian_and_changes_nothing(client, alternative_link):
    path = alternative_link[2]
    before = counting.rows()

    response = client.post(path[:-2] + "x/", headers={"Accept-Language": "ru"})

    assert response.status_code == 404
    assert "Ссылка недействительна. Воспользуйтесь ссылкой из письма без изменений." in text(response)
    assert counting.rows() == before


def test_an_expired_note_link_gives_a_clear_page_and_changes_nothing(client, alternative_link):
    path = alternative_link[2]
    before = counting.rows()

    with clock.running_at(factories.NOW + alternatives.LINK_VALID + timedelta(minutes=1)):
        response = client.post(path)

    assert response.status_code == 410
    assert "This link has expired. Please search for partners again." in text(response)
    assert counting.rows() == before


def test_a_note_link_of_a_request_confirmed_as_spam_gives_a_clear_page_in_russian_and_sends_nothing(
    client, alternative_link
):
    engagement, other, path = alternative_link
    referral = engagement.referrals.get()
    user = factories.user(referral.partner, role=Role.REFERRALS_ADMIN)
    services.skip(referral.pk, ActorRef.person(user), factories.NOW, "spam", "Nonsense text")
    admin_services.confirm_spam(factories.user(None, role=Role.PROGRAMME_ADMIN), referral.pk, "", factories.NOW)
    before = counting.rows()

    shown, sent = client.get(path, headers={"Accept-Language": "ru"}), client.post(path)

    assert (shown.status_code, sent.status_code) == (410, 410)
    assert "Этот запрос закрыт программой и больше не может быть отправлен партнёрам." in text(shown)
    assert "This request was closed by the programme and can no longer be sent to partners." in text(sent)
    assert "Send my request to" not in text(shown)
    assert counting.rows() == before
    assert not Referral.objects.filter(profile=other).exists()


def test_note_links_are_limited_per_address_like_the_finder(client, alternative_link, settings):
    path = alternative_link[2]
    settings.FINDER_RATE_LIMIT = "2/m"
    assert [client.get(path).status_code for _ in range(2)] == [200, 200]
    before = counting.rows()

    response = client.post(path)

    assert response.status_code == 429
    assert counting.rows() == before


# --- The page before and after sending: limits, the error summary, nobody found ----------------------------


def test_after_a_failed_send_the_page_opens_at_a_focused_summary_linking_each_field(client, cloud):
    before = counting.rows()
    response = client.post("/partners/request/", form([cloud["Alpha Cloud"].pk], email="anna@", phone=""))
    assert response.status_code == 422
    body = text(response)
    summary = (
        '<article id="request-errors" class="ls-error-summary" tabindex="-1" autofocus'
        ' aria-labelledby="errors-heading"> <h2 id="errors-heading">Your request was not sent: please correct these'
        ' fields.</h2> <ul><li><a href="#r-email">Enter a valid e-mail address, such as anna@example.com.</a></li>'
        '<li><a href="#r-phone">Enter your phone number.</a></li></ul> </article>'
    )
    assert summary in body
    assert body.index(summary) < body.index('<div id="finder">')
    # Without JavaScript the browser comes back to the fragment: the summary, not the top of the form.
    assert 'action="/partners/request/#request-errors"' in body
    assert counting.rows() == before


def test_a_page_without_errors_has_no_summary(client, cloud):
    assert 'id="request-errors"' not in text(client.get("/partners/", {"q": "cloud"}))


def test_the_tick_counter_asks_the_request_service_how_many_partners_a_request_may_ask(client, cloud, monkeypatch):
    monkeypatch.setattr(requests, "MAX_PARTNERS", 2)
    alpha = cloud["Alpha Cloud"]
    body = text(client.get("/partners/", {"country": "DE", "profile_ids": alpha.pk}))
    assert '<p id="chosen-count" aria-live="polite" data-max="2"' in body
    assert (
        'data-text="{chosen} of 2 chosen" data-full-text="{chosen} of 2 chosen: untick one to choose another.">'
        "1 of 2 chosen</p>" in body
    )
    assert "Tick up to 2 partners" in body


def test_the_need_says_its_most_characters_and_how_many_are_left(client, cloud):
    before = counting.rows()
    response = client.post("/partners/request/", form([cloud["Alpha Cloud"].pk], need="Move mail", phone=""))
    body = text(response)
    assert 'name="need" rows="4" required maxlength="5000" aria-describedby="r-need-left"' in body
    assert '<small id="r-need-left" data-text="Characters left: {left}">Characters left: 4991</small>' in body
    assert counting.rows() == before


def test_a_need_at_its_most_with_line_breaks_as_a_browser_posts_them_is_taken(client, cloud):
    # 5,000 characters as the page counts them (a line break is one); posted, each break is two (CRLF).
    need = "\r\n".join(["x" * 99] * 50) + "x"
    response = client.post("/partners/request/", form([cloud["Alpha Cloud"].pk], need=need))
    assert response.status_code == 302
    assert Engagement.objects.get().need == need.replace("\r\n", "\n")


def test_a_search_that_finds_nobody_offers_to_send_the_request_all_the_same(client, cloud):
    body = text(client.get("/partners/", {"q": "submarines"}))
    assert "0 partners found" in body
    assert (
        'Or <a href="#request">send your request</a> all the same: we will pass it to up to 3 partners who can help.'
        in body
    )
    assert '<h2 id="request-heading">Send your request</h2>' in body
    assert '<input id="r-route" type="checkbox" name="route" checked>' in body
    assert "If I tick no partner, let Leadshare choose up to 3 partners who can help." in body


def test_a_search_that_finds_partners_leaves_the_choice_to_the_customer(client, cloud):
    body = text(client.get("/partners/", {"q": "cloud"}))
    assert '<input id="r-route" type="checkbox" name="route">' in body


def test_a_search_that_finds_nobody_with_a_partner_ticked_elsewhere_leaves_the_choice_to_the_customer(client, cloud):
    body = text(client.get("/partners/", {"q": "submarines", "profile_ids": cloud["Alpha Cloud"].pk}))
    assert "Ask Alpha Cloud" in body
    assert '<input id="r-route" type="checkbox" name="route">' in body


def test_a_request_with_nobody_ticked_goes_to_the_partners_the_programme_chooses(cloud):
    # In Russian: the routing asks only partners who speak the customer's language (all of these do).
    client = Client(headers={"Accept-Language": "ru"})
    response = client.post("/partners/request/", form([], route="on"))
    assert response.status_code == 302
    engagement = Engagement.objects.get()
    assert engagement.referrals.count() == requests.MAX_PARTNERS
    assert OutboxMessage.objects.filter(template="customer_request_sent").count() == 1


def test_a_request_nobody_can_take_says_so_by_the_choice_and_keeps_it(client, db):
    before = counting.rows()
    response = client.post("/partners/request/", form([], route="on"))
    assert response.status_code == 422
    body = text(response)
    assert '<li><a href="#r-route">No partner can take your request now. Please try again later.</a></li>' in body
    assert '<input id="r-route" type="checkbox" name="route" checked aria-invalid="true"' in body
    assert counting.rows() == before


def test_cities_for_the_datalist_before_a_country_is_chosen(client, db):
    response = client.get("/partners/cities/", {"city": "hambu"})
    assert response.content.decode().startswith('<option value="Hamburg">DE</option>')


def test_the_page_offers_the_biggest_cities_before_a_country_is_chosen(client, db):
    body = text(client.get("/partners/"))
    assert '<datalist id="search-cities"><option value="Shanghai">CN</option>' in body


def test_the_summary_the_counters_and_the_programmes_choice_speak_russian(db):
    client = Client(headers={"Accept-Language": "ru"})
    body = text(client.post("/partners/request/", form([], route="on")))
    assert "Запрос не отправлен: исправьте эти поля." in body
    assert "Сейчас ни один партнёр не может принять ваш запрос. Попробуйте позже." in body
    assert 'data-text="Осталось символов: {left}">Осталось символов: 4976</small>' in body
    assert "Если я не отмечу ни одного партнёра, пусть Leadshare выберет тех, кто может помочь (не более 3)." in body
    assert 'Или всё равно <a href="#request">отправьте запрос</a>' in body


def test_the_tick_counter_speaks_russian(cloud):
    client = Client(headers={"Accept-Language": "ru"})
    body = text(client.get("/partners/", {"country": "DE"}))
    assert (
        'data-text="Выбрано: {chosen} из 3" data-full-text="Выбрано: {chosen} из 3. Чтобы выбрать другого, снимите'
        ' одну отметку.">Выбрано: 0 из 3</p>' in body
    )
