"""The scorecard's part on learning (docs/architecture.md, `matching`): the kinds of deal a partner tends to accept
and to turn down, and which of its tags bring the requests it turns down, with a suggestion. The rows are read
here and the sentences written here; the arithmetic is matching.preferences.

A request is read as the routing engine reads it (`learning.deal_of`), and a tag "brought" a request when the
engine matches them (`features.matched_terms`): the scorecard keeps no second tokeniser nor matching rule.
Only the partner's own referrals are read, the most recent `MAX_ANSWERS` answered ones of the last `WEEKS`
weeks, so the cost grows with the partner's answers and stops there, however big the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from console.models import SpamVerdict
from finder import text
from matching import learning, preferences
from matching.engine import features
from matching.engine.types import NOT_ABOUT_THE_DEAL, Deal, Partner
from matching.explanations import Vocabulary
from matching.preferences import Answer, Key, Tally
from referrals.lifecycle import State
from referrals.models import Referral

WEEKS = 52  # a partner answers a few requests a week: a year says more than the card's 12 weeks
MAX_ANSWERS = 500  # the most recent answers read at most
TURNED_DOWN = (State.SKIPPED.value, State.DECLINED.value)


@dataclass(frozen=True)
class Words:
    """The tendencies as the partner reads them."""

    since: datetime
    answers: int
    min_answers: int  # a kind of deal answered fewer times is not told
    accepts: list[str]
    turns_down: list[str]
    tags_to_review: list[str]


def answers(partner_id: int, now: datetime) -> list[Answer]:
    """The partner's answered referrals of the window, newest first: what kind of deal each was, and which of
    its profile's tags (as they are now) the request matched. Requests confirmed as spam are left out: closing
    them was the programme's decision, not the partner's. So is a request turned down for a reason that is not
    about the deal (NOT_ABOUT_THE_DEAL: it was full, say): it says nothing of the deal's kind or of its tags."""
    rows = list(
        Referral.objects.ranked()
        .filter(partner_id=partner_id, created_at__gte=now - timedelta(weeks=WEEKS))
        .filter(Q(negotiating_at__isnull=False) | Q(state__in=TURNED_DOWN))
        .exclude(engagement_id__in=SpamVerdict.objects.confirmed_requests())
        .exclude(state__in=TURNED_DOWN, reason__in=NOT_ABOUT_THE_DEAL)
        .select_related("engagement")
        .order_by("-created_at", "-id")[:MAX_ANSWERS]
    )
    profiles = _profiles({r.profile_id for r in rows})
    result = []
    for referral in rows:
        deal = learning.deal_of(referral.engagement)
        partner, keywords = profiles[referral.profile_id]
        result.append(Answer(referral.negotiating_at is not None, kinds(deal), tags(deal, partner, keywords)))
    return result


def _profiles(ids: set[int]) -> dict[int, tuple[Partner, dict[str, frozenset[str]]]]:
    """Each profile as the engine reads it, with each of its keywords' stems."""
    return {
        pk: (partner, {k: frozenset(text.stems(k)) for k in keywords})
        for pk, (partner, keywords) in learning.declared(ids).items()
    }


def kinds(deal: Deal) -> frozenset[Key]:
    found = {("industry", deal.industry)} if deal.industry else set()
    found |= {("product", item) for item in deal.products}
    if deal.size:
        found.add(("size", deal.size))
    bucket = features.budget_bucket(deal)
    if bucket:
        found.add(("budget", str(bucket)))
    return frozenset(found)


def tags(deal: Deal, partner: Partner, keywords: dict[str, frozenset[str]]) -> frozenset[Key]:
    """The partner's tags that brought the request: its industries, products and services the request matched
    as they are, and each keyword one of whose stems the need matched."""
    matched = features.matched_terms(deal, partner)
    stems = {stem for kind, stem in matched if kind == "keyword"}
    found = {term for term in matched if term[0] != "keyword"}
    found |= {("keyword", keyword) for keyword, own in keywords.items() if own & stems}
    return frozenset(found)


# --- In words ----------------------------------------------------------------------------------


def words(partner_id: int, now: datetime) -> Words:
    found = preferences.tendencies(answers(partner_id, now))
    vocabulary = Vocabulary()
    return Words(
        since=now - timedelta(weeks=WEEKS),
        answers=found.answers,
        min_answers=preferences.MIN_ANSWERS,
        accepts=[accepts_text(t, vocabulary) for t in found.accepts],
        turns_down=[turns_down_text(t, vocabulary) for t in found.turns_down],
        tags_to_review=[tag_text(t, vocabulary) for t in found.tags_to_review],
    )


def kind_text(key: Key, vocabulary: Vocabulary) -> str:
    dimension, value = key
    if dimension == "budget":
        return budget_text(int(value))
    name = vocabulary.term(value)
    if dimension == "industry":
        return pgettext("kind of deal", "in %(name)s") % {"name": name}
    if dimension == "product":
        return pgettext("kind of deal", "for %(name)s") % {"name": name}
    return pgettext("kind of deal", "from companies with %(name)s") % {"name": name}


def budget_text(bucket: int) -> str:
    """A budget bucket of `features.budget_bucket` (1 and up) in words, its edges from `features.BUDGET_EDGES`."""
    edges = [number_format(int(edge), 0, force_grouping=True) for edge in features.BUDGET_EDGES]
    if bucket == 1:
        return pgettext("kind of deal", "under %(amount)s EUR") % {"amount": edges[0]}
    if bucket > len(edges):
        return pgettext("kind of deal", "of %(amount)s EUR or more") % {"amount": edges[-1]}
    return pgettext("kind of deal", "of %(low)s to %(high)s EUR") % {
        "low": edges[bucket - 2],
        "high": edges[bucket - 1],
    }


def accepts_text(t: Tally, vocabulary: Vocabulary) -> str:
    values = {"accepted": t.accepted, "total": t.total, "kind": kind_text(t.key, vocabulary)}
    if t.accepted == t.total:
        return (
            ngettext(
                "You accepted all %(total)s deals %(kind)s.", "You accepted all %(total)s deals %(kind)s.", t.total
            )
            % values
        )
    return (
        ngettext(
            "You accepted %(accepted)s of %(total)s deals %(kind)s.",
            "You accepted %(accepted)s of %(total)s deals %(kind)s.",
            t.total,
        )
        % values
    )


def turns_down_text(t: Tally, vocabulary: Vocabulary) -> str:
    values = {"down": t.turned_down, "total": t.total, "kind": kind_text(t.key, vocabulary)}
    if t.turned_down == t.total:
        return (
            ngettext(
                "You turned down all %(total)s deals %(kind)s.",
                "You turned down all %(total)s deals %(kind)s.",
                t.total,
            )
            % values
        )
    return (
        ngettext(
            "You turned down %(down)s of %(total)s deals %(kind)s.",
            "You turned down %(down)s of %(total)s deals %(kind)s.",
            t.total,
        )
        % values
    )


def tag_name(key: Key, vocabulary: Vocabulary) -> str:
    kind, value = key
    if kind == "keyword":
        return _("Your keyword “%(name)s”") % {"name": value}
    name = vocabulary.term(value)
    if kind == "industry":
        return _("Your industry “%(name)s”") % {"name": name}
    if kind == "product":
        return _("Your product “%(name)s”") % {"name": name}
    return _("Your service “%(name)s”") % {"name": name}


def tag_text(t: Tally, vocabulary: Vocabulary) -> str:
    found = ngettext(
        "%(tag)s matched %(down)s request you turned down and %(accepted)s you accepted.",
        "%(tag)s matched %(down)s requests you turned down and %(accepted)s you accepted.",
        t.turned_down,
    ) % {"tag": tag_name(t.key, vocabulary), "down": t.turned_down, "accepted": t.accepted}
    if t.key[0] == "keyword":
        suggestion = _("Consider removing it or making it more specific.")
    else:
        suggestion = _("Consider removing it from your profile if you do not want such requests.")
    return f"{found} {suggestion}"
