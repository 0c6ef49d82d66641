"""Operator agents: create a referral for a customer with the routing engine's proposals; advertising leads.

Pages parse, authorise (operators only: partners get 403, anonymous visitors the sign-in page), call
console.agent_services, render. The new referral form works without JavaScript: one form holds the
customer's request and, once it validates, the proposed partners to tick, so the second POST carries
everything again; with htmx, "Find partners" refreshes the form and its proposals in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from console import agent_services
from console.agent_forms import MAX_PARTNERS, LeadsFilter, ReferralForm, new_token, parse_targets
from kernel.errors import InvalidInput, NotFound
from matching import explanations
from partners.auth import current_user
from partners.models import User
from referrals.forms import SOURCE_LABELS, STATE_LABELS
from referrals.models import Engagement
from referrals.permissions import is_programme_admin

View = Callable[..., HttpResponse]
LEADS_PER_PAGE = 25
RECIPIENT_FIELDS = ("targets", "route")  # the service's refusals shown by the proposals, not by a form field


# The programme admins' pages (console/admin_*.py): (URL name, title, what it is for). Shown once they exist.
ADMIN_PAGES = (
    ("console:partners", gettext_lazy("Partners"), gettext_lazy("Verify, suspend and look at partners' profiles.")),
    ("console:programme", gettext_lazy("Programme settings"), gettext_lazy("Deadlines, reminders and reasons.")),
    ("console:spam", gettext_lazy("Spam queue"), gettext_lazy("Referrals partners flagged as spam.")),
    ("console:breaches", gettext_lazy("SLA breaches"), gettext_lazy("Referrals that missed their deadlines.")),
    ("console:analytics", gettext_lazy("Analytics"), gettext_lazy("Funnel, response times, rates and pipeline.")),
)


def operator_page(view: View) -> View:
    """Only the operator's agents and programme admins; a partner's user gets 403, nothing else happens."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        agent_services.require_operator(current_user(request))
        return view(request, *args, **kwargs)

    return wrapped


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _label_states(engagements: Iterable[Engagement]) -> None:
    """Give each engagement its source's word and each prefetched referral its state's, for the templates."""
    for row in engagements:
        setattr(row, "source_label", SOURCE_LABELS.get(row.source, row.source))  # noqa: B010
        for referral in row.referrals.all():
            setattr(referral, "state_label", STATE_LABELS[referral.state])  # noqa: B010


def _admin_pages(user: User) -> list[dict[str, Any]]:
    if not is_programme_admin(user):
        return []
    pages = []
    for name, title, summary in ADMIN_PAGES:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # that page is not built (yet)
        pages.append({"url": url, "title": title, "summary": summary})
    return pages


@operator_page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    now = timezone.now()
    recent = agent_services.recent_engagements(user)
    _label_states(recent)
    return render(
        request,
        "console/home.html",
        {
            "counts": agent_services.counts(user, now, timezone.get_current_timezone()),
            "recent": recent,
            "admin_pages": _admin_pages(user),
        },
    )


# --- A new referral ---------------------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    form: ReferralForm,
    proposal: agent_services.Proposal | None = None,
    chosen: list[int] | None = None,
    targets_error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "proposal": proposal,
        # Each proposal with its reasons in the agent's language: the engine's labels are English until rendered.
        "proposals": [(hit, explanations.labelled(hit.why)) for hit in proposal.hits] if proposal else [],
        "chosen": chosen or [],
        "targets_error": targets_error,
        "max_partners": MAX_PARTNERS,
    }
    if _is_htmx(request):
        # htmx swaps only 2xx answers: errors come back with 200, inside the form.
        return render(request, "console/agent/_referral_form.html", context)
    return render(request, "console/agent/new_referral.html", context, status=status)


@operator_page
@require_http_methods(["GET", "POST"])
def new_referral(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, ReferralForm(initial={"token": new_token(), "language": "en"}))
    agent = current_user(request)
    now = timezone.now()
    form = ReferralForm(request.POST)
    step = request.POST.get("step")
    targets, targets_error = parse_targets(request.POST.getlist("partner"))
    if not form.is_valid():
        return _form_page(request, form, chosen=targets, status=422)
    data = form.engagement_input(targets)
    if step == "route":  # "Send to the best 3": the routing engine chooses, nothing needs ticking
        data, targets_error = replace(data, targets=[], route_count=agent_services.ROUTED), ""
    elif step != "send":
        return _form_page(request, form, agent_services.propose(data, now), chosen=targets)
    if targets_error:
        return _form_page(request, form, agent_services.propose(data, now), targets, targets_error, status=422)
    try:
        engagement_id, replayed = agent_services.send_referral(agent, form.cleaned_data["token"], data, now)
    except InvalidInput as exc:
        form.add_service_errors({k: v for k, v in exc.errors.items() if k not in RECIPIENT_FIELDS})
        proposal = agent_services.propose(data, now)
        refusal = next((exc.errors[k] for k in RECIPIENT_FIELDS if k in exc.errors), "")
        return _form_page(request, form, proposal, targets, refusal, status=422)
    if replayed:
        messages.info(request, _("This form was already sent: here is the referral it created."))
    else:
        messages.success(request, _("Referral sent. The partners have been alerted."))
    return redirect("console:engagement", engagement_id=engagement_id)


@operator_page
@require_GET
def engagement(request: HttpRequest, engagement_id: int) -> HttpResponse:
    try:
        row = agent_services.engagement(engagement_id)
    except NotFound:
        raise Http404 from None
    _label_states([row])
    return render(
        request,
        "console/agent/engagement.html",
        {"engagement": row, "decisions": explanations.decisions_of(row)},
    )


# --- Advertising leads ------------------------------------------------------------------------


@operator_page
@require_GET
def leads(request: HttpRequest) -> HttpResponse:
    filters = LeadsFilter.parse(request.GET)
    rows = agent_services.leads(
        filters.value("campaign"), filters.value("since"), filters.value("until"), timezone.get_current_timezone()
    )
    page = Paginator(rows, LEADS_PER_PAGE).get_page(request.GET.get("page"))
    _label_states(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/agent/leads.html",
        {
            "filters": filters,
            "page": page,
            "campaigns": agent_services.campaigns(),
            "query": query.urlencode(),
        },
    )
