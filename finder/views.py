"""The public partner finder: search, a page per profile location, and the customer's request.

No sign-in anywhere here. The search form is a GET (bookmarkable); the request form posts to `send`,
which calls finder.requests.send_request, the same service as the public API.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlencode

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import client_ip
from finder import alternatives, forms, plans, requests
from finder.search import Criteria, InvalidCriteria, Results, search
from finder.throttle import finder_throttled
from kernel.errors import InvalidInput
from partners import cities, places
from partners.models import BusinessProfile, Location
from referrals.engagement_validation import MAX_NEED
from referrals.models import Engagement
from taxonomy.models import CompanySize, Currency, Industry, Product, ServiceType

PAGE_SIZE = 20
CITY_SUGGESTIONS = 200  # in each city field's list as the page comes
# The search's fields in the request form, renamed so they do not clash with the customer's own country,
# city, size and industry: on an invalid request the page shows the same search again.
SEARCH_PREFIX = "search-"
FACETS = (
    ("country", gettext_lazy("Country")),
    ("size", gettext_lazy("Company size")),
    ("industry", gettext_lazy("Industry")),
    ("product", gettext_lazy("Product")),
    ("service", gettext_lazy("Service type")),
    ("language", gettext_lazy("Language")),
)


# What the search form's filters set: the facets, the city and the radius (everything but the words).
FILTER_FIELDS = (*(name for name, _label in FACETS), "city", "radius_km")


def _engagement(token: str) -> Engagement | None:
    return Engagement.objects.filter(public_token=token).first() if token else None


def _translated(errors: dict[str, str]) -> dict[str, str]:
    """The services' English messages in the page's language (their msgids are in finder/locale)."""
    return {name: _(message) for name, message in errors.items()}


# --- Search ------------------------------------------------------------------------------------


def _criteria_for(data: QueryDict, engagement: Engagement | None) -> forms.Read[Criteria]:
    """The search from the query; from a customer's request link, that request's country and size until
    the customer changes the search, and never the partners already asked."""
    read = forms.criteria(data)
    if engagement is None:
        return read
    asked = requests.asked_profiles(engagement)
    base = read.value
    if not any(name in data for name in forms.CRITERIA_FIELDS):
        base = Criteria(country=engagement.customer_country, size=engagement.customer_size_id or "")
    return forms.Read(
        Criteria(**{**base.__dict__, "exclude_profiles": base.exclude_profiles | asked}),
        read.errors,
    )


def _run(criteria: Criteria, cursor: str | None, errors: dict[str, str]) -> tuple[Results, dict[str, str]]:
    if errors:
        return Results(hits=[], facets={}, total=0, criteria=criteria), errors
    try:
        return search(criteria, timezone.now(), cursor=cursor or None, limit=PAGE_SIZE), {}
    except InvalidCriteria as exc:
        return Results(hits=[], facets={}, total=0, criteria=criteria), exc.errors


def _term_options(model: Any) -> list[tuple[str, str]]:
    return [(t.code, t.label()) for t in model.objects.all()]


def _language_options() -> list[tuple[str, str]]:
    codes = {
        code
        for row in BusinessProfile.objects.visible().select_related("partner").values_list("languages", flat=True)
        for code in row or []
    }
    return sorted(((c, plans.label("language", c)) for c in codes), key=lambda pair: pair[1])


def _all_options(name: str) -> list[tuple[str, str]]:
    """Every value of a filter, for when the search gives no facet for it."""
    if name == "country":
        return places.countries()
    if name == "language":
        return _language_options()
    model = {"size": CompanySize, "industry": Industry, "product": Product, "service": ServiceType}[name]
    return _term_options(model)


def _filters(results: Results, criteria: Criteria) -> list[dict[str, Any]]:
    """Each filter with its options and, where the search counted them, how many results each leaves."""
    filters = []
    for name, label in FACETS:
        chosen = getattr(criteria, name)
        facet = results.facets.get(name)
        if facet is not None:
            options = [{"code": v.code, "label": v.label, "count": v.count} for v in facet]
        else:
            options = [{"code": code, "label": text, "count": None} for code, text in _all_options(name)]
        if chosen and chosen not in {o["code"] for o in options}:
            options.insert(0, {"code": chosen, "label": chosen, "count": 0 if facet is not None else None})
        filters.append({"name": name, "label": label, "chosen": chosen, "options": options})
    return filters


def _query(criteria: Criteria, token: str = "", **extra: str) -> str:
    pairs = [(name, _criterion(criteria, name)) for name in forms.CRITERIA_FIELDS]
    pairs += [("request", token), *extra.items()]
    return urlencode([(k, v) for k, v in pairs if v])


def _criterion(criteria: Criteria, name: str) -> str:
    value = getattr(criteria, name)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- The page ----------------------------------------------------------------------------------


def _request_initial(criteria: Criteria, engagement: Engagement | None) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "country": criteria.country,
        "city": criteria.city,
        "size": criteria.size,
        "industry": criteria.industry,
    }
    if engagement is not None:
        initial |= requests.follow_up_values(engagement)
    return initial


def _render(
    request: HttpRequest,
    search_data: QueryDict,
    status: int = 200,
    values: dict[str, Any] | None = None,
    chosen: list[int] | None = None,
    request_errors: dict[str, str] | None = None,
    notice: str = "",
) -> HttpResponse:
    token = search_data.get("request", "")
    engagement = _engagement(token)
    read = _criteria_for(search_data, engagement)
    criteria = read.value
    results, search_errors = _run(criteria, search_data.get("cursor"), read.errors)
    chosen = chosen or []
    shown = {hit.profile_id for hit in results.hits}
    if values is None:
        # A search that found nobody, with nobody ticked elsewhere, offers the programme's choice at once.
        values = _request_initial(criteria, engagement) | {"route": not shown and not chosen}
    context: dict[str, Any] = {
        "token": token,
        "engagement": engagement,
        "unknown_request": bool(token) and engagement is None,
        "criteria": criteria,
        "radius_text": search_data.get("radius_km") or _criterion(criteria, "radius_km"),
        "results": results,
        "filters": _filters(results, criteria),
        "filters_open": bool(search_errors) or any(_criterion(criteria, name) for name in FILTER_FIELDS),
        "search_errors": _translated(search_errors),
        "search_state": [
            (SEARCH_PREFIX + k, v) for k, v in search_data.items() if k not in ("csrfmiddlewaretoken", "profile_ids")
        ],
        "next_url": f"?{_query(criteria, token, cursor=results.next_cursor)}" if results.next_cursor else "",
        "first_url": f"?{_query(criteria, token)}" if search_data.get("cursor") else "",
        "chosen": chosen,
        "chosen_elsewhere": list(
            BusinessProfile.objects.visible()
            .select_related("partner")
            .filter(pk__in=[pk for pk in chosen if pk not in shown])
        ),
        "values": values,
        "errors": _translated(request_errors or {}),
        "notice": notice,
        "max_partners": requests.MAX_PARTNERS,
        "max_need": MAX_NEED,
        "sizes": _term_options(CompanySize),
        "industries": _term_options(Industry),
        "countries": places.countries(),
        "currency_options": [
            (code, f"{code} · {places.currency_name(code)}") for code in Currency.objects.values_list("code", flat=True)
        ],
    }
    context["need_left"] = max(0, MAX_NEED - len(forms.one_newline(str(context["values"].get("need") or ""))))
    # Before a country is chosen, the biggest cities of all (cities.search); typing asks city_options.
    context["search_cities"] = cities.search(criteria.country, "", limit=CITY_SUGGESTIONS)
    request_country = str(context["values"].get("country") or "")
    context["request_cities"] = cities.search(request_country, "", limit=CITY_SUGGESTIONS)
    if search_errors and not request.headers.get("HX-Request"):
        status = max(status, 422)
    return render(request, "finder/search.html", context, status=status)


@require_GET
@finder_throttled
def search_page(request: HttpRequest) -> HttpResponse:
    # `profile_ids` comes ticked from a partner's page ("Ask this partner").
    return _render(request, request.GET, chosen=forms.profile_ids(request.GET))


def _search_data(post: QueryDict) -> QueryDict:
    data = QueryDict(mutable=True)
    for key in post:
        if key.startswith(SEARCH_PREFIX):
            data.setlist(key.removeprefix(SEARCH_PREFIX), post.getlist(key))
    return data


@require_POST
def send(request: HttpRequest) -> HttpResponse:
    language = (translation.get_language() or "en")[:2]
    read = forms.request_input(request.POST, language)
    values: dict[str, Any] = {name: request.POST.get(name, "") for name in forms.REQUEST_FIELDS}
    values |= {
        "consent_contact": read.value.consent_contact,
        "consent_share": read.value.consent_share,
        "route": read.value.route,
    }
    chosen = read.value.profile_ids
    search_data = _search_data(request.POST)
    if read.errors:
        errors = requests.check(read.value) | read.errors
        return _render(request, search_data, 422, values, chosen, errors)
    try:
        requests.send_request(read.value, client_ip(request), timezone.now())
    except InvalidInput as exc:
        return _render(request, search_data, 422, values, chosen, exc.errors)
    except requests.RateLimited as exc:
        notice = _("Too many requests from this address. Please try again later.")
        response = _render(request, search_data, 429, values, chosen, notice=notice)
        response["Retry-After"] = str(exc.retry_after)
        return response
    # The same page whatever happened (asked now, asked already, a bot): the sender may not own the address.
    # The request's own link goes by e-mail only.
    url = reverse("finder:sent") + "?" + urlencode({"to": ",".join(map(str, dict.fromkeys(chosen)))})
    return HttpResponseRedirect(url)


@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    ids = [int(x) for x in request.GET.get("to", "").split(",")[: requests.MAX_PARTNERS] if x.isdigit()]
    return render(request, "finder/sent.html", {"partners": requests.partner_names(ids)})


# --- A partner's page --------------------------------------------------------------------------


def _visible_location(location_id: int) -> Location:
    return get_object_or_404(
        Location.objects.select_related("profile__partner"),
        pk=location_id,
        profile__in=BusinessProfile.objects.visible(),
    )


@require_GET
def profile_page(request: HttpRequest, location_id: int) -> HttpResponse:
    location = _visible_location(location_id)
    profile = location.profile
    context = {
        "location": location,
        "profile": profile,
        "partner": profile.partner,
        "country": places.country_name(profile.country),
        "other_locations": [x for x in profile.locations.all() if x.pk != location.pk],
        "spoken": [plans.label("language", code) for code in profile.languages or []],
        "industries": [t.label() for t in profile.industries.all()],
        "products": [t.label() for t in profile.products.all()],
        "services": [t.label() for t in profile.services.all()],
        "keywords": profile.keywords or [],
        "search_url": reverse("finder:search") + "?" + urlencode({"country": profile.country}),
        "ask_url": reverse("finder:search") + "?" + urlencode({"profile_ids": profile.pk}) + "#request",
    }
    return render(request, "finder/profile.html", context)


@require_GET
def logo(request: HttpRequest, location_id: int) -> FileResponse:
    profile = _visible_location(location_id).profile
    if not profile.logo:
        raise Http404("No logo")
    content_type = mimetypes.guess_type(profile.logo.name)[0] or "application/octet-stream"
    response = FileResponse(profile.logo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def city_options(request: HttpRequest) -> HttpResponse:
    """<option>s for the city <datalist>s: the bundled list, by country (any if none) and what was typed."""
    country = request.GET.get("country", "")
    query = request.GET.get("city", "")
    return render(request, "finder/city_options.html", {"cities": cities.search(country, query)})


# --- An alternative from the customer's note ---------------------------------------------------------


# Else 409: the partner may not get it.
_REFUSED_STATUS = {alternatives.INVALID: 404, alternatives.EXPIRED: 410, alternatives.CLOSED: 410}


@finder_throttled
@require_http_methods(["GET", "POST"])
def alternative(request: HttpRequest, token: str, signed: str) -> HttpResponse:
    """The link in the customer's note: a GET shows the partner and a button (mail scanners follow links, so
    it changes nothing); the POST sends the request to that partner."""
    now = timezone.now()
    try:
        if request.method == "POST":
            offer = alternatives.send(token, signed, now)
            context = {"sent": True, "partner_name": offer.profile.partner.name}
        else:
            offer = alternatives.read(token, signed, now)
            context = {"sent": False, "partner_name": offer.profile.partner.name}
    except alternatives.LinkRefused as refused:
        status = _REFUSED_STATUS.get(refused.reason, 409)
        return render(request, "finder/alternative.html", {"refused": _(refused.reason)}, status=status)
    return render(request, "finder/alternative.html", context)
