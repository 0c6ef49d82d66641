"""Errors the services of every app raise. Pages and the API turn each into a plain message (the project's
leadshare/api.py maps them to problem details). The lifecycle's own refusals (NotAllowed, DeadlinePassed) live in
referrals/lifecycle.py, which owns the rules they report."""

from __future__ import annotations


class ServiceError(Exception):
    pass


class NotFound(ServiceError):
    def __init__(self) -> None:
        super().__init__("No such referral.")


class ReferralChanged(ServiceError):
    def __init__(self) -> None:
        super().__init__("This referral changed while you were looking at it. Reload it and try again.")


class InvalidInput(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
