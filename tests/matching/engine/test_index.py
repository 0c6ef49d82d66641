"""The index remembers the hard rules' answers and they stay `eligibility.exclusion`'s through changes."""

from __future__ import annotations

from random import Random

from matching.engine import eligibility
from matching.engine.index import ELIGIBLE, PartnerIndex
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
