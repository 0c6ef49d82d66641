"""leadshare.gunicorn: the web processes are forked from a master that loaded the app and built the finder's
snapshot, so every worker is ready when it accepts its first request."""

from __future__ import annotations

import pytest
from django.db import connection

from finder import freshness
from leadshare import gunicorn
from matching import embeddings
from tests.finder.profiles import make


def test_the_app_is_loaded_once_in_the_master_before_the_workers_fork():
    assert gunicorn.preload_app is True


@pytest.mark.django_db(transaction=True)
def test_the_master_builds_the_snapshot_when_ready_and_hands_no_connection_to_its_workers():
    freshness._kept.clear()
    profile = make("Ready", keywords=["crm"])
    gunicorn.when_ready(server=None)
    assert list(freshness._kept["default"].row_of) == [profile.pk]
    assert connection.connection is None
    assert embeddings._loaded is not None  # the workers share the master's encoder
    freshness._kept.clear()
