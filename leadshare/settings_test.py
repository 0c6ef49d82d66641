"""Settings for the test suite: the real settings with a throwaway key and data folder."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DATA_DIR", "/tmp/leadshare-test-data")

from leadshare.settings import *  # noqa: F403
from leadshare.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker or server started by a test sees the same database;
    # one per pytest process, so that parallel runs never share one.
    DATABASES["default"]["TEST"] = {"NAME": f"/tmp/leadshare-test-{os.getpid()}.sqlite3"}

# Tests that keep pages in memory turn it on themselves (tests/referrals/test_list_cache.py): in the
# suite's rolled-back transactions, nothing commits, so the counters would never move.
API_LIST_CACHE_SIZE = 0

# Webhook receivers in tests listen on loopback, and the example host names never resolve: their addresses are
# not checked (notifications.egress; tests of the address rule empty this). Never set in production.
WEBHOOK_TEST_HOSTS = ["127.0.0.1", ".example"]

# The whole suite searches from one address within minutes; tests of the limit lower it themselves
# (tests/leadshare/test_throttle.py).
FINDER_RATE_LIMIT = "1000000/m"
