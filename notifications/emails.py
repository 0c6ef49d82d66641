"""Rendering outbox rows into e-mails, in the recipient's language.

Partner alerts are rendered from the masked view of the referral (referrals.presenters), so they can
never carry the customer's contact data; the templates have nothing else to read from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import charset
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications import outbox
from notifications.models import OutboxMessage
from partners import alerts, places
from partners.models import User
from referrals.models import Engagement, Referral
from referrals.presenters import present
from taxonomy.models import CompanySize, Industry, Product

PARTNER_TEMPLATES = {outbox.PARTNER_NEW_REFERRAL, outbox.PARTNER_UNANSWERED, outbox.PARTNER_DEADLINE_SOON}
# The preference a partner alert's one-click unsubscribe switches off: the one its recipients were chosen by.
UNSUBSCRIBES = {
    outbox.PARTNER_NEW_REFERRAL: alerts.NEW_REFERRALS,
    outbox.PARTNER_UNANSWERED: alerts.REMINDERS,
    outbox.PARTNER_DEADLINE_SOON: alerts.REMINDERS,
}
CUSTOMER_TEMPLATES = {
    outbox.CUSTOMER_PARTNER_WONT_FOLLOW_UP,
    outbox.CUSTOMER_REQUEST_SENT,
    outbox.CUSTOMER_ALREADY_ASKED,
}
# About a person, not a referral: the payload names the user.
USER_TEMPLATES = {outbox.PARTNER_INVITATION, outbox.TEAM_INVITATION, outbox.PASSWORD_RESET}
TEMPLATES = PARTNER_TEMPLATES | CUSTOMER_TEMPLATES | USER_TEMPLATES

# Django sends a UTF-8 body as raw 8-bit unless a line is long, and its SMTP backend never asks the server for
# 8BITMIME: a Russian e-mail would break on a 7-bit relay. Quoted-printable keeps English bodies readable.
QUOTED_PRINTABLE_UTF8 = charset.Charset("utf-8")
QUOTED_PRINTABLE_UTF8.body_encoding = charset.QP


class UnknownTemplate(Exception):
    pass


class MissingReferral(Exception):
    pass


class MissingUser(Exception):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    headers: dict[str, str]  # besides From, To, Subject and Message-ID: the partner alerts' unsubscribe


def _labels(model: Any, codes: list[str], language: str) -> list[str]:
    terms = {t.code: t.label(language) for t in model.objects.filter(code__in=codes)}
    return [terms.get(c, c) for c in codes]


def _partner_context(referral: Referral, language: str) -> dict[str, Any]:
    view = present(referral)
    size = CompanySize.objects.filter(code=view.company_size).first()
    industry = Industry.objects.filter(code=view.industry).first() if view.industry else None
    return {
        "overview": {
            "need": view.need,
            "size": size.label(language) if size else view.company_size,
            "industry": industry.label(language) if industry else "",
            "city": places.city_name(view.city, view.country, language) if view.city else "",
            "country": places.country_name(view.country, language),
            "products": _labels(Product, view.requested_products, language),
        },
        "respond_by": view.respond_by,
        "url": settings.SITE_ROOT + reverse("referrals:detail", args=[referral.pk]),
    }


# The partners a customer's note offers, each with its one-click link: (engagement, now) -> items with
# partner_name, city and url. Installed by the finder (finder/apps.py), which owns the links: referrals import
# notifications, so notifications do not import the finder.
Alternatives = Callable[[Engagement, datetime], Sequence[Any]]
_alternatives: list[Alternatives] = [lambda engagement, now: []]


def install_alternatives(chooser: Alternatives) -> None:
    _alternatives[:] = [chooser]


# The link to the customer's status page of a request: (engagement, now) -> url. Installed by the finder
# (finder/apps.py), which owns the page and its links, as the alternatives are.
StatusLink = Callable[[Engagement, datetime], str]
_status_link: list[StatusLink] = [lambda engagement, now: ""]


def install_status_link(maker: StatusLink) -> None:
    _status_link[:] = [maker]


def _customer_context(referral: Referral, template: str, now: datetime) -> dict[str, Any]:
    engagement = referral.engagement
    # Chosen as the note is rendered, from the partners and history as they are at delivery.
    offered = _alternatives[0](engagement, now) if template == outbox.CUSTOMER_PARTNER_WONT_FOLLOW_UP else []
    return {
        "alternatives": offered,
        "company": engagement.customer_company,
        "partner_name": referral.partner.name,
        # Every partner of the request, for the confirmation (no customer data of anyone else).
        "partner_names": list(engagement.referrals.order_by("pk").values_list("partner__name", flat=True)),
        "url": f"{settings.SITE_ROOT}/partners/?request={engagement.public_token}",
        # Made as the confirmation is rendered: good for finder.status.LINK_VALID from its delivery.
        "status_url": _status_link[0](engagement, now) if template == outbox.CUSTOMER_REQUEST_SENT else "",
    }


def set_password_url(user: Any) -> str:
    """A link to set a password, valid until it is used or PASSWORD_RESET_TIMEOUT passes.

    Made when the e-mail is rendered, so the outbox never holds the secret; each delivery attempt
    makes a fresh, equally valid link.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_ROOT + reverse("password_reset_confirm", args=[uid, token])


def _invitation_context(message: OutboxMessage) -> dict[str, Any]:
    user = User.objects.select_related("partner").filter(pk=message.payload.get("user_id")).first()
    if user is None:
        raise MissingUser(f"outbox {message.pk} ({message.template}) names no existing user")
    return {
        "partner_name": user.partner.name if user.partner else "",
        "email": user.email,
        "url": set_password_url(user),
        "login_url": settings.SITE_ROOT + reverse("login"),
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "valid_for": timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),  # said as kernel.dates says a span
    }


def _context(message: OutboxMessage, language: str, now: datetime) -> dict[str, Any]:
    if message.template in USER_TEMPLATES:
        return _invitation_context(message)
    if message.referral_id is None:
        raise MissingReferral(f"outbox {message.pk} ({message.template}) names no referral")
    referral = Referral.objects.select_related("engagement", "partner").get(pk=message.referral_id)
    if message.template in PARTNER_TEMPLATES:
        return _partner_context(referral, language)
    return _customer_context(referral, message.template, now)


def render(message: OutboxMessage, now: datetime | None = None) -> Rendered:
    """The e-mail of an outbox row in its recipient's language, from the data as it is `now` (delivery's clock;
    the wall clock when not given)."""
    now = now or timezone.now()
    if message.template not in TEMPLATES:
        raise UnknownTemplate(message.template)
    language = message.language if message.language in ("en", "ru") else "en"
    base = f"emails/{language}/{message.template}"
    partner_id = _partner_of(message)
    zone = alerts.time_zone_of(partner_id, message.to_address) if partner_id is not None else "UTC"
    # The context too is made in the recipient's language: the masked view's words are translated as it is made;
    # times are shown in the recipient's time zone (kernel.dates reads the current one).
    with translation.override(language), timezone.override(zone):
        context = _context(message, language, now)
        context |= {"site_name": settings.SITE_NAME, "site_root": settings.SITE_ROOT, "payload": message.payload}
        subject = render_to_string(f"{base}.subject.txt", context).strip().replace("\n", " ")
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    return Rendered(subject, text, html, _unsubscribe_headers(message, partner_id))


def _partner_of(message: OutboxMessage) -> int | None:
    """The partner a partner alert goes to; None for every other e-mail."""
    if message.template not in PARTNER_TEMPLATES or message.referral_id is None:
        return None
    return Referral.objects.filter(pk=message.referral_id).values_list("partner_id", flat=True).first()


def _unsubscribe_headers(message: OutboxMessage, partner_id: int | None) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe for partner alerts and reminders: mail programs POST
    `List-Unsubscribe=One-Click` to the link, which switches that kind of alert off for the recipient."""
    if partner_id is None:
        return {}
    token = alerts.unsubscribe_token(partner_id, message.to_address, UNSUBSCRIBES[message.template], message.language)
    url = settings.SITE_ROOT + reverse("accounts:unsubscribe", args=[token])
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def build(message: OutboxMessage, now: datetime) -> EmailMultiAlternatives:
    rendered = render(message, now)
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"} | rendered.headers,
    )
    email.encoding = QUOTED_PRINTABLE_UTF8  # Django takes a Charset as its encoding, as well as a name
    email.attach_alternative(rendered.html, "text/html")
    return email
