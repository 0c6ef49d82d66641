"""API tokens: issue (shown once), authenticate by digest, list and revoke."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from django.core.exceptions import PermissionDenied
from django.db import connection

from kernel.rawrows import Columns
from partners.models import ApiToken, Partner, User

PREFIX = "ls_"
# Writing last_used_at on every request would make each read a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class PartnerSuspended(PermissionDenied):
    def __init__(self) -> None:
        super().__init__("Your partner is suspended: its API tokens work again once the programme reactivates it.")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, name: str, now: datetime, kind: str = ApiToken.Kind.PERSONAL) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain text is returned here and never again."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name or "API token", kind=kind, prefix=plain[:10], digest=digest(plain), created_at=now
    )
    return token, plain


_TOKEN = Columns(ApiToken, "t")
_USER = Columns(User, "u")
_PARTNER = Columns(Partner, "p")


@cache
def _find_sql(vendor: str) -> str:
    return (
        f"SELECT {_TOKEN.sql}, {_USER.sql}, {_PARTNER.sql} FROM {_TOKEN.table()} JOIN {_USER.table()} "
        f"ON {_USER.column('id')} = {_TOKEN.column('user_id')} "
        f"LEFT JOIN {_PARTNER.table()} ON {_PARTNER.column('id')} = {_USER.column('partner_id')} "
        f"WHERE {_TOKEN.column('digest')} = %s AND {_TOKEN.column('revoked_at')} IS NULL "
        f"AND {_USER.column('is_active')} = %s"
    )


def _find(token_digest: str) -> ApiToken | None:
    """The live token with this digest, its active user and their partner, in one hand-written query
    (see kernel.rawrows)."""
    with connection.cursor() as cursor:
        cursor.execute(_find_sql(connection.vendor), [token_digest, True])
        row = cursor.fetchone()
    if row is None:
        return None
    user_at, partner_at = len(_TOKEN.fields), len(_TOKEN.fields) + len(_USER.fields)
    token: ApiToken = _TOKEN.instance(row[:user_at])
    token.user = _USER.instance(row[user_at:partner_at])
    if token.user.partner_id is not None:
        token.user.partner = _PARTNER.instance(row[partner_at:])
    return token


def authenticate(plain: str, now: datetime) -> ApiToken | None:
    """The live token `plain` names, or None. Raises PartnerSuspended for a suspended partner's token."""
    if not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    token = _find(digest(plain))
    if token is None:
        return None
    if token.user.partner_suspended:
        raise PartnerSuspended()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke(user: User, token_id: int, now: datetime) -> bool:
    return bool(ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=now))
