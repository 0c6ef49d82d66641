"""The partner's referral pages: parse, authorise, call one service, render.

Every action works as a plain form POST (redirect after it, failed or not, so a reload never posts again)
and, with htmx, in place: an htmx request gets the referral's main panel back, with field errors or a notice
in it, always with status 200. An action that closes the referral is confirmed first: htmx asks in the browser
(hx-confirm), a plain form gets a confirmation page whose button posts it again with `confirmed`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kernel import csvexport, dates
from kernel.errors import InvalidInput, NotFound, ReferralChanged
from partners.auth import current_user
from partners.models import User
from referrals import exports, inbox_views, lifecycle, list_page, queries, routing_why, saved_views, services
from referrals.access import visible_referrals
from referrals.actors import ActorRef
from referrals.forms import (
    ACTION_LABELS,
    CONFIRM_BUTTONS,
    CONFIRM_CONSEQUENCES,
    CONFIRM_QUESTIONS,
    FORM_FIELDS,
    OUTCOMES,
    SHORTCUTS,
    SORT_LABELS,
    STATE_LABELS,
    TAB_LABELS,
    TABS,
    InboxQuery,
    action_input,
    parse_since,
    parse_version,
    service_message,
)
from referrals.lifecycle import Action, DeadlinePassed, Deadlines, LifecycleError
from referrals.models import Programme, Referral, ReferralEvent
from referrals.permissions import (
    assignable_members,
    can_assign,
    can_assign_referral,
    can_bulk_answer,
    can_open_referrals,
    can_work_referral,
    is_operator,
    partner_assignees,
    works_referrals,
)
from referrals.presenters import ReferralView, present
from referrals.validation import REASON_KIND, ActionInput
from taxonomy.models import CompanySize, Currency, Industry, Product, Reason, ServiceType


def _done_message(action: Action) -> str:
    # Spelled out so that makemessages finds each sentence.
    return {
        Action.INTERESTED: _("You are interested: the customer's details and contacts are below."),
        Action.SKIP: _("You answered no thanks. The customer will be offered other partners."),
        Action.ACCEPT: _("Accepted. Good luck with the deal!"),
        Action.DECLINE: _("Declined. The customer will be offered other partners."),
        Action.WIN: _("Marked as won. Congratulations!"),
        Action.LOSE: _("Marked as lost."),
    }.get(action, _("Saved."))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _labels() -> dict[str, dict[str, str]]:
    """Taxonomy labels in the current language: one query per list, whatever the number of rows."""
    return {
        "size": {t.code: t.label() for t in CompanySize.objects.all()},
        "industry": {t.code: t.label() for t in Industry.objects.all()},
        "product": {t.code: t.label() for t in Product.objects.all()},
        "service": {t.code: t.label() for t in ServiceType.objects.all()},
    }


def _described(view: ReferralView, labels: dict[str, dict[str, str]], deadlines: Deadlines, now: Any) -> dict[str, Any]:
    return {
        "r": view,
        "state_label": STATE_LABELS[view.state.value],
        "size": labels["size"].get(view.company_size, view.company_size),
        "industry": labels["industry"].get(view.industry, view.industry),
        "products": [labels["product"].get(p, p) for p in view.requested_products],
        "services": [labels["service"].get(s, s) for s in view.requested_services],
        "answer_overdue": view.state == lifecycle.AWAITING_ANSWER
        and lifecycle.answer_overdue(now - view.created_at, deadlines.first_answer_urged),
        "deadline_close": view.respond_by is not None and view.respond_by - now <= deadlines.warn_before_deadline,
    }


# --- The inbox ----------------------------------------------------------------------------------


def _scoped(user: User, query: InboxQuery) -> QuerySet[Referral]:
    """The referrals the inbox counts: those the user may read, or only those assigned to them."""
    visible = visible_referrals(user)
    return visible.filter(assignee=user) if query.mine else visible


def _listed(scoped: QuerySet[Referral], query: InboxQuery) -> QuerySet[Referral]:
    """The referrals the inbox lists, in its order, on every page: the same list the CSV download holds."""
    return list_page.ordered(queries.search(scoped.filter(state__in=query.states), query.q), query.sort)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    query = InboxQuery.parse(request.GET)
    now = timezone.now()
    visible = _scoped(user, query)
    by_state = list_page.by_state(visible)
    counts = {tab: by_state.get(tab, 0) for tab in TABS if tab != "archive"}
    counts["archive"] = sum(by_state.get(o, 0) for o in OUTCOMES)
    show_partner = is_operator(user)
    rows = _listed(visible, query).select_related("engagement", *(["partner"] if show_partner else []))
    total = list_page.total(query.q, query.states, by_state)
    page = list_page.inbox_page(rows, query.sort, query.page, request.GET.get("cursor", ""), total)
    referrals = page.rows
    # Contacts only of the referrals that show them, in one query (present() reads them).
    prefetch_related_objects([r.engagement for r in referrals if lifecycle.contacts_visible(r.state_enum)], "contacts")
    labels = _labels()
    deadlines = Programme.deadlines()
    context = {
        "query": query,
        "page": page,
        "rows": [_described(present(r), labels, deadlines, now) | _partner_of(r, show_partner) for r in referrals],
        "show_partner": show_partner,
        "tabs": [(tab, TAB_LABELS[tab], counts[tab]) for tab in TABS],
        "outcomes": [(o, STATE_LABELS[o], by_state.get(o, 0)) for o in OUTCOMES],
        "sorts": list(SORT_LABELS.items()),
        "since": now.isoformat(),
        "now": now,
        **_inbox_tools(request, user, query),
    }
    return render(request, "referrals/inbox.html", context)


def _inbox_tools(request: HttpRequest, user: User, query: InboxQuery) -> dict[str, Any]:
    """Saved views, what the last bulk action did, and what the bulk form may offer this person."""
    return {
        "filters": query.params(),
        "csv_url": f"{reverse('referrals:inbox_csv')}?{urlencode(query.params())}".rstrip("?"),
        "saved_views": [(v, f"{reverse('referrals:inbox')}?{v.query}") for v in saved_views.of(user)],
        "bulk_report": inbox_views.bulk_report(request),
        "can_bulk": can_bulk_answer(user),
        "show_changes": works_referrals(user),
        # Querysets, read only if the page shows the bulk form (and its No thanks, on the New tab).
        "bulk_team": partner_assignees(user.partner_id) if can_assign(user) else None,
        "skip_reasons": Reason.objects.filter(kind=Reason.Kind.SKIP, active=True),
    }


@login_required
@require_GET
def inbox_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The inbox's list as filtered (every page of it), with the API CSV's columns."""
    user = current_user(request)
    if not can_open_referrals(user):
        raise Http404("No such page")
    query = InboxQuery.parse(request.GET)
    chosen = _listed(_scoped(user, query), query).select_related("engagement").prefetch_related("engagement__contacts")
    views = (present(r) for r in chosen.iterator(chunk_size=500))
    return csvexport.page_download(request, "referrals.csv", exports.COLUMNS, exports.rows(views))


@login_required
@require_GET
def inbox_fresh(request: HttpRequest) -> HttpResponse:
    """The polled fragment: how many new referrals arrived since the inbox was drawn."""
    now = timezone.now()
    since = parse_since(request.GET.get("since"), now)
    fresh = (
        visible_referrals(current_user(request))
        .filter(state=lifecycle.AWAITING_ANSWER.value, created_at__gt=since)
        .count()
    )
    return render(request, "referrals/_fresh.html", {"fresh": fresh, "since": since.isoformat()})


# --- One referral -------------------------------------------------------------------------------


def _partner_of(referral: Referral, shown: bool) -> dict[str, str]:
    """Which partner a referral belongs to, for the operator's staff, who read every partner's referrals."""
    return {"partner": referral.partner.name} if shown else {}


def _visible_or_404(request: HttpRequest, referral_id: int) -> Referral:
    referral = (
        visible_referrals(current_user(request))
        .select_related("engagement", "assignee", "partner")
        .prefetch_related("engagement__contacts")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise Http404("No such referral")
    return referral


def event_actor(event: ReferralEvent) -> str:
    """Who made a history row, as the pages name them."""
    if event.actor_kind == lifecycle.Actor.SYSTEM.value:
        return str(_("the timer") if event.action in lifecycle.TIMER_ACTIONS else _("Leadshare"))
    return event.actor_label


def _timeline(referral: Referral, reasons: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    entries = []
    for event in ReferralEvent.objects.filter(referral=referral).order_by("at", "id"):
        kind = REASON_KIND.get(event.action, "")  # type: ignore[call-overload]
        actor = event_actor(event)
        entries.append(
            {
                "at": event.at,
                "label": ACTION_LABELS.get(event.action, event.action),
                "from_state": STATE_LABELS.get(event.from_state, ""),
                "to_state": STATE_LABELS.get(event.to_state, event.to_state),
                "moved": event.from_state != event.to_state,
                "actor": actor,
                "reason": reasons.get((kind, event.reason), event.reason) if event.reason else "",
                "comment": service_message(event.comment) if event.action == "edit" else event.comment,
                "action": event.action,
            }
        )
    return entries


def _team(user: User, referral: Referral) -> list[User] | None:
    if not can_assign_referral(user, referral):
        return None
    return list(assignable_members(referral))


def _panel_context(
    request: HttpRequest,
    referral: Referral,
    errors: dict[str, str] | None = None,
    failed: str = "",
    notice: str = "",
    problem: str = "",
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    user = current_user(request)
    now = timezone.now()
    view = present(referral)
    reason_rows = list(Reason.objects.filter(active=True))
    reason_labels = {(r.kind, r.code): r.label() for r in reason_rows}
    outcome_reason = ""
    if view.reason:
        entered_by = lifecycle.entered_by(view.state)
        kind = REASON_KIND.get(entered_by, "") if entered_by is not None else ""
        outcome_reason = reason_labels.get((kind, view.reason), view.reason)
    return {
        "referral": view,
        "about": _described(view, _labels(), Programme.deadlines(), now),
        "events": _timeline(referral, reason_labels),
        "currencies": list(Currency.objects.all()),
        "reasons": {k: [r for r in reason_rows if r.kind == k] for k in ("skip", "decline", "lose")},
        "outcome_reason": outcome_reason,
        "errors": {k: service_message(v) for k, v in (errors or {}).items()},
        "failed": failed,
        "form": form or {},
        "notice": notice,
        "problem": problem,
        "awaiting_answer": view.state == lifecycle.AWAITING_ANSWER,
        "can_work": can_work_referral(user, referral),
        "team": _team(user, referral),
        "assignee": referral.assignee,
        **_partner_of(referral, is_operator(user)),
        "confirm": {action: question % {"id": referral.pk} for action, question in CONFIRM_QUESTIONS.items()},
        "now": now,
        **_why_routed(referral),
    }


def _why_routed(referral: Referral) -> dict[str, Any]:
    routing = routing_why.of(referral)
    return {"routing": routing, "chosen_by": "" if routing else routing_why.chosen_by(referral.engagement.source)}


def _panel(request: HttpRequest, referral_id: int, status: int = 200, **extra: Any) -> HttpResponse:
    referral = _visible_or_404(request, referral_id)
    context = _panel_context(request, referral, **extra) | {"shortcuts": SHORTCUTS}
    template = "referrals/_panel.html" if _is_htmx(request) else "referrals/detail.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _panel(request, referral_id, **_failed_form(request, referral_id))


def _failed_form_key(referral_id: int) -> str:
    return f"referrals.failed_form.{referral_id}"


def _sent_form(request: HttpRequest) -> dict[str, str]:
    return {name: request.POST[name] for name in FORM_FIELDS if name in request.POST}


def _remember_failed_form(request: HttpRequest, referral_id: int, failed: str, errors: dict[str, str]) -> None:
    """Keeps a plain POST's errors and values for the page it redirects to, which shows them once."""
    request.session[_failed_form_key(referral_id)] = {"failed": failed, "errors": errors, "form": _sent_form(request)}


def _failed_form(request: HttpRequest, referral_id: int) -> dict[str, Any]:
    kept = request.session.pop(_failed_form_key(referral_id), None)
    return kept if isinstance(kept, dict) else {}


def _trouble(exc: Exception) -> str:
    if isinstance(exc, ReferralChanged):
        return _("This referral changed while you were looking at it. Here it is as it is now: check it and try again.")
    if isinstance(exc, DeadlinePassed):
        return _("Too late: the deadline to answer passed at %(time)s.") % {"time": dates.datetime_text(exc.deadline)}
    return _("This is not possible for this referral any more. Here it is as it is now.")


def _after(request: HttpRequest, referral_id: int, fn: Any, failed: str, done: str) -> HttpResponse:
    """Run one service call and answer as the page needs: panel for htmx, redirect otherwise."""
    htmx = _is_htmx(request)
    try:
        fn()
    except NotFound:
        raise Http404("No such referral") from None
    except InvalidInput as exc:
        if htmx:
            return _panel(request, referral_id, errors=exc.errors, failed=failed, form=_sent_form(request))
        _remember_failed_form(request, referral_id, failed, exc.errors)
        return redirect("referrals:detail", referral_id=referral_id)
    except (ReferralChanged, LifecycleError) as exc:
        problem = _trouble(exc)
        if htmx:
            return _panel(request, referral_id, problem=problem)
        messages.error(request, problem)
        return redirect("referrals:detail", referral_id=referral_id)
    if htmx:
        return _panel(request, referral_id, notice=done)
    messages.success(request, done)
    return redirect("referrals:detail", referral_id=referral_id)


@login_required
@require_POST
def act(request: HttpRequest, referral_id: int, action: str) -> HttpResponse:
    try:
        chosen = Action(action)
    except ValueError:
        raise Http404("No such action") from None
    if chosen in lifecycle.TIMER_ACTIONS:
        raise Http404("No such action")
    actor = ActorRef.person(current_user(request))
    data = action_input(request.POST)
    version = parse_version(request.POST)
    if lifecycle.ends_referral(chosen) and not _confirmed(request):
        return _confirmation(request, referral_id, chosen, data)

    def run() -> None:
        services.perform(referral_id, chosen, actor, timezone.now(), data, expected_version=version)

    return _after(request, referral_id, run, chosen.value, _done_message(chosen))


def _confirmed(request: HttpRequest) -> bool:
    # htmx sends an action only after the browser's hx-confirm dialog said yes.
    return _is_htmx(request) or request.POST.get("confirmed") == "yes"


def _confirmation(request: HttpRequest, referral_id: int, action: Action, data: ActionInput) -> HttpResponse:
    """The page that asks before an action closes the referral: it changes nothing, so a reload is harmless."""
    referral = _visible_or_404(request, referral_id)
    if not can_work_referral(current_user(request), referral):
        raise Http404("No such referral")
    view = present(referral)
    if action not in view.allowed_actions:
        messages.error(request, _trouble(lifecycle.NotAllowed(view.state, action)))
        return redirect("referrals:detail", referral_id=referral_id)
    try:
        cleaned = services.validate(action, data, timezone.now())
    except InvalidInput as exc:
        _remember_failed_form(request, referral_id, action.value, exc.errors)
        return redirect("referrals:detail", referral_id=referral_id)
    kind = REASON_KIND.get(action)
    reasons = {r.code: r.label() for r in Reason.objects.filter(kind=kind, active=True)} if kind else {}
    context = {
        "referral": view,
        "action": action.value,
        "question": CONFIRM_QUESTIONS[action.value] % {"id": view.id},
        "consequence": CONFIRM_CONSEQUENCES[action.value],
        "button": CONFIRM_BUTTONS[action.value],
        "final_value": cleaned.final_value if cleaned.final_value is not None else view.deal_value,
        "reason": reasons.get(cleaned.reason, ""),
        "sent": _sent_form(request),
        "version": request.POST.get("version", ""),
    }
    return render(request, "referrals/confirm.html", context)


@login_required
@require_POST
def notes(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = ActorRef.person(current_user(request))
    text = request.POST.get("notes", "").replace("\r\n", "\n")
    version = parse_version(request.POST)

    def run() -> None:
        services.update_notes(referral_id, actor, timezone.now(), text, expected_version=version)

    return _after(request, referral_id, run, "notes", _("Notes saved."))


@login_required
@require_POST
def assign(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = ActorRef.person(current_user(request))
    raw = request.POST.get("assignee", "")
    version = parse_version(request.POST)
    if raw and not raw.isdigit():
        return _after(
            request, referral_id, _raise(InvalidInput({"assignee": "Choose a member of your team."})), "assign", ""
        )
    assignee_id = int(raw) if raw else None

    def run() -> None:
        services.assign(referral_id, actor, timezone.now(), assignee_id, expected_version=version)

    return _after(request, referral_id, run, "assign", _("Assignee saved."))


def _raise(exc: Exception) -> Any:
    def run() -> None:
        raise exc

    return run
