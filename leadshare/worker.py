"""One pass of the background work: sweep what is due, let the finder and the routing engine learn from the new
history, then deliver the outbox (e-mail, webhooks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from finder.indexing import forget_changes, refresh_changed_priors
from matching.cascade import offer_due
from matching.learning import learn_new_history
from notifications import webhooks
from notifications.delivery import deliver_due, running_from
from referrals.idempotency import forget_expired
from referrals.timers import sweep


@dataclass
class PassResult:
    moved: int
    reminded: int
    sent: int

    @property
    def busy(self) -> bool:
        return bool(self.moved or self.reminded or self.sent)


def run_pass(now: datetime) -> PassResult:
    swept = sweep(now)
    # The finder ranks on each profile's answers and outcomes: bring those that just changed up to date.
    refresh_changed_priors()
    # The routing engine learns from the same rows (one query when nothing is new).
    learn_new_history(now)
    # A partner that dropped out of a request is followed by the next best one, its alert sent in this pass.
    offer_due(now)
    # Leases, signatures and sent times follow the clock as the pass goes on, not the instant it began.
    clock = running_from(now)
    sent = deliver_due(now, clock=clock) + webhooks.deliver_due(now, clock=clock)
    forget_expired(now)
    forget_changes(now)
    return PassResult(swept.moved, swept.reminded, sent)
