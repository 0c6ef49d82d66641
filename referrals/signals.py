"""Changes made around the services (the Django admin, a shell) still tell the list cache.

The services call `list_cache.changed` themselves where they write with `QuerySet.update()`, which sends
no signal; a new referral (`Referral.objects.create`) is told by the handler below, as are other model
saves and deletes, and changes to who in a team covers which location.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from partners.models import User
from referrals import list_cache
from referrals.models import CustomerContact, Engagement, Referral


def _referral_saved(sender: Any, instance: Referral, **kwargs: Any) -> None:
    list_cache.changed([instance.partner_id])


def _engagement_saved(sender: Any, instance: Engagement, created: bool = False, **kwargs: Any) -> None:
    # A new engagement has no referrals yet (each one's own save tells): nothing to ask on the intake path.
    if not created and instance.pk is not None:
        list_cache.changed(Referral.objects.filter(engagement_id=instance.pk).values_list("partner_id", flat=True))


def _contact_saved(sender: Any, instance: CustomerContact, **kwargs: Any) -> None:
    list_cache.changed(
        Referral.objects.filter(engagement_id=instance.engagement_id).values_list("partner_id", flat=True)
    )


def _coverage_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_") and isinstance(instance, User):
        list_cache.changed([instance.partner_id])


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_referral_saved, sender=Referral, dispatch_uid="list_cache_referral")
        signal.connect(_engagement_saved, sender=Engagement, dispatch_uid="list_cache_engagement")
        signal.connect(_contact_saved, sender=CustomerContact, dispatch_uid="list_cache_contact")
    m2m_changed.connect(_coverage_changed, sender=User.locations.through, dispatch_uid="list_cache_coverage")
