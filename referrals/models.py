"""Engagements, referrals, their history and the programme's deadlines (docs/architecture.md, the core)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models

from partners.models import BusinessProfile, Location, Partner
from referrals.lifecycle import Action, Actor, Deadlines, State

STATE_CHOICES = [(s.value, s.value.capitalize()) for s in State]
ACTION_CHOICES = [(a.value, a.value) for a in Action]


class Programme(models.Model):
    """The programme's settings. One row (id=1), created by a migration."""

    new_deadline_hours = models.PositiveIntegerField(default=72)
    evaluating_deadline_hours = models.PositiveIntegerField(default=7 * 24)
    first_answer_urged_hours = models.PositiveIntegerField(default=24)
    warn_before_deadline_hours = models.PositiveIntegerField(default=12)
    # The cascade (matching/cascade.py): how long after a request, and up to how many partners in all, the
    # engine offers it to the next best partner when one drops out.
    cascade_window_hours = models.PositiveIntegerField(default=96)
    cascade_max_partners = models.PositiveIntegerField(default=6)

    def __str__(self) -> str:
        return "Programme settings"

    @classmethod
    def deadlines(cls) -> Deadlines:
        row = cls.objects.filter(pk=1).first() or cls()
        return Deadlines(
            new=timedelta(hours=row.new_deadline_hours),
            evaluating=timedelta(hours=row.evaluating_deadline_hours),
            first_answer_urged=timedelta(hours=row.first_answer_urged_hours),
            warn_before_deadline=timedelta(hours=row.warn_before_deadline_hours),
        )


def new_public_token() -> str:
    return secrets.token_urlsafe(18)


class Engagement(models.Model):
    """One customer request, sent to one or more business profiles."""

    class Source(models.TextChoices):
        FINDER = "finder", "Partner finder"
        AGENT = "agent", "Operator agent"
        ADVERTISING = "advertising", "Advertising"
        API = "api", "API"
        IMPORT = "import", "Import"

    # The customer's handle on their request (e.g. to find other partners), never guessable.
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token)
    customer_company = models.CharField(max_length=200)
    # Unknown (null) when the source did not say: most Partner Center exports leave it empty.
    customer_size = models.ForeignKey("taxonomy.CompanySize", null=True, blank=True, on_delete=models.PROTECT)
    customer_industry = models.ForeignKey("taxonomy.Industry", null=True, blank=True, on_delete=models.PROTECT)
    customer_country = models.CharField(max_length=2)
    customer_city = models.CharField(max_length=120, blank=True)
    customer_address = models.CharField(max_length=300, blank=True)
    need = models.TextField()
    requested_industries = models.JSONField(default=list, blank=True)
    requested_products = models.JSONField(default=list, blank=True)
    requested_services = models.JSONField(default=list, blank=True)
    budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_currency = models.CharField(max_length=3, blank=True)
    timeline = models.CharField(max_length=120, blank=True)
    language = models.CharField(max_length=5, default="en")
    consent_contact = models.BooleanField(help_text="May the chosen partners contact the customer?")
    consent_share = models.BooleanField(default=False, help_text="May the request go to other partners too?")
    source = models.CharField(max_length=12, choices=Source.choices)
    campaign_id = models.CharField(max_length=100, blank=True)
    # A request imported from Partner Center, by Partner Center's names for it, so that a CRM can match records
    # both ways (shown in the API and the CSV). Blank for every other source.
    partner_center_id = models.CharField(max_length=100, blank=True)
    partner_center_engagement_id = models.CharField(max_length=100, blank=True)
    external_reference_id = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"Engagement {self.pk}: {self.customer_company}"

    @property
    def counts_toward_ranking(self) -> bool:
        """Whether its referrals' answers and outcomes count toward a profile's public ranking."""
        return self.source not in UNRANKED_SOURCES


# Imported history happened elsewhere, unseen: it never counts toward a profile's public ranking (the finder's
# prior, the responsiveness counters, the scorecard). docs/decisions.md 30.
UNRANKED_SOURCES = (Engagement.Source.IMPORT.value,)


class CustomerContact(models.Model):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ReferralQuerySet(models.QuerySet["Referral"]):
    def ranked(self) -> ReferralQuerySet:
        """The referrals that count toward their profile's public ranking (Engagement.counts_toward_ranking)."""
        return self.exclude(engagement__source__in=UNRANKED_SOURCES)


class Referral(models.Model):
    """One engagement as one business profile sees it. Changed only by referrals.services."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="referrals")
    profile = models.ForeignKey(BusinessProfile, on_delete=models.PROTECT, related_name="referrals")
    # Denormalised from the profile so that every tenancy filter is one indexed column.
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL)
    state = models.CharField(max_length=12, choices=STATE_CHOICES, default=State.NEW.value)
    # Bumped by every change; the optimistic-concurrency token (ETag, hidden form field).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    state_entered_at = models.DateTimeField()
    # The running deadline and the next reminder; NULL once nothing is due. The sweeper reads only these.
    deadline_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    first_answer_at = models.DateTimeField(null=True, blank=True)
    # When each later state was entered (new = created_at).
    evaluating_at = models.DateTimeField(null=True, blank=True)
    negotiating_at = models.DateTimeField(null=True, blank=True)
    won_at = models.DateTimeField(null=True, blank=True)
    lost_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    deal_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    deal_currency = models.CharField(max_length=3, blank=True)
    expected_close_date = models.DateField(null=True, blank=True)
    final_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    comment = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_referrals"
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["engagement", "profile"], name="one_referral_per_profile")]
        indexes = [
            # Partial indexes: closed referrals leave them, so a sweep's cost follows the open work.
            models.Index(
                fields=["deadline_at"], name="referral_deadline_due", condition=models.Q(deadline_at__isnull=False)
            ),
            models.Index(
                fields=["remind_at"], name="referral_reminder_due", condition=models.Q(remind_at__isnull=False)
            ),
            models.Index(fields=["partner", "state", "-created_at"], name="referral_inbox"),
            # The inbox's tab counts (one grouped COUNT per page): narrow enough that PostgreSQL answers them from
            # the index alone, where the wider one above costs it more than reading the rows.
            models.Index(fields=["partner", "state"], name="referral_partner_state"),
            models.Index(fields=["partner", "-updated_at"], name="referral_partner_updated"),
            # The inbox's pages of several states (the archive), read in its order and stopped after a page.
            models.Index(fields=["partner", "-created_at", "-id"], name="referral_partner_created"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.state})"

    @property
    def state_enum(self) -> State:
        return State(self.state)


class ReferralEvent(models.Model):
    """Append-only history: who moved a referral, when, from which state to which, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=8, choices=[(a.value, a.value) for a in Actor])
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=16, choices=[*ACTION_CHOICES, ("create", "create"), ("edit", "edit")])
    from_state = models.CharField(max_length=12, choices=STATE_CHOICES, blank=True)
    to_state = models.CharField(max_length=12, choices=STATE_CHOICES)
    reason = models.CharField(max_length=64, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        # By time alone: what changed in a partner's referrals since a person last looked (referrals.changes).
        indexes = [models.Index(fields=["referral", "at"]), models.Index(fields=["at"], name="referral_event_at")]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_state or '-'} -> {self.to_state} by {self.actor_kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Referral history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Referral history is append-only")


class ProfileResponsiveness(models.Model):
    """Counters kept up to date by the services and the sweeper; the finder and engine rank on them."""

    profile = models.OneToOneField(BusinessProfile, on_delete=models.CASCADE, related_name="responsiveness")
    received = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answered_within_24h = models.PositiveIntegerField(default=0)
    answer_seconds_total = models.BigIntegerField(default=0)
    missed = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "profile responsiveness"

    def __str__(self) -> str:
        return f"Responsiveness of {self.profile_id}"

    @property
    def answer_window_closed(self) -> int:
        """Referrals whose first answer is settled: answered, or missed."""
        return self.answered + self.missed

    @property
    def share_answered_within_24h(self) -> float | None:
        closed = self.answer_window_closed
        return self.answered_within_24h / closed if closed else None

    @property
    def mean_seconds_to_first_answer(self) -> float | None:
        return self.answer_seconds_total / self.answered if self.answered else None


class IdempotencyRecord(models.Model):
    """The response to a request sent with an Idempotency-Key, written in the transaction of its effect.

    A retry with the same key and body gets the stored response; the unique key makes a concurrent
    duplicate fail to insert, so it can only ever read the first request's result.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64, help_text="SHA-256 of the method, path and request body")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_response_per_idempotency_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"


class PartnerCenterImport(models.Model):
    """A referral imported from Partner Center, by the ids Partner Center gave it.

    One row per Partner Center engagement and profile: importing the same export twice adds nothing.
    Partner Center's own timestamps are kept here; the referral's clock starts at the import.
    """

    profile = models.ForeignKey(BusinessProfile, on_delete=models.CASCADE, related_name="+")
    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="partner_center_import")
    external_engagement_id = models.CharField(max_length=100)
    external_referral_id = models.CharField(max_length=100, blank=True)
    external_status = models.CharField(max_length=40, help_text="status/substatus as Partner Center sent it")
    external_created_at = models.DateTimeField(null=True, blank=True)
    external_updated_at = models.DateTimeField(null=True, blank=True)
    external_expires_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "external_engagement_id"], name="one_import_per_partner_center_engagement"
            )
        ]

    def __str__(self) -> str:
        return f"Partner Center {self.external_engagement_id} -> referral {self.referral_id}"


class ReferralListVersion(models.Model):
    """A partner's change counter: bumped after every committed change to its referrals (and to who of its
    team sees which), so a page of its referrals kept in memory is known to be current (referrals.list_cache)."""

    partner = models.OneToOneField(Partner, primary_key=True, on_delete=models.CASCADE, related_name="+")
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.version}"


class SavedView(models.Model):
    """A person's named set of inbox filters (tab, outcome, sort, search, assigned to them), theirs alone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    # The inbox's query string as `referrals.forms.InboxQuery.params` writes it.
    query = models.CharField(max_length=400)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("name", "id")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="one_saved_view_per_name_per_user")]

    def __str__(self) -> str:
        return self.name


class ChangesSeen(models.Model):
    """Up to when a person has read what changed in their referrals: their unread count starts there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id}: {self.seen_at}"
