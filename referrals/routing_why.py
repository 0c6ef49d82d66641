"""Why a referral reached its partner, as the referral page and the API show it.

Referrals do not import matching (matching imports referrals): the matching app installs the function that reads
the stored routing decision (matching/apps.py, matching.explanations.of_referral), as it installs the chooser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from referrals.models import Engagement, Referral

# Who named the partner of a referral that no routing decision chose; other sources say nothing.
_CHOSEN_BY = {
    Engagement.Source.FINDER.value: _("Chosen by the customer."),
    Engagement.Source.AGENT.value: _("Chosen by an agent."),
}


@dataclass(frozen=True)
class Reason:
    signal: str
    label: str  # in the active language
    points: float


@dataclass(frozen=True)
class Routing:
    """The decision that chose a referral's profile: its policy, the engine's model version, the reasons."""

    policy: str
    model_version: str
    why: tuple[Reason, ...]


Explainer = Callable[[Referral], Routing | None]
_explainer: list[Explainer] = []


def install_explainer(explainer: Explainer) -> None:
    _explainer[:] = [explainer]


def of(referral: Referral) -> Routing | None:
    """The routing decision that chose this referral, or None when the customer or an agent named the partner."""
    return _explainer[0](referral) if _explainer else None


def chosen_by(source: str) -> str:
    """Who named the partner, for a referral no decision chose ("" when the source says nothing useful)."""
    return str(_CHOSEN_BY.get(source, ""))
