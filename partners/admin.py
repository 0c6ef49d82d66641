from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from partners.models import BusinessProfile, Location, Partner, ProfileContact, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "partner", "role", "language", "is_active"]
    list_filter = ["role", "is_active", "language"]
    search_fields = ["email", "first_name", "last_name", "partner__name"]
    autocomplete_fields = ["partner"]
    filter_horizontal = ["locations", "groups", "user_permissions"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "language", "time_zone")}),
        ("Partner", {"fields": ("partner", "role", "locations")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "partner", "role", "password1", "password2")}),)


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    max_num = 5


class ContactInline(admin.TabularInline):
    model = ProfileContact
    extra = 0


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "status", "verified", "created_at"]
    list_filter = ["status", "verified", "country"]
    search_fields = ["name"]


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    list_display = ["partner", "country", "status", "capacity", "updated_at"]
    list_filter = ["status", "country"]
    search_fields = ["partner__name", "description"]
    autocomplete_fields = ["partner"]
    filter_horizontal = ["industries", "products", "services", "target_sizes"]
    inlines = [LocationInline, ContactInline]
