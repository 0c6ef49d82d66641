"""What programme admins decide in the console: the audit of partner decisions and the spam verdicts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AdminAction(models.Model):
    """One programme admin's decision, with the reason they gave. Append-only."""

    class Kind(models.TextChoices):
        VERIFY = "verify", "Verified"
        UNVERIFY = "unverify", "Verification withdrawn"
        SUSPEND = "suspend", "Suspended"
        REACTIVATE = "reactivate", "Reactivated"
        SETTINGS = "settings", "Programme settings changed"
        REASON_ADD = "reason_add", "Reason added"
        REASON_RENAME = "reason_rename", "Reason renamed"
        REASON_DEACTIVATE = "reason_deactivate", "Reason deactivated"
        REASON_REACTIVATE = "reason_reactivate", "Reason reactivated"

    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The e-mail at the time, so the record survives the account.
    actor_label = models.CharField(max_length=254)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.CASCADE, related_name="admin_actions"
    )
    comment = models.TextField(blank=True)
    # What changed, e.g. {"new_deadline_hours": [72, 96]}.
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["partner", "-at"], name="admin_action_partner")]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_label}"


class SpamVerdictQuerySet(models.QuerySet["SpamVerdict"]):
    def confirmed_requests(self) -> models.QuerySet[Any]:
        """The ids of the requests a programme admin confirmed as spam (as a subquery): nothing sends them to
        another partner again, neither the cascade nor a link in a note the customer got before."""
        return self.filter(verdict=SpamVerdict.Verdict.CONFIRMED).values("referral__engagement_id")

    def confirms(self, engagement_id: int) -> bool:
        return self.confirmed_requests().filter(referral__engagement_id=engagement_id).exists()


class SpamVerdict(models.Model):
    """A programme admin's verdict on a referral a partner flagged as spam (or one closed by that verdict).

    A flagged referral with no verdict is in the spam queue.
    """

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed as spam"
        DISMISSED = "dismissed", "Dismissed"

    referral = models.OneToOneField("referrals.Referral", on_delete=models.CASCADE, related_name="spam_verdict")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField()
    note = models.TextField(blank=True)

    objects = SpamVerdictQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.verdict}"
