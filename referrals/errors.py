"""Errors the referral services raise. Pages and the API turn each into a plain message."""

from __future__ import annotations

from referrals.lifecycle import DeadlinePassed, LifecycleError, NotAllowed

__all__ = [
    "DeadlinePassed",
    "InvalidInput",
    "LifecycleError",
    "NotAllowed",
    "NotFound",
    "ReferralChanged",
    "ServiceError",
]


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
