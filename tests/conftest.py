from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import clock, factories


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    parser.addoption(
        "--clock-offset-days",
        type=int,
        default=0,
        help="run the suite with the wall clock this many days away from today (tests/clock.py)",
    )


def pytest_configure(config):  # type: ignore[no-untyped-def]
    clock.configure(config.getoption("clock_offset_days"), datetime.now(UTC).date())


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    offset = config.getoption("clock_offset_days")
    return f"clock: now is {clock.NOW:%Y-%m-%d %H:%M} UTC (replay with --clock-offset-days {offset})"


@pytest.fixture(autouse=True)
def suite_clock():  # type: ignore[no-untyped-def]
    """Each test starts with the wall clock at the suite's NOW, ticking."""
    with clock.running_at(clock.NOW):
        yield


@pytest.fixture(autouse=True)
def fresh_routing_engine():  # type: ignore[no-untyped-def]
    """Each test's routing engine starts from its own database's stored state (ids repeat across tests)."""
    from matching import learning

    learning.current.forget()
    yield
    learning.current.forget()


@pytest.fixture(autouse=True)
def default_language():  # type: ignore[no-untyped-def]
    """Each test starts in the default language: a request in Russian leaves Russian active in the thread (the
    locale middleware activates it and nothing deactivates it), and the next test's English messages would not be."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def fresh_rate_limits():  # type: ignore[no-untyped-def]
    """Rate limits are counted in the cache: a test using this starts with none (the customer's requests')."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture(autouse=True)
def reference_data(request):  # type: ignore[no-untyped-def]
    """Transactional tests flush every table, the migrations' reference data too: load it again."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from referrals.models import Programme
    from taxonomy import seed

    seed.load(apps.get_model)
    Programme.objects.get_or_create(pk=1)


@pytest.fixture
def smtp_server(settings):  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1 (tests/smtp.py), and Django's SMTP backend pointed at it."""
    from tests.smtp import HOST, CaptureServer

    with CaptureServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = HOST
        settings.EMAIL_PORT = server.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server
