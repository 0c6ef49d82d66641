"""Admin for referrals: read-mostly. State changes go through the services, never through a form."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from referrals.models import CustomerContact, Engagement, ProfileResponsiveness, Programme, Referral, ReferralEvent


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "new_deadline_hours", "evaluating_deadline_hours"]


class CustomerContactInline(admin.TabularInline):
    model = CustomerContact
    extra = 0


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["id", "customer_company", "customer_country", "source", "campaign_id", "created_at"]
    list_filter = ["source", "customer_country", "language"]
    search_fields = ["customer_company", "need", "campaign_id"]
    inlines = [CustomerContactInline]
    readonly_fields = ["public_token", "created_at"]


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
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["id", "partner", "profile", "state", "created_at", "deadline_at"]
    list_filter = ["state", "engagement__source"]
    search_fields = ["engagement__customer_company", "partner__name"]
    list_select_related = ["partner", "profile__partner"]
    raw_id_fields = ["engagement", "profile", "partner", "location", "assignee"]
    inlines = [EventInline]
    # The lifecycle is changed only by referrals.services; the admin may edit notes and the assignee.
    readonly_fields = [f.name for f in Referral._meta.fields if f.name not in {"notes", "assignee", "id"}]


@admin.register(ProfileResponsiveness)
class ProfileResponsivenessAdmin(admin.ModelAdmin):
    list_display = ["profile", "received", "answered", "answered_within_24h", "missed", "expired"]
    raw_id_fields = ["profile"]
