"""The operator's engagement page shows every stored routing decision: the candidates in rank order, each one's
score, whether it was chosen, its boost and each signal's points."""

from __future__ import annotations

import re

import pytest

from partners.models import Role
from tests import factories
from tests.decisions import MINE, THEIRS, decided

pytestmark = pytest.mark.django_db


def test_the_operator_sees_why_each_candidate_is_where_it_is(client):
    first = factories.profile(factories.partner("Cloudwerk"))
    second = factories.profile(factories.partner("Nordlicht IT"))
    engagement = factories.engagement([first], source="advertising")
    decided(engagement, [(first, THEIRS, True, ""), (second, MINE, False, "new partner")])
    client.force_login(factories.user(role=Role.AGENT, email="agent@operator.example"))

    body = client.get(f"/console/engagements/{engagement.pk}/").content.decode()

    rows = re.findall(r'<tr data-profile="(\d+)"><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]*)</td>', body)
    assert rows == [
        (str(first.pk), "1", "Cloudwerk", "16.00", "yes"),
        (str(second.pk), "2", "Nordlicht IT", "20.50", ""),
    ]
    assert "Routing decision" in body and "engine engine-7" in body
    assert '<li data-signal="won before">you won 9 of 9 similar Office suite and email deals: 5.000</li>' in body
    assert '<li data-signal="capacity">3 of 5 open referrals: -0.500</li>' in body
    assert "<td>new partner: a fair chance</td>" in body


def test_a_request_no_decision_routed_shows_no_decision(client, profile):
    engagement = factories.engagement([profile])
    client.force_login(factories.user(role=Role.AGENT, email="agent@operator.example"))

    body = client.get(f"/console/engagements/{engagement.pk}/").content.decode()

    assert "Routing decision" not in body
