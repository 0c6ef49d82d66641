"""Idempotency keys are remembered for a week, then forgotten by the worker, a batch at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadshare.worker import run_pass
from referrals import idempotency
from referrals.models import IdempotencyRecord
from tests import factories

pytestmark = pytest.mark.django_db


def _record(user, key: str, age: timedelta) -> IdempotencyRecord:  # type: ignore[no-untyped-def]
    return IdempotencyRecord.objects.create(
        user=user, key=key, request_digest="d", status_code=201, response={}, created_at=factories.NOW - age
    )


def test_a_key_younger_than_a_week_is_kept_and_an_older_one_is_forgotten(admin_user):
    _record(admin_user, "fresh", timedelta(days=7))
    _record(admin_user, "old", timedelta(days=7, seconds=1))
    assert idempotency.forget_expired(factories.NOW) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_forgetting_takes_the_oldest_first_and_at_most_a_batch(admin_user):
    for days in (30, 10, 20):
        _record(admin_user, f"{days}d", timedelta(days=days))
    assert idempotency.forget_expired(factories.NOW, batch=2) == 2
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["10d"]


def test_each_worker_pass_forgets_expired_keys(admin_user):
    _record(admin_user, "old", timedelta(days=8))
    run_pass(factories.NOW)
    assert not IdempotencyRecord.objects.exists()


def test_a_forgotten_key_can_be_used_again_for_a_new_request(admin_user):
    _record(admin_user, "k", timedelta(days=8))
    idempotency.forget_expired(factories.NOW)
    outcome = idempotency.run(admin_user, "k", "other", factories.NOW, lambda: (201, {"id": 7}))
    assert (outcome.status_code, outcome.body, outcome.replayed) == (201, {"id": 7}, False)
