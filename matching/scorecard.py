"""A partner's scorecard (docs/architecture.md, `matching`): how responsive it is, how its deals end,
and what would raise its visibility. The database is read here; the arithmetic is matching.metrics,
the charts matching.charts; the deals it accepts and turns down, and its tags to review, matching.tendencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from kernel import dates
from matching import charts, metrics, tendencies
from partners.models import BusinessProfile
from partners.places import country_name
from referrals import lifecycle
from referrals.models import Programme, Referral

# What the most responsive partners achieve: the bar the advice measures against.
BEST_SHARE_IN_TIME = 0.9
# The column holding when a referral entered each outcome.
CLOSED_AT = {state.value: f"{state.value}_at" for state in lifecycle.OUTCOMES}


def facts(partner_id: int, now: datetime, weeks: int = metrics.WEEKS) -> list[metrics.Facts]:
    """The referrals of the partner that the scorecard can count: received or closed in the window,
    or open now; imported ones never count (Referral.objects.ranked)."""
    since = now - timedelta(days=7 * weeks)
    wanted = Q(created_at__gte=since) | Q(state__in=sorted(lifecycle.OPEN))
    for column in CLOSED_AT.values():
        wanted |= Q(**{f"{column}__gte": since})
    rows = Referral.objects.ranked().filter(partner_id=partner_id).filter(wanted)
    result = []
    for r in rows.order_by("id"):
        closed = CLOSED_AT.get(r.state)
        result.append(
            metrics.Facts(
                created_at=r.created_at,
                state=r.state,
                first_answer_at=r.first_answer_at,
                evaluating_at=r.evaluating_at,
                negotiating_at=r.negotiating_at,
                closed_at=getattr(r, closed) if closed else None,
                deal_value=r.deal_value,
                currency=r.deal_currency,
                final_value=r.final_value,
            )
        )
    return result


def compute(partner_id: int, now: datetime) -> metrics.Card:
    return metrics.compute(facts(partner_id, now), now, Programme.deadlines().first_answer_urged)


def percent(share: float | None) -> str:
    """A share as a whole percentage in the active language's number format; an em dash if none."""
    if share is None:
        return "—"
    return _("%(number)s%%") % {"number": number_format(round(share * 100), 0)}


def money(value: Decimal, currency: str) -> str:
    return f"{number_format(value, 2, force_grouping=True)} {currency}".strip()


def hours_text(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(number)s h") % {"number": number_format(value, 1)}


def chart_hours(value: float) -> str:
    """Hours on a chart, in the reader's language: whole hours without decimals ("30 ч", "7,5 ч")."""
    return _("%(number)s h") % {"number": number_format(value, 0 if float(value).is_integer() else 1)}


def advice(card: metrics.Card, paused_countries: list[str]) -> list[str]:
    """Plain advice, most useful first, on what would raise the partner's visibility."""
    tips: list[str] = []
    if card.waiting_late:
        tips.append(
            ngettext(
                "%(n)s referral has waited more than 24 h for your answer. Answer it now: "
                "even “No thanks” counts as an answer.",
                "%(n)s referrals have waited more than 24 h for your answer. Answer them now: "
                "even “No thanks” counts as an answer.",
                card.waiting_late,
            )
            % {"n": card.waiting_late}
        )
    if card.share_in_time is None:
        tips.append(_("No referral has had 24 h to be answered yet. Answer each one within 24 h to rank higher."))
    elif card.share_in_time < BEST_SHARE_IN_TIME:
        tips.append(
            _(
                "Answer within 24 h: you answered %(yours)s in time; the best partners answer %(best)s. "
                "Timely answers raise your place in the finder and in proposals."
            )
            % {"yours": percent(card.share_in_time), "best": percent(BEST_SHARE_IN_TIME)}
        )
        needed = metrics.answers_to_reach(BEST_SHARE_IN_TIME, card.answered_in_time, card.answer_window_closed)
        tips.append(
            ngettext(
                "Answer your next referral within 24 h and you reach %(best)s.",
                "Answer your next %(n)s referrals within 24 h and you reach %(best)s.",
                needed,
            )
            % {"n": needed, "best": percent(BEST_SHARE_IN_TIME)}
        )
    else:
        tips.append(
            _("You answered %(yours)s in time: keep it up, it keeps you high in the finder.")
            % {"yours": percent(card.share_in_time)}
        )
    if card.missed:
        tips.append(
            ngettext(
                "%(n)s referral missed in 12 weeks. A missed referral lowers your place more than a “No thanks”.",
                "%(n)s referrals missed in 12 weeks. A missed referral lowers your place more than a “No thanks”.",
                card.missed,
            )
            % {"n": card.missed}
        )
    if card.expired:
        tips.append(
            ngettext(
                "%(n)s referral expired after you said you were interested: accept or decline within 7 days.",
                "%(n)s referrals expired after you said you were interested: accept or decline within 7 days.",
                card.expired,
            )
            % {"n": card.expired}
        )
    if card.negotiating_count and not (card.won + card.lost):
        tips.append(_("Record how your deals end (won or lost): outcomes teach the engine which deals to send you."))
    for country in paused_countries:
        tips.append(
            _("Your profile in %(country)s is paused: it gets no new referrals and is hidden from the finder.")
            % {"country": country_name(country)}
        )
    return tips


@dataclass
class Page:
    card: metrics.Card
    advice: list[str]
    response_chart: SafeString
    outcome_chart: SafeString
    legend: list[tuple[str, str]]
    weeks: list[str]
    tendencies: tendencies.Words


def outcome_names() -> dict[str, str]:
    return {
        "won": pgettext("scorecard outcome", "Won"),
        "lost": pgettext("scorecard outcome", "Lost"),
        "skipped": pgettext("scorecard outcome", "No thanks"),
        "declined": pgettext("scorecard outcome", "Declined"),
        "missed": pgettext("scorecard outcome", "Missed"),
        "expired": pgettext("scorecard outcome", "Expired"),
    }


def page(partner_id: int, now: datetime) -> Page:
    card = compute(partner_id, now)
    labels = [dates.day_text(start) for start in card.week_starts]
    names = outcome_names()
    paused = list(
        BusinessProfile.objects.filter(partner_id=partner_id, status=BusinessProfile.Status.PAUSED)
        .order_by("country")
        .values_list("country", flat=True)
    )
    return Page(
        card=card,
        advice=advice(card, paused),
        response_chart=mark_safe(  # noqa: S308 - built by matching.charts, which escapes every text
            charts.response_times(
                _("Median hours to the first answer, by week received"),
                labels,
                card.weekly_median_hours,
                Programme.deadlines().first_answer_urged.total_seconds() / 3600,
                _("none"),
                chart_hours,
            )
        ),
        outcome_chart=mark_safe(  # noqa: S308 - built by matching.charts, which escapes every text
            charts.stacked_outcomes(_("Outcomes by week"), labels, card.weekly_outcomes, names)
        ),
        legend=charts.legend([state.value for state in lifecycle.OUTCOMES], names),
        weeks=labels,
        tendencies=tendencies.words(partner_id, now),
    )
