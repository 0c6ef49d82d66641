"""The partner's referral pages: parse, authorise, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from partners.auth import current_user
from referrals import lifecycle, services
from referrals.access import visible_referrals
from referrals.actors import ActorRef
from referrals.errors import InvalidInput, LifecycleError, NotFound, ReferralChanged
from referrals.lifecycle import Action
from referrals.models import Referral
from referrals.presenters import present
from referrals.validation import ActionInput
from taxonomy.models import Currency, Reason


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "new")
    states = [s.value for s in lifecycle.OPEN] if state not in {s.value for s in lifecycle.State} else [state]
    rows = (
        visible_referrals(current_user(request))
        .filter(state__in=states)
        .select_related("engagement")
        .order_by("-created_at", "-id")
    )
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    views = [present(r) for r in page.object_list]
    return render(request, "referrals/inbox.html", {"page": page, "rows": views, "state": state})


def _visible_or_404(request: HttpRequest, referral_id: int) -> Referral:
    referral = (
        visible_referrals(current_user(request))
        .select_related("engagement")
        .prefetch_related("engagement__contacts")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise Http404("No such referral")
    return referral


@login_required
def detail(
    request: HttpRequest, referral_id: int, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    referral = _visible_or_404(request, referral_id)
    context = {
        "referral": present(referral),
        "events": referral.events.select_related("actor").all(),
        "currencies": Currency.objects.all(),
        "reasons": {k: Reason.objects.filter(kind=k, active=True) for k in ("skip", "decline", "lose")},
        "errors": errors or {},
        "form": request.POST if errors else {},
    }
    return render(request, "referrals/detail.html", context, status=status)


@login_required
@require_POST
def act(request: HttpRequest, referral_id: int, action: str) -> HttpResponse:
    try:
        chosen = Action(action)
    except ValueError:
        raise Http404("No such action") from None
    version = request.POST.get("version")
    data = ActionInput(
        deal_value=request.POST.get("deal_value"),
        currency=request.POST.get("currency", ""),
        expected_close_date=request.POST.get("expected_close_date") or None,
        final_value=request.POST.get("final_value"),
        reason=request.POST.get("reason", ""),
        comment=request.POST.get("comment", ""),
    )
    try:
        services.perform(
            referral_id,
            chosen,
            ActorRef.person(current_user(request)),
            timezone.now(),
            data,
            expected_version=int(version) if version and version.isdigit() else None,
        )
    except NotFound:
        raise Http404("No such referral") from None
    except InvalidInput as exc:
        return detail(request, referral_id, errors=exc.errors, status=422)
    except (ReferralChanged, LifecycleError) as exc:
        messages.error(request, str(exc))
    return redirect("referrals:detail", referral_id=referral_id)
