"""Django settings for QuietRoom, read from the environment (12-factor).

Modes (QUIETROOM_MODE): `demo` (default: SQLite, local blobs and secrets generated under the
data folder, in-process jobs), `test` (like demo, used by the test suite) and `production`
(every secret and the database must be given; see docs/operations.md).
"""
from __future__ import annotations

from pathlib import Path

import dj_database_url

from quietroom import config

PACKAGE_DIR = Path(__file__).resolve().parent

MODE = config.mode()
DEBUG = False
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret("QUIETROOM_SECRET_KEY", demo_file="django-secret-key")
# Keyed hash for customer ids: a separate secret so rotating the session key never changes
# pseudonyms, and so the pseudonymisation key can live with the controller only.
PSEUDONYM_KEY = config.secret("QUIETROOM_PSEUDONYM_KEY", demo_file="pseudonym-key")
KEY_PROVIDER_URL = config.master_key_url()
BLOB_URL = config.blob_url()

ALLOWED_HOSTS = config.csv_env("QUIETROOM_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = config.csv_env("QUIETROOM_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "quietroom.accounts",
    "quietroom.audit",
    "quietroom.recordings",
    "quietroom.review",
    "quietroom.exports",
    "quietroom.privacy",
    "quietroom.evaluation",
    "quietroom.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "quietroom.accounts.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "quietroom.urls"
WSGI_APPLICATION = "quietroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(config.database_url(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite serialises writers; wait for the lock instead of failing at once, and take the
    # write lock at BEGIN so the queue's select-then-update cannot interleave.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not :memory:, so the browser tests' live server threads share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "review:room"

# argon2id first: new and upgraded hashes use it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "quietroom.accounts.passwords.IdentityWordsValidator"},
    {"NAME": "quietroom.accounts.passwords.MaximumLengthValidator"},
]

# Sessions: short idle timeout (reset on each request), cookies never readable by scripts.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 15 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if MODE == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = config.csv_env("QUIETROOM_SSL_REDIRECT", "1") == ["1"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = MODE != "production"

# Uploads are kept in memory only: an upload must never land in a temp file in the clear.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]

# Background work: Celery with Redis when REDIS_URL is set; otherwise the same task
# functions run in-process (eagerly), so one machine needs no broker.
REDIS_URL = config.csv_env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL[0] if REDIS_URL else "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Proxies whose X-Forwarded-For we believe (CIDRs); empty = use the socket address only.
QUIETROOM_TRUSTED_PROXIES = config.csv_env("QUIETROOM_TRUSTED_PROXIES")

# QuietRoom's own knobs.
QUIETROOM = {
    "SNIPPET_MAX_SECONDS": 10.0,
    "LEASE_SECONDS": 10 * 60,
    "STREAM_TOKEN_SECONDS": 5 * 60,
    "INVITATION_HOURS": 48,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"quietroom": {"level": "INFO"}},
}
