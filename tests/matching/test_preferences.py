"""What a partner's answers say about the deals it wants: tallies by kind of deal and by tag, on hand-made answers."""

from __future__ import annotations

from matching import preferences
from matching.preferences import Answer, Key, Tally

CRM = ("product", "crm")
ERP = ("product", "erp")
RETAIL = ("industry", "retail")
SMALL = ("budget", "1")
CLOUD = ("keyword", "cloud")
SAP = ("keyword", "sap")


def answers(accepted: int, turned_down: int, kinds: set[Key], tags: frozenset[Key] = frozenset()) -> list[Answer]:
    return [Answer(True, frozenset(kinds), tags)] * accepted + [Answer(False, frozenset(kinds), tags)] * turned_down


def test_a_kind_accepted_four_times_in_five_is_a_tendency_to_accept():
    found = preferences.tendencies(answers(4, 1, {CRM, RETAIL}))

    assert found.answers == 5
    assert found.accepts == [Tally(RETAIL, 4, 1), Tally(CRM, 4, 1)]  # as strong: by dimension, then value
    assert found.turns_down == []


def test_a_kind_turned_down_every_time_is_a_tendency_to_turn_down():
    found = preferences.tendencies(answers(0, 4, {SMALL}) + answers(1, 0, {CRM}))

    assert found.turns_down == [Tally(SMALL, 0, 4)]
    assert found.accepts == []  # CRM: one answer says nothing yet


def test_too_few_answers_or_no_clear_leaning_say_nothing():
    found = preferences.tendencies(answers(3, 0, {CRM}) + answers(2, 2, {ERP}) + answers(0, 3, {SMALL}))

    assert (found.accepts, found.turns_down) == ([], [])
    assert found.answers == 3 + 4 + 3


def test_the_strongest_tendencies_come_first_and_the_lists_are_bounded():
    kinds = [("industry", f"i{n}") for n in range(8)]
    many = [a for n, kind in enumerate(kinds) for a in answers(4 + n, 0, {kind})]

    found = preferences.tendencies(many)

    assert [t.key for t in found.accepts] == [kinds[7], kinds[6], kinds[5], kinds[4], kinds[3]]
    assert len(found.accepts) == preferences.SHOWN


def test_a_tag_that_mostly_brought_what_the_partner_turned_down_is_to_review():
    found = preferences.tendencies(
        answers(1, 7, {CRM}, frozenset({CLOUD}))
        + answers(3, 1, {ERP}, frozenset({SAP}))  # mostly accepted: fine
        + answers(0, 2, {ERP}, frozenset({RETAIL}))  # two turned down: too few to question
    )

    assert found.tags_to_review == [Tally(CLOUD, 1, 7)]


def test_a_tag_that_brought_as_many_accepted_as_turned_down_is_not_questioned():
    found = preferences.tendencies(answers(2, 4, {CRM}, frozenset({CLOUD})))

    assert found.tags_to_review == []
