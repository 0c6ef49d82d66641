"""Programme admins' pages: partners, programme settings, the spam queue, SLA breaches, analytics.

Only programme admins may open them (others get 403; anonymous visitors are sent to sign in). Each
page parses, authorises, calls one service or report, and renders; every action is a plain form POST
that redirects on success and answers 422 with the page and its errors otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from console import admin_reports, admin_services, analytics
from console.admin_forms import BreachQuery, PartnerQuery, PeriodQuery, message, messages_by_field, page_number
from console.models import AdminAction, SpamVerdict
from kernel import csvexport
from kernel.errors import InvalidInput
from matching import charts
from matching.scorecard import chart_hours, money, percent
from partners import places
from partners.auth import current_user
from partners.models import BusinessProfile, Partner
from partners.services import Conflict, NotFound, require_programme_admin
from referrals.forms import SOURCE_LABELS, STATE_LABELS
from referrals.lifecycle import OPEN
from referrals.models import Programme, Referral
from taxonomy.models import Reason

PAGE_SIZE = 25
TABLE_ROWS = 20  # on the page; the CSV has every row

BREACH_LABELS: dict[str, Any] = {
    admin_reports.MISSED: gettext_lazy("Missed the deadline to answer"),
    admin_reports.EXPIRED: gettext_lazy("Expired while evaluating"),
    admin_reports.LATE: gettext_lazy("New, not answered in time"),
}
REASON_KIND_LABELS: dict[str, Any] = {
    Reason.Kind.SKIP: gettext_lazy("No thanks"),
    Reason.Kind.DECLINE: pgettext_lazy("reason kind", "Decline"),
    Reason.Kind.LOSE: pgettext_lazy("reason kind", "Lost"),
}
ACTION_LABELS: dict[str, Any] = {
    AdminAction.Kind.VERIFY: gettext_lazy("Verified"),
    AdminAction.Kind.UNVERIFY: gettext_lazy("Verification withdrawn"),
    AdminAction.Kind.SUSPEND: gettext_lazy("Suspended"),
    AdminAction.Kind.REACTIVATE: gettext_lazy("Reactivated"),
    AdminAction.Kind.SETTINGS: gettext_lazy("Programme settings changed"),
    AdminAction.Kind.REASON_ADD: gettext_lazy("Reason added"),
    AdminAction.Kind.REASON_RENAME: gettext_lazy("Reason renamed"),
    AdminAction.Kind.REASON_DEACTIVATE: gettext_lazy("Reason no longer offered"),
    AdminAction.Kind.REASON_REACTIVATE: gettext_lazy("Reason offered again"),
}
DONE: dict[str, Any] = {
    AdminAction.Kind.VERIFY: gettext_lazy("The partner is verified."),
    AdminAction.Kind.UNVERIFY: gettext_lazy("The partner is no longer verified."),
    AdminAction.Kind.SUSPEND: gettext_lazy(
        "The partner is suspended: its profiles get no new referrals and left the finder."
    ),
    AdminAction.Kind.REACTIVATE: gettext_lazy("The partner is active again: its profiles are back in the finder."),
}


def _now() -> datetime:
    """The clock of these pages (tests set it)."""
    return timezone.now()


def _today() -> date:
    return timezone.localtime(_now()).date()


View = Callable[..., HttpResponseBase]


def programme_admin_only(view: View) -> View:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        require_programme_admin(current_user(request))  # PermissionDenied: 403
        return view(request, *args, **kwargs)

    return wrapper


# --- Partners ----------------------------------------------------------------------------------


@require_GET
@programme_admin_only
def partners(request: HttpRequest) -> HttpResponse:
    query = PartnerQuery.parse(request.GET)
    qs = Partner.objects.all()
    if query.q:
        qs = qs.filter(Q(name__icontains=query.q) | Q(country__iexact=query.q))
    if query.status:
        qs = qs.filter(status=query.status)
    if query.verified:
        qs = qs.filter(verified=query.verified == "yes")
    page = Paginator(qs.order_by("name", "pk"), PAGE_SIZE).get_page(page_number(request.GET))
    ids = [p.pk for p in page.object_list]
    # Counted for this page's partners only: two GROUP BY queries, whatever the size of the programme.
    profiles = dict(
        BusinessProfile.objects.filter(partner_id__in=ids).values_list("partner_id").annotate(n=Count("pk")).order_by()
    )
    open_referrals = dict(
        Referral.objects.filter(partner_id__in=ids, state__in=[s.value for s in OPEN])
        .values_list("partner_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [
        {
            "partner": p,
            "country": places.country_name(p.country),
            "profiles": profiles.get(p.pk, 0),
            "open_referrals": open_referrals.get(p.pk, 0),
        }
        for p in page.object_list
    ]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "console/admin/partners.html",
        {"query": query, "page": page, "rows": rows, "params": params.urlencode(), "section": "partners"},
    )


def _place(city: str, address: str, country: str) -> str:
    return ", ".join(x for x in (places.city_name(city, country), address) if x)


def _partner_page(
    request: HttpRequest, partner: Partner, errors: dict[str, str] | None = None, status: int = 200, **extra: Any
) -> HttpResponse:
    profiles = (
        BusinessProfile.objects.filter(partner=partner)
        .select_related("responsiveness")
        .prefetch_related("industries", "products", "services", "locations", "target_sizes")
        .order_by("country")
    )
    rows = []
    for profile in profiles:
        stats = getattr(profile, "responsiveness", None)
        mean = stats.mean_seconds_to_first_answer if stats else None
        rows.append(
            {
                "profile": profile,
                "country": places.country_name(profile.country),
                "status": profile.get_status_display(),
                "industries": [t.label() for t in profile.industries.all()],
                "products": [t.label() for t in profile.products.all()],
                "services": [t.label() for t in profile.services.all()],
                "sizes": [t.label() for t in profile.target_sizes.all()],
                "keywords": profile.keywords,
                "locations": [_place(loc.city, loc.address, profile.country) for loc in profile.locations.all()],
                "stats": stats,
                "in_time": percent(stats.share_answered_within_24h) if stats else "—",
                "mean_hours": f"{mean / 3600:.1f}" if mean is not None else "—",
            }
        )
    history = [
        {"action": a, "label": ACTION_LABELS.get(a.kind, a.get_kind_display())}
        for a in AdminAction.objects.filter(partner=partner)[:50]
    ]
    open_referrals = Referral.objects.filter(partner=partner, state__in=[s.value for s in OPEN]).count()
    context = {
        "partner": partner,
        "country": places.country_name(partner.country),
        "profiles": rows,
        "history": history,
        "open_referrals": open_referrals,
        "errors": errors or {},
        "section": "partners",
        **extra,
    }
    return render(request, "console/admin/partner.html", context, status=status)


@require_GET
@programme_admin_only
def partner(request: HttpRequest, partner_id: int) -> HttpResponse:
    return _partner_page(request, get_object_or_404(Partner, pk=partner_id))


@require_POST
@programme_admin_only
def partner_action(request: HttpRequest, partner_id: int, kind: str) -> HttpResponse:
    if kind not in admin_services.PARTNER_MOVES:
        raise Http404
    comment = request.POST.get("comment", "")
    try:
        admin_services.change_partner(current_user(request), partner_id, kind, comment, _now())
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        found = get_object_or_404(Partner, pk=partner_id)
        return _partner_page(request, found, messages_by_field(exc.errors), 422, failed=kind, comment=comment)
    except Conflict as exc:
        messages.error(request, message(str(exc)))
        return redirect("console:partner", partner_id=partner_id)
    messages.success(request, str(DONE[kind]))
    return redirect("console:partner", partner_id=partner_id)


# --- Programme settings ------------------------------------------------------------------------


def _programme_page(
    request: HttpRequest,
    status: int = 200,
    settings_values: dict[str, Any] | None = None,
    settings_errors: dict[str, str] | None = None,
    new_reason: dict[str, str] | None = None,
    new_reason_errors: dict[str, str] | None = None,
    rename: tuple[int, dict[str, str], dict[str, str]] | None = None,
) -> HttpResponse:
    programme, _created = Programme.objects.get_or_create(pk=1)
    values = settings_values or {name: getattr(programme, name) for name in admin_services.PROGRAMME_FIELDS}
    reasons = list(Reason.objects.order_by("kind", "sort", "code"))
    lists = []
    for kind, label in REASON_KIND_LABELS.items():
        rows = []
        for reason in reasons:
            if reason.kind != kind:
                continue
            row: dict[str, Any] = {"reason": reason, "name_en": reason.name_en, "name_ru": reason.name_ru, "errors": {}}
            if rename is not None and rename[0] == reason.pk:
                row |= rename[1] | {"errors": rename[2]}
            rows.append(row)
        lists.append({"kind": kind, "label": label, "rows": rows})
    settings_history = [
        {"action": a, "label": ACTION_LABELS.get(a.kind, a.kind)}
        for a in AdminAction.objects.filter(partner__isnull=True)[:20]
    ]
    context = {
        "values": values,
        "errors": settings_errors or {},
        "lists": lists,
        "kinds": list(REASON_KIND_LABELS.items()),
        "new_reason": new_reason or {},
        "new_reason_errors": new_reason_errors or {},
        "history": settings_history,
        "section": "programme",
    }
    return render(request, "console/admin/programme.html", context, status=status)


@programme_admin_only
def programme(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _programme_page(request)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    values = {name: request.POST.get(name, "") for name in admin_services.PROGRAMME_FIELDS}
    try:
        admin_services.update_programme(current_user(request), values, _now())
    except InvalidInput as exc:
        return _programme_page(request, 422, settings_values=values, settings_errors=messages_by_field(exc.errors))
    messages.success(request, _("Programme settings saved. They apply to referrals entering a state from now on."))
    return redirect("console:programme")


@require_POST
@programme_admin_only
def reason_add(request: HttpRequest) -> HttpResponse:
    fields = {name: request.POST.get(name, "") for name in ("kind", "code", "name_en", "name_ru")}
    try:
        admin_services.add_reason(current_user(request), **fields, now=_now())
    except InvalidInput as exc:
        return _programme_page(request, 422, new_reason=fields, new_reason_errors=messages_by_field(exc.errors))
    messages.success(request, _("Reason added. Partners can choose it from now on."))
    return redirect("console:programme")


@require_POST
@programme_admin_only
def reason_rename(request: HttpRequest, reason_id: int) -> HttpResponse:
    fields = {name: request.POST.get(name, "") for name in ("name_en", "name_ru")}
    try:
        admin_services.rename_reason(current_user(request), reason_id, fields["name_en"], fields["name_ru"], _now())
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        return _programme_page(request, 422, rename=(reason_id, fields, messages_by_field(exc.errors)))
    messages.success(request, _("Reason renamed."))
    return redirect("console:programme")


@require_POST
@programme_admin_only
def reason_active(request: HttpRequest, reason_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        admin_services.set_reason_active(current_user(request), reason_id, active, _now())
    except NotFound:
        raise Http404 from None
    except Conflict as exc:
        messages.error(request, message(str(exc)))
        return redirect("console:programme")
    messages.success(request, _("Reason offered again.") if active else _("Reason no longer offered."))
    return redirect("console:programme")


# --- Spam queue --------------------------------------------------------------------------------


def _spam_page(request: HttpRequest, status: int = 200, errors: dict[int, str] | None = None) -> HttpResponse:
    queue = admin_services.spam_queue().select_related("engagement", "partner").order_by("-state_entered_at", "-pk")
    page = Paginator(queue, PAGE_SIZE).get_page(page_number(request.GET))
    engagement_ids = {r.engagement_id for r in page.object_list}
    siblings = admin_services.sibling_counts(engagement_ids)
    rows = [
        {
            "referral": r,
            "state": STATE_LABELS.get(r.state, r.state),
            "source": SOURCE_LABELS.get(r.engagement.source, r.engagement.source),
            "siblings": siblings.get(r.engagement_id, {"total": 1, "open": 0}),
            "error": (errors or {}).get(r.pk, ""),
        }
        for r in page.object_list
    ]
    decided = SpamVerdict.objects.select_related("referral__engagement", "referral__partner", "decided_by").order_by(
        "-decided_at", "-pk"
    )[:20]
    return render(
        request,
        "console/admin/spam.html",
        {"page": page, "rows": rows, "decided": decided, "section": "spam"},
        status=status,
    )


@require_GET
@programme_admin_only
def spam(request: HttpRequest) -> HttpResponse:
    return _spam_page(request)


@require_POST
@programme_admin_only
def spam_decide(request: HttpRequest, referral_id: int) -> HttpResponse:
    verdict = request.POST.get("verdict", "")
    decide = {"confirm": admin_services.confirm_spam, "dismiss": admin_services.dismiss_spam}.get(verdict)
    if decide is None:
        return _spam_page(request, 422, {referral_id: _("Choose confirm or dismiss.")})
    try:
        outcome = decide(current_user(request), referral_id, request.POST.get("note", ""), _now())
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        return _spam_page(request, 422, {referral_id: "; ".join(messages_by_field(exc.errors).values())})
    except Conflict as exc:
        messages.error(request, message(str(exc)))
        return redirect("console:spam")
    if verdict == "confirm":
        closed = len(outcome.closed)
        text = ngettext(
            "Request %(id)s confirmed as spam: %(closed)s open referral closed, and the customer gets no e-mail "
            "about it.",
            "Request %(id)s confirmed as spam: %(closed)s open referrals closed, and the customer gets no e-mail "
            "about them.",
            closed,
        ) % {"id": outcome.engagement_id, "closed": closed}
    else:
        text = _("Request %(id)s is not spam: the flag is dismissed.") % {"id": outcome.engagement_id}
    messages.success(request, text)
    return redirect("console:spam")


# --- SLA breaches ------------------------------------------------------------------------------


def _breach_query(request: HttpRequest) -> tuple[BreachQuery, admin_reports.BreachFilter, timedelta]:
    zone = timezone.get_current_timezone()
    query = BreachQuery.parse(request.GET, _today())
    start, end = query.period.period.bounds(zone)
    urged = Programme.deadlines().first_answer_urged
    return query, admin_reports.BreachFilter(start, end, query.partner_id, query.kind), urged


@require_GET
@programme_admin_only
def breaches(request: HttpRequest) -> HttpResponse:
    query, spec, urged = _breach_query(request)
    now = _now()
    qs = admin_reports.breaches(spec, now, urged).select_related("partner", "engagement")
    page = Paginator(qs, PAGE_SIZE).get_page(page_number(request.GET))
    rows = [
        {
            "referral": r,
            "kind": BREACH_LABELS[r.breach],
            "breached_at": r.breached_at,
            "state": STATE_LABELS.get(r.state, r.state),
        }
        for r in page.object_list
    ]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "query": query,
        "page": page,
        "rows": rows,
        "partners": admin_reports.breach_partners(spec, now, urged),
        "kinds": list(BREACH_LABELS.items()),
        "params": params.urlencode(),
        "urged_hours": int(urged.total_seconds() // 3600),
        "section": "breaches",
    }
    return render(request, "console/admin/breaches.html", context, status=422 if query.period.errors else 200)


@require_GET
@programme_admin_only
def breaches_csv(request: HttpRequest) -> HttpResponseBase:
    query, spec, urged = _breach_query(request)
    if query.period.errors:
        return breaches(request)
    # The plugin cannot see the report's annotations through its return type.
    qs = cast(Any, admin_reports.breaches(spec, _now(), urged)).values_list(
        "pk", "breach", "breached_at", "state", "partner_id", "partner__name", "engagement_id", "created_at"
    )
    header = [
        "referral_id", "breach", "breached_at", "state", "partner_id", "partner", "engagement_id", "received_at"
    ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        for pk, kind, at, state, partner_id, partner_name, engagement_id, created in qs.iterator(chunk_size=2000):
            yield [pk, kind, at, state, partner_id, partner_name, engagement_id, created]

    period = query.period.period
    return csvexport.page_download(request, f"sla-breaches-{period.first}-{period.last}.csv", header, rows())


# --- Analytics ---------------------------------------------------------------------------------

TABLES = ("partner", "region", "source", "campaign")


def _labeller(table: str) -> Callable[[analytics.Key], str]:
    if table == "partner":
        return lambda key: key[1]
    if table == "region":
        return lambda key: ", ".join(x for x in _region(key[0], key[1]) if x)
    if table == "source":
        return lambda key: str(SOURCE_LABELS.get(key[0], key[0]))
    return lambda key: key[0] or str(_("(no campaign)"))


def _region(country: str, city: str) -> tuple[str, str]:
    return places.city_name(city, country), places.country_name(country)


def _hours(value: float | None) -> str:
    # number_format cuts the digits after the first (1.75 would read 1.7): round first.
    return "—" if value is None else number_format(round(value, 1), 1)


def _present(row: analytics.Row, label: str) -> dict[str, Any]:
    return {
        "label": label,
        "row": row,
        "median": _hours(row.median_hours),
        "p90": _hours(row.p90_hours),
        "acceptance": percent(row.acceptance_rate),
        "win_rate": percent(row.win_rate),
        "pipeline": [money(v, c) for c, v in row.pipeline.items()],
    }


@require_GET
@programme_admin_only
def analytics_page(request: HttpRequest) -> HttpResponse:
    query = PeriodQuery.parse(request.GET, _today())
    start, end = query.period.bounds(timezone.get_current_timezone())
    cohort = admin_reports.received_between(start, end)
    full: dict[str, list[analytics.Row]] = {}
    histogram: list[tuple[int, int]] = []
    for table in TABLES:
        full[table], table_histogram = admin_reports.grouped(cohort, table)
        if table == "source":
            histogram = table_histogram  # every referral has exactly one source: the whole period
    source_rows = full["source"]
    total = analytics.total(source_rows, histogram)
    source_labels = [_labeller("source")(r.key) for r in source_rows]
    state_labels = [str(STATE_LABELS.get(s, s)) for s in analytics.STATES]
    funnel = [
        {
            "state": label,
            "count": total.by_state[s],
            "share": percent(analytics.ratio(total.by_state[s], total.received)),
        }
        for s, label in zip(analytics.STATES, state_labels, strict=True)
    ]
    names = {s: str(STATE_LABELS.get(s, s)) for s in analytics.STATES}
    funnel_chart = charts.stacked_outcomes(
        _("Referrals received in the period, by their state now"),
        state_labels,
        {
            s: [total.by_state[s] if i == j else 0 for j in range(len(analytics.STATES))]
            for i, s in enumerate(analytics.STATES)
        },
        names,
    )
    response_chart = charts.response_times(
        _("Median hours to the first answer, by source"),
        source_labels,
        [r.median_hours for r in source_rows],
        Programme.deadlines().first_answer_urged.total_seconds() / 3600,
        _("no answers"),
        chart_hours,
    )
    outcome_chart = charts.stacked_outcomes(
        _("How the period's referrals ended, by source"),
        source_labels,
        {o: [r.by_state[o] for r in source_rows] for o in analytics.OUTCOMES},
        names,
    )
    context = {
        "query": query,
        "params": f"from={query.period.first}&to={query.period.last}",
        "total": _present(total, _("All referrals")),
        "funnel": funnel,
        "tables": [
            {
                "name": t,
                "title": TABLE_TITLES[t],
                "column": TABLE_COLUMNS[t],
                "rows": [_present(r, _labeller(t)(r.key)) for r in full[t][:TABLE_ROWS]],
                "count": len(full[t]),
            }
            for t in TABLES
        ],
        "funnel_chart": mark_safe(funnel_chart),  # noqa: S308 (charts escape every text they draw)
        "response_chart": mark_safe(response_chart),  # noqa: S308
        "outcome_chart": mark_safe(outcome_chart),  # noqa: S308
        "legend": charts.legend(list(analytics.OUTCOMES), names),
        "section": "analytics",
    }
    return render(request, "console/admin/analytics.html", context, status=422 if query.errors else 200)


TABLE_TITLES = {
    "partner": gettext_lazy("By partner"),
    "region": gettext_lazy("By region"),
    "source": gettext_lazy("By source"),
    "campaign": gettext_lazy("By campaign"),
}
TABLE_COLUMNS = {
    "partner": gettext_lazy("Partner"),
    "region": gettext_lazy("City and country"),
    "source": gettext_lazy("Source"),
    "campaign": gettext_lazy("Campaign"),
}
CSV_HEADER = [
    "received", *analytics.STATES, "answered", "median_hours_to_first_answer", "p90_hours_to_first_answer",
    "interested", "accepted", "acceptance_rate", "won", "lost", "win_rate", "negotiating", "pipeline",
]  # fmt: skip


def _csv_figures(row: analytics.Row) -> list[Any]:
    def rate(value: float | None) -> str:
        return "" if value is None else f"{value:.4f}"

    def hours(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    return [
        row.received,
        *(row.by_state[s] for s in analytics.STATES),
        row.answered,
        hours(row.median_hours),
        hours(row.p90_hours),
        row.interested,
        row.accepted,
        rate(row.acceptance_rate),
        row.won,
        row.lost,
        rate(row.win_rate),
        row.negotiating,
        "; ".join(f"{value} {currency}".strip() for currency, value in row.pipeline.items()),
    ]


@require_GET
@programme_admin_only
def analytics_csv(request: HttpRequest, table: str) -> HttpResponseBase:
    if table not in (*TABLES, "state"):
        raise Http404
    query = PeriodQuery.parse(request.GET, _today())
    if query.errors:
        return analytics_page(request)
    period = query.period
    start, end = period.bounds(timezone.get_current_timezone())
    cohort = admin_reports.received_between(start, end)
    filename = f"referrals-by-{table}-{period.first}-{period.last}.csv"
    if table == "state":
        rows, _histogram = admin_reports.grouped(cohort, "source")
        total = analytics.total(rows, [])
        lines = iter([[s, total.by_state[s]] for s in analytics.STATES])
        return csvexport.page_download(request, filename, ["state", "referrals"], lines)
    rows, _histogram = admin_reports.grouped(cohort, table)
    keys = {
        "partner": ["partner_id", "partner"],
        "region": ["country", "city"],
        "source": ["source"],
        "campaign": ["campaign"],
    }[table]
    return csvexport.page_download(
        request, filename, [*keys, *CSV_HEADER], iter([[*r.key, *_csv_figures(r)] for r in rows])
    )
