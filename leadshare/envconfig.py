"""Settings read from the environment, parsed once at start-up.

Kept apart from settings.py so that the parsing rules (e-mail URLs, placeholder secrets) are
plain functions with tests of their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PLACEHOLDER_SECRET = "change-me-leadshare-development-only"  # noqa: S105 - the value refused outside debug


class ConfigError(Exception):
    pass


def env_bool(name: str, default: bool = False) -> bool:
    return _flag(os.environ, name, default)


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name, "").strip().lower()
    return default if value == "" else value in {"1", "true", "yes", "on"}


def _seconds(environ: Mapping[str, str], name: str) -> int:
    value = environ.get(name, "").strip() or "0"
    if not value.isdigit():
        raise ConfigError(f"{name} is a number of seconds, such as 31536000 (a year), not {value!r}.")
    return int(value)


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """'X-Forwarded-Proto: https' -> ('HTTP_X_FORWARDED_PROTO', 'https'), as Django reads the header."""
    if not value.strip():
        return None
    name, colon, expected = value.partition(":")
    if not colon or not name.strip() or not expected.strip():
        raise ConfigError(f"SECURE_PROXY_SSL_HEADER looks like 'X-Forwarded-Proto: https', not {value!r}.")
    return "HTTP_" + name.strip().upper().replace("-", "_"), expected.strip()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def transport_security(environ: Mapping[str, str], site_root: str) -> dict[str, Any]:
    """HTTPS settings (see README's table and docs/operations.md).

    Cookies are secure when SITE_ROOT is https, the address people use. The proxy header, the redirect
    and HSTS stay off unless set: trusting a header no proxy overwrites would let any client claim
    HTTPS, and HSTS, once sent, binds browsers for its whole duration.
    """
    https = site_root.startswith("https://")
    origins = environ.get("CSRF_TRUSTED_ORIGINS", "")
    return {
        "SECURE_PROXY_SSL_HEADER": _proxy_ssl_header(environ.get("SECURE_PROXY_SSL_HEADER", "")),
        "CSRF_TRUSTED_ORIGINS": [o.strip() for o in origins.split(",") if o.strip()] or [_origin(site_root)],
        "SESSION_COOKIE_SECURE": _flag(environ, "SESSION_COOKIE_SECURE", https),
        "CSRF_COOKIE_SECURE": _flag(environ, "CSRF_COOKIE_SECURE", https),
        "SECURE_SSL_REDIRECT": _flag(environ, "SECURE_SSL_REDIRECT", False),
        "SECURE_HSTS_SECONDS": _seconds(environ, "SECURE_HSTS_SECONDS"),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": _flag(environ, "SECURE_HSTS_INCLUDE_SUBDOMAINS", False),
        "SECURE_HSTS_PRELOAD": _flag(environ, "SECURE_HSTS_PRELOAD", False),
    }


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
