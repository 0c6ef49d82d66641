"""The inbox costs the same number of SQL queries whatever the number of referrals."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Role
from referrals import services
from referrals.actors import ActorRef
from tests import factories

pytestmark = pytest.mark.django_db


def fill(profile, n):
    """n referrals, a third of them evaluating (their contacts show), the rest new."""
    for i in range(n):
        referral = factories.referral(profile, now=timezone.now())
        if i % 3 == 0:
            services.mark_interested(referral.pk, ActorRef.system("test"), timezone.now())


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/referrals/", "/referrals/?tab=evaluating", "/referrals/?tab=archive&q=cloud"])
def test_the_inbox_runs_as_many_queries_for_30_referrals_as_for_3(client, url):
    few, many = factories.profile(), factories.profile()
    fill(few, 3)
    fill(many, 30)
    client.force_login(factories.user(few.partner))
    with_few = queries_for(client, url)
    client.force_login(factories.user(many.partner))
    with_many = queries_for(client, url)
    assert with_few == with_many


def test_a_referrals_user_inbox_also_runs_a_fixed_number_of_queries(client):
    few, many = factories.profile(), factories.profile()
    fill(few, 3)
    fill(many, 30)
    counts = []
    for prof in (few, many):
        member = factories.user(prof.partner, role=Role.REFERRALS_USER)
        member.locations.set(prof.locations.all())
        client.force_login(member)
        counts.append(queries_for(client, "/referrals/?tab=evaluating"))
    assert counts[0] == counts[1]


def test_the_inbox_counts_every_tab_in_one_grouped_query(client, profile):
    fill(profile, 4)
    client.force_login(factories.user(profile.partner))
    with CaptureQueriesContext(connection) as captured:
        client.get("/referrals/")
    grouped = [q["sql"] for q in captured if "GROUP BY" in q["sql"] and "COUNT" in q["sql"].upper()]
    assert len(grouped) == 1
