"""Sign in and out, passwords, the team page and a user's own settings: parse, authorise, call one
service, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from accounts import forms, services
from accounts.landing import landing_url
from kernel.errors import InvalidInput
from partners import alerts
from partners.auth import current_user
from partners.models import Role, User
from partners.services import NotFound


def _remember_language(response: HttpResponseBase, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# --- Signing in and passwords ------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    authentication_form = forms.EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # Without a `next`, each role lands where it works (settings.LOGIN_REDIRECT_URL is one page for all).
        return landing_url(self.request.user)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The user's language also after signing out again, on this browser.
        _remember_language(response, current_user(self.request).language)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.OutboxPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets the password from an invitation or reset link, then signs the user in."""

    post_reset_login = True
    success_url = reverse_lazy("accounts:password_reset_complete")


def home(request: HttpRequest) -> HttpResponse:
    """The home address: the sign-in page, or the signed-in person's landing page."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect(landing_url(request.user))


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie), and the user's own language when signed in."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in services.LANGUAGE_CODES:
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response


# --- The team ----------------------------------------------------------------------------------


def _team_page(
    request: HttpRequest,
    invite: forms.InviteForm | None = None,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    admin = current_user(request)
    members = list(services.team_of(admin))
    locations = list(services.partner_locations(admin))
    rows = [
        {
            "member": member,
            "role_label": services.ROLE_LABELS.get(member.role, member.role),  # type: ignore[call-overload]
            "role_form": forms.RoleForm(initial={"role": member.role}, prefix=f"m{member.pk}"),
            "location_ids": {loc.pk for loc in member.locations.all()},
            "invited": not member.has_usable_password(),
            "error": (errors or {}).get(member.pk, ""),
        }
        for member in members
    ]
    context = {
        "rows": rows,
        "locations": locations,
        "invite": invite or forms.InviteForm(initial={"language": admin.language, "role": Role.REFERRALS_USER}),
        "role_choices": forms.ROLE_CHOICES,
    }
    return render(request, "accounts/team.html", context, status=status)


@login_required
def team(request: HttpRequest) -> HttpResponse:
    services.require_team_admin(current_user(request))
    return _team_page(request)


@login_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    admin = current_user(request)
    services.require_team_admin(admin)
    form = forms.InviteForm(request.POST)
    if not form.is_valid():
        return _team_page(request, invite=form, status=400)
    data = form.cleaned_data
    try:
        member = services.invite_member(admin, data["email"], data["role"], data["language"], timezone.now())
    except InvalidInput as exc:
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return _team_page(request, invite=form, status=400)
    messages.success(
        request, _("%(email)s is invited: we sent them a link to set a password.") % {"email": member.email}
    )
    return redirect("accounts:team")


def _member_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    admin = current_user(request)
    services.require_team_admin(admin)
    try:
        if action == "role":
            form = forms.RoleForm(request.POST, prefix=f"m{user_id}")
            role = form.cleaned_data["role"] if form.is_valid() else ""
            member = services.change_role(admin, user_id, role)
            done = _("The role of %(email)s is now %(role)s.") % {
                "email": member.email,
                "role": services.ROLE_LABELS[member.role],  # type: ignore[index]
            }
        elif action == "locations":
            raw = request.POST.getlist("locations")
            if not all(value.isdigit() for value in raw):
                raise InvalidInput({"locations": _("Choose locations of your own organisation.")})
            member = services.set_locations(admin, user_id, [int(value) for value in raw])
            done = _("Saved the locations of %(email)s.") % {"email": member.email}
        elif action in ("deactivate", "reactivate"):
            member = services.set_active(admin, user_id, action == "reactivate")
            done = (
                _("%(email)s can sign in again.") if member.is_active else _("%(email)s can no longer sign in.")
            ) % {"email": member.email}
        elif action == "resend":
            services.resend_invitation(admin, user_id, timezone.now())
            done = _("We sent the invitation again.")
        else:
            raise Http404("No such action")
    except NotFound:
        raise Http404("No such team member") from None
    except InvalidInput as exc:
        return _team_page(request, errors={user_id: " ".join(exc.errors.values())}, status=400)
    messages.success(request, done)
    return redirect("accounts:team")


@login_required
@require_POST
def member_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    return _member_action(request, user_id, action)


# --- A user's own settings ---------------------------------------------------------------------


@login_required
def user_settings(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":
        form = forms.SettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_settings(
                    user, data["language"], data["time_zone"], data["notify_new_referrals"], data["notify_reminders"]
                )
            except InvalidInput as exc:
                for field, message in exc.errors.items():
                    form.add_error(field, message)
            else:
                translation.activate(user.language)
                messages.success(request, _("Your settings are saved."))
                response = redirect("accounts:settings")
                _remember_language(response, user.language)
                return response
        status = 400
    else:
        form = forms.SettingsForm(
            initial={
                "language": user.language,
                "time_zone": user.time_zone,
                "notify_new_referrals": user.notify_new_referrals,
                "notify_reminders": user.notify_reminders,
            }
        )
        status = 200
    context = {"form": form, "time_zones": services.time_zones()}
    return render(request, "accounts/settings.html", context, status=status)


# --- One-click unsubscribe from partner alerts (RFC 8058) ---------------------------------------------------

_ALERT_KINDS = {
    alerts.NEW_REFERRALS: gettext_lazy("new referral alerts"),
    alerts.REMINDERS: gettext_lazy("reminders about unanswered referrals and deadlines"),
}


@csrf_exempt  # mail programs POST here with no session; the signed token is the authority
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button only (mail scanners follow links); POST, from the button or the mail program's
    one-click `List-Unsubscribe=One-Click`, switches that kind of alert off."""
    wanted = alerts.read_unsubscribe(token)
    if wanted is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=400)
    with translation.override(wanted.language):
        done = request.method == "POST"
        if done:
            alerts.unsubscribe(wanted)
        context = {"address": wanted.address, "kind": _ALERT_KINDS[wanted.preference], "done": done}
        return render(request, "accounts/unsubscribe.html", context)
