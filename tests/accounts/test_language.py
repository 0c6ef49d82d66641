"""The user's language and time zone for each request, the language switch and the navigation."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from accounts.middleware import UserPreferencesMiddleware
from partners.models import Role, User
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_signed_in_users_language_beats_the_browser_and_the_cookie(client):
    client.force_login(factories.user(language="ru"))
    client.cookies["django_language"] = "en"
    response = client.get("/settings/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert '<html lang="ru">' in body
    assert "Настройки" in body
    assert response["Content-Language"] == "ru"


def test_an_anonymous_visitor_gets_the_browsers_language(client):
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="ru">' in body
    assert "Войти" in body


def test_the_middleware_activates_the_users_time_zone_for_the_request_only():
    user = factories.user(time_zone="Asia/Yekaterinburg")
    request = RequestFactory().get("/")
    request.user = user
    seen = {}

    def view(request):  # type: ignore[no-untyped-def]
        seen["tz"] = timezone.get_current_timezone_name()
        seen["language"] = translation.get_language()
        from django.http import HttpResponse

        return HttpResponse()

    user.language = "ru"
    with translation.override("en"):
        UserPreferencesMiddleware(view)(request)
    assert seen == {"tz": "Asia/Yekaterinburg", "language": "ru"}
    assert timezone.get_current_timezone_name() == "UTC"


def test_an_unknown_stored_time_zone_falls_back_to_utc():
    user = factories.user(time_zone="Nowhere/Atlantis")
    request = RequestFactory().get("/")
    request.user = user
    seen = {}

    def view(request):  # type: ignore[no-untyped-def]
        from django.http import HttpResponse

        seen["tz"] = timezone.get_current_timezone_name()
        return HttpResponse()

    UserPreferencesMiddleware(view)(request)
    assert seen == {"tz": "UTC"}


def test_switching_the_language_sets_the_cookie_and_saves_it_for_the_user(client):
    user = factories.user(language="en")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/settings/"})
    assert (response.status_code, response["Location"]) == (302, "/settings/")
    assert response.cookies["django_language"].value == "ru"
    assert User.objects.get(pk=user.pk).language == "ru"


def test_switching_to_an_unknown_language_changes_nothing(client):
    user = factories.user(language="en")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/settings/"})
    assert response.status_code == 302
    assert "django_language" not in response.cookies
    assert User.objects.get(pk=user.pk).language == "en"


def test_an_anonymous_visitor_switches_the_language_by_cookie_only():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/accounts/login/"})
    assert response.cookies["django_language"].value == "ru"
    assert "Войти" in client.get("/accounts/login/").content.decode()


def test_signing_in_applies_and_remembers_the_users_language(client):
    factories.user(email="olga@partner.example", language="ru")
    response = client.post(
        "/accounts/login/", {"username": "olga@partner.example", "password": "correct horse battery"}
    )
    assert response.cookies["django_language"].value == "ru"


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Role.REFERRALS_ADMIN, ["/referrals/", "/profiles/", "/scorecard/", "/team/", "/settings/"]),
        (Role.REFERRALS_USER, ["/referrals/", "/scorecard/", "/settings/"]),
        (Role.PROFILE_ADMIN, ["/profiles/", "/settings/"]),
        (Role.AGENT, ["/referrals/", "/console/", "/settings/"]),
        (Role.PROGRAMME_ADMIN, ["/referrals/", "/console/", "/settings/"]),
    ],
)
def test_the_header_shows_only_the_links_of_the_users_role(client, role, links):
    client.force_login(factories.user(role=role))
    response = client.get("/settings/")
    assert [link["url"] for link in response.context["nav_links"]] == links
    for url in links:
        assert f'href="{url}"' in response.content.decode()


def test_the_header_skips_a_page_that_is_not_built(client, monkeypatch):
    from accounts import context_processors

    monkeypatch.setattr(
        context_processors, "NAV", (("nowhere:page", "Nowhere", lambda user: True), *context_processors.NAV)
    )
    client.force_login(factories.user(role=Role.PROFILE_ADMIN))
    assert [link["url"] for link in client.get("/settings/").context["nav_links"]] == ["/profiles/", "/settings/"]


def test_an_anonymous_visitor_sees_no_workspace_links(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'href="/referrals/"' not in body and 'href="/team/"' not in body


@pytest.mark.parametrize("role", list(Role))
def test_only_a_programme_admin_gets_the_consoles_programme_pages_in_its_navigation(client, role):
    client.force_login(factories.user(role=role))
    assert client.get("/settings/").context["may_manage_programme"] is (role == Role.PROGRAMME_ADMIN)
