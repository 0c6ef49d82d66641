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
    "respond_by", "company", "size", "industry", "country", "city", "contacts", "need", "products",
    "deal_value", "currency", "expected_close_date", "final_value", "reason", "source", "campaign_id",
]  # fmt: skip


def row(v: ReferralView) -> list[Any]:
    contacts = "; ".join(f"{c.name} <{c.email}> {c.phone}".strip() for c in v.contacts or [])
    return [
        v.id, v.engagement_id, v.profile_id, v.state.value, v.status, v.substatus,
        v.created_at.isoformat(), v.updated_at.isoformat(), v.respond_by.isoformat() if v.respond_by else "",
        v.company or "", v.company_size, v.industry, v.country, v.city, contacts, v.need,
        " ".join(v.requested_products), v.deal_value or "", v.deal_currency, v.expected_close_date or "",
        v.final_value or "", v.reason, v.source, v.campaign_id,
    ]  # fmt: skip


def rows(views: Iterable[ReferralView]) -> Iterator[list[Any]]:
    for view in views:
        yield row(view)
