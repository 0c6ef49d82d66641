"""The partner's scorecard page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from matching import scorecard
from partners.auth import current_user
from referrals.permissions import can_read_scorecard


@login_required
def scorecard_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not can_read_scorecard(user) or user.partner_id is None:
        raise PermissionDenied(_("The scorecard is for a partner's referrals admin and referrals users."))
    data = scorecard.page(user.partner_id, timezone.now())
    card = data.card
    context = {
        "page": data,
        "card": card,
        "share_in_time": scorecard.percent(card.share_in_time),
        "median_hours": scorecard.hours_text(card.median_hours_to_answer),
        "acceptance": scorecard.percent(card.acceptance_rate),
        "win_rate": scorecard.percent(card.win_rate),
        "negotiating": [scorecard.money(v, c) for c, v in card.negotiating_value.items()],
        "won_value": [scorecard.money(v, c) for c, v in card.won_value.items()],
    }
    return render(request, "matching/scorecard.html", context)
