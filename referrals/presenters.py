"""What a partner may see of a referral. Pages, API, CSV, e-mails and webhooks read referrals only through here,
so the masking rule (no customer contacts in new or in the 'did not engage' states) lives in one place:
while masked, the contacts, company and address are left out, and the contact details a customer wrote into
the free text (need, timeline, city) are hidden by referrals.redaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from referrals import lifecycle, redaction
from referrals.lifecycle import State
from referrals.models import Referral


@dataclass(frozen=True)
class ContactView:
    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class ReferralView:
    id: int
    engagement_id: int
    profile_id: int
    state: State
    status: str
    substatus: str
    version: int
    created_at: datetime
    updated_at: datetime
    state_entered_at: datetime
    respond_by: datetime | None
    company: str | None
    company_size: str
    industry: str
    country: str
    city: str
    address: str | None
    need: str
    requested_industries: list[str]
    requested_products: list[str]
    requested_services: list[str]
    budget: Decimal | None
    budget_currency: str
    timeline: str
    source: str
    campaign_id: str
    # Partner Center's ids of an imported request ("" otherwise): its referral id, engagementId, externalReferenceId.
    partner_center_id: str
    partner_center_engagement_id: str
    external_reference_id: str
    # None while masked: who the customer is shows only once the partner engages.
    contacts: list[ContactView] | None
    deal_value: Decimal | None
    deal_currency: str
    expected_close_date: object
    final_value: Decimal | None
    reason: str
    comment: str
    notes: str
    assignee_id: int | None
    allowed_actions: list[lifecycle.Action]

    @property
    def masked(self) -> bool:
        return self.contacts is None


# Translated when a view is made: in the request's language on pages, in the recipient's in e-mails.
CONTACTS_HIDDEN = _("contact details hidden until you are interested")


def _shown(text: str, visible: bool) -> str:
    """Free text the customer wrote, with their contact details hidden while the referral is masked."""
    return text if visible else redaction.hide_contacts(text, str(CONTACTS_HIDDEN))


def present(referral: Referral) -> ReferralView:
    """The partner-facing view of a referral; select_related('engagement') avoids a query."""
    e = referral.engagement
    state = State(referral.state)
    visible = lifecycle.contacts_visible(state)
    status, substatus = lifecycle.partner_center_status(state)
    contacts = None
    if visible:
        contacts = [ContactView(c.name, c.email, c.phone) for c in e.contacts.all()]
    return ReferralView(
        id=referral.pk,
        engagement_id=e.pk,
        profile_id=referral.profile_id,
        state=state,
        status=status,
        substatus=substatus,
        version=referral.version,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        state_entered_at=referral.state_entered_at,
        respond_by=referral.deadline_at,
        company=e.customer_company if visible else None,
        company_size=e.customer_size_id or "",
        industry=e.customer_industry_id or "",
        country=e.customer_country,
        city=_shown(e.customer_city, visible),
        address=e.customer_address if visible else None,
        need=_shown(e.need, visible),
        requested_industries=list(e.requested_industries),
        requested_products=list(e.requested_products),
        requested_services=list(e.requested_services),
        budget=e.budget,
        budget_currency=e.budget_currency,
        timeline=_shown(e.timeline, visible),
        source=e.source,
        campaign_id=e.campaign_id,
        partner_center_id=e.partner_center_id,
        partner_center_engagement_id=e.partner_center_engagement_id,
        external_reference_id=e.external_reference_id,
        contacts=contacts,
        deal_value=referral.deal_value,
        deal_currency=referral.deal_currency,
        expected_close_date=referral.expected_close_date,
        final_value=referral.final_value,
        reason=referral.reason,
        comment=referral.comment,
        notes=referral.notes,
        assignee_id=referral.assignee_id,
        allowed_actions=lifecycle.allowed_actions(state),
    )
