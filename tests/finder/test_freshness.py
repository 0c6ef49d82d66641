"""finder.freshness: which snapshot a search uses, and how the table's changes reach it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from finder import freshness, snapshot
from finder.indexing import forget_changes, rebuild_all, refresh_priors, reindex_profiles
from finder.models import IndexChange, IndexStamp
from finder.search import Criteria, search
from partners.models import BusinessProfile
from referrals.models import ProfileResponsiveness
from tests.factories import NOW
from tests.finder.profiles import make

pytestmark = pytest.mark.django_db


@pytest.fixture
def nothing_kept() -> Iterator[None]:
    freshness._kept.clear()
    yield
    freshness._kept.clear()


def ids(criteria: Criteria) -> list[int]:
    return [hit.profile_id for hit in search(criteria, NOW).hits]


def test_inside_a_transaction_a_snapshot_is_used_but_not_kept(nothing_kept: None) -> None:
    make("Uncommitted")
    first = freshness.current()
    assert first is not None and first.size == 1
    assert freshness.current() is not first
    assert freshness._kept == {}


@pytest.mark.django_db(transaction=True)
def test_a_kept_snapshot_catches_up_on_the_rows_changed_since_and_reads_no_other(nothing_kept: None) -> None:
    kept_one, edited = make("Kept", keywords=["crm"]), make("Edited", keywords=["crm"])
    first = freshness.current()
    assert first is not None and freshness.current() is first
    edited.keywords = ["erp"]
    edited.save()
    added = make("Added", keywords=["crm"])
    second = freshness.current()
    assert second is not None and second is not first
    # Two rows appended (the edited one's new version, the added one); the edited one's old row dropped.
    assert (second.size, second.everything.bit_count()) == (4, 3)
    assert ids(Criteria(q="crm")) == [kept_one.pk, added.pk]
    assert ids(Criteria(q="erp")) == [edited.pk]
    assert freshness.current() is second


@pytest.mark.django_db(transaction=True)
def test_a_refreshed_prior_is_set_in_place_without_a_new_row(nothing_kept: None) -> None:
    slow, quick = make("Slow", keywords=["crm"]), make("Quick", keywords=["crm"])
    first = freshness.current()
    assert first is not None and ids(Criteria(q="crm")) == [slow.pk, quick.pk]
    ProfileResponsiveness.objects.create(profile=quick, received=8, answered=8, answered_within_24h=8)
    refresh_priors([quick.pk])
    assert list(IndexChange.objects.filter(version=first.version + 1).values_list("profile_id", "kind")) == [
        (quick.pk, IndexChange.PRIORS)
    ]
    second = freshness.current()
    assert second is not None and (second.size, second.everything.bit_count()) == (2, 2)
    assert ids(Criteria(q="crm")) == [quick.pk, slow.pk]
    assert first.responsiveness.tolist() == [0.5, 0.5]  # the snapshot in use by others is never changed


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_is_built_anew_when_the_log_lost_changes_it_needs(nothing_kept: None) -> None:
    profile = make("Pruned", keywords=["crm"])
    first = freshness.current()
    assert first is not None
    profile.keywords = ["erp"]
    profile.save()
    logged = IndexChange.objects.count()
    IndexChange.objects.update(at=timezone.now() - timedelta(hours=2))
    assert (forget_changes(timezone.now()), IndexChange.objects.count()) == (logged, 0)
    second = freshness.current()
    assert second is not None and (second.size, second.everything.bit_count()) == (1, 1)  # built, not patched
    assert ids(Criteria(q="erp")) == [profile.pk]


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_is_built_anew_once_a_quarter_of_its_rows_would_be_dropped(nothing_kept: None) -> None:
    made = [make(f"P{i}", keywords=["crm"]) for i in range(8)]
    first = freshness.current()
    assert first is not None
    reindex_profiles([made[0].pk])
    patched = freshness.current()
    assert patched is not None and (patched.size, patched.everything.bit_count()) == (9, 8)
    reindex_profiles([p.pk for p in made[1:3]])  # 1 + 2 dropped of 9 rows: more than a quarter
    rebuilt = freshness.current()
    assert rebuilt is not None and (rebuilt.size, rebuilt.everything.bit_count()) == (8, 8)


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_seen_inside_a_rolled_back_transaction_never_serves_later(nothing_kept: None) -> None:
    make("Committed", keywords=["crm"])
    assert freshness.current() is not None
    with pytest.raises(RuntimeError), transaction.atomic():
        make("Rolled back", keywords=["crm"])
        assert len(ids(Criteria(q="crm"))) == 2  # searchable at once by the transaction that wrote it
        raise RuntimeError
    later = make("Later", keywords=["crm"])  # takes the rolled-back version number again
    assert [h.partner_name for h in search(Criteria(q="crm"), NOW).hits] == ["Committed", "Later"]
    assert later.pk in freshness._kept["default"].row_of


def test_without_a_version_row_nothing_is_kept_and_every_search_reads_the_table(nothing_kept: None) -> None:
    make("Unversioned", country="DE")
    IndexStamp.objects.all().delete()
    found = freshness.current()
    assert found is not None and freshness.current() is not found
    assert (found.version, found.everything.bit_count(), search(Criteria(country="DE"), NOW).total) == (0, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_a_process_without_a_snapshot_builds_it_in_its_first_search_and_keeps_it(nothing_kept: None) -> None:
    one, two = make("One", keywords=["crm"]), make("Two", keywords=["crm"], country="FR", city="Paris")
    answered = search(Criteria(q="crm", country="FR"), NOW)
    assert ([h.profile_id for h in answered.hits], answered.total) == ([two.pk], 1)
    assert {v.code: v.count for v in answered.facets["country"]} == {"DE": 1, "FR": 1}
    assert sorted(freshness._kept["default"].row_of) == [one.pk, two.pk]
    assert freshness.current() is freshness._kept["default"]


@pytest.mark.django_db(transaction=True)
def test_a_starting_web_process_prepares_its_snapshot_and_closes_its_connection_before_forking(
    nothing_kept: None,
) -> None:
    profile = make("Prepared", keywords=["crm"])
    freshness.prepare()
    assert list(freshness._kept["default"].row_of) == [profile.pk]
    assert connection.connection is None  # a forked worker opens its own
    assert freshness.current() is freshness._kept["default"]


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_of_another_epoch_is_replaced_in_the_next_search(nothing_kept: None) -> None:
    profile = make("Recreated", keywords=["crm"])
    freshness._kept["default"] = snapshot.build(99, epoch="another database's")
    kept = freshness.current()
    assert list(kept.row_of) == [profile.pk]
    assert kept.epoch == IndexStamp.objects.get(pk=1).epoch
    assert freshness._kept["default"] is kept


@pytest.mark.django_db(transaction=True)
def test_a_change_that_commits_while_another_waits_reaches_a_kept_snapshot_in_order(nothing_kept: None) -> None:
    first, second = make("First", keywords=["crm"]), make("Second", keywords=["crm"])
    assert freshness.current() is not None
    holding, release = threading.Event(), threading.Event()

    def retag(profile: BusinessProfile, wait: bool) -> None:
        try:
            with transaction.atomic():
                profile.keywords = ["erp"]
                profile.save()
                if wait:
                    holding.set()
                    release.wait(10)
        finally:
            connection.close()

    slow = threading.Thread(target=retag, args=(first, True))
    slow.start()
    assert holding.wait(10)
    assert ids(Criteria(q="erp")) == []  # written, not committed: the kept snapshot stays where it was
    fast = threading.Thread(target=retag, args=(second, False))
    fast.start()  # waits for the slow writer's lock on the version
    fast.join(0.5)
    assert fast.is_alive()
    release.set()
    slow.join(10)
    fast.join(10)
    assert ids(Criteria(q="erp")) == [first.pk, second.pk]
    assert ids(Criteria(q="crm")) == []


@pytest.mark.django_db(transaction=True)
def test_after_a_full_reindex_the_next_search_builds_the_snapshot_anew(nothing_kept: None) -> None:
    profile = make("Reindexed", keywords=["crm"])
    old = freshness.current()
    rebuild_all()  # the change log does not hold its changes: every snapshot is built anew
    assert ids(Criteria(q="crm")) == [profile.pk]
    new = freshness._kept["default"]
    assert new is not old and list(new.row_of) == [profile.pk]


@pytest.mark.django_db(transaction=True)
def test_a_deleted_profile_leaves_a_kept_snapshot_without_a_rebuild(nothing_kept: None) -> None:
    kept = [make(f"Kept {i}", keywords=["crm"]) for i in range(4)]
    gone = make("Gone", keywords=["crm"])
    first = freshness.current()
    assert first is not None
    gone_pk = gone.pk
    gone.delete()
    second = freshness.current()
    assert second is not None and (second.size, second.everything.bit_count()) == (5, 4)
    assert gone_pk not in second.row_of and gone_pk in first.row_of
    assert ids(Criteria(q="crm")) == [p.pk for p in kept]
