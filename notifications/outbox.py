"""Writing notifications into the outbox, inside the caller's transaction.

Nothing here talks to the network: delivery is the worker's job (notifications.delivery).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from notifications.models import OutboxMessage

# Templates that go to a partner (never with customer contact data) and to the customer.
PARTNER_NEW_REFERRAL = "referral_new"
PARTNER_UNANSWERED = "referral_unanswered"
PARTNER_DEADLINE_SOON = "referral_deadline_soon"
CUSTOMER_PARTNER_WONT_FOLLOW_UP = "customer_partner_declined"
# To the customer who sent a request from the finder: the partners asked (payload: none; the row names
# the engagement's first referral). Templates: templates/emails/{en,ru}/customer_request_sent.*
CUSTOMER_REQUEST_SENT = "customer_request_sent"
# To the owner of an e-mail address that asked partners from the finder in the last 24 hours, when a request
# with that address asks them again (whoever sent it: the sender is told nothing). The row names the earlier
# request's first referral; payload: partners (the names asked again).
CUSTOMER_ALREADY_ASKED = "customer_already_asked"
# To a new partner's referrals admin, with a link to set a password (payload: user_id). No referral.
PARTNER_INVITATION = "partner_invitation"
# To a team member invited by a referrals admin, and to a user who asked to reset a password (payload:
# user_id); the link is made at delivery, as for PARTNER_INVITATION. Templates: accounts/templates/emails.
TEAM_INVITATION = "team_invitation"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a template name, not a password)


def email(
    template: str, to: str, language: str, now: datetime, referral_id: int | None = None, **payload: Any
) -> OutboxMessage:
    """An unsaved e-mail row; save it (or bulk_create many) in the transaction of the change."""
    return OutboxMessage(
        channel=OutboxMessage.Channel.EMAIL,
        template=template,
        to_address=to,
        language=language if language in ("en", "ru") else "en",
        referral_id=referral_id,
        payload=payload,
        created_at=now,
        due_at=now,
    )


def add(messages: Iterable[OutboxMessage]) -> list[OutboxMessage]:
    return OutboxMessage.objects.bulk_create(list(messages))
