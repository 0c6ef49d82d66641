"""The routing engine's stored reasons in the reader's language: the one place that turns a stored label back
into its template and words, for the partner's referral page, the API and the console.

The engine (matching/engine/explain.py) stores each label as English text with its numbers and codes filled in;
its templates are marked there with `gettext_noop`, and this module reads them from that file (so a new template
needs no second copy here), matches a stored label against them, and renders the translated template with the
same numbers and the codes' names in the active language. A label that matches no template (an older engine's)
is shown as stored.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.translation import get_language_info, gettext

from matching.engine import explain
from matching.models import RoutingCandidate, RoutingDecision
from referrals.models import Engagement, Referral
from referrals.routing_why import Reason, Routing
from taxonomy.models import CompanySize, Industry, Product, ServiceType

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def templates() -> tuple[str, ...]:
    """Every label template the engine marks for translation, the most specific (longest fixed text) first."""
    tree = ast.parse(inspect.getsource(explain))
    found = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == explain.gettext_noop.__name__
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }
    return tuple(sorted(found, key=lambda t: (-len(_PLACEHOLDER.sub("", t)), t)))


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((t, _pattern(t)) for t in templates())


def _pattern(template: str) -> re.Pattern[str]:
    # The engine collapses the spaces around an empty value ("similar  deals" -> "similar deals"), so a space
    # next to a placeholder is optional.
    parts = _PLACEHOLDER.split(template)
    regex = ""
    for i, part in enumerate(parts):
        if i % 2:
            regex += f"(?P<{part}>.*?)"
        else:
            regex += re.escape(part).replace(r"\ ", " ").replace(" ", " ?")
    return re.compile(regex)


def translated(label: str, words: Vocabulary | None = None) -> str:
    """The stored label in the active language, its numbers kept and its codes named."""
    for template, pattern in _patterns():
        match = pattern.fullmatch(label)
        if match:
            values = (words or Vocabulary()).named(match.groupdict())
            return " ".join((gettext(template) % values).split())
    return label


class Vocabulary:
    """The names, in the active language, of the codes a label may hold (taxonomy terms, sources, languages)."""

    def __init__(self) -> None:
        self._terms: dict[str, str] | None = None

    def named(self, values: dict[str, str]) -> dict[str, str]:
        return {key: self._name(key, value) for key, value in values.items()}

    def _name(self, key: str, value: str) -> str:
        if key == "products":
            return ", ".join(self.term(code) for code in value.split(", "))
        if key in ("industry", "size", "kind"):
            return self.term(value)
        if key == "source":
            # The choices' labels are the console's msgids (console/locale), so they translate here too.
            return gettext(Engagement.Source(value).label) if value in Engagement.Source.values else value
        if key == "language":
            try:
                return str(get_language_info(value)["name_translated"])
            except KeyError:
                return value
        return value

    def term(self, code: str) -> str:
        """A taxonomy code's name in the active language (the code itself if unknown)."""
        if self._terms is None:
            self._terms = {
                term.code: term.label()
                for model in (Industry, Product, ServiceType, CompanySize)
                for term in model.objects.all()
            }
        return self._terms.get(code, code)


def partner_reasons(contributions: Iterable[dict[str, Any]], words: Vocabulary | None = None) -> tuple[Reason, ...]:
    """What the partner reads: the signals that raised its score, the biggest first, then a boost's reason."""
    words = words or Vocabulary()
    parts = list(contributions)
    raised = sorted(
        (c for c in parts if c["signal"] not in ("base", "boost") and c["points"] > 0),
        key=lambda c: -c["points"],
    )
    boosts = [c for c in parts if c["signal"] == "boost"]
    return tuple(Reason(c["signal"], translated(c["label"], words), c["points"]) for c in (*raised, *boosts))


def of_referral(referral: Referral) -> Routing | None:
    """The latest decision that chose the referral's profile for its request, as its partner reads it (only
    that profile's own candidate row); None when no decision chose it."""
    candidate = (
        RoutingCandidate.objects.filter(
            decision__engagement_id=referral.engagement_id, profile_id=referral.profile_id, chosen=True
        )
        .select_related("decision")
        .order_by("-decision__created_at", "-decision_id")
        .first()
    )
    if candidate is None:
        return None
    decision = candidate.decision
    return Routing(decision.policy, decision.model_version, partner_reasons(candidate.contributions))


@dataclass(frozen=True)
class CandidateRow:
    rank: int
    profile_id: int
    partner_name: str
    score: float
    chosen: bool
    boost: str  # in words
    propensity: float
    signals: tuple[Reason, ...]  # every signal's points, its label in the active language


@dataclass(frozen=True)
class DecisionView:
    """A stored decision as the operator reads it: every candidate in rank order with each signal's points."""

    id: int
    created_at: Any
    policy: str
    model_version: str
    count: int
    excluded: dict[str, int]
    candidates: tuple[CandidateRow, ...]


def decisions_of(engagement: Engagement) -> list[DecisionView]:
    """Every routing decision of the request, oldest first, with all its candidates in rank order."""
    words = Vocabulary()
    decisions = RoutingDecision.objects.filter(engagement=engagement).order_by("created_at", "id")
    return [_decision_view(d, words) for d in decisions]


def _decision_view(decision: RoutingDecision, words: Vocabulary) -> DecisionView:
    rows = decision.candidates.select_related("profile__partner").order_by("rank")
    return DecisionView(
        id=decision.pk,
        created_at=decision.created_at,
        policy=decision.policy,
        model_version=decision.model_version,
        count=decision.count,
        excluded=dict(decision.excluded),
        candidates=tuple(_candidate_row(c, words) for c in rows),
    )


def _candidate_row(candidate: RoutingCandidate, words: Vocabulary) -> CandidateRow:
    signals = _signals(candidate.contributions, words)
    return CandidateRow(
        rank=candidate.rank,
        profile_id=candidate.profile_id,
        partner_name=candidate.profile.partner.name,
        score=candidate.score,
        chosen=candidate.chosen,
        # The boost's own contribution says it in words; the stored code is the fallback.
        boost=next((s.label for s in signals if s.signal == "boost"), candidate.boost),
        propensity=candidate.propensity,
        signals=signals,
    )


def _signals(contributions: Sequence[dict[str, Any]], words: Vocabulary) -> tuple[Reason, ...]:
    return tuple(Reason(c["signal"], translated(c["label"], words), c["points"]) for c in contributions)
