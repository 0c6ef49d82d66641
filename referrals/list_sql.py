"""One page of a user's referrals in two hand-written queries: the API list, a CRM's polling hot path.

Building the same page through the ORM costs about 4 ms of Python a request (compiling the query,
then a model instance and converters per column and row); the rows here cost about 0.3 ms. The SQL is
portable (SQLite and PostgreSQL). What a user may see is still decided by `referrals.access`; this
module repeats that rule in SQL, and tests/referrals/test_list_sql.py holds both to the same answers for
every role. Masking stays in `referrals.presenters.present`, which reads these rows as it reads models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import connection

from kernel.rawrows import Columns
from partners.models import User
from referrals import lifecycle, permissions
from referrals.lifecycle import State
from referrals.models import CustomerContact, Engagement, Referral
from referrals.presenters import ContactView

REFERRAL_COLUMNS = [
    "id",
    "engagement_id",
    "profile_id",
    "state",
    "version",
    "created_at",
    "updated_at",
    "state_entered_at",
    "deadline_at",
    "deal_value",
    "deal_currency",
    "expected_close_date",
    "final_value",
    "reason",
    "comment",
    "notes",
    "assignee_id",
]
ENGAGEMENT_COLUMNS = [
    "customer_company",
    "customer_size_id",
    "customer_industry_id",
    "customer_country",
    "customer_city",
    "customer_address",
    "need",
    "requested_industries",
    "requested_products",
    "requested_services",
    "budget",
    "budget_currency",
    "timeline",
    "source",
    "campaign_id",
    "partner_center_id",
    "partner_center_engagement_id",
    "external_reference_id",
]
DATETIMES = {"created_at", "updated_at", "state_entered_at", "deadline_at"}
DECIMALS = {"deal_value", "final_value", "budget"}
JSON_LISTS = {"requested_industries", "requested_products", "requested_services"}
CENTS = Decimal("0.01")


def _datetime(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _decimal(value: Any) -> Any:
    if value is None:
        return None
    return value.quantize(CENTS) if isinstance(value, Decimal) else Decimal(str(value)).quantize(CENTS)


def _json_list(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


# SQLite hands back text and floats where PostgreSQL hands back typed values; None passes through all.
CONVERTERS = {
    **dict.fromkeys(DATETIMES, _datetime),
    **dict.fromkeys(DECIMALS, _decimal),
    **dict.fromkeys(JSON_LISTS, _json_list),
    "expected_close_date": _date,
}


def _converters(names: list[str]) -> list[tuple[int, Any]]:
    return [(i, CONVERTERS[name]) for i, name in enumerate(names) if name in CONVERTERS]


def _convert(names: list[str], converters: list[tuple[int, Any]], row: tuple[Any, ...]) -> dict[str, Any]:
    values = list(row)
    for i, convert in converters:
        if values[i] is not None:
            values[i] = convert(values[i])
    return dict(zip(names, values, strict=True))


_REFERRAL_CONVERTERS = _converters(REFERRAL_COLUMNS)
_ENGAGEMENT_CONVERTERS = _converters(ENGAGEMENT_COLUMNS)


class _Contacts:
    def __init__(self, rows: list[ContactView]) -> None:
        self.rows = rows

    def all(self) -> list[ContactView]:
        return self.rows


class _Engagement:
    """Reads like an Engagement to the presenter."""

    def __init__(self, pk: int, values: dict[str, Any]) -> None:
        self.pk = pk
        self.__dict__.update(values)
        self.contacts = _Contacts([])


class _Referral:
    """Reads like a Referral (with its engagement selected) to the presenter."""

    id: int
    state: str
    updated_at: datetime

    def __init__(self, values: dict[str, Any], engagement: _Engagement) -> None:
        self.__dict__.update(values)
        self.pk = values["id"]
        self.engagement = engagement


@dataclass(frozen=True)
class Shape:
    """Everything that changes the statement's text; the values travel as parameters."""

    visibility: str  # "partner", "member" or "all"
    states: int
    since: bool
    after: bool


def _readable(name: str, column: str) -> str:
    """On PostgreSQL, times as text: Django's timestamptz loader parses in Python, fromisoformat in C."""
    if name in DATETIMES and connection.vendor == "postgresql":
        return f"{column}::text"
    return column


@cache
def _statement(vendor: str, shape: Shape) -> str:
    """The statement of a shape on a database, built once."""
    return _build(shape)


def _build(shape: Shape) -> str:
    r, e = Columns(Referral, "r"), Columns(Engagement, "e")
    col = {name: r.column(name) for name in REFERRAL_COLUMNS}
    select = [_readable(name, col[name]) for name in REFERRAL_COLUMNS]
    select += [e.column(name) for name in ENGAGEMENT_COLUMNS]
    where = []
    if shape.visibility in ("partner", "member"):
        where.append(f"{r.column('partner_id')} = %s")
    if shape.visibility == "member":
        m = Columns(User.locations.through, "m")
        where.append(
            f"({col['assignee_id']} = %s OR {r.column('location_id')} IN (SELECT {m.column('location_id')} "
            f"FROM {m.table()} WHERE {m.column('user_id')} = %s))"
        )
    if shape.states:
        where.append(f"{col['state']} IN ({', '.join(['%s'] * shape.states)})")
    updated, ident = col["updated_at"], col["id"]
    if shape.since:
        where.append(f"{updated} >= %s")
    if shape.after:
        # The plain bound lets the index scan start at the cursor (see referrals.queries.page).
        where.append(f"{updated} >= %s AND ({updated} > %s OR ({updated} = %s AND {ident} > %s))")
    return (
        f"SELECT {', '.join(select)} FROM {r.table()} JOIN {e.table()} ON {e.column('id')} = "
        f"{col['engagement_id']} WHERE {' AND '.join(where) or '1 = 1'} ORDER BY {updated}, {ident} LIMIT %s"
    )


def page_rows(
    user: User,
    states: tuple[str, ...],
    updated_since: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[_Referral]:
    """Up to `limit` referrals the user may see, oldest change first, after the keyset `after`."""
    visibility = permissions.referral_scope(user)
    if visibility is None:
        return []
    shape = Shape(visibility, len(states), updated_since is not None, after is not None)
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    if visibility in ("partner", "member"):
        params.append(user.partner_id)
    if visibility == "member":
        params += [user.pk, user.pk]
    params += list(states)
    if updated_since is not None:
        params.append(adapt(updated_since))
    if after is not None:
        stamp = adapt(after[0])
        params += [stamp, stamp, stamp, after[1]]
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection.vendor, shape), params)
        rows = cursor.fetchall()
    split = len(REFERRAL_COLUMNS)
    referrals = []
    for row in rows:
        values = _convert(REFERRAL_COLUMNS, _REFERRAL_CONVERTERS, row[:split])
        engagement = _convert(ENGAGEMENT_COLUMNS, _ENGAGEMENT_CONVERTERS, row[split:])
        referrals.append(_Referral(values, _Engagement(values["engagement_id"], engagement)))
    _attach_contacts([r for r in referrals if lifecycle.contacts_visible(State(r.state))])
    return referrals


def _attach_contacts(referrals: list[_Referral]) -> None:
    """The contacts of the referrals that show them, in one query."""
    if not referrals:
        return
    by_engagement: dict[int, list[_Engagement]] = {}
    for referral in referrals:
        by_engagement.setdefault(referral.engagement.pk, []).append(referral.engagement)
    c = Columns(CustomerContact, "c")
    names = ", ".join(c.column(n) for n in ("engagement_id", "name", "email", "phone"))
    marks = ", ".join(["%s"] * len(by_engagement))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {names} FROM {c.table()} WHERE {c.column('engagement_id')} IN ({marks}) ORDER BY {c.column('id')}",
            list(by_engagement),
        )
        for engagement_id, name, email, phone in cursor.fetchall():
            for engagement in by_engagement[engagement_id]:
                engagement.contacts.rows.append(ContactView(name, email, phone))
