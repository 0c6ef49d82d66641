"""The finder's search: the plan (finder.plans) run on the process's snapshot of the search table
(finder.in_memory, the one implementation of the finder's ranking); then the page's profiles read in full and
explained.

The search ends in bitsets: the rows the words, the radius and the exclusions leave, and for each
filter value the rows having it. The results are their AND; a facet's counts are the popcounts of each
value's bitset AND the rows passing the other filters (how many results choosing it would leave). A partner
shows once (its profiles are in several countries): totals and counts are of partners, and a page holds each
partner's nearest profile to the searched place (or its best-ranked one). The results are ordered by score,
then the fewer tag stems, then the profile id. Only the page's rows
are read in full and scored again in Python, to explain each one ("why here"). bench/finder.py measures it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from finder import freshness, in_memory, semantic, snapshot
from finder.models import SearchEntry, SearchPlace
from finder.plans import Plan, label, terms
from finder.search import CODE_COLUMNS, FACETS, Contribution, FacetValue, Hit, Results, encode_cursor, fingerprint
from matching import fit, ranking
from matching.engine.learner import Learner
from matching.engine.types import Deal
from partners import places

Page = tuple[list[int], int, dict[str, Counter[str]]]  # the page's ids, the total, each facet's counts


def run(plan: Plan, now: datetime) -> Results:
    deal = deal_of(plan, now)
    found = freshness.current()
    learner = fit.learner()  # one read of the stored engine's version per search
    ids, total, counts = run_in_memory(plan, found, lambda ids: fit.of_learner(learner, deal, ids, now))
    more = plan.offset + plan.limit < total
    next_cursor = encode_cursor(plan.offset + plan.limit, fingerprint(plan.criteria)) if more else None
    return Results(
        hits=hits(plan, ids, _Context(deal, now, learner, found.phrase_vectors)),
        facets=facet_values(plan, counts),
        total=total,
        next_cursor=next_cursor,
        criteria=plan.criteria,
    )


def run_in_memory(plan: Plan, found: snapshot.Snapshot, learned: in_memory.Fit) -> Page:
    rows, near, meaning = in_memory.matching_rows(plan, found)
    results, counts = tally(plan, found, rows)
    total = found.partner_count(results)
    ids = in_memory.page_ids(plan, found, results, near, meaning, learned) if plan.offset < total else []
    return ids, total, counts


def deal_of(plan: Plan, now: datetime) -> Deal:
    """The search as the matching engine knows a request: what its learned fit is asked about."""
    criteria = plan.criteria
    return fit.search_deal(
        now,
        need=criteria.q,
        industry=plan.filters.get("industry", ""),
        product=plan.filters.get("product", ""),
        service=plan.filters.get("service", ""),
        size=plan.filters.get("size", ""),
        country=plan.origin.country if plan.origin else plan.filters.get("country", ""),
        city=plan.origin.name if plan.origin else "",
        language=plan.filters.get("language", ""),
    )


def tally(plan: Plan, index: snapshot.Snapshot, rows: int) -> tuple[int, dict[str, Counter[str]]]:
    """The results (the rows passing every filter, a bitset), and each facet's counts: how many partners the
    rows passing the other filters that have each of its values are profiles of (a partner shows once)."""
    passing = {facet: index.passing(facet, code) for facet, code in plan.filters.items()}
    results = rows
    for bits in passing.values():
        results &= bits
    counts = {}
    for facet in FACETS:
        kept = rows
        for other, bits in passing.items():
            if other != facet:
                kept &= bits
        counted: Counter[str] = Counter()
        every = kept & index.every_size if facet == "size" else 0
        codes = set(index.bits[facet]) | (set(terms().get("size", {})) if every else set())
        for code in sorted(codes):  # shown for every size: counts in each size
            if found := index.partner_count(kept & (index.bits[facet].get(code, 0) | every)):
                counted[code] = found
        counts[facet] = counted
    return results, counts


def facet_values(plan: Plan, counts: dict[str, Counter[str]]) -> dict[str, list[FacetValue]]:
    facets = {}
    for facet in FACETS:
        found = counts[facet]
        chosen = plan.filters.get(facet)
        if chosen and chosen not in found:
            found[chosen] = 0
        if facet == "size":
            known = list(terms().get("size", {}))
            codes = [c for c in known if c in found] + [c for c in found if c not in known]
        else:
            codes = sorted(found, key=lambda c: (-found[c], label(facet, c)))
        facets[facet] = [FacetValue(code, label(facet, code), found[code]) for code in codes]
    return facets


def _nearest(plan: Plan, places: list[SearchPlace]) -> tuple[SearchPlace | None, float | None]:
    """The place nearest the searched city within the radius (the first one without a city), and its km."""
    if plan.origin is None or plan.radius_km is None:
        return (places[0] if places else None), None
    best, distance = None, math.inf
    for place in places:
        km = ranking.haversine_km(plan.origin.lat, plan.origin.lon, place.lat, place.lon)
        if km <= plan.radius_km and km < distance:
            best, distance = place, km
    return (best or (places[0] if places else None)), (distance if best else None)


def _candidate(
    plan: Plan, entry: SearchEntry, distance: float | None, closest: tuple[str, float] | None, learned: float
) -> ranking.Candidate:
    tags, description = set(entry.tags_text.split()), set(entry.description_text.split())
    tag_hits = sum(1 for s in plan.stems if s in tags)
    return ranking.Candidate(
        tag_hits=tag_hits,
        text_hits=sum(1 for s in plan.stems if s not in tags and s in description),
        distance_km=distance,
        target_sizes=frozenset(entry.target_sizes.split()),
        responsiveness=entry.responsiveness,
        outcomes=entry.outcomes,
        meaning=closest[1] if closest else 0.0,
        fit=learned,
    )


def hits(plan: Plan, ids: list[int], context: _Context) -> list[Hit]:
    """The page's profiles in full, each with its score explained (the only rows ranking runs on in Python)."""
    entries = {e.profile_id: e for e in SearchEntry.objects.filter(profile_id__in=ids)}
    places: dict[int, list[SearchPlace]] = {}
    for place in SearchPlace.objects.filter(entry_id__in=ids).order_by("id"):
        places.setdefault(place.entry_id, []).append(place)
    deal, now, learner = context.deal, context.now, context.learner
    learned = fit.of_learner(learner, deal, np.array(ids, dtype=np.int64), now) if plan.query.learned else np.zeros(0)
    result = []
    for i, pid in enumerate(ids):
        entry = entries[pid]
        nearest, distance = _nearest(plan, places.get(pid, []))
        closest = semantic.closest(entry.keywords, plan.need, context.vectors) if plan.need is not None else None
        candidate = _candidate(plan, entry, distance, closest, float(learned[i]) if len(learned) else fit.NEUTRAL)
        codes = [(facet, code) for facet in ("industry", "product", "service") for code in _codes(entry, facet)]
        result.append(
            Hit(
                profile_id=pid,
                partner_name=entry.partner_name,
                location_id=nearest.location_id if nearest else None,
                city=nearest.city if nearest else entry.city,
                country=entry.country,
                distance_km=round(distance, 1) if distance is not None else None,
                tags=[label(facet, code) for facet, code in codes] + list(entry.keywords),
                score=round(ranking.score(candidate, plan.query), 4),
                why=why(plan, candidate, entry, context, closest),
            )
        )
    return result


def _codes(entry: SearchEntry, facet: str) -> list[str]:
    value: str = getattr(entry, CODE_COLUMNS[facet])
    return value.split()


@dataclass(frozen=True)
class _Context:
    """What the page's hits are explained with, read once per search: the searched deal, the engine's learner,
    the snapshot's phrase vectors."""

    deal: Deal
    now: datetime
    learner: Learner
    vectors: dict[str, semantic.Vector]


def why(
    plan: Plan, candidate: ranking.Candidate, entry: SearchEntry, context: _Context, closest: tuple[str, float] | None
) -> list[Contribution]:
    def explanation(signal: str) -> str:
        if signal == "meaning":
            return _meaning(closest)
        if signal == "fit":
            return _fit(fit.record(context.learner, context.deal, entry.profile_id, context.now))
        return _explanation(plan, signal, candidate, entry)

    return [
        Contribution(s.signal, explanation(s.signal), s.value, s.weight, s.points)
        for s in ranking.explain(candidate, plan.query)
    ]


def _explanation(plan: Plan, signal: str, candidate: ranking.Candidate, entry: SearchEntry) -> str:
    words = plan.query.words
    if signal == "tags":
        return ngettext(
            "Its tags and keywords match %(hits)d of %(words)d search word",
            "Its tags and keywords match %(hits)d of %(words)d search words",
            words,
        ) % {"hits": candidate.tag_hits, "words": words}
    if signal == "text":
        return ngettext(
            "Its description matches %(hits)d of %(words)d search word",
            "Its description matches %(hits)d of %(words)d search words",
            words,
        ) % {"hits": candidate.text_hits, "words": words}
    if signal == "proximity":
        assert plan.origin is not None
        city = places.city_name(plan.origin.name, plan.origin.country, typed=plan.criteria.city)
        return _("%(km)s km from %(city)s") % {"km": f"{candidate.distance_km or 0:.0f}", "city": city}
    if signal == "size_fit":
        if not candidate.target_sizes:
            return _("Lists no target company sizes")
        if plan.query.size in candidate.target_sizes:
            return _("Targets companies of this size")
        return _("Targets companies of other sizes")
    if signal == "responsiveness":
        settled = entry.answered + entry.unanswered
        if not settled:
            return _("New to referrals: a fair, neutral start")
        return ngettext(
            "Answered %(timely)d of %(settled)d referral within 24 hours; %(unanswered)d not answered",
            "Answered %(timely)d of %(settled)d referrals within 24 hours; %(unanswered)d not answered",
            settled,
        ) % {
            "timely": entry.answered_timely,
            "settled": settled,
            "unanswered": entry.unanswered,
        }
    if signal == "outcomes":
        closed = entry.won + entry.lost
        if not closed:
            return _("No closed deals yet: neutral")
        return ngettext("Won %(won)d of %(closed)d closed deal", "Won %(won)d of %(closed)d closed deals", closed) % {
            "won": entry.won,
            "closed": closed,
        }
    return signal


def _meaning(closest: tuple[str, float] | None) -> str:
    if closest is None:
        return _("None of its keywords means what you searched for")
    return _("Its keyword “%(keyword)s” means what you searched for (%(similarity)d%% alike)") % {
        "keyword": closest[0],
        "similarity": round(closest[1] * 100),
    }


def _fit(record: fit.Record | None) -> str:
    """The partner's record on deals like the one searched, as the engine learned it."""
    if record is None:
        return _("No answers to deals like this yet: neutral")
    kind = label(record.facet, record.code) if record.facet else ""
    values, n = {"yes": record.yes, "total": record.total, "kind": kind}, record.total
    if record.stage == "interested":
        if kind:
            return (
                ngettext(
                    "Took up %(yes)d of %(total)d similar %(kind)s request",
                    "Took up %(yes)d of %(total)d similar %(kind)s requests",
                    n,
                )
                % values
            )
        return ngettext("Took up %(yes)d of %(total)d request", "Took up %(yes)d of %(total)d requests", n) % values
    if record.stage == "accepted":
        if kind:
            return (
                ngettext(
                    "Accepted %(yes)d of %(total)d similar %(kind)s deal",
                    "Accepted %(yes)d of %(total)d similar %(kind)s deals",
                    n,
                )
                % values
            )
        return (
            ngettext("Accepted %(yes)d of %(total)d similar deal", "Accepted %(yes)d of %(total)d similar deals", n)
            % values
        )
    if kind:
        return (
            ngettext(
                "Won %(yes)d of %(total)d similar %(kind)s deal", "Won %(yes)d of %(total)d similar %(kind)s deals", n
            )
            % values
        )
    return ngettext("Won %(yes)d of %(total)d similar deal", "Won %(yes)d of %(total)d similar deals", n) % values
