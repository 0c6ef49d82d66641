"""finder.snapshot: what each process keeps of the search table, and how the table's changes reach it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from finder import engine, plans, snapshot
from finder.indexing import forget_changes, refresh_priors, reindex_profiles
from finder.models import IndexChange, IndexStamp
from finder.search import Criteria, search
from referrals.models import ProfileResponsiveness
from tests.factories import NOW
from tests.finder.profiles import make

pytestmark = pytest.mark.django_db


@pytest.fixture
def nothing_kept() -> Iterator[None]:
    snapshot._kept.clear()
    yield
    snapshot._kept.clear()


def ids(criteria: Criteria) -> list[int]:
    return [hit.profile_id for hit in search(criteria, NOW).hits]


def test_a_bitset_holds_the_rows_given_and_gives_back_their_profile_ids() -> None:
    first, second, third = (
        make(name, industries=codes) for name, codes in (("A", ["retail"]), ("B", []), ("C", ["retail"]))
    )
    found = snapshot.current()
    assert found is not None
    rows = found.rows([third.pk, first.pk, 999_999])  # an id not in the table is left out
    assert (rows.bit_count(), found.profile_ids(rows)) == (2, [first.pk, third.pk])
    assert found.profile_ids(found.passing("industry", "retail")) == [first.pk, third.pk]
    assert found.profile_ids(found.everything) == [first.pk, second.pk, third.pk]
    assert found.profile_ids(0) == []


def test_the_words_are_posting_lists_of_the_tags_and_of_everything() -> None:
    tagged = make("Tagged", keywords=["email migration"])
    described = make("Described", description="We migrate email.")
    found = snapshot.current()
    assert found is not None
    assert found.profile_ids(found.having(["email", "migrat"])) == [tagged.pk, described.pk]
    assert found.tag_hits(["email", "migrat"], found.numbers(found.everything)).tolist() == [2, 0]
    assert found.having(["nowher"]) == 0


def test_within_gives_the_rows_with_a_place_in_the_radius_and_the_nearest_ones_km() -> None:
    berlin = make("Berlin", city="Berlin")
    potsdam = make("Potsdam", city="Potsdam")
    make("Munich", city="Munich")
    found = snapshot.current()
    assert found is not None
    rows, km = found.within(52.52437, 13.41053, 50.0)  # Berlin's coordinates in the bundled list
    assert [int(found.ids[row]) for row in rows] == [berlin.pk, potsdam.pk]
    assert km[0] == 0.0 and 25.0 < km[1] < 30.0


def test_inside_a_transaction_a_snapshot_is_used_but_not_kept(nothing_kept: None) -> None:
    make("Uncommitted")
    first = snapshot.current()
    assert first is not None and first.size == 1
    assert snapshot.current() is not first
    assert snapshot._kept == {}


@pytest.mark.django_db(transaction=True)
def test_a_kept_snapshot_catches_up_on_the_rows_changed_since_and_reads_no_other(nothing_kept: None) -> None:
    kept_one, edited = make("Kept", keywords=["crm"]), make("Edited", keywords=["crm"])
    first = snapshot.current()
    assert first is not None and snapshot.current() is first
    edited.keywords = ["erp"]
    edited.save()
    added = make("Added", keywords=["crm"])
    second = snapshot.current()
    assert second is not None and second is not first
    # Two rows appended (the edited one's new version, the added one); the edited one's old row dropped.
    assert (second.size, second.everything.bit_count()) == (4, 3)
    assert ids(Criteria(q="crm")) == [kept_one.pk, added.pk]
    assert ids(Criteria(q="erp")) == [edited.pk]
    assert snapshot.current() is second


@pytest.mark.django_db(transaction=True)
def test_a_refreshed_prior_is_set_in_place_without_a_new_row(nothing_kept: None) -> None:
    slow, quick = make("Slow", keywords=["crm"]), make("Quick", keywords=["crm"])
    first = snapshot.current()
    assert first is not None and ids(Criteria(q="crm")) == [slow.pk, quick.pk]
    ProfileResponsiveness.objects.create(profile=quick, received=8, answered=8, answered_within_24h=8)
    refresh_priors([quick.pk])
    assert list(IndexChange.objects.filter(version=first.version + 1).values_list("profile_id", "kind")) == [
        (quick.pk, IndexChange.PRIORS)
    ]
    second = snapshot.current()
    assert second is not None and (second.size, second.everything.bit_count()) == (2, 2)
    assert ids(Criteria(q="crm")) == [quick.pk, slow.pk]
    assert first.responsiveness.tolist() == [0.5, 0.5]  # the snapshot in use by others is never changed


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_is_built_anew_when_the_log_lost_changes_it_needs(nothing_kept: None) -> None:
    profile = make("Pruned", keywords=["crm"])
    first = snapshot.current()
    assert first is not None
    profile.keywords = ["erp"]
    profile.save()
    logged = IndexChange.objects.count()
    IndexChange.objects.update(at=timezone.now() - timedelta(hours=2))
    assert (forget_changes(timezone.now()), IndexChange.objects.count()) == (logged, 0)
    second = snapshot.current()
    assert second is not None and (second.size, second.everything.bit_count()) == (1, 1)  # built, not patched
    assert ids(Criteria(q="erp")) == [profile.pk]


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_is_built_anew_once_a_quarter_of_its_rows_would_be_dropped(nothing_kept: None) -> None:
    made = [make(f"P{i}", keywords=["crm"]) for i in range(8)]
    first = snapshot.current()
    assert first is not None
    reindex_profiles([made[0].pk])
    patched = snapshot.current()
    assert patched is not None and (patched.size, patched.everything.bit_count()) == (9, 8)
    reindex_profiles([p.pk for p in made[1:3]])  # 1 + 2 dropped of 9 rows: more than a quarter
    rebuilt = snapshot.current()
    assert rebuilt is not None and (rebuilt.size, rebuilt.everything.bit_count()) == (8, 8)


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_seen_inside_a_rolled_back_transaction_never_serves_later(nothing_kept: None) -> None:
    make("Committed", keywords=["crm"])
    assert snapshot.current() is not None
    with pytest.raises(RuntimeError), transaction.atomic():
        make("Rolled back", keywords=["crm"])
        assert len(ids(Criteria(q="crm"))) == 2  # searchable at once by the transaction that wrote it
        raise RuntimeError
    later = make("Later", keywords=["crm"])  # takes the rolled-back version number again
    assert [h.partner_name for h in search(Criteria(q="crm"), NOW).hits] == ["Committed", "Later"]
    assert later.pk in snapshot._kept["default"].row_of


def test_each_write_and_delete_raises_the_version_and_logs_the_profile() -> None:
    profile = make("Logged")
    before = IndexStamp.objects.get(pk=1).version
    profile.keywords = ["crm"]
    profile.save()
    pk = profile.pk
    profile.delete()
    assert IndexStamp.objects.get(pk=1).version == before + 2
    assert list(IndexChange.objects.filter(version__gt=before).values_list("version", "profile_id", "kind")) == [
        (before + 1, pk, IndexChange.ROW),
        (before + 2, pk, IndexChange.ROW),
    ]
    assert search(Criteria(), NOW).total == 0


def test_without_a_version_row_nothing_is_kept_and_every_search_reads_the_table(nothing_kept: None) -> None:
    make("Unversioned", country="DE")
    IndexStamp.objects.all().delete()
    found = snapshot.current()
    assert found is not None and snapshot.current() is not found
    assert (found.version, found.everything.bit_count(), search(Criteria(country="DE"), NOW).total) == (0, 1, 1)


def test_old_changes_are_forgotten_and_the_horizon_raised_to_the_last_one_forgotten() -> None:
    profile = make("Forgotten")
    for keyword in ("crm", "erp"):
        profile.keywords = [keyword]
        profile.save()
    old, new = list(IndexChange.objects.order_by("version"))[-2:]
    logged = IndexChange.objects.count()
    IndexChange.objects.exclude(pk=new.pk).update(at=NOW - timedelta(hours=2))
    IndexChange.objects.filter(pk=new.pk).update(at=NOW)
    assert forget_changes(NOW) == logged - 1
    assert list(IndexChange.objects.values_list("pk", flat=True)) == [new.pk]
    assert IndexStamp.objects.get(pk=1).horizon == old.version
    assert forget_changes(NOW) == 0


@pytest.mark.django_db(transaction=True)
def test_in_the_background_the_database_answers_until_the_first_snapshot_is_built(nothing_kept: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FINDER_SNAPSHOT_BUILD = "background"
    one, two = make("One", keywords=["crm"]), make("Two", keywords=["crm"], country="FR", city="Paris")
    criteria = Criteria(q="crm", country="FR")
    answered = search(criteria, NOW)  # no snapshot yet: a thread builds it, the database answers
    assert ([h.profile_id for h in answered.hits], answered.total) == ([two.pk], 1)
    assert {v.code: v.count for v in answered.facets["country"]} == {"DE": 1, "FR": 1}
    join_builders()
    kept = snapshot.current()
    assert kept is not None and snapshot._kept["default"] is kept
    from_memory = engine.run_in_memory(plans.plan(criteria, None, 20), kept)
    assert from_memory == engine.run_in_database(plans.plan(criteria, None, 20))
    assert one.pk in kept.row_of


def plain(found: snapshot.Snapshot) -> dict[str, object]:
    """A snapshot's content as lists and dicts, to compare two."""
    return {
        "ids": found.ids.tolist(),
        "row_of": found.row_of,
        "everything": found.everything,
        "bits": found.bits,
        "every_size": found.every_size,
        "words": {stem: rows.tolist() for stem, rows in found.words.items()},
        "tag_words": {stem: rows.tolist() for stem, rows in found.tag_words.items()},
        "tag_terms": found.tag_terms.tolist(),
        "targets": {code: rows.tolist() for code, rows in found.targets.items()},
        "untargeted": found.untargeted.tolist(),
        "priors": (found.responsiveness.tolist(), found.outcomes.tolist()),
        "places": (found.places.lat.tolist(), found.places.lon.tolist(), found.places.row.tolist()),
    }


def test_a_snapshot_read_a_few_rows_at_a_time_is_the_one_read_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for i, (city, sizes) in enumerate([("Berlin", ["10-49"]), ("Potsdam", []), ("Munich", ["5000+", "10-49"])] * 3):
        make(f"P{i}", city=city, keywords=["crm", f"word{i % 4}"], sizes=sizes, only_target_sizes=i % 2 == 0)
    at_once = snapshot.build(1)
    monkeypatch.setattr(snapshot, "BUILD_ROWS", 2)
    assert plain(snapshot.build(1)) == plain(at_once)
    assert at_once.size == 9 and len(at_once.places.row) == 9


def join_builders() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("finder-snapshot-"):
            thread.join(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_starting_web_process_warms_its_snapshot_in_the_background(nothing_kept: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FINDER_SNAPSHOT_BUILD = "background"
    profile = make("Warm", keywords=["crm"])
    snapshot.warm()
    join_builders()
    assert list(snapshot._kept["default"].row_of) == [profile.pk]
    assert snapshot.current() is snapshot._kept["default"]


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_of_another_epoch_is_replaced_by_the_background_build(nothing_kept: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FINDER_SNAPSHOT_BUILD = "background"
    profile = make("Recreated", keywords=["crm"])
    snapshot._kept["default"] = snapshot.build(99, epoch="another database's")
    assert snapshot.current() is None
    join_builders()
    kept = snapshot.current()
    assert kept is not None and list(kept.row_of) == [profile.pk]
    assert kept.epoch == IndexStamp.objects.get(pk=1).epoch
