from django.contrib import admin

from notifications.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "template", "to_address", "created_at", "sent_at", "attempts", "failed_at"]
    list_filter = ["channel", "template"]
    search_fields = ["to_address"]
    raw_id_fields = ["referral"]
    readonly_fields = ["created_at", "sent_at", "attempts", "last_error", "claimed_until"]
