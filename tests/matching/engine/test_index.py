"""The index remembers the hard rules' answers and they stay `eligibility.exclusion`'s through changes."""

from __future__ import annotations

from dataclasses import replace
from random import Random

import numpy as np
import pytest

from matching.embeddings import Vector
from matching.engine import compact, eligibility
from matching.engine import index as index_module
from matching.engine.index import ELIGIBLE, PartnerIndex, eligibility_key
from matching.engine.types import Deal, Partner
from tests.matching.engine.builders_random import random_deal, random_partner


def test_the_remembered_hard_rules_answer_as_eligibility_exclusion_through_changes():
    rng = Random(3)
    index = PartnerIndex()
    partners = [random_partner(rng, i) for i in range(60)]
    for step in range(40):
        index.sync(partners)
        request = random_deal(rng, step)
        asked = frozenset(rng.sample(range(60), 3))
        codes = index.exclusions(request, asked)
        plain = [eligibility.exclusion(request, p, asked) for p in partners]
        assert index.reasons(codes) == plain
        assert [code == ELIGIBLE for code in codes.tolist()] == [reason == "" for reason in plain]
        changed = rng.randrange(60)  # a partner changes between two decisions, as capacity fills
        partners = list(partners)
        partners[changed] = random_partner(rng, changed)


def test_the_index_remembers_the_hard_rules_of_the_most_recently_asked_keys_only(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(index_module, "EXCLUSION_KEYS", 2)
    rng = Random(5)
    partners = [random_partner(rng, i) for i in range(40)]
    index = PartnerIndex()
    index.sync(partners)
    german, french, polish = (replace(random_deal(rng, 1), size="10-49", country=c) for c in ("DE", "FR", "PL"))

    for request in (german, french, german, polish):
        index.exclusions(request, frozenset())

    assert list(index._exclusions) == [eligibility_key(german), eligibility_key(polish)]
    again = index.exclusions(french, frozenset())  # dropped, so asked again of the rules' owner
    assert index.reasons(again) == [eligibility.exclusion(french, p, frozenset()) for p in partners]
    assert list(index._exclusions) == [eligibility_key(polish), eligibility_key(french)]


def synced(seed: int) -> tuple[list[Partner], PartnerIndex]:
    partners = [random_partner(Random(seed * 1000 + i), i) for i in range(40)]
    index = PartnerIndex()
    index.sync(partners)
    return partners, index


def excluded_by_the_rules(request: Deal, partners: list[Partner], asked: frozenset[int]) -> dict[int, str]:
    found = {p.profile_id: eligibility.exclusion(request, p, asked) for p in partners}
    return {profile_id: reason for profile_id, reason in found.items() if reason}


def test_a_decisions_excluded_partners_stay_as_they_were_when_the_partners_change_after_it():
    partners, index = synced(6)
    request = random_deal(Random(6), 1)
    asked = [frozenset(), frozenset({3})]
    excluded = [index.excluded(index.exclusions(request, each)) for each in asked]
    before = [excluded_by_the_rules(request, partners, each) for each in asked]
    changed = list(partners)
    for row in (3, 8, 21):  # fewer than REBUILD_SHARE of the rows: the remembered codes are patched in place
        changed[row] = replace(partners[row], accepting=not partners[row].accepting)
    changed[30] = replace(partners[30], profile_id=1000)

    index.sync(changed)
    after = index.excluded(index.exclusions(request, frozenset()))

    assert excluded == before
    assert excluded[1][3] == eligibility.ALREADY_ASKED
    assert after == excluded_by_the_rules(request, changed, frozenset())


def test_one_partner_is_looked_up_among_a_decisions_excluded_partners_as_in_all_of_them():
    partners, index = synced(7)
    request = random_deal(Random(7), 1)
    expected = excluded_by_the_rules(request, partners, frozenset())
    codes = index.exclusions(request, frozenset())

    one_by_one = {p.profile_id: index.excluded(codes).get(p.profile_id) for p in partners}

    assert {profile_id: reason for profile_id, reason in one_by_one.items() if reason} == expected
    assert len(expected) < len(partners) and None in one_by_one.values()
    assert index.excluded(codes).get(999) is None
    assert dict(index.excluded(codes)) == expected


def wide_vectors(seed: int, n: int) -> list[Vector]:
    rows = np.random.default_rng(seed).standard_normal((n, compact.WORTHWHILE_ABOVE + 1))
    return [Vector(row) for row in rows]


def test_the_compact_vectors_follow_a_vector_that_changed_after_they_were_built():
    partners = [replace(random_partner(Random(i), i), vector=v) for i, v in enumerate(wide_vectors(1, 40))]
    index = PartnerIndex()
    index.sync(partners)
    built = index.compact_vectors()
    changed = list(partners)
    changed[9] = replace(partners[9], vector=wide_vectors(2, 1)[0])

    index.sync(changed)
    found = index.compact_vectors()

    assert found is not built
    new = np.asarray(changed[9].vector, dtype=np.float64)
    unit = new / np.linalg.norm(new)
    assert np.allclose(found.codes[9] * found.scale[9], unit, atol=found.scale[9])
    assert index.compact_vectors() is found  # kept until a vector changes again


def test_an_index_whose_vectors_are_few_dimensions_keeps_no_compact_copy():
    narrow = np.random.default_rng(3).standard_normal((5, compact.WORTHWHILE_ABOVE))
    index = PartnerIndex()
    index.sync([replace(random_partner(Random(i), i), vector=Vector(row)) for i, row in enumerate(narrow)])

    assert index.compact_vectors() is None
