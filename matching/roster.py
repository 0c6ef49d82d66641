"""The engine's partners (one `Partner` per business profile, paused and suspended ones too), kept per process
and brought up to date from two logs before each decision, instead of every profile read per decision.

- The finder's index log (finder.models IndexStamp / IndexChange): every change of a profile, its tags, places,
  status, capacity, or its partner's status is logged under a version in the transaction of the change
  (finder.indexing). The profiles logged since the roster's version are read again, with their vectors
  (matching.vectors).
- The referral history (ReferralEvent): every referral created, and every move of one, writes a row. The
  profiles with rows since the roster's mark have their open referrals counted again (capacity).

Nothing new costs two primary-key reads (the index's version, the history since the mark). The roster is made
anew (every profile read) when this process has none, the index log no longer holds every change since (pruned
after an hour, or the index rebuilt: `horizon`), or a quarter of it changed.

A history row's id is taken when it is written, so one whose transaction commits after a later one's appears
below the mark: the ids skipped are looked for again, until GAP_WINDOW ids later (as finder.indexing does for
its priors). Index versions have no such gaps: their writers take the version row's lock (IndexStamp).

A roster made inside a transaction may hold what the transaction wrote: it is kept once the transaction
commits, and dropped if it rolls back.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from django.db import connections, transaction
from django.db.models import Count, Q

from finder import text
from finder.models import IndexChange, IndexStamp
from matching import profiles, vectors
from matching.engine.types import Partner, Place
from matching.profiles import CHUNK, Facts
from partners.models import BusinessProfile
from referrals import lifecycle
from referrals.models import Referral, ReferralEvent

GAP_WINDOW = 1000  # a history id skipped this many ids ago is taken as rolled back
# Profiles a decision embeds at most (~4 ms each); the others wait for a later decision or the full refit's
# backfill, so a database without vectors (or a changed model) never holds up one request for minutes.
EMBED_PER_DECISION = 8
REBUILD_SHARE = 0.25  # more profiles than this share changed: read them all


class Stamp(NamedTuple):
    epoch: str
    version: int
    horizon: int


NEVER_INDEXED = Stamp("", 0, 0)


@dataclass(frozen=True)
class Roster:
    """Every profile as the engine knows it, as of an index version and a history mark."""

    epoch: str
    version: int
    mark: int  # the last history row read
    gaps: frozenset[int]  # history ids below the mark not seen yet
    partners: tuple[Partner, ...]
    position: Mapping[int, int]  # profile id -> its place in `partners`
    pending: Mapping[int, vectors.Pending]  # profiles whose vector is not made yet (they have none meanwhile)


_lock = threading.Lock()
_kept: dict[str, Roster] = {}  # database alias -> the roster of committed rows
_recent: dict[str, Roster] = {}  # database alias -> the last roster made: its unchanged Partners are reused


def partners(using: str = "default") -> tuple[Partner, ...]:
    """Every profile as the engine knows it now. An unchanged profile gives the same object as last time, and
    nothing changed gives the same tuple, so the engine's index re-encodes only the profiles that changed."""
    return current(using).partners


def current(using: str = "default") -> Roster:
    stamp = _stamp(using)
    kept = _kept.get(using)
    found = _caught_up(kept, stamp, using) if kept is not None and _follows(kept, stamp) else None
    if found is None:
        found = _made(stamp, using)
    if found is not kept:
        _recent[using] = found
        if connections[using].in_atomic_block:
            transaction.on_commit(lambda: _keep(using, found), using=using)
        else:
            _keep(using, found)
    return found


def forget() -> None:
    """Drop this process's rosters (a test database rolled back under them: ids and versions repeat)."""
    with _lock:
        _kept.clear()
        _recent.clear()


def _keep(using: str, found: Roster) -> None:
    """Keep `found` unless another thread kept a later one meanwhile."""
    with _lock:
        kept = _kept.get(using)
        if kept is None or kept.epoch != found.epoch or (kept.version, kept.mark) <= (found.version, found.mark):
            _kept[using] = found


def _stamp(using: str) -> Stamp:
    found = IndexStamp.objects.using(using).filter(pk=1).values_list("epoch", "version", "horizon").first()
    return Stamp(found[0], int(found[1]), int(found[2])) if found else NEVER_INDEXED


def _follows(kept: Roster, stamp: Stamp) -> bool:
    """The index log holds every change since `kept` (same index, not pruned past it, not rolled back under it)."""
    return kept.epoch == stamp.epoch and stamp.horizon <= kept.version <= stamp.version


# --- Made anew ------------------------------------------------------------------------------------------------


def _made(stamp: Stamp, using: str) -> Roster:
    # The version and the mark are read before the profiles: a change written meanwhile is read again later.
    mark, gaps = _history_mark(using)
    reuse = _recent.get(using)
    read, pending = _read(None, using)
    ordered = tuple(_reused(reuse, partner) for partner in read.values())
    position = {p.profile_id: i for i, p in enumerate(ordered)}
    return Roster(stamp.epoch, stamp.version, mark, gaps, ordered, position, pending)


def _reused(previous: Roster | None, partner: Partner) -> Partner:
    if previous is None:
        return partner
    at = previous.position.get(partner.profile_id)
    same = previous.partners[at] if at is not None else None
    return same if same == partner else partner


def _history_mark(using: str) -> tuple[int, frozenset[int]]:
    """The last history row, and the ids within GAP_WINDOW below it not (yet) visible."""
    recent = list(ReferralEvent.objects.using(using).order_by("-id").values_list("id", flat=True)[:GAP_WINDOW])
    if not recent:
        return 0, frozenset()
    mark = recent[0]
    return mark, frozenset(range(max(1, mark - GAP_WINDOW + 1), mark + 1)) - set(recent)


# --- Caught up ------------------------------------------------------------------------------------------------


def _caught_up(kept: Roster, stamp: Stamp, using: str) -> Roster | None:
    """`kept` with the profiles changed since read again, the open referrals of those with new history counted
    again, and pending vectors made; None when it should be made anew."""
    changed = _changed_since(kept, stamp, using)
    if changed is None:
        return None
    mark, gaps, busy = _new_history(kept, using)
    if not changed and not busy and not kept.pending:
        if (stamp.version, mark, gaps) == (kept.version, kept.mark, kept.gaps):
            return kept
        return replace(kept, version=stamp.version, mark=mark, gaps=gaps)  # the same partners, the same tuple
    partners = list(kept.partners)
    pending, gone, position = _read_again(kept, changed, partners, using)
    _count_again(busy - changed, partners, position, using)
    pending = _settle(pending, partners, position)
    if gone:
        partners = [p for p in partners if p.profile_id not in gone]
        position = {p.profile_id: i for i, p in enumerate(partners)}
    return Roster(stamp.epoch, stamp.version, mark, gaps, tuple(partners), position, pending)


def _changed_since(kept: Roster, stamp: Stamp, using: str) -> set[int] | None:
    """The profiles the index logged since `kept`; None if the log was pruned past it meanwhile, or so many
    changed that reading them all is as cheap."""
    if stamp.version == kept.version:
        return set()
    changed = set(
        IndexChange.objects.using(using)
        .filter(version__gt=kept.version, version__lte=stamp.version, kind=IndexChange.ROW)
        .values_list("profile_id", flat=True)
    )
    if _stamp(using).horizon > kept.version or len(changed) > REBUILD_SHARE * max(1, len(kept.partners)):
        return None
    return changed


def _read_again(
    kept: Roster, changed: set[int], partners: list[Partner], using: str
) -> tuple[dict[int, vectors.Pending], set[int], Mapping[int, int]]:
    """Put the changed profiles as they are now in `partners` (a new one at the end); returns the pending
    vectors, the profiles gone and the positions. `kept`'s positions are shared until a profile is new: a copy of
    100,000 of them costs a decision about 2 ms, and most changes are of profiles already there."""
    fresh, pending = _read(sorted(changed), using)
    position: Mapping[int, int] = kept.position
    new = [pid for pid in fresh if pid not in position]
    if new:
        position = grown = dict(position)
        for pid in new:
            grown[pid] = len(partners)
            partners.append(fresh[pid])
    for pid, partner in fresh.items():
        if pid not in new:
            partners[position[pid]] = _reused(kept, partner)
    pending = {pid: p for pid, p in kept.pending.items() if pid not in changed} | pending
    return pending, {pid for pid in changed if pid not in fresh and pid in position}, position


def _count_again(busy: set[int], partners: list[Partner], position: Mapping[int, int], using: str) -> None:
    counted = sorted(busy & position.keys())
    counts = open_counts(counted, using)
    for pid in counted:
        at, now_open = position[pid], counts.get(pid, 0)
        if partners[at].open_referrals != now_open:
            partners[at] = replace(partners[at], open_referrals=now_open)


def _settle(
    pending: dict[int, vectors.Pending], partners: list[Partner], position: Mapping[int, int]
) -> dict[int, vectors.Pending]:
    """Give the pending profiles the vectors made meanwhile (another process, the full refit's backfill) or now,
    within the budget; returns those still pending."""
    if not pending:
        return pending
    settled = vectors.settle(_first(pending, CHUNK), EMBED_PER_DECISION)
    for pid, vector in settled.vectors.items():
        if pid in position:
            partners[position[pid]] = replace(partners[position[pid]], vector=vector)
    return {pid: p for pid, p in pending.items() if pid not in settled.vectors}


def _new_history(kept: Roster, using: str) -> tuple[int, frozenset[int], set[int]]:
    """The new mark and gaps, and the profiles with history rows since `kept`'s."""
    rows = list(
        ReferralEvent.objects.using(using)
        .filter(Q(id__gt=kept.mark) | Q(id__in=sorted(kept.gaps)))
        .values_list("id", "referral__profile_id")
    )
    seen = {event_id for event_id, _ in rows}
    mark = max(seen | {kept.mark})
    gaps = (kept.gaps - seen) | (frozenset(range(kept.mark + 1, mark + 1)) - seen)
    return mark, frozenset(g for g in gaps if g > mark - GAP_WINDOW), {pid for _, pid in rows}


# --- Reading profiles -----------------------------------------------------------------------------------------


def _first(pending: Mapping[int, vectors.Pending], n: int) -> dict[int, vectors.Pending]:
    return {pid: pending[pid] for pid in sorted(pending)[:n]}


def _read(profile_ids: Sequence[int] | None, using: str) -> tuple[dict[int, Partner], dict[int, vectors.Pending]]:
    """These profiles (all when None) as Partners, by id in id order (a profile gone is missing), and those whose
    vector is pending."""
    found: dict[int, Partner] = {}
    pending: dict[int, vectors.Pending] = {}
    budget = EMBED_PER_DECISION
    ids = list(profile_ids) if profile_ids is not None else profiles.all_ids(using)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        facts = profiles.read(chunk, using)
        visible = BusinessProfile.objects.using(using).visible().filter(pk__in=chunk)
        accepting = set(visible.values_list("pk", flat=True))
        counts = open_counts(chunk, using)
        embedded, settled = vectors.of_profiles(facts.values(), budget)
        budget -= settled.embedded
        pending |= settled.pending
        for pid, one in facts.items():
            found[pid] = _partner(one, pid in accepting, counts.get(pid, 0), embedded[pid])
    return found, pending


def open_counts(profile_ids: Sequence[int], using: str) -> dict[int, int]:
    """How many open referrals each of these profiles has (capacity counts them all, imported ones too)."""
    if not profile_ids:
        return {}
    return dict(
        Referral.objects.using(using)
        .filter(profile_id__in=profile_ids, state__in=sorted(s.value for s in lifecycle.OPEN))
        .values("profile_id")
        .annotate(n=Count("id"))
        .values_list("profile_id", "n")
    )


def declared(facts: Facts) -> Partner:
    """A profile as it declared itself, whatever its status and load."""
    return _partner(facts, accepting=True, open_referrals=0, vector=None)


def _partner(facts: Facts, accepting: bool, open_referrals: int, vector: Sequence[float] | None) -> Partner:
    return Partner(
        profile_id=facts.profile_id,
        partner_id=facts.partner_id,
        joined_at=facts.created_at,
        country=facts.country.upper(),
        places=tuple(Place(lat, lon) for lat, lon in facts.places),
        industries=facts.codes.get("industries", frozenset()),
        products=facts.codes.get("products", frozenset()),
        services=facts.codes.get("services", frozenset()),
        keywords=frozenset(text.stems(" ".join(facts.keywords))),
        sizes=facts.codes.get("target_sizes", frozenset()),
        only_target_sizes=facts.only_target_sizes,
        languages=frozenset(facts.languages),  # none listed: any language (the finder reads it so too)
        accepting=accepting,
        capacity=facts.capacity,
        open_referrals=open_referrals,
        vector=vector,
    )
