"""The 403, 404 and 500 pages show no ids, paths or stack, in the user's language, the 403 and 404 in the site's
layout."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_another_partners_referral_is_our_404_page_and_reveals_nothing(client, settings):
    settings.DEBUG = False
    referral = factories.referral(factories.profile())
    client.force_login(factories.user(email="a@partner-a.example"))
    response = client.get(f"/referrals/{referral.pk}/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body
    assert "There is nothing here, or it is not yours to see." in body
    assert f"/referrals/{referral.pk}/" not in body
    assert "No such referral" not in body
    assert "Contoso" not in body and "Move 200 mailboxes" not in body


def test_the_404_page_is_in_russian_for_a_russian_user(client):
    client.force_login(factories.user(language="ru"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()


def test_a_page_the_role_may_not_open_is_our_403_page_in_the_sites_layout(client, settings):
    settings.DEBUG = False
    client.force_login(factories.user(role=Role.PROFILE_ADMIN))
    response = client.get("/scorecard/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "<title>You cannot open this page · Leadshare</title>" in body
    assert '<p class="ls-error-code" aria-hidden="true">403</p>' in body
    assert "Your role does not give you access to it." in body
    assert '<nav aria-label="Main">' in body and "Sign out" in body
    assert '<a href="/" role="button">Go to the workspace</a>' in body
    assert "The scorecard is for" not in body  # the refusal's own wording stays in the log


def test_the_403_page_is_in_russian_for_a_russian_user(client, settings):
    settings.DEBUG = False
    client.force_login(factories.user(role=Role.PROFILE_ADMIN, language="ru"))
    response = client.get("/scorecard/")
    body = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="ru">' in body
    assert "<h1>Эта страница вам недоступна</h1>" in body
    assert "Ваша роль не даёт к ней доступа." in body
    assert "You cannot open this page" not in body


def test_a_visitor_who_is_not_signed_in_gets_a_404_page_that_leads_to_the_finder_and_to_sign_in(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 404
    assert '<p class="ls-error-code" aria-hidden="true">404</p>' in body
    assert '<a href="/partners/" role="button">Find a partner</a>' in body
    assert '<a href="/accounts/login/" role="button" class="secondary outline">Sign in</a>' in body
    assert "Go to the workspace" not in body


def test_the_404_page_for_a_russian_visitor_is_russian_in_the_sites_layout(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru")
    body = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="ru">' in body
    assert "<h1>Страница не найдена</h1>" in body
    assert '<nav aria-label="Главное меню">' in body
    assert '<a href="/partners/" role="button">Найти партнёра</a>' in body


def _boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("secret detail 12345 at /srv/leadshare")


urlpatterns = [path("boom/", _boom)]


def test_the_500_page_shows_no_detail_of_the_error(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "secret detail" not in body and "12345" not in body and "Traceback" not in body
