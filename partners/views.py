"""The partner's business profile pages: parse, authorise, call partners.services, render.

Only a partner's referrals admin or profile admin may manage profiles (others get 403); another
partner's profile is 404, as in the API.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kernel.errors import InvalidInput
from partners import cities, forms, places, services
from partners.auth import current_user
from partners.models import MAX_INDUSTRIES_PER_PROFILE, MAX_LOCATIONS_PER_PROFILE, BusinessProfile
from taxonomy.models import CompanySize, Industry, Product, ServiceType

BLANK_CONTACT_ROWS = 1


def _manager(request: HttpRequest) -> None:
    services.require_profile_manager(current_user(request))  # PermissionDenied: 403


@login_required
def profiles(request: HttpRequest) -> HttpResponse:
    rows = list(services.profiles_of(current_user(request)))
    return render(
        request,
        "partners/profiles.html",
        {"profiles": [(p, places.country_name(p.country)) for p in rows]},
    )


def _editor(
    request: HttpRequest,
    profile: BusinessProfile | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HttpResponse:
    country = values["country"]
    locations = list(values["locations"])
    if len(locations) < MAX_LOCATIONS_PER_PROFILE:
        locations.append({"id": None, "city": "", "address": "", "lat": None, "lon": None})
    contacts = list(values["contacts"]) + [{"name": "", "email": "", "language": "en"}] * BLANK_CONTACT_ROWS
    location_rows = [
        {
            **loc,
            "index": i,
            "errors": [m for k, m in errors.items() if k.startswith(f"locations.{i}.")],
        }
        for i, loc in enumerate(locations)
    ]
    contact_rows = [
        {**c, "index": i, "errors": [m for k, m in errors.items() if k.startswith(f"contacts.{i}.")]}
        for i, c in enumerate(contacts)
    ]
    context = {
        "profile": profile,
        "version": services.profile_version(profile) if profile is not None else None,
        "values": values,
        "errors": errors,
        "country": country,
        "country_name": places.country_name(country),
        "location_rows": location_rows,
        "contact_rows": contact_rows,
        "max_locations": MAX_LOCATIONS_PER_PROFILE,
        "max_industries": MAX_INDUSTRIES_PER_PROFILE,
        "industries": Industry.objects.all(),
        "products": Product.objects.all(),
        "services": ServiceType.objects.all(),
        "sizes": CompanySize.objects.all(),
        "languages_text": ", ".join(values["languages"]),
        "keywords_text": "\n".join(values["keywords"]),
        "statuses": BusinessProfile.Status.choices,
    }
    return render(request, "partners/profile_form.html", context, status=status)


def _save(request: HttpRequest, profile: BusinessProfile | None, country: str) -> HttpResponse:
    posted = forms.read(request.POST, request.FILES, country)
    user = current_user(request)
    version = request.POST.get("version", "")
    try:
        if posted.errors:
            # Check the rest too, so that every bad field is named at once; nothing is saved.
            try:
                services.validate_profile(user, posted.fields, profile)
            except InvalidInput as exc:
                raise InvalidInput({**exc.errors, **posted.errors}) from None
            raise InvalidInput(posted.errors)
        if profile is None:
            saved = services.create_profile(user, posted.fields)
            messages.success(request, _("The profile is saved."))
        else:
            saved = services.update_profile(
                user, profile.pk, posted.fields, int(version) if version.isdigit() else None
            )
            messages.success(request, _("Your changes are saved."))
    except InvalidInput as exc:
        return _editor(request, profile, {**forms.initial(None), **posted.fields}, _translated(exc.errors), 422)
    except services.ProfileChanged:
        messages.error(request, _("Someone changed this profile while you were editing. Here it is as it is now."))
        return redirect("partners:profile_edit", profile_id=profile.pk if profile else 0)
    except services.Conflict:
        message = _("Your organisation already has a profile in %(country)s. Edit that one instead.") % {
            "country": places.country_name(country)
        }
        return _editor(request, profile, {**forms.initial(None), **posted.fields}, {"country": message}, 409)
    return redirect("partners:profile_edit", profile_id=saved.pk)


def _translated(errors: dict[str, str]) -> dict[str, str]:
    """The services' messages (listed in partners.messages) in the active language."""
    return {k: _(v) for k, v in errors.items()}


@login_required
def profile_new(request: HttpRequest) -> HttpResponse:
    _manager(request)
    country = (request.POST.get("country") or request.GET.get("country") or "").strip().upper()
    known = dict(cities.countries())
    if country and country not in known:
        return render(
            request,
            "partners/profile_country.html",
            {"countries": places.countries(), "error": _("Choose a country from the list.")},
            status=422,
        )
    if request.method == "POST":
        return _save(request, None, country)
    if not country:
        return render(request, "partners/profile_country.html", {"countries": places.countries()})
    return _editor(request, None, {**forms.initial(None), "country": country}, {})


def _own_profile(request: HttpRequest, profile_id: int) -> BusinessProfile:
    try:
        return services.get_profile(current_user(request), profile_id)
    except services.NotFound:
        raise Http404("No such business profile") from None


@login_required
def profile_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = _own_profile(request, profile_id)
    if request.method == "POST":
        return _save(request, profile, profile.country)
    return _editor(request, profile, forms.initial(profile), {})


@login_required
@require_POST
def profile_status(request: HttpRequest, profile_id: int) -> HttpResponse:
    """Pause or resume a profile from the list."""
    profile = _own_profile(request, profile_id)
    status = request.POST.get("status", "")
    try:
        services.update_profile(current_user(request), profile.pk, {"status": status})
    except InvalidInput:
        return HttpResponseBadRequest(_("Use active or paused."))
    if status == BusinessProfile.Status.PAUSED:
        messages.success(request, _("The profile is paused: it gets no new referrals and is hidden from the finder."))
    else:
        messages.success(request, _("The profile is active again."))
    return redirect("partners:profiles")


@login_required
@require_GET
def logo(request: HttpRequest, profile_id: int) -> FileResponse:
    profile = _own_profile(request, profile_id)
    if not profile.logo:
        raise Http404("No logo")
    content_type = mimetypes.guess_type(profile.logo.name)[0] or "application/octet-stream"
    response = FileResponse(profile.logo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def city_options(request: HttpRequest) -> HttpResponse:
    """<option>s for a city <datalist>: the bundled list, filtered by country and what was typed."""
    _manager(request)
    country = request.GET.get("country", "")
    query = ""
    for key in request.GET:
        if key == "q" or (key.startswith("location-") and key.endswith("-city")):
            query = request.GET.get(key, "")
    found = cities.search(country, query)
    return render(request, "partners/city_options.html", {"cities": found})
