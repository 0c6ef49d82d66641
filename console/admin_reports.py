"""What the programme admins' reports read: SLA breaches and the analytics' grouped counts.

The counting is SQL (one GROUP BY per table, its cost following the referrals of the period); the
arithmetic on those rows is console.analytics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.sql.compiler import SQLCompiler

from console import analytics
from referrals.lifecycle import State
from referrals.models import Referral

# --- SLA breaches ------------------------------------------------------------------------------

MISSED, EXPIRED, LATE = "missed", "expired", "late"
BREACH_KINDS = (MISSED, EXPIRED, LATE)


@dataclass(frozen=True)
class BreachFilter:
    start: datetime
    end: datetime  # exclusive
    partner_id: int | None = None
    kind: str = ""  # one of BREACH_KINDS, or every kind


def _breach_condition(f: BreachFilter, now: datetime, urged: timedelta) -> Q:
    """Missed the 72 h deadline, expired after 7 days, or still new past the urged answer time, with the
    moment of the breach in [start, end)."""
    kinds = {
        MISSED: Q(state=State.MISSED, missed_at__gte=f.start, missed_at__lt=f.end),
        EXPIRED: Q(state=State.EXPIRED, expired_at__gte=f.start, expired_at__lt=f.end),
        # Late: lifecycle.answer_overdue as a query (waited more than the window), its urged time (created +
        # urged) in the period.
        LATE: Q(state=State.NEW, created_at__lt=now - urged, created_at__gte=f.start - urged)
        & Q(created_at__lt=f.end - urged),
    }
    chosen = [kinds[f.kind]] if f.kind in kinds else list(kinds.values())
    condition = chosen[0]
    for other in chosen[1:]:
        condition |= other
    return condition


def breaches(f: BreachFilter, now: datetime, urged: timedelta) -> QuerySet[Referral]:
    """The breaches, newest first, each with `breached_at` and `breach` (missed, expired or late)."""
    qs = Referral.objects.filter(_breach_condition(f, now, urged))
    if f.partner_id is not None:
        qs = qs.filter(partner_id=f.partner_id)
    return qs.annotate(
        breached_at=Case(
            When(state=State.MISSED, then=F("missed_at")),
            When(state=State.EXPIRED, then=F("expired_at")),
            default=ExpressionWrapper(F("created_at") + Value(urged), output_field=DateTimeField()),
            output_field=DateTimeField(),
        ),
        breach=Case(
            When(state=State.MISSED, then=Value(MISSED)),
            When(state=State.EXPIRED, then=Value(EXPIRED)),
            default=Value(LATE),
        ),
    ).order_by("-breached_at", "-pk")


def breach_partners(f: BreachFilter, now: datetime, urged: timedelta) -> list[tuple[int, str]]:
    """(id, name) of the partners with breaches in the period, whatever partner is chosen: the filter's options."""
    unfiltered = BreachFilter(f.start, f.end, None, f.kind)
    rows = (
        Referral.objects.filter(_breach_condition(unfiltered, now, urged))
        .values_list("partner_id", "partner__name")
        .distinct()
        .order_by("partner__name", "partner_id")
    )
    return list(rows)


# --- Analytics ---------------------------------------------------------------------------------


class AnswerMinutes(Func):
    """Whole minutes from a referral's arrival to its first answer, in SQL."""

    output_field = IntegerField()

    def __init__(self) -> None:
        super().__init__(F("first_answer_at"), F("created_at"))

    def _parts(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, str, list[Any]]:
        answered, p1 = compiler.compile(self.source_expressions[0])
        created, p2 = compiler.compile(self.source_expressions[1])
        return answered, created, [*p1, *p2]

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, list[Any]]:
        answered, created, params = self._parts(compiler, connection)
        return (
            f"((CAST(strftime('%%s', {answered}) AS INTEGER) - CAST(strftime('%%s', {created}) AS INTEGER)) / 60)",
            params,
        )

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        answered, created, params = self._parts(compiler, connection)
        return f"FLOOR(EXTRACT(EPOCH FROM ({answered} - {created})) / 60)::integer", params


# Each table's grouping columns; the first ones are the key, the label is made from all of them.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "partner": ("partner_id", "partner__name"),
    "region": ("engagement__customer_country", "engagement__customer_city"),
    "source": ("engagement__source",),
    "campaign": ("engagement__campaign_id",),
}


def received_between(start: datetime, end: datetime) -> QuerySet[Referral]:
    """The period's cohort: referrals received in [start, end). Every figure counts these."""
    return Referral.objects.filter(created_at__gte=start, created_at__lt=end)


def _key(row: dict[str, Any], fields: tuple[str, ...]) -> analytics.Key:
    return tuple("" if row[f] is None else str(row[f]) for f in fields)


def grouped(cohort: QuerySet[Referral], dimension: str) -> tuple[list[analytics.Row], list[tuple[int, int]]]:
    """The table for one dimension, and the histogram of minutes to the first answer over all its groups.

    Three GROUP BY queries: counts by state and stage, minutes to the first answer, open pipeline."""
    fields = DIMENSIONS[dimension]
    states = {s: Count("pk", filter=Q(state=s)) for s in analytics.STATES}
    counts = [
        analytics.Counts(
            key=_key(row, fields),
            by_state={s: row[s] for s in analytics.STATES},
            answered=row["answered_n"],
            interested=row["interested_n"],
            accepted=row["accepted_n"],
        )
        for row in cohort.values(*fields)
        .annotate(
            **states,
            answered_n=Count("pk", filter=Q(first_answer_at__isnull=False)),
            interested_n=Count("pk", filter=Q(evaluating_at__isnull=False)),
            accepted_n=Count("pk", filter=Q(negotiating_at__isnull=False)),
        )
        .order_by()
    ]
    minutes = [
        (_key(row, fields), row["minutes"], row["n"])
        for row in cohort.filter(first_answer_at__isnull=False)
        .annotate(minutes=AnswerMinutes())
        .values(*fields, "minutes")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    pipeline = [
        (_key(row, fields), row["deal_currency"], row["total"], row["n"])
        for row in cohort.filter(state=State.NEGOTIATING)
        .values(*fields, "deal_currency")
        .annotate(total=Sum("deal_value"), n=Count("pk"))
        .order_by()
    ]
    histogram = [(m, n) for _key_, m, n in minutes]
    return analytics.rows(counts, minutes, pipeline), histogram
