"""GET /api/v1/finder/profiles: the finder's search, public."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["finder"])
