"""Settings read from the environment, parsed once at start-up.

Kept apart from settings.py so that the parsing rules (e-mail URLs, placeholder secrets) are
plain functions with tests of their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PLACEHOLDER_SECRET = "change-me-leadshare-development-only"  # noqa: S105 - the value refused outside debug


class ConfigError(Exception):
    pass


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def secret_key(value: str | None, debug: bool) -> str:
    """The secret key, refusing the placeholder (or nothing) outside debug mode."""
    if value and value != PLACEHOLDER_SECRET:
        return value
    if debug:
        return PLACEHOLDER_SECRET
    raise ConfigError(
        "SECRET_KEY is not set (or is the development placeholder). "
        "Set SECRET_KEY to a long random string, or DEBUG=1 for development."
    )


def email_settings(url: str, data_dir: Path) -> dict[str, Any]:
    """Django e-mail settings from one URL.

    smtp://user:pass@host:port        plain SMTP (STARTTLS with ?tls=1)
    smtps://user:pass@host:port       SMTP over TLS
    file:///absolute/folder           one file per message (the default, for development)
    console:                          print messages to standard output
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parts.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "127.0.0.1",
            "EMAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in {"1", "true", "yes"},
            "EMAIL_TIMEOUT": 20,
        }
    if scheme == "file":
        folder = Path(unquote(parts.path)) if parts.path else data_dir / "mail"
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(folder),
        }
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    raise ConfigError(f"EMAIL_URL {url!r} is not understood: use smtp://, smtps://, file:// or console:")
