"""The inbox pages by keyset: its links cover every referral once, in the list's order, and only the user's own."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import OutboxMessage
from partners.models import Role
from referrals import list_page, services
from referrals.access import visible_referrals
from referrals.actors import ActorRef
from referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

PER_PAGE = 4
# The inbox's orders as they were before keyset pages (Django's Paginator over these): the pages keep them.
ORDERS_BEFORE = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "deadline": (list_page.F("deadline_at").asc(nulls_last=True), "-created_at", "-id"),
}


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(list_page, "PER_PAGE", PER_PAGE)


def fill(profile, n, closed_every=0):
    """n referrals, three at a time received at the same instant (so only the id tells them apart); every
    `closed_every`th answered no thanks (it leaves the New tab and its deadline)."""
    made = []
    for i in range(n):
        referral = factories.referral(profile, now=factories.NOW - timedelta(hours=i // 3))
        if closed_every and i % closed_every == 0:
            services.skip(referral.pk, ActorRef.system("test"), factories.NOW)
        made.append(referral.pk)
    return made


def expected(user, states, sort):
    chosen = visible_referrals(user).filter(state__in=states).order_by(*ORDERS_BEFORE[sort])
    return list(chosen.values_list("id", flat=True))


def row_ids(body):
    return [int(x) for x in re.findall(r'<tr class="ls-row" data-referral="(\d+)"', body)]


def link(body, rel):
    found = re.search(rf'href="([^"]+)" rel="{rel}"', body)
    return None if found is None else "/referrals/" + html.unescape(found.group(1))


def walk(client, url, rel):
    """The rows of each page, following the `rel` links from `url` to the end."""
    pages = []
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        pages.append(row_ids(body))
        url = link(body, rel)
    return pages


@pytest.mark.parametrize(
    ("tab", "states", "sort"),
    [
        ("new", ["new"], "newest"),
        ("new", ["new"], "oldest"),
        ("new", ["new"], "deadline"),
        ("archive", ["skipped"], "newest"),
        ("archive", ["skipped"], "deadline"),
    ],
)
def test_next_links_show_every_referral_once_in_the_order_the_inbox_had_and_previous_links_walk_back(
    client, profile, admin_user, tab, states, sort
):
    fill(profile, 27, closed_every=2)
    client.force_login(admin_user)
    forward = walk(client, f"/referrals/?tab={tab}&sort={sort}", "next")
    assert [i for page in forward for i in page] == expected(admin_user, states, sort)
    assert [len(page) for page in forward] == [4, 4, 4, 2] if tab == "archive" else [4, 4, 4, 1]
    last = link(client.get(f"/referrals/?tab={tab}&sort={sort}&page={len(forward) - 1}").content.decode(), "next")
    assert walk(client, last, "prev") == forward[::-1]


def test_the_pager_numbers_each_page_it_reaches_by_its_links(signed_in_admin, profile):
    fill(profile, 9)
    first = signed_in_admin.get("/referrals/").content.decode()
    assert "Page 1 of 3" in first and link(first, "prev") is None
    second = signed_in_admin.get(link(first, "next")).content.decode()
    assert "Page 2 of 3" in second and "cursor=" in link(second, "next")
    third = signed_in_admin.get(link(second, "next")).content.decode()
    assert "Page 3 of 3" in third and link(third, "next") is None
    # Back to the first page: from the top, without a cursor.
    assert link(second, "prev") == "/referrals/?page=1"


def test_pages_with_every_kind_of_place_cover_each_referral_once(profile, admin_user):
    """Open and closed together (deadlines and none), ties on the instant: keyset pages, straight from the module."""
    fill(profile, 14, closed_every=3)
    listed = visible_referrals(admin_user)
    for sort in list_page.ORDERS:
        forward, cursor, number = [], "", "1"
        while True:
            page = list_page.inbox_page(listed, sort, number, cursor, None)
            forward.append([r.pk for r in page.rows])
            if not page.has_next:
                break
            cursor, number = page.next_cursor, str(page.next_number)
        assert [i for page_ids in forward for i in page_ids] == list(
            listed.order_by(*ORDERS_BEFORE[sort]).values_list("id", flat=True)
        ), sort
        backward = [[r.pk for r in page.rows]]
        while page.previous_cursor:
            page = list_page.inbox_page(listed, sort, str(page.previous_number), page.previous_cursor, None)
            backward.append([r.pk for r in page.rows])
        assert backward == forward[::-1][:-1], sort  # page 1 is read from the top, without a cursor


def test_a_link_by_page_number_still_opens_that_page(signed_in_admin, profile, admin_user):
    fill(profile, 10)
    listed = expected(admin_user, ["new"], "newest")
    assert row_ids(signed_in_admin.get("/referrals/?page=2").content.decode()) == listed[4:8]
    assert row_ids(signed_in_admin.get("/referrals/?page=99").content.decode()) == listed[8:]
    assert row_ids(signed_in_admin.get("/referrals/?page=-1").content.decode()) == listed[:4]


def snapshot():
    """What a page could change if it went wrong: every referral's state and version, and the outbox."""
    return list(Referral.objects.order_by("id").values_list("id", "state", "version")), OutboxMessage.objects.count()


def odd_cursors():
    naive = json.dumps(["newest", "a", factories.NOW.replace(tzinfo=None).isoformat(), 1])
    return {
        "garbage": "not-a-cursor",
        "another sort's": list_page.encode(list_page.Cursor("oldest", True, (factories.NOW, 1))),
        "an id we never give out": list_page.encode(list_page.Cursor("newest", True, (factories.NOW, 0))),
        "a time without a zone": base64.urlsafe_b64encode(naive.encode()).decode(),
    }


@pytest.mark.parametrize("kind", ["garbage", "another sort's", "an id we never give out", "a time without a zone"])
def test_an_odd_cursor_is_ignored_for_the_page_number_and_changes_nothing(signed_in_admin, profile, admin_user, kind):
    fill(profile, 6)
    before = snapshot()
    response = signed_in_admin.get(f"/referrals/?page=2&cursor={odd_cursors()[kind]}")
    assert response.status_code == 200
    assert row_ids(response.content.decode()) == expected(admin_user, ["new"], "newest")[4:]
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.REFERRALS_ADMIN, Role.REFERRALS_USER])
@pytest.mark.parametrize("search", ["", "mailboxes"])
def test_keyset_pages_never_show_another_partners_referrals(client, role, search):
    mine, theirs = factories.profile(), factories.profile()
    # Received at the same instants, so that every place on a page is also a place of the other partner's.
    fill(mine, 9)
    fill(theirs, 9)
    user = factories.user(mine.partner, role=role)
    user.locations.set(mine.locations.all())
    client.force_login(user)
    seen = [i for page in walk(client, f"/referrals/?q={search}", "next") for i in page]
    assert sorted(seen) == sorted(Referral.objects.filter(partner=mine.partner).values_list("id", flat=True))
    # A cursor at the other partner's rows still lists only the user's own.
    place = (
        Referral.objects.filter(partner=theirs.partner)
        .order_by("-created_at", "-id")
        .values_list("created_at", "id")[2]
    )
    cursor = list_page.encode(list_page.Cursor("newest", True, tuple(place)))
    shown = row_ids(client.get(f"/referrals/?q={search}&page=2&cursor={cursor}").content.decode())
    assert shown and set(shown) <= set(seen)


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/referrals/?page=2", "/referrals/?q=mailboxes&page=2", "/referrals/?sort=deadline"])
def test_a_page_and_the_next_costs_as_many_queries_with_many_referrals_as_with_few(client, url):
    few, many = factories.profile(), factories.profile()
    fill(few, 9)
    fill(many, 40)
    counts = []
    for prof in (few, many):
        client.force_login(factories.user(prof.partner))
        counts.append(queries_for(client, url))
        counts.append(queries_for(client, link(client.get(url).content.decode(), "next")))
    assert counts[:2] == counts[2:]


def test_a_search_numbers_its_pages_without_counting_its_matches(signed_in_admin, profile):
    fill(profile, 6)
    with CaptureQueriesContext(connection) as captured:
        body = signed_in_admin.get("/referrals/?q=mailboxes").content.decode()
    assert "<span>Page 1</span>" in body and len(row_ids(body)) == 4
    assert [q["sql"] for q in captured if "COUNT(" in q["sql"] and "referrals_engagement" in q["sql"]] == []
    second = signed_in_admin.get(link(body, "next")).content.decode()
    assert "<span>Page 2</span>" in second and len(row_ids(second)) == 2 and link(second, "next") is None


@pytest.fixture
def signed_in_admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_members_tab_counts_each_referral_once_however_many_colleagues_share_its_location(
    client, profile, admin_user
):
    member, *colleagues = (factories.user(profile.partner, role=Role.REFERRALS_USER) for _ in range(3))
    for person in (member, *colleagues):
        person.locations.set(profile.locations.all())
    referral = factories.referral(profile)
    services.assign(referral.pk, ActorRef.person(admin_user), factories.NOW, member.pk)
    assert list_page.by_state(visible_referrals(member)) == {"new": 1}
    client.force_login(member)
    body = client.get("/referrals/").content.decode()
    assert re.search(r'\?tab=new"[^>]*>[^<]+<span class="ls-count">1</span>', body)


def test_the_tab_counts_equal_each_states_referrals_counted_one_by_one_for_a_partner_with_many(profile, admin_user):
    member = factories.user(profile.partner, role=Role.REFERRALS_USER, email="bob@partner.example")
    made = fill(profile, 45, closed_every=4)
    for pk in made[1::4]:
        services.mark_interested(pk, ActorRef.system("test"), factories.NOW)
    for pk in made[2::4]:
        services.assign(pk, ActorRef.person(admin_user), factories.NOW, member.pk)
    fill(factories.profile(), 7)  # another partner's

    def one_by_one(user):
        counted: dict[str, int] = {}
        for referral in Referral.objects.filter(partner=profile.partner):
            if user == admin_user or referral.assignee_id == member.pk:
                counted[referral.state] = counted.get(referral.state, 0) + 1
        return counted

    everyone = {"new": 22, "evaluating": 11, "skipped": 12}
    assert list_page.by_state(visible_referrals(admin_user)) == one_by_one(admin_user) == everyone
    assert list_page.by_state(visible_referrals(member)) == one_by_one(member) == {"new": 11}


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the plan is PostgreSQL's")
def test_postgresql_counts_the_tabs_from_the_partner_and_state_index_alone(profile, admin_user):
    fill(profile, 6)
    counted = visible_referrals(admin_user).order_by().values("state").annotate(n=list_page.Count("*")).order_by()
    sql, params = counted.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test database is too small for the planner to want an index at all: only which index it reads is asked.
        for kind in ("seqscan", "bitmapscan", "indexscan"):
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using referral_partner_state" in plan
