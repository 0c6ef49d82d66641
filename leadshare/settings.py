"""Leadshare settings. Everything that differs between machines comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from leadshare import envconfig

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "data"))

DEBUG = envconfig.env_bool("DEBUG", False)
SECRET_KEY = envconfig.secret_key(os.environ.get("SECRET_KEY"), DEBUG)
PORT = int(os.environ.get("PORT", "8000"))
SITE_ROOT = os.environ.get("SITE_ROOT", f"http://127.0.0.1:{PORT}").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Leadshare")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
# HTTPS behind a proxy: the proxy's header, trusted origins, secure cookies, HSTS, the redirect (envconfig).
globals().update(envconfig.transport_security(os.environ, SITE_ROOT))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "taxonomy",
    "partners",
    "referrals",
    "notifications",
    "accounts",
    "matching",
    "finder",
    "console",
    "leadshare",  # on top of the apps: the demo and the worker commands (docs/architecture.md, "Layers")
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "leadshare.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "leadshare.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SuspendedPartnerMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "leadshare.urls"
WSGI_APPLICATION = "leadshare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
            ],
            # The one way a page or an e-mail shows a time (kernel/dates.py); the kernel is not an app.
            "libraries": {"when": "kernel.templatetags.when"},
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'leadshare.sqlite3'}"
if not os.environ.get("DATABASE_URL"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue up
    # instead of failing with "database is locked" when a reader upgrades to a writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}

# The largest request body, form or JSON (Django's default, named because the API's 413 problem cites it).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "partners.User"
# Django's, reading a session's user with its partner in the same query (accounts.backends).
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "referrals:inbox"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves STATIC_ROOT (after collectstatic) from the web processes, gzipped (Brotli if installed).
# Not its manifest storage: that refuses to render a page before collectstatic (docs/decisions.md).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Every page's scripts and styles come from our own static files: none inline, no CDN (leadshare.middleware).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Leadshare <noreply@leadshare.local>")
EMAIL_MESSAGE_ID_DOMAIN = os.environ.get("EMAIL_MESSAGE_ID_DOMAIN", "leadshare.local")
EMAIL_URL = os.environ.get("EMAIL_URL") or f"file://{DATA_DIR / 'mail'}"
globals().update(envconfig.email_settings(EMAIL_URL, DATA_DIR))

# The worker: how long a claimed outbox message stays claimed before another worker may retry it.
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "60"))
WORKER_IDLE_SECONDS = float(os.environ.get("WORKER_IDLE_SECONDS", "2"))
# Webhooks: how long a receiver may take; internal addresses are always refused (notifications/egress.py).
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))

# Requests per token and period, per process (ninja's throttle syntax: 600/m, 20/s, 10000/h).
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/m")
# Requests per client address and period to the finder's public search and request endpoints, page and API
# (finder.throttle.finder_wait), per process unless CACHES is shared.
FINDER_RATE_LIMIT = os.environ.get("FINDER_RATE_LIMIT", "300/m")
# Pages of referrals kept per web process for polling clients (referrals.list_cache); 0 turns it off.
API_LIST_CACHE_SIZE = int(os.environ.get("API_LIST_CACHE_SIZE", "1024"))
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "leadshare"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
