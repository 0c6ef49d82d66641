"""Where a customer lands from a 'this partner will not follow up' note: other suitable partners."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from referrals.models import Engagement
from referrals.services import targetable_profiles


def other_partners(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("request", "")
    engagement = Engagement.objects.filter(public_token=token).first() if token else None
    profiles = targetable_profiles(engagement.customer_size_id) if engagement else None
    if engagement is not None and profiles is not None:
        asked = engagement.referrals.values_list("profile_id", flat=True)
        profiles = (
            profiles.filter(country=engagement.customer_country)
            .exclude(pk__in=asked)
            .select_related("partner")
            .distinct()[:10]
        )
    return render(request, "referrals/other_partners.html", {"engagement": engagement, "profiles": profiles})
