"""The routing engine's stored reasons in the reader's language: the one place that writes a label into a candidate
row and turns it back into words, for the partner's referral page, the API and the console.

The engine (matching/engine/explain.py) gives each label as a template of matching/engine/labels.py (where they are
marked for translation) and its values; a candidate row keeps both (`stored`), and `rendered` fills the template
translated into the active language (in the plural form its number takes there, in its context if it has one),
with its numbers written as that language writes them ("16,500" / "16 500") and the codes' names in that language.
Rows stored before that kept the English text only: such a label is matched against the same templates and
rendered likewise, and one that matches none (an older engine's) is shown as stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Prefetch
from django.utils.formats import number_format
from django.utils.translation import get_language_info, gettext, ngettext, pgettext

from matching.engine import labels
from matching.engine.types import Contribution, LabelValue, fill
from matching.models import RoutingCandidate, RoutingDecision
from referrals.models import Engagement, Referral
from referrals.routing_why import Reason, Routing
from taxonomy.models import CompanySize, Industry, Product, ServiceType

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# A number as the engine's English wrote it into a label ("1,234"), in rows stored as text.
_ENGLISH_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})*|\d+")


def stored(contribution: Contribution) -> dict[str, Any]:
    """A contribution as a candidate row keeps it: the label's template and values, never its words in the
    language of the moment."""
    label = contribution.label
    return {
        "signal": contribution.signal,
        "template": label.template,
        "values": dict(label.values),
        "points": contribution.points,
    }


def rendered(part: Mapping[str, Any], words: Vocabulary | None = None) -> str:
    """A stored contribution's label in the active language, its numbers kept and its codes named."""
    if "template" not in part:
        return translated(part.get("label", ""), words)
    template, values = part["template"], part.get("values") or {}
    if template not in labels.TEMPLATES:
        return fill(template, values)  # a template this catalogue does not know (a newer engine's): English
    return _filled(template, values, words)


def _filled(template: str, values: Mapping[str, LabelValue], words: Vocabulary | None) -> str:
    return fill(_translated_template(template, values), _numbers((words or Vocabulary()).named(values)))


def _translated_template(template: str, values: Mapping[str, LabelValue]) -> str:
    counted = labels.COUNTED.get(template)
    if counted is not None:
        number = values.get(counted.number)
        # An old text row whose count is not a number ("many of your keywords match") has no form to choose.
        return ngettext(counted.singular, counted.plural, number) if isinstance(number, int) else template
    context = labels.CONTEXTS.get(template)
    return gettext(template) if context is None else pgettext(context, template)


def _numbers(values: Mapping[str, LabelValue]) -> dict[str, LabelValue]:
    """The label's numbers as the active language writes them: "16,500" in English, "16 500" in Russian."""
    return {
        key: number_format(value, force_grouping=True) if isinstance(value, int | float) else value
        for key, value in values.items()
    }


def labelled(contributions: Iterable[Contribution]) -> list[tuple[str, float]]:
    """Contributions of a decision not stored (the agent's proposals) as (label in the active language, points)."""
    words = Vocabulary()
    return [(rendered(stored(c), words), c.points) for c in contributions]


def templates() -> tuple[str, ...]:
    """Every label template the engine uses (matching/engine/labels.py)."""
    return labels.TEMPLATES


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    # The most specific template (the longest fixed text) first.
    ordered = sorted(labels.TEMPLATES, key=lambda t: (-len(_PLACEHOLDER.sub("", t)), t))
    return tuple((t, _pattern(t)) for t in ordered)


def _pattern(template: str) -> re.Pattern[str]:
    # The engine collapsed the spaces around an empty value ("similar  deals" -> "similar deals"), so a space
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
    """A label stored as English text (rows written before labels were kept as template and values) in the
    active language, its numbers kept and its codes named."""
    for template, pattern in _patterns():
        match = pattern.fullmatch(label)
        if match:
            return _filled(template, _parsed(match.groupdict()), words)
    return label


def _parsed(found: Mapping[str, str]) -> dict[str, LabelValue]:
    # Numbers back to numbers, so that they choose the plural form and are written as the reader's language does.
    return {
        key: int(value.replace(",", "")) if _ENGLISH_NUMBER.fullmatch(value) else value for key, value in found.items()
    }


class Vocabulary:
    """The names, in the active language, of the codes a label may hold (taxonomy terms, sources, languages)."""

    def __init__(self) -> None:
        self._terms: dict[str, str] | None = None

    def named(self, values: Mapping[str, LabelValue]) -> dict[str, LabelValue]:
        return {key: self._name(key, value) if isinstance(value, str) else value for key, value in values.items()}

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
    return tuple(Reason(c["signal"], rendered(c, words), c["points"]) for c in (*raised, *boosts))


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
    ranked = RoutingCandidate.objects.select_related("profile__partner").order_by("rank")
    decisions = (
        RoutingDecision.objects.filter(engagement=engagement)
        .order_by("created_at", "id")
        .prefetch_related(Prefetch("candidates", queryset=ranked))
    )
    return [_decision_view(d, words) for d in decisions]


def _decision_view(decision: RoutingDecision, words: Vocabulary) -> DecisionView:
    rows = decision.candidates.all()  # prefetched in rank order, with their profiles and partners
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
    return tuple(Reason(c["signal"], rendered(c, words), c["points"]) for c in contributions)
