"""Checks on a new engagement, by field, before anything is written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from leadshare.text import line_errors
from referrals.errors import InvalidInput
from referrals.models import Engagement
from taxonomy.models import CompanySize, Currency, Industry, Product, ServiceType

if TYPE_CHECKING:
    from referrals.services import EngagementInput

MAX_TARGETS = 10
MAX_CONTACTS = 5


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
    if not data.targets:
        errors["targets"] = "Choose at least one partner."
    elif len(data.targets) > MAX_TARGETS or len(set(data.targets)) != len(data.targets):
        errors["targets"] = f"Choose up to {MAX_TARGETS} different partners."
    if data.budget is not None and data.budget <= 0:
        errors["budget"] = "The budget must be greater than zero."
    if data.budget_currency and not Currency.objects.filter(code=data.budget_currency).exists():
        errors["budget_currency"] = "Unknown currency."
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
