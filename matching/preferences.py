"""What a partner's answers say about the deals it wants, without Django: the kinds of deal (industry, product,
company size, budget bucket) it tends to accept or to turn down, and the tags of its profile that bring requests
it turns down. Answered referrals in, tallies out; matching/scorecard.py reads the rows and says them in words.

An answer is *accepted* when the referral reached negotiation, *turned down* when the partner said no thanks or
declined. A referral still open, missed or expired says nothing about what the partner wants, so it is no answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# (dimension, value): ("industry", "retail"), ("product", "crm"), ("size", "10-49"), ("budget", "1");
# a tag: ("keyword", "cloud migration"), ("industry", code), ("product", code), ("service", code).
Key = tuple[str, str]

MIN_ANSWERS = 4  # a kind of deal answered fewer times says nothing yet
LEANING = 0.75  # accepted, or turned down, at least this share of the time: a tendency worth telling
MIN_TURNED_DOWN = 3  # a tag is worth questioning once it brought this many requests the partner turned down
SHOWN = 5  # lines per list at most: the strongest tendencies


@dataclass(frozen=True)
class Answer:
    accepted: bool  # else turned down
    kinds: frozenset[Key]  # what kind of deal it was
    tags: frozenset[Key] = frozenset()  # the partner's tags the request matched (they brought it)


@dataclass(frozen=True)
class Tally:
    key: Key
    accepted: int
    turned_down: int

    @property
    def total(self) -> int:
        return self.accepted + self.turned_down


@dataclass(frozen=True)
class Tendencies:
    answers: int  # answers read
    accepts: list[Tally]  # kinds of deal it tends to accept, the most answered first
    turns_down: list[Tally]  # kinds of deal it tends to turn down, the most turned down first
    tags_to_review: list[Tally]  # tags that mostly bring what it turns down, the most turned down first


def tally(answers: Iterable[Answer], keys: Callable[[Answer], frozenset[Key]]) -> list[Tally]:
    """How often each key's answers were accepted and turned down, ordered by key."""
    accepted: Counter[Key] = Counter()
    turned_down: Counter[Key] = Counter()
    for answer in answers:
        (accepted if answer.accepted else turned_down).update(keys(answer))
    return [Tally(key, accepted[key], turned_down[key]) for key in sorted(accepted.keys() | turned_down.keys())]


def tendencies(answers: list[Answer]) -> Tendencies:
    kinds = [t for t in tally(answers, lambda a: a.kinds) if t.total >= MIN_ANSWERS]
    accepts = [t for t in kinds if t.accepted >= LEANING * t.total]
    turns_down = [t for t in kinds if t.turned_down >= LEANING * t.total]
    tags = [
        t
        for t in tally(answers, lambda a: a.tags)
        if t.turned_down >= MIN_TURNED_DOWN and t.turned_down >= LEANING * t.total
    ]
    return Tendencies(
        answers=len(answers),
        accepts=sorted(accepts, key=lambda t: (-t.total, -t.accepted, t.key))[:SHOWN],
        turns_down=sorted(turns_down, key=lambda t: (-t.turned_down, t.accepted, t.key))[:SHOWN],
        tags_to_review=sorted(tags, key=lambda t: (-t.turned_down, t.accepted, t.key))[:SHOWN],
    )
