"""What a CSV of referrals holds: its columns and one row per masked view, for every CSV of referrals.

The API's `GET /api/v1/referrals.csv` and the inbox's download both write these; `kernel.csvexport` writes
the file (encoding, formulas as text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from referrals.presenters import ReferralView

COLUMNS = [
    "id", "engagement_id", "profile_id", "state", "status", "substatus", "created_at", "updated_at",
    "respond_by", "company", "size", "industry", "country", "city", "contacts", "need", "industries", "products",
    "services", "deal_value", "currency", "expected_close_date", "final_value", "reason", "source", "campaign_id",
    "partner_center_id", "partner_center_engagement_id", "external_reference_id",
]  # fmt: skip


def row(v: ReferralView) -> list[Any]:
    """One referral as a CSV row: the JSON's values (kernel.csvexport writes timestamps as the JSON does), lists
    joined by spaces (codes have none)."""
    contacts = "; ".join(f"{c.name} <{c.email}> {c.phone}".strip() for c in v.contacts or [])
    return [
        v.id, v.engagement_id, v.profile_id, v.state.value, v.status, v.substatus, v.created_at, v.updated_at,
        v.respond_by, v.company or "", v.company_size, v.industry, v.country, v.city, contacts, v.need,
        " ".join(v.requested_industries), " ".join(v.requested_products), " ".join(v.requested_services),
        v.deal_value, v.deal_currency, v.expected_close_date, v.final_value, v.reason, v.source, v.campaign_id,
        v.partner_center_id, v.partner_center_engagement_id, v.external_reference_id,
    ]  # fmt: skip


def rows(views: Iterable[ReferralView]) -> Iterator[list[Any]]:
    for view in views:
        yield row(view)
