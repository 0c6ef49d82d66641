"""Settings for the test suite: the real settings with a throwaway key and data folder."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DATA_DIR", "/tmp/leadshare-test-data")

from leadshare.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
