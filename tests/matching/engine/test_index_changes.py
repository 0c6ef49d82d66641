"""A change of some partners costs the index those rows only: it finds them by comparing the lists, patches what
it remembers per row, and answers (the excluded partners too) as an index built afresh."""

from __future__ import annotations

import pickle
from dataclasses import replace
from random import Random

import numpy as np
import pytest

from matching.engine import features, identities
from matching.engine.index import CHUNK, PartnerIndex, Rows
from tests.matching.engine.builders_random import random_deal, random_partner


def test_the_changed_rows_are_the_partners_not_equal_to_the_ones_held_and_the_rows_only_one_list_has():
    rng = Random(1)
    old = [random_partner(rng, i) for i in range(3000)]
    new = [replace(p) for p in old]  # equal, but other objects: the same data
    new[5] = replace(new[5], open_referrals=new[5].open_referrals + 1)
    new[2500] = replace(new[2500], accepting=not new[2500].accepting)

    held, _ = Rows().updated(old)

    assert held.updated(new)[1] == [5, 2500]
    assert held.updated(new[:2990])[1] == [5, 2500, *range(2990, 3000)]
    assert Rows().updated(old[:10])[0].updated(new[:12])[1] == [5, 10, 11]
    assert held.updated(tuple(old))[1] == []
    assert list(held.updated(new)[0]) == new


def test_the_addresses_of_a_list_or_a_tuple_are_its_items_ids_and_other_sequences_have_none():
    items = [object() for _ in range(5)]

    assert identities.AVAILABLE
    assert identities.addresses(items).tolist() == [id(x) for x in items]
    assert identities.addresses(tuple(items)).tolist() == [id(x) for x in items]
    assert identities.addresses([]).tolist() == []
    assert identities.addresses(range(3)) is None


@pytest.mark.parametrize("readable", [True, False])
def test_rows_found_changed_by_their_addresses_are_the_rows_found_by_comparing_the_partners(
    monkeypatch: pytest.MonkeyPatch, readable: bool
):
    monkeypatch.setattr(identities, "AVAILABLE", readable)
    rng = Random(5)
    partners = [random_partner(rng, i) for i in range(3 * CHUNK + 100)]
    held, _ = Rows().updated(partners)
    for _ in range(40):
        expected = set()
        partners = list(partners)
        for row in rng.sample(range(len(partners)), rng.randint(0, 4)):
            if rng.random() < 0.5:  # equal, another object: not a change, but the rows may keep either
                partners[row] = replace(partners[row])
            else:
                partners[row] = replace(partners[row], open_referrals=partners[row].open_referrals + 1)
                expected.add(row)
        if rng.random() < 0.2:
            cut = rng.randint(CHUNK, len(partners))
            expected = {row for row in expected if row < cut} | set(range(cut, len(partners)))
            partners = partners[:cut]
        if rng.random() < 0.2:
            grown = [random_partner(rng, 10_000 + len(partners) + i) for i in range(rng.randint(1, 50))]
            expected |= set(range(len(partners), len(partners) + len(grown)))
            partners = partners + grown
        given = partners if rng.random() < 0.5 else tuple(partners)

        held, changed = held.updated(given)

        assert sorted(changed) == sorted(expected)
        assert list(held) == partners
        if readable:  # the addresses kept are those of the partners the rows hold
            assert held._addresses is not None and held._addresses.tolist() == [id(p) for p in held]


def test_rows_read_from_a_pickle_keep_no_addresses():
    rng = Random(6)
    held, _ = Rows().updated([random_partner(rng, i) for i in range(10)])

    loaded = pickle.loads(pickle.dumps(held))  # noqa: S301 - its own pickle

    assert held._addresses is not None and loaded._addresses is None and list(loaded) == list(held)


def test_what_the_index_remembers_per_row_stays_what_a_fresh_index_computes_through_changes():
    rng = Random(2)
    partners = [random_partner(rng, i) for i in range(400)]
    kept = PartnerIndex()
    for step in range(30):
        request = random_deal(rng, step)
        asked = frozenset(rng.sample(range(400), 2))
        kept.sync(partners)
        codes = kept.exclusions(request, asked)
        load = features.load(kept).copy()
        languages = kept.memo(("languages", "de"), lambda at: features._declares(kept, "languages", "de", at)).copy()
        excluded = kept.excluded(codes)

        fresh = PartnerIndex()
        fresh.sync(list(partners))
        fresh_codes = fresh.exclusions(request, asked)
        assert kept.reasons(codes) == fresh.reasons(fresh_codes)
        assert excluded == fresh.excluded(fresh_codes)
        assert load.tolist() == features.load(fresh).tolist()
        assert languages.tolist() == [("de" in p.languages) for p in partners]

        partners = list(partners)
        for row in rng.sample(range(400), 3):  # as capacity fills and profiles are edited between decisions
            partners[row] = random_partner(rng, row)


def test_a_change_recomputes_the_changed_rows_only():
    rng = Random(3)
    partners = [random_partner(rng, i) for i in range(300)]
    kept = PartnerIndex()
    kept.sync(partners)
    computed: list[int] = []

    def compute(at: np.ndarray | slice) -> np.ndarray:
        rows = np.arange(len(kept))[at]
        computed.extend(rows.tolist())
        return np.asarray(kept.open_referrals[at])

    kept.memo("open", compute)
    computed.clear()
    partners = list(partners)
    partners[7] = replace(partners[7], open_referrals=partners[7].open_referrals + 1)
    kept.sync(partners)

    assert computed == [7]
    assert kept.memo("open", compute)[7] == partners[7].open_referrals


def test_an_index_stored_in_an_earlier_shape_loads_as_a_new_empty_index_that_syncs():
    rng = Random(4)
    partners = [random_partner(rng, i) for i in range(5)]
    stored = PartnerIndex.__new__(PartnerIndex)
    stored.__setstate__({"partners": [], "_object_ids": np.empty(0, dtype=np.int64), "_memo_version": -1})

    stored.sync(partners)

    assert len(stored) == 5 and list(stored.partners) == partners
    assert len(pickle.loads(pickle.dumps(stored))) == 0  # noqa: S301 - its own pickle
