"""The cascade: when a partner drops out of a request, the engine offers it to the next best partner.

A referral that ends skipped, missed, declined or expired, of a request whose customer consented to sharing it,
is followed by one offer to the best partner not yet asked (`routing.route`), while nobody is interested yet (no
referral of the request evaluating, negotiating, won or lost), the request is younger than the programme's
`cascade_window_hours` and it has fewer than `cascade_max_partners` referrals in all. Each offer is a normal
referral whose history row says it came from the cascade. A request confirmed as spam is offered to nobody else.

The worker runs `offer_due` each pass, whichever writer closed the referral (a partner's answer, either sweep
path): it reads only the requests of the window (Engagement's created_at index), and under the request's row lock
it counts again, so that two workers never offer the same drop-out twice. How many offers a request is owed is
`cascade_rule.Standing`'s rule, which the marketplace simulator asks too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from console.models import SpamVerdict
from kernel.errors import InvalidInput
from matching import routing
from matching.cascade_rule import Standing
from referrals import lifecycle, services
from referrals.actors import ActorRef
from referrals.lifecycle import State
from referrals.models import Engagement, Programme, Referral, ReferralEvent

CASCADE = ActorRef.system("cascade")
COMMENT = "Offered by the cascade: another partner will not follow up on this request."
# Interested, or further: the customer is being served, the cascade stops.
ENGAGED = frozenset({State.EVALUATING, State.NEGOTIATING, State.WON, State.LOST})


def offer_due(now: datetime) -> int:
    """Offer every request in the window the partners its drop-outs are owed; returns how many referrals."""
    row = Programme.objects.filter(pk=1).first() or Programme()
    window, cap = timedelta(hours=row.cascade_window_hours), row.cascade_max_partners
    recent = _cascading(Engagement.objects.filter(created_at__gt=now - window))
    owing = [pk for pk, standing in _standings(recent).items() if standing.offers_owed(cap)]
    return sum(_offer(pk, cap, now) for pk in owing)


def _cascading(engagements: QuerySet[Engagement]) -> QuerySet[Engagement]:
    """Those the customer consented to share, and not confirmed as spam (its referrals closed as spam are no
    drop-outs to follow)."""
    return engagements.filter(consent_share=True).exclude(pk__in=SpamVerdict.objects.confirmed_requests())


def _standings(engagements: QuerySet[Engagement]) -> dict[int, Standing]:
    counts = (
        Referral.objects.filter(engagement__in=engagements)
        .values("engagement_id")
        .order_by("engagement_id")  # the oldest request first, on every database (the simulator does so too)
        .annotate(
            referrals=Count("id"),
            dropped_out=Count("id", filter=Q(state__in=sorted(lifecycle.NOT_ENGAGED))),
            engaged=Count("id", filter=Q(state__in=sorted(ENGAGED))),
        )
        .values_list("engagement_id", "referrals", "dropped_out", "engaged")
    )
    offered = dict(
        ReferralEvent.objects.filter(referral__engagement__in=engagements, action="create", actor_label=CASCADE.label)
        .values("referral__engagement_id")
        .annotate(n=Count("id"))
        .values_list("referral__engagement_id", "n")
    )
    return {pk: Standing(total, dropped, engaged, offered.get(pk, 0)) for pk, total, dropped, engaged in counts}


def _offer(engagement_id: int, cap: int, now: datetime) -> int:
    try:
        with transaction.atomic():
            engagement = Engagement.objects.select_for_update().get(pk=engagement_id)
            # Counted again under the lock, and the request checked again: confirmed as spam meanwhile, it is owed
            # nothing.
            standing = _standings(_cascading(Engagement.objects.filter(pk=engagement_id))).get(engagement_id)
            owed = standing.offers_owed(cap) if standing else 0
            if not owed:
                return 0  # another worker offered it meanwhile
            # A decision that chooses nobody is not kept: the next pass asks again, until the window closes.
            chosen = list(routing.route(engagement, owed, now, keep_empty=False).chosen)
            if not chosen:
                return 0
            return len(services.offer_to_more(engagement.pk, chosen, CASCADE, now, comment=COMMENT))
    except InvalidInput:
        return 0  # a chosen partner could not take it after all (nothing is kept): the next pass decides again
