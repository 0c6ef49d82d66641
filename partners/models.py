"""Partner organisations, their people and their business profiles (docs/architecture.md, `partners`)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from taxonomy.models import CompanySize, Industry, Product, ServiceType

MAX_LOCATIONS_PER_PROFILE = 5
MAX_INDUSTRIES_PER_PROFILE = 5


class Role(models.TextChoices):
    REFERRALS_ADMIN = "referrals_admin", "Referrals admin"
    REFERRALS_USER = "referrals_user", "Referrals user"
    PROFILE_ADMIN = "profile_admin", "Profile admin"
    AGENT = "agent", "Operator agent"
    PROGRAMME_ADMIN = "programme_admin", "Programme admin"


PARTNER_ROLES = {Role.REFERRALS_ADMIN, Role.REFERRALS_USER, Role.PROFILE_ADMIN}
OPERATOR_ROLES = {Role.AGENT, Role.PROGRAMME_ADMIN}


class Partner(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code of the head office")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("A user needs an e-mail address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("role", Role.PROGRAMME_ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractUser):
    """A person who signs in: a partner's team member or the operator's staff."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(unique=True)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices)
    language = models.CharField(max_length=5, default="en", choices=[("en", "English"), ("ru", "Русский")])
    time_zone = models.CharField(max_length=64, default="UTC")
    # Per-user notification preferences (the settings page, accounts.views.user_settings).
    notify_new_referrals = models.BooleanField(default=True)
    notify_reminders = models.BooleanField(default=True)
    # A referrals user works the referrals of these locations as well as those assigned to them.
    locations = models.ManyToManyField("Location", blank=True, related_name="members")  # type: ignore[var-annotated]

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="partner_roles_need_a_partner",
                condition=(
                    models.Q(role__in=["agent", "programme_admin"], partner__isnull=True)
                    | models.Q(role__in=["referrals_admin", "referrals_user", "profile_admin"], partner__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def partner_suspended(self) -> bool:
        """A suspended partner's people have no access: no sign-in, no session, no API (docs/decisions.md)."""
        return self.partner is not None and self.partner.status == Partner.Status.SUSPENDED


class BusinessProfileQuerySet(models.QuerySet["BusinessProfile"]):
    def visible(self) -> BusinessProfileQuerySet:
        """The profiles customers may find and be sent to: active, of an active partner."""
        return self.filter(status=BusinessProfile.Status.ACTIVE, partner__status=Partner.Status.ACTIVE)


class BusinessProfile(models.Model):
    """A partner's presence in one country or region: what it does and who gets its alerts."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="profiles")
    country = models.CharField(max_length=2)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    logo = models.FileField(upload_to="logos/", blank=True)
    languages = models.JSONField(default=list, blank=True, help_text="ISO 639-1 codes")
    industries = models.ManyToManyField(Industry, blank=True)
    products = models.ManyToManyField(Product, blank=True)
    services = models.ManyToManyField(ServiceType, blank=True)
    keywords = models.JSONField(default=list, blank=True, help_text="Free-form skills and solutions")
    target_sizes = models.ManyToManyField(CompanySize, blank=True)
    only_target_sizes = models.BooleanField(
        default=False, help_text="Receive no referrals from companies outside the target sizes"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Most open referrals wanted at once")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BusinessProfileQuerySet.as_manager()

    class Meta:
        ordering = ["partner__name", "country"]
        constraints = [models.UniqueConstraint(fields=["partner", "country"], name="one_profile_per_country")]

    def __str__(self) -> str:
        return f"{self.partner.name} ({self.country})"


class Location(models.Model):
    profile = models.ForeignKey(BusinessProfile, on_delete=models.CASCADE, related_name="locations")
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=120)
    lat = models.FloatField()
    lon = models.FloatField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.city}, {self.address}" if self.address else self.city


class ProfileContact(models.Model):
    """Someone who receives the referral alerts of a profile."""

    profile = models.ForeignKey(BusinessProfile, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    language = models.CharField(max_length=5, default="en", choices=[("en", "English"), ("ru", "Русский")])
    # Switched off only by a one-click unsubscribe link (partners.alerts.unsubscribe) of an address that is no
    # user's; a user's own preferences are on the user.
    notify_new_referrals = models.BooleanField(default=True)
    notify_reminders = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["profile", "email"], name="one_contact_per_email")]

    def __str__(self) -> str:
        return self.email


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a SHA-256 digest is stored; the token is shown once."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", "Personal"
        INTEGRATION = "integration", "Integration"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSONAL)
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell tokens apart")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
