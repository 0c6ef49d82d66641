"""The 404 and 500 pages show no ids, paths or stack, in the user's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

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
