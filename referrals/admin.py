"""Admin for referrals. Everything here is read-only: every change of a referral (its state, notes and assignee
too) goes through referrals.services, which writes its history row, bumps its version and tells webhooks and
the list cache; an engagement is checked by referrals.engagement_validation when it is created and never edited
afterwards; the programme's settings change on the console's programme page, which checks them and records
who changed them. A form saving any of these rows would do none of that."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from referrals.models import CustomerContact, Engagement, ProfileResponsiveness, Programme, Referral, ReferralEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed, added or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "new_deadline_hours", "evaluating_deadline_hours"]


class CustomerContactInline(admin.TabularInline):
    model = CustomerContact
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Engagement)
class EngagementAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer_company", "customer_country", "source", "campaign_id", "created_at"]
    list_filter = ["source", "customer_country", "language"]
    search_fields = ["customer_company", "need", "campaign_id"]
    inlines = [CustomerContactInline]


class EventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "at",
        "actor_kind",
        "actor",
        "actor_label",
        "action",
        "from_state",
        "to_state",
        "reason",
        "comment",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["id", "partner", "profile", "state", "created_at", "deadline_at"]
    list_filter = ["state", "engagement__source"]
    search_fields = ["engagement__customer_company", "partner__name"]
    list_select_related = ["partner", "profile__partner"]
    raw_id_fields = ["engagement", "profile", "partner", "location", "assignee"]
    inlines = [EventInline]


@admin.register(ProfileResponsiveness)
class ProfileResponsivenessAdmin(ReadOnlyAdmin):
    list_display = ["profile", "received", "answered", "answered_within_24h", "missed", "expired"]
    raw_id_fields = ["profile"]
