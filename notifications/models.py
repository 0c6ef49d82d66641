"""The outbox: every notification is a row written in the transaction of the change that causes it."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models


class OutboxMessage(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    # Which message to render (see notifications.emails.TEMPLATES); rendered at delivery.
    template = models.CharField(max_length=40)
    to_address = models.CharField(max_length=300)
    language = models.CharField(max_length=5, default="en")
    referral = models.ForeignKey("referrals.Referral", null=True, blank=True, on_delete=models.CASCADE)
    webhook = models.ForeignKey("Webhook", null=True, blank=True, on_delete=models.CASCADE)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    # NULL once delivered or given up; the worker reads only rows with a due time.
    due_at = models.DateTimeField(null=True, blank=True)
    # A worker owns the row until then; after a crash the lease runs out and another worker retries.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], name="outbox_due", condition=models.Q(due_at__isnull=False)),
            models.Index(fields=["referral", "template"], name="outbox_referral"),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to_address}"

    @property
    def message_id(self) -> str:
        """Stable across retries, so a receiver can drop a duplicate delivery."""
        return f"<outbox-{self.pk}-{int(self.created_at.timestamp())}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


class Webhook(models.Model):
    """A partner's endpoint for referral events, signed with its secret."""

    EVENTS = ("referral.created", "referral.updated")

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=200)
    # After a rotation the replaced secret signs too, until the time the admin chose (docs/webhooks.md).
    previous_secret = models.CharField(max_length=200, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["partner", "active"], name="webhook_partner_active")]

    def __str__(self) -> str:
        return self.url

    def secrets_at(self, at: datetime) -> list[str]:
        """The secrets that sign an event sent at `at`: the current one, then the replaced one during its overlap."""
        overlapping = (
            self.previous_secret and self.previous_secret_until is not None and at < self.previous_secret_until
        )
        return [self.secret, self.previous_secret] if overlapping else [self.secret]


class WebhookDelivery(models.Model):
    """One attempt to deliver one event: the delivery log a partner reads to debug its receiver."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    attempt = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["webhook", "-at"], name="delivery_webhook_at")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} #{self.attempt}"
