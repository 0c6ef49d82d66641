"""finder.facet_index: the filter bitsets each process keeps, and how a change of the search table reaches them."""

from __future__ import annotations

import pytest

from finder import snapshot
from finder.models import IndexStamp
from finder.search import Criteria, search
from tests.factories import NOW
from tests.finder.profiles import make

pytestmark = pytest.mark.django_db


def test_a_bitset_holds_the_rows_given_and_gives_back_their_profile_ids() -> None:
    first, second, third = (
        make(name, industries=codes) for name, codes in (("A", ["retail"]), ("B", []), ("C", ["retail"]))
    )
    index = snapshot.current()
    rows = index.rows([third.pk, first.pk, 999_999])  # an id not in the table is left out
    assert (rows.bit_count(), index.profile_ids(rows)) == (2, [first.pk, third.pk])
    assert index.profile_ids(index.passing("industry", "retail")) == [first.pk, third.pk]
    assert index.profile_ids(index.everything) == [first.pk, second.pk, third.pk]
    assert index.profile_ids(0) == []


def test_the_index_is_kept_while_the_stamp_stands_and_rebuilt_when_it_moves() -> None:
    make("Kept", country="DE")
    index = snapshot.current()
    assert snapshot.current() is index
    make("Added", country="FR", city="Paris")  # indexing writes a new stamp in the change's transaction
    rebuilt = snapshot.current()
    assert rebuilt is not index
    assert (sorted(rebuilt.bits["country"]), rebuilt.everything.bit_count()) == (["DE", "FR"], 2)


def test_each_write_and_delete_of_the_search_table_moves_the_stamp() -> None:
    profile = make("Stamped")
    stamps = [IndexStamp.objects.get(pk=1).stamp]
    profile.keywords = ["crm"]
    profile.save()
    stamps.append(IndexStamp.objects.get(pk=1).stamp)
    profile.delete()
    stamps.append(IndexStamp.objects.get(pk=1).stamp)
    assert len(set(stamps)) == 3
    assert search(Criteria(), NOW).total == 0


def test_without_a_stamp_nothing_is_kept_and_every_search_reads_the_table() -> None:
    make("Unstamped", country="DE")
    IndexStamp.objects.all().delete()
    index = snapshot.current()
    assert snapshot.current() is not index
    assert (index.stamp, index.everything.bit_count(), search(Criteria(country="DE"), NOW).total) == ("", 1, 1)
