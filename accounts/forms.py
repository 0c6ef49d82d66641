"""Forms of the account pages. They parse and label; the rules live in accounts.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import services
from notifications import outbox

LANGUAGE_CHOICES = [("en", "English"), ("ru", "Русский")]


def client_ip(request: HttpRequest | None) -> str:
    """The peer address. X-Forwarded-For is not trusted: anyone can send it."""
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with an e-mail address, with at most SIGN_IN_MAX_FAILURES failures per address and IP."""

    username = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That e-mail address and password do not match. Check both and try again."),
        "inactive": _("This account has been deactivated. Ask your referrals admin."),
        "suspended": _("Your partner is suspended, so its team cannot sign in. Ask the programme to reactivate it."),
        "locked": _(
            "Too many failed attempts to sign in. Wait %(minutes)s minutes and try again, or reset your password."
        ),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.partner_suspended:
            raise forms.ValidationError(self.error_messages["suspended"], code="suspended")

    def clean(self) -> dict[str, Any]:
        email = str(self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = email
        ip = client_ip(self.request)
        if email and services.sign_in_locked(email, ip):
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": services.window_minutes()}
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError as refused:
            # The right password of a suspended partner's user is no guess: it does not count towards the lock.
            if email and getattr(refused, "code", None) != "suspended":
                services.record_sign_in_failure(email, ip)
            raise
        services.clear_sign_in_failures(email, ip)
        return cleaned


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the e-mail is a row in our outbox; its link is made at delivery."""

    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        now = timezone.now()
        rows = [
            outbox.email(outbox.PASSWORD_RESET, user.email, user.language, now, user_id=user.pk)
            for user in self.get_users(self.cleaned_data["email"])
        ]
        outbox.add(rows)


ROLE_CHOICES = [(role.value, services.ROLE_LABELS[role]) for role in services.TEAM_ROLES]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=LANGUAGE_CHOICES)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class SettingsForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("As in the tz database, such as Europe/Berlin or Asia/Yekaterinburg."),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    notify_new_referrals = forms.BooleanField(label=_("E-mail me when a new referral arrives"), required=False)
    notify_reminders = forms.BooleanField(label=_("E-mail me reminders before a referral's deadline"), required=False)

    def clean_time_zone(self) -> str:
        value = str(self.cleaned_data["time_zone"]).strip()
        if value not in services.time_zones():
            raise forms.ValidationError(_("Choose a time zone from the list, such as Europe/Berlin."))
        return value
