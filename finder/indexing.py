"""Keeps the finder's search index (finder.models) in step with the profiles.

A profile is searchable the moment its change is written: `reindex_profile` runs in the transaction of
the change. It is called by the signal handlers below (profile, location, tag and partner changes, from
the services, the admin, the demo and test factories alike), and by whoever changes rows with
`QuerySet.update()`, which sends no signal (e.g. the console after suspending a partner: `reindex_partner`).

Each keyword phrase is embedded once, when the first profile having it is indexed (finder.semantic).

The prior (responsiveness and outcomes, finder's ranking signals that do not depend on the query) is
stored with each row. Counters change with every answer and timeout; `refresh_changed_priors`, run by
each worker pass, refreshes the profiles that have referral history rows newer than its watermark.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Prefetch, Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from finder import semantic, text
from finder.models import IndexChange, IndexStamp, PriorWatermark, SearchEntry, SearchPlace
from matching import ranking
from partners.models import BusinessProfile, Location, Partner

BATCH = 2000
# How long the change log keeps a change: a process that did not search for longer builds its snapshot anew.
CHANGES_KEPT = timedelta(hours=1)
# A history id skipped this many ids ago is taken as rolled back, no longer looked for.
GAP_WINDOW = 10_000


def _codes(codes: Iterable[str]) -> str:
    """Codes as stored for containment tests: ' a b c '."""
    return " " + " ".join(sorted(codes)) + " " if codes else " "


def _tag_texts(profile: BusinessProfile) -> list[str]:
    """What a profile is tagged with, as words: its tags' labels in both languages, and its keywords."""
    words: list[str] = []
    for name in ("industries", "products", "services"):
        for term in getattr(profile, name).all():
            words += [term.name_en, term.name_ru]
    return words + [str(k) for k in profile.keywords or []]


def _counters(profile_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Each profile's responsiveness counters and won/lost referrals (those that count toward ranking)."""
    from referrals.lifecycle import State
    from referrals.models import ProfileResponsiveness, Referral

    found: dict[int, dict[str, int]] = {pid: {} for pid in profile_ids}
    for start in range(0, len(profile_ids), 900):  # stays under SQLite's parameter limit
        chunk = profile_ids[start : start + 900]
        fields = ("answered", "answered_within_24h", "missed", "expired")
        for profile_id, *values in ProfileResponsiveness.objects.filter(profile_id__in=chunk).values_list(
            "profile_id", *fields
        ):
            found[profile_id].update(zip(fields, values, strict=True))
        outcomes = (
            Referral.objects.ranked()
            .filter(profile_id__in=chunk, state__in=(State.WON, State.LOST))
            .values("profile_id")
            .annotate(won=Count("id", filter=Q(state=State.WON)), lost=Count("id", filter=Q(state=State.LOST)))
            .values_list("profile_id", "won", "lost")
        )
        for profile_id, won, lost in outcomes:
            found[profile_id].update(won=won, lost=lost)
    return found


def _apply_prior(entry: SearchEntry, counts: dict[str, int]) -> None:
    answered, timely = counts.get("answered", 0), counts.get("answered_within_24h", 0)
    missed, expired = counts.get("missed", 0), counts.get("expired", 0)
    entry.answered, entry.answered_timely, entry.unanswered = answered, timely, missed + expired
    entry.won, entry.lost = counts.get("won", 0), counts.get("lost", 0)
    entry.responsiveness = ranking.responsiveness_prior(answered, timely, missed, expired)
    entry.outcomes = ranking.outcomes_prior(entry.won, entry.lost)
    entry.prior = ranking.prior(entry.responsiveness, entry.outcomes)


def _entry(profile: BusinessProfile, counts: dict[str, int]) -> tuple[SearchEntry, list[SearchPlace]]:
    locations = list(profile.locations.all())
    targets = [s.code for s in profile.target_sizes.all()]
    entry = SearchEntry(
        profile_id=profile.pk,
        partner_id=profile.partner_id,
        partner_name=profile.partner.name,
        country=profile.country,
        city=locations[0].city if locations else "",
        industries=_codes(t.code for t in profile.industries.all()),
        products=_codes(t.code for t in profile.products.all()),
        services=_codes(t.code for t in profile.services.all()),
        languages=_codes(str(x) for x in profile.languages or []),
        target_sizes=_codes(targets),
        # The only thing opting out changes: for which sizes the profile shows at all. "*" = every size.
        sizes=_codes(targets) if profile.only_target_sizes else " * ",
        keywords=list(profile.keywords or []),
        tags_text=(tags_text := text.indexed(_tag_texts(profile))),
        tag_terms=len(tags_text.split()),
        description_text=text.indexed([profile.description]),
    )
    _apply_prior(entry, counts)
    places = [
        SearchPlace(entry_id=profile.pk, location_id=loc.pk, city=loc.city, lat=loc.lat, lon=loc.lon)
        for loc in locations
    ]
    return entry, places


def _visible(profiles: Any) -> Any:
    return (
        profiles.visible()
        .select_related("partner")
        .prefetch_related(
            Prefetch("locations", queryset=Location.objects.order_by("id")),
            "industries",
            "products",
            "services",
            "target_sizes",
        )
        .order_by("pk")
    )


def _write(profiles: list[BusinessProfile], drop: Sequence[int], log: bool = True) -> None:
    """Replace the rows of `drop` (ids) by the entries of `profiles` (a subset of them)."""
    counts = _counters([p.pk for p in profiles])
    built = [_entry(p, counts[p.pk]) for p in profiles]
    # Embedded before the version's lock is taken: a new phrase costs milliseconds, which no writer waits for.
    semantic.store(k for entry, _ in built for k in entry.keywords)
    with transaction.atomic():
        if log:
            touch(drop)
        for start in range(0, len(drop), 900):
            SearchEntry.objects.filter(profile_id__in=drop[start : start + 900]).delete()
        SearchEntry.objects.bulk_create([entry for entry, _ in built], batch_size=BATCH)
        SearchPlace.objects.bulk_create([p for _, places in built for p in places], batch_size=BATCH)


def touch(changed: Iterable[int] = (), kind: int = IndexChange.ROW, rebuilt: bool = False) -> int:
    """Raise the index's version and log the profiles changed at it, in the transaction of the change: every
    process's snapshot (finder.snapshot) catches up on them once it commits. Called before the rows are
    written: the lock it takes on IndexStamp's row orders the writers (finder.models.IndexStamp). `rebuilt`:
    every row changed, none logged; snapshots are built anew. Returns the version."""
    with transaction.atomic():
        if not IndexStamp.objects.filter(pk=1).update(version=F("version") + 1):
            IndexStamp.objects.create(pk=1, version=1, epoch=uuid.uuid4().hex)
        version = int(IndexStamp.objects.filter(pk=1).values_list("version", flat=True).get())
        if rebuilt:
            IndexStamp.objects.filter(pk=1).update(horizon=version)
        IndexChange.objects.bulk_create(
            [IndexChange(version=version, profile_id=pid, kind=kind) for pid in sorted(set(changed))],
            batch_size=BATCH,
        )
    return version


def forget_changes(now: datetime, kept: timedelta = CHANGES_KEPT) -> int:
    """Delete the change log's rows older than `kept` (run by each worker pass); a snapshot older than them
    is built anew. Returns how many."""
    with transaction.atomic():
        last = IndexChange.objects.filter(at__lt=now - kept).aggregate(last=Max("version"))["last"]
        if last is None:
            return 0
        deleted, _ = IndexChange.objects.filter(version__lte=last).delete()
        IndexStamp.objects.filter(pk=1, horizon__lt=last).update(horizon=last)
    return deleted


def reindex_profiles(profile_ids: Iterable[int]) -> None:
    ids = sorted(set(profile_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        _write(list(_visible(BusinessProfile.objects.filter(pk__in=chunk))), chunk)


def reindex_profile(profile_id: int) -> None:
    """Make the index show the profile as it is now (or not at all, if paused, suspended or gone)."""
    reindex_profiles([profile_id])


def reindex_partner(partner_id: int) -> None:
    """All the partner's profiles (after its name or status changed)."""
    ids = set(BusinessProfile.objects.filter(partner_id=partner_id).values_list("pk", flat=True))
    ids |= set(SearchEntry.objects.filter(partner_id=partner_id).values_list("pk", flat=True))
    reindex_profiles(ids)


def rebuild_all() -> int:
    """Index every profile from scratch (the demo loader, the benchmark, `manage.py finder_reindex`).
    Returns how many profiles are searchable."""
    with transaction.atomic():
        # The watermark's lock before the version's, in the order the worker's refresh_changed_priors takes them.
        PriorWatermark.objects.update_or_create(pk=1, defaults={"last_event_id": _last_event_id(), "gaps": []})
        touch(rebuilt=True)
        SearchPlace.objects.all().delete()
        SearchEntry.objects.all().delete()
        for chunk in _chunks(BusinessProfile.objects.order_by("pk").values_list("pk", flat=True).iterator()):
            _write(list(_visible(BusinessProfile.objects.filter(pk__in=chunk))), [], log=False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SearchEntry._meta.db_table}, {SearchPlace._meta.db_table}")
    return SearchEntry.objects.count()


def _chunks(ids: Iterator[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) == BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- The prior ---------------------------------------------------------------------------------


def refresh_priors(profile_ids: Iterable[int]) -> None:
    """Recompute responsiveness and outcomes of these profiles' rows from their counters."""
    ids = sorted(set(profile_ids))
    counts = _counters(ids)
    fields = ["responsiveness", "outcomes", "prior", "answered", "answered_timely", "unanswered", "won", "lost"]
    entries = list(SearchEntry.objects.filter(profile_id__in=ids)) if ids else []
    for entry in entries:
        _apply_prior(entry, counts[entry.profile_id])
    with transaction.atomic():
        if entries:
            touch([entry.profile_id for entry in entries], kind=IndexChange.PRIORS)
        SearchEntry.objects.bulk_update(entries, fields, batch_size=500)


def _last_event_id() -> int:
    from referrals.models import ReferralEvent

    return int(ReferralEvent.objects.aggregate(last=Max("id"))["last"] or 0)


def _first_event_id() -> int:
    from referrals.models import ReferralEvent

    return int(ReferralEvent.objects.aggregate(first=Min("id"))["first"] or 1)


def _first_refresh() -> int:
    """Never built (rebuild_all sets the mark): every answer and timeout so far must count, so refresh the prior
    of every profile with history at once (a cost of profiles, paid once, not of the history read a page per
    pass), and watch from the latest history row on; ids below it not yet committed are gaps, looked for again.
    Starting at the latest row without this would leave every earlier answer out of the priors for good."""
    from referrals.models import Referral, ReferralEvent

    last = _last_event_id()
    window = range(max(_first_event_id(), last - GAP_WINDOW + 1), last + 1)
    seen = set(ReferralEvent.objects.filter(id__gte=window.start, id__lte=last).values_list("id", flat=True))
    profiles = set(Referral.objects.values_list("profile_id", flat=True).distinct())
    refresh_priors(profiles)
    # Two workers' first passes may race: the second finds the first one's mark (their refreshes agree).
    PriorWatermark.objects.get_or_create(pk=1, defaults={"last_event_id": last, "gaps": sorted(set(window) - seen)})
    return len(profiles)


def refresh_changed_priors(limit: int = 5000) -> int:
    """Refresh the priors of the profiles with referral history since the last call (every answer,
    timeout, win and loss writes one history row); returns how many. Run by each worker pass: history
    ids only grow, so this reads the new rows through the primary key, and the few ids it skipped (a
    transaction still open when it read: they are looked for again until GAP_WINDOW ids later)."""
    from referrals.models import ReferralEvent

    with transaction.atomic():
        mark = PriorWatermark.objects.select_for_update().filter(pk=1).first()
        if mark is None:
            return _first_refresh()
        gaps = set(mark.gaps)
        late = list(ReferralEvent.objects.filter(id__in=gaps).values_list("id", "referral__profile_id"))
        new = list(
            ReferralEvent.objects.filter(id__gt=mark.last_event_id)
            .order_by("id")
            .values_list("id", "referral__profile_id")[:limit]
        )
        if not new and not late:
            return 0
        last = new[-1][0] if new else mark.last_event_id
        gaps -= {event_id for event_id, _ in late}
        gaps |= set(range(mark.last_event_id + 1, last + 1)) - {event_id for event_id, _ in new}
        profiles = {profile_id for _, profile_id in late + new}
        refresh_priors(profiles)
        PriorWatermark.objects.filter(pk=1).update(
            last_event_id=last, gaps=sorted(g for g in gaps if g > last - GAP_WINDOW)
        )
    return len(profiles)


# --- Signals: every change of a profile, wherever it comes from --------------------------------

_deleting = threading.local()


def _being_deleted() -> set[int]:
    if not hasattr(_deleting, "ids"):
        _deleting.ids = set()
    ids: set[int] = _deleting.ids
    return ids


def _profile_saved(sender: Any, instance: BusinessProfile, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        reindex_profile(instance.pk)


def _profile_deleting(sender: Any, instance: BusinessProfile, **kwargs: Any) -> None:
    # Its locations and tags go first, each with a signal: those must not index it again. Its row goes with it
    # (a cascade), after the version is raised, as every index writer does it.
    _being_deleted().add(instance.pk)
    touch([instance.pk])


def _profile_deleted(sender: Any, instance: BusinessProfile, **kwargs: Any) -> None:
    _being_deleted().discard(instance.pk)


def _location_changed(sender: Any, instance: Location, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.profile_id not in _being_deleted():
        reindex_profile(instance.profile_id)


def _tags_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse and isinstance(instance, BusinessProfile):
        if instance.pk not in _being_deleted():
            reindex_profile(instance.pk)
    elif reverse and pk_set:  # a term's profiles changed from the term's side
        reindex_profiles(pid for pid in pk_set if pid not in _being_deleted())


def _partner_saved(sender: Any, instance: Partner, raw: bool = False, created: bool = False, **kwargs: Any) -> None:
    if not raw and not created:
        reindex_partner(instance.pk)


def connect() -> None:
    """Called once from FinderConfig.ready."""
    post_save.connect(_profile_saved, sender=BusinessProfile, dispatch_uid="finder-profile-saved")
    pre_delete.connect(_profile_deleting, sender=BusinessProfile, dispatch_uid="finder-profile-deleting")
    post_delete.connect(_profile_deleted, sender=BusinessProfile, dispatch_uid="finder-profile-deleted")
    post_save.connect(_location_changed, sender=Location, dispatch_uid="finder-location-saved")
    post_delete.connect(_location_changed, sender=Location, dispatch_uid="finder-location-deleted")
    post_save.connect(_partner_saved, sender=Partner, dispatch_uid="finder-partner-saved")
    for name in ("industries", "products", "services", "target_sizes"):
        through = getattr(BusinessProfile, name).through
        m2m_changed.connect(_tags_changed, sender=through, dispatch_uid=f"finder-{name}-changed")
