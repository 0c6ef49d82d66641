"""Advertising leads in the console, and the console home's numbers and links."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from console import agent_services, agent_views
from partners.models import Role
from referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


@pytest.fixture
def agent(client):
    user = factories.user(role=Role.AGENT)
    client.force_login(user)
    return user


def at(day, hour=12):
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def lead(profiles, when, campaign="spring-26", source="advertising", company="Contoso GmbH"):
    return factories.engagement(profiles, when, source=source, campaign_id=campaign, company=company)


def companies(response):
    return [e.customer_company for e in response.context["page"].object_list]


def test_leads_list_advertising_and_api_engagements_newest_first_with_campaign_and_partners(client, agent):
    first, second = factories.profile(factories.partner("Cloudwerk")), factories.profile(factories.partner("Nordlicht"))
    lead([first], at(2), company="Old Lead")
    newest = lead([first, second], at(20), campaign="autumn-ads", company="Fabrikam AG", source="api")
    lead([first], at(10), company="Middle Lead")
    factories.engagement([first], at(25), source="agent", company="Agent Made")
    factories.engagement([first], at(26), source="finder", company="Finder Made")
    Referral.objects.filter(engagement=newest, profile=second).update(state="evaluating")

    response = client.get("/console/leads/")
    assert response.status_code == 200
    assert companies(response) == ["Fabrikam AG", "Middle Lead", "Old Lead"]
    page = response.content.decode()
    row = page[page.index("Fabrikam AG") - 300 : page.index("Middle Lead")]
    assert "<code>autumn-ads</code>" in row
    assert "Berlin, Germany · 50–249" in row or "Berlin, Germany · 50-249" in row
    assert '<div>Cloudwerk <span class="ls-badge new">New</span></div>' in row
    assert '<div>Nordlicht <span class="ls-badge evaluating">Evaluating</span></div>' in row
    assert '<span class="ls-meta">API</span>' in row
    assert "3 leads" in page


def test_leads_filter_by_campaign_and_period_both_ends_included(client, agent, profile):
    lead([profile], at(1, 0), company="Nov 1 midnight")
    lead([profile], at(5), company="Nov 5")
    lead([profile], at(9, 23), campaign="other", company="Nov 9 other")
    lead([profile], at(10, 0), company="Nov 10")
    assert companies(client.get("/console/leads/?campaign=spring-26")) == ["Nov 10", "Nov 5", "Nov 1 midnight"]
    assert companies(client.get("/console/leads/?since=2026-11-01&until=2026-11-09")) == [
        "Nov 9 other",
        "Nov 5",
        "Nov 1 midnight",
    ]
    assert companies(client.get("/console/leads/?campaign=spring-26&since=2026-11-02&until=2026-11-10")) == [
        "Nov 10",
        "Nov 5",
    ]
    assert companies(client.get("/console/leads/?campaign=nothing")) == []


def test_periods_are_the_agents_own_days(client, profile):
    agent = factories.user(role=Role.AGENT, time_zone="Europe/Moscow")  # UTC+3
    client.force_login(agent)
    lead([profile], datetime(2026, 11, 4, 22, 0, tzinfo=UTC), company="Nov 5 in Moscow")
    assert companies(client.get("/console/leads/?since=2026-11-05&until=2026-11-05")) == ["Nov 5 in Moscow"]
    assert companies(client.get("/console/leads/?until=2026-11-04")) == []


def test_a_bad_filter_is_explained_by_its_field_and_filters_nothing(client, agent, profile):
    lead([profile], at(5), company="Nov 5")
    response = client.get("/console/leads/?since=yesterday&until=2026-11-01&campaign=spring-26")
    assert response.status_code == 200
    assert response.context["filters"].errors == {"since": ["Enter a valid date."]}
    assert companies(response) == []  # until Nov 1 still applies
    reversed_period = client.get("/console/leads/?since=2026-11-09&until=2026-11-01")
    assert reversed_period.context["filters"].errors == {"until": ["The end of the period comes before its start."]}
    assert companies(reversed_period) == []


def test_leads_paginate_by_25_and_keep_the_filters(client, agent, profile):
    for i in range(27):
        lead([profile], at(1) + timedelta(minutes=i), company=f"Lead {i:02d}")
    first = client.get("/console/leads/?campaign=spring-26")
    assert len(companies(first)) == 25
    assert companies(first)[0] == "Lead 26"
    assert 'href="?campaign=spring-26&amp;page=2" rel="next"' in first.content.decode()
    second = client.get("/console/leads/?campaign=spring-26&page=2")
    assert companies(second) == ["Lead 01", "Lead 00"]
    assert companies(client.get("/console/leads/?page=abc")) == companies(first)


def test_the_home_shows_the_counts_and_my_latest_referrals(client, agent, profile):
    now = timezone.now()
    lead([profile], now)
    other_agent = factories.user(role=Role.AGENT)
    for creator, company in ((agent, "Mine One"), (agent, "Mine Two"), (other_agent, "Not Mine")):
        engagement = factories.engagement([profile], now, source="agent", company=company)
        engagement.created_by = creator
        engagement.save()
    Referral.objects.filter(engagement__customer_company="Mine One").update(state="evaluating")

    response = client.get("/console/")
    counts = response.context["counts"]
    assert counts == agent_services.counts(agent, timezone.now(), timezone.get_current_timezone())
    assert counts == agent_services.Counts(leads_today=1, leads_this_week=1, mine_this_week=2, mine_waiting=1)
    page = response.content.decode()
    assert '<strong id="leads-today">1</strong>' in page
    assert '<strong id="leads-week">1</strong>' in page
    assert "You sent 2 referrals this week." in page
    assert "1 partner has not answered yet." in page
    assert [e.customer_company for e in response.context["recent"]] == ["Mine Two", "Mine One"]
    assert '<span class="ls-badge evaluating">Evaluating</span>' in page


def test_the_home_counts_at_fixed_times():
    agent = factories.user(role=Role.AGENT)
    prof = factories.profile()
    wednesday_noon = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    lead([prof], datetime(2026, 12, 2, 0, 0, tzinfo=UTC))  # today, at midnight
    lead([prof], datetime(2026, 11, 30, 0, 0, tzinfo=UTC))  # Monday: this week
    lead([prof], datetime(2026, 11, 29, 23, 59, tzinfo=UTC))  # Sunday: last week
    mine = factories.engagement([prof], datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    mine.created_by = agent
    mine.save()
    assert agent_services.counts(agent, wednesday_noon, UTC) == agent_services.Counts(
        leads_today=1, leads_this_week=2, mine_this_week=1, mine_waiting=1
    )


def test_programme_admins_see_links_to_the_admin_pages_that_exist(client, monkeypatch):
    def fake_reverse(name, *args, **kwargs):
        if name == "console:spam":
            return "/console/spam/"
        raise NoReverseMatch(name)

    monkeypatch.setattr(agent_views, "reverse", fake_reverse)
    assert agent_views._admin_pages(factories.user(role=Role.PROGRAMME_ADMIN)) == [
        {"url": "/console/spam/", "title": "Spam queue", "summary": "Referrals partners flagged as spam."}
    ]
    assert agent_views._admin_pages(factories.user(role=Role.AGENT)) == []


def test_the_console_nav_shows_the_admin_pages_to_programme_admins_only(client):
    admin_links = []
    for name in ("console:partners", "console:programme", "console:spam", "console:breaches", "console:analytics"):
        with contextlib.suppress(NoReverseMatch):
            admin_links.append(reverse(name))
    client.force_login(factories.user(role=Role.PROGRAMME_ADMIN))
    admin_page = client.get("/console/").content.decode()
    client.force_login(factories.user(role=Role.AGENT))
    agent_page = client.get("/console/").content.decode()
    nav = re.compile(r'<nav aria-label="Console".*?</nav>', re.S)
    for url in admin_links:
        assert f'href="{url}"' in nav.search(admin_page).group(0)
        assert f'href="{url}"' not in agent_page
    for url in ("/console/", "/console/referrals/new/", "/console/leads/"):
        assert f'href="{url}"' in nav.search(agent_page).group(0)
    assert '<a href="/console/" aria-current="page">Console</a>' in agent_page


def test_the_console_speaks_russian_to_a_russian_speaking_agent(client):
    client.force_login(factories.user(role=Role.AGENT, language="ru"))
    home = client.get("/console/").content.decode()
    assert "Консоль оператора" in home
    assert "На этой неделе вы отправили 0 рекомендаций." in home
    form = client.get("/console/referrals/new/").content.decode()
    assert "Размер компании (сотрудников)" in form
    assert "Найти партнёров" in form
