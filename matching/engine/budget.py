"""Where a request's deal size sits among the requests the engine has seen, as one number. Pure.

A partner's taste for larger or smaller deals is one learned slope over this number (learner.py, `TASTE`), so
every answer teaches it, whatever the deal's size: budget buckets would each have to learn it again. The number
is the request's log budget in standard deviations from the mean log budget of the requests seen before it (at
most FURTHEST away); a request without a budget is placed at the mean log budget of the requests of its company
size that gave one. It is learned from requests alone (their budget and company size), never from answers.

A request is placed once, when the engine first notes it (it decided on it, or heard of an answer to it), and
keeps that place: a refit, or another process replaying the same history, reads the number the decision did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import log, sqrt

from matching.engine.types import Deal

MIN_BUDGETS = 20  # requests with a budget noted before any request is placed away from 0
MIN_OF_SIZE = 5  # ... of a company size, before a request of that size without a budget is placed by them
# A budget far beyond those seen says no more than one this many standard deviations away: a taste learned on the
# budgets that come is not stretched to one a hundred times larger.
FURTHEST = 3.0


@dataclass
class BudgetScale:
    placed: dict[int, float] = field(default_factory=dict)  # request id -> its place when noted
    count: int = 0  # requests noted with a budget
    total: float = 0.0  # of their log budgets
    squares: float = 0.0
    by_size: dict[str, list[float]] = field(default_factory=dict)  # size -> [requests with a budget, sum of logs]

    def of(self, deal: Deal) -> float:
        """The request's place: as noted, else where it would be placed now (a search, a preview)."""
        found = self.placed.get(deal.request_id) if deal.request_id > 0 else None
        return found if found is not None else self._place(deal)

    def note(self, deal: Deal) -> None:
        """Place a request once (ids above 0: searches and previews are never noted), then count its budget."""
        if deal.request_id <= 0 or deal.request_id in self.placed:
            return
        self.placed[deal.request_id] = self._place(deal)
        logged = log_budget(deal)
        if logged is None:
            return
        self.count += 1
        self.total += logged
        self.squares += logged * logged
        if deal.size:
            of_size = self.by_size.setdefault(deal.size, [0.0, 0.0])
            of_size[0] += 1.0
            of_size[1] += logged

    def _place(self, deal: Deal) -> float:
        if self.count < MIN_BUDGETS:
            return 0.0
        mean = self.total / self.count
        spread = sqrt(max(self.squares / self.count - mean * mean, 0.0))
        if spread <= 0.0:
            return 0.0
        logged = log_budget(deal)
        if logged is None:
            of_size = self.by_size.get(deal.size) if deal.size else None
            if of_size is None or of_size[0] < MIN_OF_SIZE:
                return 0.0
            logged = of_size[1] / of_size[0]
        return min(FURTHEST, max(-FURTHEST, (logged - mean) / spread))


def log_budget(deal: Deal) -> float | None:
    """The log of the deal's budget in EUR, None without a positive one."""
    return log(deal.budget_eur) if deal.budget_eur is not None and deal.budget_eur > 0 else None
