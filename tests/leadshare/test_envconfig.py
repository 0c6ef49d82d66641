"""Settings from the environment: e-mail URLs and the secret key."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadshare import envconfig


def test_a_plain_smtp_url_gives_host_port_and_no_tls():
    assert envconfig.email_settings("smtp://127.0.0.1:1025", Path("/data")) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": 1025,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_TLS": False,
        "EMAIL_TIMEOUT": 20,
    }


def test_an_smtps_url_with_credentials_uses_ssl_and_decodes_the_password():
    result = envconfig.email_settings("smtps://mailer%40example.com:p%40ss@mail.example.com", Path("/data"))
    assert (
        result["EMAIL_HOST_USER"],
        result["EMAIL_HOST_PASSWORD"],
        result["EMAIL_PORT"],
        result["EMAIL_USE_SSL"],
    ) == (
        "mailer@example.com",
        "p@ss",
        465,
        True,
    )


def test_starttls_is_asked_for_with_tls_1():
    assert envconfig.email_settings("smtp://mail.example.com:587?tls=1", Path("/d"))["EMAIL_USE_TLS"] is True


def test_a_file_url_writes_messages_into_that_folder():
    assert envconfig.email_settings("file:///var/mail/leadshare", Path("/d")) == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/var/mail/leadshare",
    }


def test_an_unknown_scheme_is_refused_with_a_clear_message():
    with pytest.raises(envconfig.ConfigError, match="EMAIL_URL 'pigeon://x' is not understood"):
        envconfig.email_settings("pigeon://x", Path("/d"))


def test_the_placeholder_secret_is_refused_outside_debug():
    with pytest.raises(envconfig.ConfigError, match="SECRET_KEY is not set"):
        envconfig.secret_key(envconfig.PLACEHOLDER_SECRET, debug=False)
    with pytest.raises(envconfig.ConfigError):
        envconfig.secret_key(None, debug=False)


def test_debug_falls_back_to_the_placeholder_and_a_real_key_is_kept():
    assert envconfig.secret_key(None, debug=True) == envconfig.PLACEHOLDER_SECRET
    assert envconfig.secret_key("s3cr3t-" * 8, debug=False) == "s3cr3t-" * 8
