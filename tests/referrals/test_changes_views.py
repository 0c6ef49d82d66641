"""The list of what changed, its unread count in the navigation and the tab title, and marking it read."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from partners.models import Role
from referrals import services
from referrals.actors import ActorRef
from referrals.models import ChangesSeen
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def title(body):
    return re.search(r"<title>([^<]*)</title>", body).group(1)


def nav_count(body):
    nav = body[body.index('aria-label="Main"') : body.index("</nav>")]
    found = re.search(
        r'href="/referrals/"[^>]*>Referrals <span class="ls-unread"><span [^>]+>Unread changes: </span>([^<]+)<', nav
    )
    return found.group(1) if found else None


def test_the_navigation_and_the_tab_title_show_how_many_changes_are_unread(signed_in, profile):
    referral = factories.referral(profile, now=timezone.now())
    services.mark_interested(referral.pk, ActorRef.system("colleague"), timezone.now())
    body = signed_in.get("/referrals/").content.decode()
    assert nav_count(body) == "2"
    assert title(body) == "(2) Referrals · Leadshare"
    assert '<a href="/referrals/changes/">What changed <span class="ls-unread">2</span></a>' in body


def test_the_list_names_each_change_and_marking_read_clears_the_count(signed_in, profile, admin_user):
    referral = factories.referral(profile, now=timezone.now())
    body = signed_in.get("/referrals/changes/").content.decode()
    assert re.findall(r'<a href="/referrals/(\d+)/">Referral \d+</a>:\s*<strong>([^<]+)</strong>', body) == [
        (str(referral.pk), "Referral received")
    ]
    assert body.count('class="ls-unread-change"') == 1
    response = signed_in.post("/referrals/changes/read/")
    assert (response.status_code, response["Location"]) == (302, "/referrals/changes/")
    after = signed_in.get("/referrals/changes/").content.decode()
    assert nav_count(after) is None and title(after) == "What changed · Leadshare"
    assert 'class="ls-unread-change"' not in after
    assert ChangesSeen.objects.filter(user=admin_user).count() == 1


def test_a_user_of_another_partner_sees_none_of_our_changes(client, profile):
    factories.referral(profile, now=timezone.now())
    client.force_login(factories.user(email="other@another.example"))
    body = client.get("/referrals/changes/").content.decode()
    assert "Nothing changed in the last 30 days." in body and nav_count(body) is None


@pytest.mark.parametrize("role", [Role.AGENT, Role.PROGRAMME_ADMIN, Role.PROFILE_ADMIN])
def test_people_who_do_not_work_referrals_have_no_list_of_changes(client, profile, role):
    factories.referral(profile, now=timezone.now())
    user = factories.user(profile.partner if role == Role.PROFILE_ADMIN else None, role=role)
    client.force_login(user)
    assert client.get("/referrals/changes/").status_code == 404
    assert client.post("/referrals/changes/read/").status_code == 404
    assert "/referrals/changes/" not in client.get("/settings/").content.decode()
    assert not ChangesSeen.objects.exists()


def test_the_list_needs_a_signed_in_user(client):
    assert client.get("/referrals/changes/")["Location"] == "/accounts/login/?next=/referrals/changes/"
    assert client.post("/referrals/changes/read/").status_code == 302
    assert not ChangesSeen.objects.exists()


def test_the_list_speaks_russian_to_a_russian_user(client, profile):
    factories.referral(profile, now=timezone.now())
    client.force_login(factories.user(profile.partner, email="ru@partner.example", language="ru"))
    body = client.get("/referrals/changes/").content.decode()
    assert "Что изменилось" in body and "Отметить всё как прочитанное" in body and "Рекомендация получена" in body
