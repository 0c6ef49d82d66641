"""The list of what changed in a person's referrals, and marking it read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from partners.auth import current_user
from referrals import changes
from referrals.forms import ACTION_LABELS, STATE_LABELS, service_message
from referrals.permissions import works_referrals
from referrals.views import event_actor


@login_required
@require_GET
def changes_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not works_referrals(user):
        raise Http404("No such page")
    entries = [
        {
            "event": event,
            "unread": unread,
            "label": ACTION_LABELS.get(event.action, event.action),
            "to_state": STATE_LABELS.get(event.to_state, event.to_state),
            "moved": event.from_state != event.to_state,
            "actor": event_actor(event),
            "comment": service_message(event.comment) if event.action == "edit" else "",
        }
        for event, unread in changes.recent(user, timezone.now())
    ]
    return render(request, "referrals/changes.html", {"entries": entries})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not works_referrals(user):
        raise Http404("No such page")
    changes.mark_read(user, timezone.now())
    return redirect("referrals:changes")
