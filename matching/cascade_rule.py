"""When the cascade owes a request more partners: the rule both the product (matching/cascade.py) and the
marketplace simulator (matching/simulator/exchange.py) ask. Pure: no Django, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Standing:
    """What the cascade needs to know of one request young enough to cascade."""

    referrals: int  # partners asked so far, in all
    dropped_out: int  # referrals that ended skipped, missed, declined or expired
    engaged: int  # referrals interested or further (evaluating, negotiating, won, lost)
    offered_by_cascade: int

    def offers_owed(self, cap: int) -> int:
        """One offer per drop-out not yet followed by one, within the cap, while nobody is interested: a drop-out
        while someone was interested is owed once nobody is, and one nobody could take is owed until the request
        is too old."""
        if self.engaged:
            return 0
        return max(0, min(self.dropped_out - self.offered_by_cascade, cap - self.referrals))
