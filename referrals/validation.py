"""Checks on what a person sends with an action, done before anything is locked or changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from referrals.lifecycle import Action
from taxonomy.models import Currency, Reason

MAX_DEAL_VALUE = Decimal("999999999999.99")
MAX_COMMENT = 2000
MAX_NOTES = 20000
# The earliest time zone on Earth is UTC-12: "today" there is the most lenient reading of "not in the past".
EARLIEST_ZONE = timedelta(hours=12)


@dataclass(frozen=True)
class ActionInput:
    deal_value: Decimal | str | None = None
    currency: str = ""
    expected_close_date: date | str | None = None
    final_value: Decimal | str | None = None
    reason: str = ""
    comment: str = ""


@dataclass(frozen=True)
class CleanInput:
    deal_value: Decimal | None
    currency: str
    expected_close_date: date | None
    final_value: Decimal | None
    reason: str
    comment: str


REASON_KIND = {Action.SKIP: Reason.Kind.SKIP, Action.DECLINE: Reason.Kind.DECLINE, Action.LOSE: Reason.Kind.LOSE}


def _money(value: Decimal | str | None, errors: dict[str, str], field: str, required: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = "Enter the amount."
        return None
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        errors[field] = "Enter a number, such as 12500 or 12500.50."
        return None
    if not amount.is_finite():
        errors[field] = "Enter a number, such as 12500 or 12500.50."
    elif amount <= 0:
        errors[field] = "The amount must be greater than zero."
    elif amount > MAX_DEAL_VALUE:
        errors[field] = "The amount is too large."
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = "Use at most two decimal places."
    else:
        return amount
    return None


def _date(value: date | str | None, errors: dict[str, str], field: str) -> date | None:
    if value is None or value == "":
        errors[field] = "Enter the expected close date."
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = "Enter a date as YYYY-MM-DD."
        return None


def clean_deal(value: Decimal | str | None, currency: str | None) -> tuple[Decimal | None, str, dict[str, str]]:
    """A deal's value and currency as a referral may hold them (accepting one, importing one), or the errors
    by field name ("deal_value", "currency")."""
    errors: dict[str, str] = {}
    amount = _money(value, errors, "deal_value", required=True)
    code = (currency or "").strip().upper()
    if not code:
        errors["currency"] = "Choose a currency."
    elif not Currency.objects.filter(code=code).exists():
        errors["currency"] = f"{code} is not a currency we know."
    return amount, code, errors


def clean(action: Action, data: ActionInput, now: datetime) -> tuple[CleanInput | None, dict[str, str]]:
    """Validated input for `action`, or the errors by field name."""
    errors: dict[str, str] = {}
    deal_value = currency = close_date = final_value = None
    if action == Action.ACCEPT:
        deal_value, currency, deal_errors = clean_deal(data.deal_value, data.currency)
        errors |= deal_errors
        close_date = _date(data.expected_close_date, errors, "expected_close_date")
        if close_date is not None and close_date < (now - EARLIEST_ZONE).date():
            errors["expected_close_date"] = "The expected close date cannot be in the past."
    if action == Action.WIN:
        # Left out (an API client), the estimate stands as the final value; sent empty (a person cleared the
        # page's field, which starts at the estimate), it is a mistake, not a wish to keep the estimate.
        final_value = _money(data.final_value, errors, "final_value", required=isinstance(data.final_value, str))
    reason = (data.reason or "").strip()
    kind = REASON_KIND.get(action)
    if kind is not None:
        if reason and not Reason.objects.filter(kind=kind, code=reason, active=True).exists():
            errors["reason"] = "Choose one of the listed reasons."
        elif not reason and action != Action.SKIP:
            errors["reason"] = "Choose a reason."
    elif reason:
        reason = ""
    comment = (data.comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = f"Keep the comment under {MAX_COMMENT} characters."
    if errors:
        return None, errors
    return CleanInput(deal_value, currency or "", close_date, final_value, reason, comment), {}
