"""finder.snapshot: the search table as a process keeps it: bitsets, posting lists, places, built in parts."""

from __future__ import annotations

import pytest

from finder import freshness, snapshot
from tests.finder.profiles import make

pytestmark = pytest.mark.django_db


def test_a_bitset_holds_the_rows_given_and_gives_back_their_profile_ids() -> None:
    first, second, third = (
        make(name, industries=codes) for name, codes in (("A", ["retail"]), ("B", []), ("C", ["retail"]))
    )
    found = freshness.current()
    assert found is not None
    rows = found.rows([third.pk, first.pk, 999_999])  # an id not in the table is left out
    assert (rows.bit_count(), found.profile_ids(rows)) == (2, [first.pk, third.pk])
    assert found.profile_ids(found.passing("industry", "retail")) == [first.pk, third.pk]
    assert found.profile_ids(found.everything) == [first.pk, second.pk, third.pk]
    assert found.profile_ids(0) == []


def test_the_words_are_posting_lists_of_the_tags_and_of_everything() -> None:
    tagged = make("Tagged", keywords=["email migration"])
    described = make("Described", description="We migrate email.")
    found = freshness.current()
    assert found is not None
    assert found.profile_ids(found.having(["email", "migrat"])) == [tagged.pk, described.pk]
    assert found.tag_hits(["email", "migrat"], found.numbers(found.everything)).tolist() == [2, 0]
    assert found.having(["nowher"]) == 0


def test_within_gives_the_rows_with_a_place_in_the_radius_and_the_nearest_ones_km() -> None:
    berlin = make("Berlin", city="Berlin")
    potsdam = make("Potsdam", city="Potsdam")
    make("Munich", city="Munich")
    found = freshness.current()
    assert found is not None
    rows, km = found.within(52.52437, 13.41053, 50.0)  # Berlin's coordinates in the bundled list
    assert [int(found.ids[row]) for row in rows] == [berlin.pk, potsdam.pk]
    assert km[0] == 0.0 and 25.0 < km[1] < 30.0


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
