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


PRODUCTION = {
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
    "CSRF_TRUSTED_ORIGINS": "https://referrals.example.com,https://partners.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def test_behind_a_tls_proxy_every_https_setting_comes_from_the_environment():
    assert envconfig.transport_security(PRODUCTION, "https://referrals.example.com") == {
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "CSRF_TRUSTED_ORIGINS": ["https://referrals.example.com", "https://partners.example.com"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
    }


def test_an_https_site_root_makes_cookies_secure_and_its_origin_trusted_and_leaves_the_rest_off():
    assert envconfig.transport_security({}, "https://referrals.example.com:8443") == {
        "SECURE_PROXY_SSL_HEADER": None,
        "CSRF_TRUSTED_ORIGINS": ["https://referrals.example.com:8443"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
    }


def test_plain_http_in_development_keeps_cookies_sendable_and_a_secure_cookie_can_still_be_forced():
    development = envconfig.transport_security({}, "http://127.0.0.1:8000")
    forced = envconfig.transport_security({"SESSION_COOKIE_SECURE": "1"}, "http://127.0.0.1:8000")
    assert (development["SESSION_COOKIE_SECURE"], development["CSRF_COOKIE_SECURE"]) == (False, False)
    assert (forced["SESSION_COOKIE_SECURE"], forced["CSRF_COOKIE_SECURE"]) == (True, False)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto", "looks like 'X-Forwarded-Proto: https'"),
        ("SECURE_HSTS_SECONDS", "a year", "is a number of seconds"),
    ],
)
def test_an_https_setting_that_cannot_be_read_is_refused_with_its_format(name, value, message):
    with pytest.raises(envconfig.ConfigError, match=message):
        envconfig.transport_security({name: value}, "https://referrals.example.com")
