"""What the agents' pages read from a request: the customer's request, the partners ticked, the leads filter."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from partners import places
from referrals.engagement_validation import MAX_NEED, budget_errors
from referrals.services import ContactInput, EngagementInput
from taxonomy.models import CompanySize, Currency, Industry, Product, ServiceType

# An agent may send one customer's request to at most this many partners: enough to give the customer
# a choice, few enough that partners do not compete over every lead (the finder allows 3 to customers).
MAX_PARTNERS = 5
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

# The service's field names (referrals.engagement_validation) and the form's.
SERVICE_FIELDS = {
    "customer.company": "company",
    "customer.size": "size",
    "customer.industry": "industry",
    "customer.country": "country",
    "customer.city": "city",
    "customer.address": "address",
    "customer.contacts": "contact_name",
    "customer.contacts.0.name": "contact_name",
    "customer.contacts.0.email": "contact_email",
    "customer.contacts.0.phone": "contact_phone",
    "need": "need",
    "consent.contact_by_selected_partners": "consent_contact",
    "language": "language",
    "budget": "budget",
    "budget_currency": "budget_currency",
    "timeline": "timeline",
    "campaign_id": "campaign_id",
    "requirements.industries": "requested_industries",
    "requirements.products": "requested_products",
    "requirements.services": "requested_services",
}


def new_token() -> str:
    """A one-time token for a new referral form: sending the same form twice creates one engagement."""
    return secrets.token_urlsafe(24)


def _terms(model: Any) -> list[tuple[str, str]]:
    return [(t.code, t.label()) for t in model.objects.all()]


def _currencies() -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} · {places.currency_name(c.code)}") for c in Currency.objects.all()]


class ReferralForm(forms.Form):
    """A customer's request as an agent types it in (one contact person; the API takes more)."""

    company = forms.CharField(label=_("Company"), max_length=200)
    size = forms.ChoiceField(label=_("Company size (employees)"))
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    country = forms.ChoiceField(label=_("Country"))
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    need = forms.CharField(
        label=_("What the customer needs"), max_length=MAX_NEED, widget=forms.Textarea(attrs={"rows": 4})
    )
    requested_industries = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label=_("Requested industries"), required=False
    )
    requested_products = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label=_("Requested products"), required=False
    )
    requested_services = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label=_("Requested services"), required=False
    )
    budget = forms.DecimalField(label=_("Budget"), required=False)
    budget_currency = forms.ChoiceField(label=_("Currency"), required=False)
    timeline = forms.CharField(label=_("Timeline"), max_length=120, required=False)
    language = forms.ChoiceField(label=_("Customer's language"), choices=[("en", "English"), ("ru", "Русский")])
    consent_contact = forms.BooleanField(
        label=_("The customer agrees to be contacted by the chosen partners"),
        error_messages={"required": _("The customer must agree to be contacted by the partners.")},
    )
    consent_share = forms.BooleanField(
        label=_("The customer agrees that the request goes to other partners too"), required=False
    )
    campaign_id = forms.CharField(label=_("Campaign id"), max_length=100, required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        none: list[tuple[str, str]] = [("", "—")]
        fields = self.fields
        fields["size"].choices = none + _terms(CompanySize)  # type: ignore[attr-defined]
        fields["industry"].choices = none + _terms(Industry)  # type: ignore[attr-defined]
        fields["country"].choices = none + places.countries()  # type: ignore[attr-defined]
        fields["requested_industries"].choices = _terms(Industry)  # type: ignore[attr-defined]
        fields["requested_products"].choices = _terms(Product)  # type: ignore[attr-defined]
        fields["requested_services"].choices = _terms(ServiceType)  # type: ignore[attr-defined]
        fields["budget_currency"].choices = none + _currencies()  # type: ignore[attr-defined]

    def clean_token(self) -> str:
        token: str = self.cleaned_data.get("token", "")
        # A missing or mangled token gets a fresh one: the form still works, only its replay guard is new.
        return token if TOKEN_PATTERN.match(token) else new_token()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "budget" in data and "budget_currency" in data:
            self.add_service_errors(budget_errors(data["budget"], data["budget_currency"]))
        return data

    def engagement_input(self, targets: list[int]) -> EngagementInput:
        """The cleaned form as the referral service takes it (call after is_valid())."""
        d = self.cleaned_data
        return EngagementInput(
            company=d["company"].strip(),
            size=d["size"],
            industry=d["industry"],
            country=d["country"],
            city=d["city"].strip(),
            address=d["address"].strip(),
            contacts=[ContactInput(d["contact_name"].strip(), d["contact_email"], d["contact_phone"].strip())],
            need=d["need"].strip(),
            requested_industries=list(d["requested_industries"]),
            requested_products=list(d["requested_products"]),
            requested_services=list(d["requested_services"]),
            budget=d["budget"],
            budget_currency=d["budget_currency"] if d["budget"] is not None else "",
            timeline=d["timeline"].strip(),
            language=d["language"],
            consent_contact=d["consent_contact"],
            consent_share=d["consent_share"],
            source="agent",
            campaign_id=d["campaign_id"].strip(),
            targets=targets,
        )

    def add_service_errors(self, errors: dict[str, str]) -> None:
        """The engagement validator's refusals, each by the field it concerns (the rest above the form)."""
        for key, message in errors.items():
            field = SERVICE_FIELDS.get(key)
            self.add_error(field if field in self.fields else None, _(message))


def parse_targets(values: list[str]) -> tuple[list[int], str]:
    """The profile ids ticked, in order, without repeats; and an error if there are none or too many."""
    ids: list[int] = []
    for raw in values:
        if raw.isdigit() and len(raw) < 10 and int(raw) not in ids:
            ids.append(int(raw))
    if not ids:
        return [], str(_("Tick at least one partner."))
    if len(ids) > MAX_PARTNERS:
        return ids, ngettext("Tick at most %(n)d partner.", "Tick at most %(n)d partners.", MAX_PARTNERS) % {
            "n": MAX_PARTNERS
        }
    return ids, ""


class LeadsFilter(forms.Form):
    """The advertising leads page: one campaign, and a period of creation dates (both ends included)."""

    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since: date | None = data.get("since")
        until: date | None = data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period comes before its start."))
        return data

    @classmethod
    def parse(cls, params: QueryDict) -> LeadsFilter:
        form = cls(params)
        form.is_valid()
        return form

    def value(self, name: str) -> Any:
        """A filter's cleaned value, or None when it is empty or invalid (an invalid filter filters nothing)."""
        if name in self.errors:
            return None
        return getattr(self, "cleaned_data", {}).get(name) or None
