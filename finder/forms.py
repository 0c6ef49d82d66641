"""Reading the finder's forms: the search query string into Criteria, the request form into RequestInput.

No rule is checked here beyond what a browser form cannot say (a number typed as text): the search
and the request service validate, by field, the same as for the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from django.http import QueryDict
from django.utils.translation import gettext_noop as _

from finder.requests import RequestInput
from finder.search import Criteria
from kernel.text import line_errors

CRITERIA_FIELDS = ("q", "country", "city", "radius_km", "size", "industry", "product", "service", "language")
REQUEST_FIELDS = (
    "company",
    "size",
    "industry",
    "country",
    "city",
    "contact_name",
    "email",
    "phone",
    "need",
    "budget",
    "budget_currency",
    "timeline",
)
# The request's fields that hold one line of text (kernel.text); the API's schema types them Line.
LINE_FIELDS = ("company", "city", "contact_name", "email", "phone", "timeline")


T = TypeVar("T")


@dataclass
class Read(Generic[T]):
    value: T
    # Errors found while reading the form itself, by the service's field names.
    errors: dict[str, str] = field(default_factory=dict)


def _text(data: QueryDict, name: str, limit: int = 5000) -> str:
    return (data.get(name) or "").strip()[:limit]


def one_newline(text: str) -> str:
    """A browser posts each line break as CRLF, and counts it as one character against maxlength: count it as
    one here too, so that a need the page let through is not refused as too long."""
    return text.replace("\r\n", "\n")


def criteria(data: QueryDict) -> Read[Criteria]:
    errors: dict[str, str] = {}
    radius: float | None = None
    radius_text = _text(data, "radius_km").replace(",", ".")
    if radius_text:
        try:
            radius = float(radius_text)
        except ValueError:
            errors["radius_km"] = _("Enter the radius in kilometres, such as 50.")
    found = Criteria(
        q=_text(data, "q", 200),
        country=_text(data, "country", 2).upper(),
        city=_text(data, "city", 120),
        radius_km=radius,
        size=_text(data, "size", 64),
        industry=_text(data, "industry", 64),
        product=_text(data, "product", 64),
        service=_text(data, "service", 64),
        language=_text(data, "language", 8).lower(),
    )
    return Read(found, errors)


def profile_ids(data: QueryDict) -> list[int]:
    """The ticked partners, in order, without repeats; anything that is not an id is dropped."""
    ids = [int(v) for v in data.getlist("profile_ids") if v.strip().isdigit() and len(v.strip()) < 19]
    return list(dict.fromkeys(ids))


def request_input(data: QueryDict, language: str) -> Read[RequestInput]:
    errors: dict[str, str] = {}
    budget: Decimal | None = None
    budget_text = _text(data, "budget", 40).replace(" ", "").replace(",", ".")
    if budget_text:
        try:
            budget = Decimal(budget_text)
        except InvalidOperation:
            errors["budget"] = _("Enter the budget as a number, such as 5000.")
    value = RequestInput(
        profile_ids=profile_ids(data),
        company=_text(data, "company"),
        size=_text(data, "size", 64),
        industry=_text(data, "industry", 64),
        country=_text(data, "country", 8).upper(),
        city=_text(data, "city"),
        contact_name=_text(data, "contact_name"),
        email=_text(data, "email", 320),
        phone=_text(data, "phone", 100),
        need=one_newline((data.get("need") or "").strip()[:20000]),
        consent_contact=data.get("consent_contact") == "on",
        consent_share=data.get("consent_share") == "on",
        budget=budget,
        budget_currency=_text(data, "budget_currency", 8).upper(),
        timeline=_text(data, "timeline", 1000),
        language=language,
        honeypot=_text(data, "website"),
        route=data.get("route") == "on",
    )
    errors |= line_errors({name: getattr(value, name) for name in LINE_FIELDS})
    return Read(value, errors)
