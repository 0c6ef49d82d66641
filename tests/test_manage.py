"""manage.py, started as an operator starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The documented production settings (README's table, docs/operations.md), with a throwaway key.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-throwaway-but-long-and-varied-key-for-the-deploy-check-0123456789",
    "SITE_ROOT": "https://referrals.example.com",
    "ALLOWED_HOSTS": "referrals.example.com",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}
SETTINGS = {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", *PRODUCTION}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DATA_DIR": "/tmp/leadshare-test-data", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_a_secret_key_any_command_says_in_one_line_what_to_set_and_fails():
    done = manage("migrate", "--check")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "Leadshare is not configured: SECRET_KEY is not set (or is the development placeholder). "
        "Set SECRET_KEY to a long random string, or DEBUG=1 for development.\n"
    )


def test_the_deploy_check_finds_nothing_to_warn_about_with_the_documented_production_settings():
    done = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "System check identified no issues (0 silenced).\n"
