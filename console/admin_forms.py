"""Parsing the programme admins' pages' input, and the wording of the services' messages on them.

The services speak English (as the API does); pages show each message through gettext, so every
message is listed here for makemessages to find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from console import analytics
from console.admin_reports import BREACH_KINDS

SERVICE_MESSAGES = (
    gettext_noop("Choose no thanks, decline or lost."),
    gettext_noop("Enter a code, such as budget-frozen."),
    gettext_noop("Enter 1 to 20 partners."),
    gettext_noop("Enter a number of hours."),
    gettext_noop("Enter a number of partners."),
    gettext_noop("Enter a whole number of partners, such as 6."),
    gettext_noop("Enter a whole number of hours, such as 72."),
    gettext_noop("Enter at least 1 hour."),
    gettext_noop("Enter at most 2160 hours (90 days)."),
    gettext_noop("Enter the label partners see."),
    gettext_noop("Keep the comment under 2000 characters."),
    gettext_noop("Keep the label under 120 characters."),
    gettext_noop("Partners flag spam with this reason, and the spam queue relies on it: keep it active."),
    gettext_noop("Partners must always have a reason to choose: keep at least one active in this list."),
    gettext_noop("Say why: the partner's history keeps the reason."),
    gettext_noop("Someone has already decided on this request."),
    gettext_noop("The reminder to answer must come before the deadline for new referrals."),
    gettext_noop("The warning before a deadline must be shorter than both deadlines."),
    gettext_noop("This list already has a reason with this code. Rename or reactivate it."),
    gettext_noop("This partner is already active."),
    gettext_noop("This partner is already suspended."),
    gettext_noop("This partner is already verified."),
    gettext_noop("This partner is not verified."),
    gettext_noop("This reason is already inactive."),
    gettext_noop("This reason is already active."),
    gettext_noop("Use lowercase letters, digits and single hyphens (at most 64), such as budget-frozen."),
    gettext_noop("Enter a date as YYYY-MM-DD."),
    gettext_noop("The end must be on or after the start."),
    gettext_noop("Choose a period of at most 1098 days."),
)


def message(text: str) -> str:
    """A service message in the active language (one not listed stays as the service wrote it)."""
    return _(text) if text in SERVICE_MESSAGES else text


def messages_by_field(errors: dict[str, str]) -> dict[str, str]:
    return {name: message(text) for name, text in errors.items()}


def page_number(params: QueryDict) -> str:
    value = params.get("page", "1")
    return value if value.isdigit() else "1"


def optional_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 18 else None


@dataclass(frozen=True)
class PartnerQuery:
    q: str = ""
    status: str = ""  # active, suspended, or both
    verified: str = ""  # yes, no, or both

    @classmethod
    def parse(cls, params: QueryDict) -> PartnerQuery:
        status = params.get("status", "")
        verified = params.get("verified", "")
        return cls(
            q=params.get("q", "").strip()[:200],
            status=status if status in ("active", "suspended") else "",
            verified=verified if verified in ("yes", "no") else "",
        )


@dataclass(frozen=True)
class PeriodQuery:
    """The period asked for, with the errors by field; on error the default period is used."""

    period: analytics.Period
    errors: dict[str, str]
    first: str
    last: str

    @classmethod
    def parse(cls, params: QueryDict, today: date) -> PeriodQuery:
        first, last = params.get("from", "").strip()[:20], params.get("to", "").strip()[:20]
        period, errors = analytics.parse_period(first, last, today)
        return cls(
            period, messages_by_field(errors), first or period.first.isoformat(), last or period.last.isoformat()
        )


@dataclass(frozen=True)
class BreachQuery:
    period: PeriodQuery
    partner_id: int | None
    kind: str

    @classmethod
    def parse(cls, params: QueryDict, today: date) -> BreachQuery:
        kind = params.get("kind", "")
        return cls(
            PeriodQuery.parse(params, today),
            optional_id(params.get("partner")),
            kind if kind in BREACH_KINDS else "",
        )
