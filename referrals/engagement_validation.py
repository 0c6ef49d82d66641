"""The one validator of a new engagement, by field, before anything is written.

`referrals.services.create_engagement` runs it for every caller (the API, the agents' form, the finder's
request); the forms and the finder's request check call its field rules (`need_errors`, `budget_errors`)
and show their messages by their own field names, and the API's schema documents its limits. Messages are
in English, marked for translation (the finder's and the console's catalogues hold them); pages translate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_noop as _

from kernel.errors import InvalidInput
from kernel.text import line_errors
from referrals.models import Engagement
from referrals.validation import MAX_DEAL_VALUE
from taxonomy.models import CompanySize, Currency, Industry, Product, ServiceType

if TYPE_CHECKING:
    from referrals.services import EngagementInput

MAX_TARGETS = 10
MAX_ROUTED = 6  # partners the routing engine may choose for one request at once ("route": {"count": n})
MAX_CONTACTS = 5
# What the customer needs, in their words: long enough for a brief, short enough for an alert e-mail.
MAX_NEED = 5000
MAX_BUDGET = MAX_DEAL_VALUE  # Engagement.budget: 14 digits, 2 decimals


def _recipient_errors(data: EngagementInput) -> dict[str, str]:
    """Who gets the request: the partners named (`targets`) or the routing engine's best `route_count`, exactly
    one of the two."""
    if data.targets and data.route_count is not None:
        return {"route": "Name the partners (targets) or ask for routing (route), not both."}
    if data.route_count is not None:
        if not 1 <= data.route_count <= MAX_ROUTED:
            return {"route.count": f"Ask for 1 to {MAX_ROUTED} partners."}
        return {}
    if not data.targets:
        return {"targets": "Choose at least one partner, or ask for routing (route)."}
    if len(data.targets) > MAX_TARGETS or len(set(data.targets)) != len(data.targets):
        return {"targets": f"Choose up to {MAX_TARGETS} different partners."}
    return {}


def need_errors(need: str) -> dict[str, str]:
    """The need's length limit (whether one is required is the caller's sentence to say)."""
    if len(need.strip()) > MAX_NEED:
        return {"need": _("Keep the description under 5,000 characters.")}
    return {}


def budget_errors(budget: Decimal | None, currency: str) -> dict[str, str]:
    """An optional budget: positive, at most two decimals, not over MAX_BUDGET, and with a known currency."""
    errors: dict[str, str] = {}
    if budget is not None:
        if not budget.is_finite() or budget <= 0:
            errors["budget"] = _("The budget must be greater than zero.")
        elif budget > MAX_BUDGET:
            errors["budget"] = _("The budget is too large.")
        elif budget != budget.quantize(Decimal("0.01")):
            errors["budget"] = _("Use at most two decimals.")
        if not currency:
            errors["budget_currency"] = _("Choose the budget's currency.")
    if currency and not Currency.objects.filter(code=currency).exists():
        errors["budget_currency"] = _("Choose a currency from the list.")
    return errors


def _codes_exist(model: type, codes: list[str]) -> list[str]:
    known = set(model.objects.filter(code__in=codes).values_list("code", flat=True))  # type: ignore[attr-defined]
    return [c for c in codes if c not in known]


def _not_single_lines(data: EngagementInput) -> dict[str, str]:
    lines = {
        "customer.company": data.company,
        "customer.city": data.city,
        "customer.address": data.address,
        "timeline": data.timeline,
        "campaign_id": data.campaign_id,
    }
    for i, contact in enumerate(data.contacts):
        lines |= {f"customer.contacts.{i}.name": contact.name, f"customer.contacts.{i}.phone": contact.phone}
    return line_errors(lines)


def validate_engagement(data: EngagementInput) -> None:
    errors: dict[str, str] = {}
    if not data.company.strip():
        errors["customer.company"] = "Enter the company name."
    if not CompanySize.objects.filter(code=data.size).exists():
        errors["customer.size"] = "Choose a company size."
    if data.industry and not Industry.objects.filter(code=data.industry).exists():
        errors["customer.industry"] = "Choose an industry from the list."
    if len(data.country) != 2 or not data.country.isalpha():
        errors["customer.country"] = "Use the two-letter country code, such as DE or RU."
    if not data.need.strip():
        errors["need"] = "Describe what the customer needs."
    errors |= need_errors(data.need)
    if not data.contacts:
        errors["customer.contacts"] = "Add at least one contact person."
    elif len(data.contacts) > MAX_CONTACTS:
        errors["customer.contacts"] = f"Add at most {MAX_CONTACTS} contact people."
    for i, contact in enumerate(data.contacts):
        if not contact.name.strip():
            errors[f"customer.contacts.{i}.name"] = "Enter the contact's name."
        try:
            validate_email(contact.email)
        except ValidationError:
            errors[f"customer.contacts.{i}.email"] = "Enter a valid e-mail address."
        if len(contact.phone) > 40:
            errors[f"customer.contacts.{i}.phone"] = "The phone number is too long."
    if not data.consent_contact:
        errors["consent.contact_by_selected_partners"] = "The customer must agree to be contacted by the partners."
    if data.language not in ("en", "ru"):
        errors["language"] = "Use en or ru."
    if data.source not in Engagement.Source.values:
        errors["source"] = "Unknown source."
    errors |= _recipient_errors(data)
    errors |= budget_errors(data.budget, data.budget_currency)
    for name, model, codes in (
        ("requirements.industries", Industry, data.requested_industries),
        ("requirements.products", Product, data.requested_products),
        ("requirements.services", ServiceType, data.requested_services),
    ):
        unknown = _codes_exist(model, codes)
        if unknown:
            errors[name] = "Unknown: " + ", ".join(unknown)
    errors |= _not_single_lines(data)
    if errors:
        raise InvalidInput(errors)
