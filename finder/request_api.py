"""POST /api/v1/finder/requests: a customer's request to up to three partners, public."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["finder"])
