from __future__ import annotations

import pytest
from django.db import connection

from tests import factories


@pytest.fixture
def profile(db):  # type: ignore[no-untyped-def]
    return factories.profile()


@pytest.fixture
def admin_user(profile):  # type: ignore[no-untyped-def]
    return factories.user(profile.partner, email="admin@partner.example")


@pytest.fixture
def referral(profile):  # type: ignore[no-untyped-def]
    return factories.referral(profile)


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    import os

    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture
def vendor() -> str:
    return connection.vendor
