"""Which snapshot of the search table (finder.snapshot) a search uses: the one this process keeps, brought up
to date through the change log when the index's version moved (one primary-key read per search tells), or
built anew in the search that finds none (the first one of a process that was not prepared, or after a full
reindex). A web process prepares its snapshot before it serves (`prepare`, from leadshare/wsgi.py: with
gunicorn's --preload, once in the master before it forks its workers).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import NamedTuple

from django.db import DatabaseError, connections
from django.db.models import Min

from finder.models import IndexChange, IndexStamp, SearchEntry
from finder.snapshot import Floats, Snapshot, bitset, build, listed, merged

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_kept: dict[str, Snapshot] = {}  # database alias -> its snapshot
# More rows than this share of the snapshot replaced or gone: build it anew rather than patch it.
REBUILD_SHARE = 0.25


class Versions(NamedTuple):
    epoch: str
    version: int
    horizon: int


def _versions(using: str) -> Versions | None:
    """The index's epoch, version and horizon (finder.models.IndexStamp); None if it was never indexed."""
    found = IndexStamp.objects.using(using).filter(pk=1).values_list("epoch", "version", "horizon").first()
    return Versions(found[0], int(found[1]), int(found[2])) if found else None


def current(using: str = "default") -> Snapshot:
    """The snapshot of the search table as it is now (as of the version, read first: rows written since are at
    worst in the snapshot already, and are read again when it catches up on their version), built anew when
    this process has none yet or the one it has cannot catch up.

    Inside a transaction the snapshot may hold the transaction's own uncommitted rows: it is used, not kept."""
    versions = _versions(using)
    if versions is None:
        return build(0, using)
    epoch, version, horizon = versions
    kept = _kept.get(using)
    if kept is not None and kept.epoch != epoch:
        kept = None
    if kept is not None and kept.version == version:
        return kept
    found = caught_up(kept, version, using) if kept is not None and horizon <= kept.version < version else None
    if found is None:
        found = build(version, using, epoch=epoch)
    if not connections[using].in_atomic_block:
        _keep(using, found)
    return found


def _keep(using: str, found: Snapshot) -> None:
    """Keep `found` unless a newer snapshot of the same epoch is kept already (another thread's)."""
    with _lock:
        kept = _kept.get(using)
        if kept is None or kept.epoch != found.epoch or kept.version <= found.version:
            _kept[using] = found


def prepare(using: str = "default") -> None:
    """Build this process's snapshot now (a web server starting), so that its first search finds it ready.
    The connection it used is closed: a master process that forks its workers next must not hand them a
    socket they would share."""
    try:
        current(using)
    except DatabaseError as error:  # e.g. not migrated yet: the first search builds it
        logger.warning("The finder's snapshot was not built: %s", error)
    finally:
        connections[using].close()


def caught_up(kept: Snapshot, version: int, using: str = "default") -> Snapshot | None:
    """The snapshot brought from its version to `version` through the change log: the rows changed since are
    read again and appended, the versions they replace (and rows gone) dropped from `everything`; the priors
    refreshed since are read alone and set in place. None (to be built anew) if the log no longer holds every
    change since (pruned, or the table rebuilt), or once dropped rows would be more than a quarter of it."""
    changes = IndexChange.objects.using(using).filter(version__gt=kept.version, version__lte=version)
    kinds = dict(changes.values("profile_id").annotate(least=Min("kind")).values_list("profile_id", "least"))
    versions = _versions(using)
    if versions is None or versions.horizon > kept.version:  # pruned while being read
        return None
    rows_changed = sorted(pid for pid, kind in kinds.items() if kind == IndexChange.ROW)
    priors_changed = sorted(pid for pid, kind in kinds.items() if kind == IndexChange.PRIORS)
    dropped = [row for pid in rows_changed if (row := kept.row_of.get(pid)) is not None]
    dead = kept.size - kept.everything.bit_count() + len(dropped)
    if dead > REBUILD_SHARE * (kept.size + len(rows_changed)):
        return None
    responsiveness, outcomes = _priors(kept, priors_changed, using)
    base = replace(kept, version=version, responsiveness=responsiveness, outcomes=outcomes)
    if not rows_changed:
        return base
    added = build(version, using, only=rows_changed, known=kept.phrase_vectors)
    found = merged(replace(base, everything=base.everything & ~bitset(dropped, kept.size)), added)
    for pid in rows_changed:  # gone (not read again): the copy merged made is not shared yet
        if pid not in added.row_of:
            found.row_of.pop(pid, None)
    return found


def _priors(kept: Snapshot, profile_ids: list[int], using: str) -> tuple[Floats, Floats]:
    """The snapshot's responsiveness and outcomes, with these profiles' read again."""
    if not profile_ids:
        return kept.responsiveness, kept.outcomes
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT profile_id, responsiveness, outcomes FROM {SearchEntry._meta.db_table}"
            f" WHERE profile_id IN ({listed(profile_ids)})"
        )
        table = [(kept.row_of[pid], r, o) for pid, r, o in cursor.fetchall() if pid in kept.row_of]
    responsiveness, outcomes = kept.responsiveness.copy(), kept.outcomes.copy()
    if table:
        rows, new_responsiveness, new_outcomes = zip(*table, strict=True)
        responsiveness[list(rows)] = new_responsiveness
        outcomes[list(rows)] = new_outcomes
    return responsiveness, outcomes
