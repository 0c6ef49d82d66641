"""The inbox's own actions: several referrals at once, saved views, and the partner's CSV export.

Each parses, authorises, calls a service and redirects back to the inbox with the filters it came from, so a
reload never posts again; what happened waits in the session for the inbox, which shows it once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel.errors import InvalidInput, NotFound
from partners.auth import current_user
from referrals import bulk, saved_views
from referrals.access import visible_referrals
from referrals.actors import ActorRef
from referrals.forms import InboxQuery, service_message
from referrals.permissions import can_bulk_answer
from referrals.presenters import present

BULK_OUTCOMES = "referrals.bulk_outcomes"


def inbox_url(query: InboxQuery) -> str:
    encoded = QueryDict(mutable=True)
    encoded.update(query.params())
    return reverse("referrals:inbox") + ("?" + encoded.urlencode() if encoded else "")


def _back(request: HttpRequest) -> HttpResponse:
    """To the inbox with the filters the form was sent from (read as filters, never as a URL to follow)."""
    return redirect(inbox_url(InboxQuery.parse(request.POST)))


def _first_error(exc: InvalidInput) -> str:
    return service_message(next(iter(exc.errors.values()), ""))


# --- Several referrals at once ------------------------------------------------------------------------


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not can_bulk_answer(user):
        raise Http404("No such page")
    try:
        action = bulk.BulkAction(request.POST.get("bulk_action", ""))
    except ValueError:
        messages.error(request, _("Choose what to do with the selected referrals."))
        return _back(request)
    ids = bulk.parse_ids(request.POST.getlist("ids"))
    raw_assignee = request.POST.get("assignee", "")
    if action == bulk.BulkAction.ASSIGN and raw_assignee and not raw_assignee.isdigit():
        messages.error(request, service_message("Choose a member of your team."))
        return _back(request)
    reason = request.POST.get("reason", "")
    now = timezone.now()
    try:
        bulk.check(ids, action, now, reason)
        if action == bulk.BulkAction.SKIP and request.POST.get("confirmed") != "yes":
            return _confirm_skip(request, ids, reason)
        outcomes = bulk.apply(
            ids,
            action,
            ActorRef.person(user),
            now,
            assignee_id=int(raw_assignee) if raw_assignee else None,
            reason=reason,
        )
    except InvalidInput as exc:
        messages.error(request, _first_error(exc))
        return _back(request)
    request.session[BULK_OUTCOMES] = {
        "action": action.value,
        "outcomes": [[o.referral_id, o.result.value, o.errors] for o in outcomes],
    }
    return _back(request)


def _confirm_skip(request: HttpRequest, ids: list[int], reason: str) -> HttpResponse:
    """Asks before answering no thanks to several referrals; lists those the person may open, changes nothing."""
    chosen = visible_referrals(current_user(request)).filter(pk__in=ids).select_related("engagement")
    context = {
        "referrals": [present(r) for r in chosen.order_by("-created_at", "-id")],
        "ids": ids,
        "reason": reason,
        "filters": InboxQuery.parse(request.POST).params(),
        "back": inbox_url(InboxQuery.parse(request.POST)),
    }
    return render(request, "referrals/bulk_confirm.html", context)


def bulk_report(request: HttpRequest) -> list[dict[str, Any]]:
    """What the last bulk action did to each referral, in the page's words; shown once, then forgotten."""
    kept = request.session.pop(BULK_OUTCOMES, None)
    if not isinstance(kept, dict):
        return []
    done = _("Answered no thanks.") if kept.get("action") == bulk.BulkAction.SKIP else _("Assignee saved.")
    words = {
        bulk.Result.DONE: done,
        bulk.Result.NOT_FOUND: _("Not found among the referrals you may work: nothing was done."),
        bulk.Result.CHANGED: _("It changed meanwhile: nothing was done."),
        bulk.Result.NOT_ALLOWED: _("Not possible in its state: nothing was done."),
        bulk.Result.TOO_LATE: _("Too late: its deadline passed."),
    }
    report = []
    for referral_id, result, errors in kept.get("outcomes", []):
        text = words.get(result) or service_message(next(iter(errors.values()), ""))
        report.append({"id": referral_id, "ok": result == bulk.Result.DONE, "text": text})
    return report


# --- Saved views --------------------------------------------------------------------------------------


@login_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    query = InboxQuery.parse(request.POST)
    try:
        view = saved_views.save(current_user(request), request.POST.get("name", ""), query, timezone.now())
    except InvalidInput as exc:
        messages.error(request, _first_error(exc))
        return _back(request)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return _back(request)


@login_required
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        saved_views.delete(current_user(request), view_id)
    except NotFound:
        raise Http404("No such view") from None
    messages.success(request, _("View deleted."))
    return redirect("referrals:inbox")
