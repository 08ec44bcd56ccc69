"""Django settings for QuietRoom, read from the environment (12-factor).

Modes (QUIETROOM_MODE): `demo` (default: SQLite, local blobs and secrets generated under the
data folder, in-process jobs), `test` (like demo, used by the test suite) and `production`
(every secret and the database must be given; see docs/operations.md).
"""
from __future__ import annotations

import os
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
# Forensic watermark of every audio delivery to a person (issue 19): a secret kept outside the
# database, like the audit keys, so the database alone can neither read nor forge a mark.
# Retired secrets (comma-separated) still trace the deliveries they marked.
WATERMARK_KEY = config.secret("QUIETROOM_WATERMARK_KEY", demo_file="watermark-key")
WATERMARK_RETIRED_KEYS = config.csv_env("QUIETROOM_WATERMARK_RETIRED_KEYS")
KEY_PROVIDER_URL = config.master_key_url()
BLOB_URL = config.blob_url()
# Audit checkpoints: origin line and Ed25519 signing key file (required in production).
AUDIT_ORIGIN = config.audit_origin()
AUDIT_SIGNING_KEY_FILE = config.audit_signing_key_file()
# HMAC key over each entry and the chain's head, kept out of the database (required in production).
AUDIT_CHAIN_KEY_FILE = config.audit_chain_key_file()
# Checkpoints are also signed in-process (no broker needed): after every N entries and, at the
# first append once T seconds have passed since this process last signed one. 0 turns either off.
AUDIT_CHECKPOINT_EVERY = config.env_int("QUIETROOM_AUDIT_CHECKPOINT_EVERY", 100)
AUDIT_CHECKPOINT_SECONDS = config.env_int("QUIETROOM_AUDIT_CHECKPOINT_SECONDS", 300)

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
    "quietroom.escalation",
    "quietroom.evaluation",
    "quietroom.ops",
    "quietroom.api",
]

MIDDLEWARE = [
    "quietroom.ops.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "quietroom.accounts.middleware.AuthenticationMiddleware",  # Django's, user read with the session
    "quietroom.accounts.sessions.SessionPolicyMiddleware",
    "quietroom.accounts.middleware.SiteNetworkMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "quietroom.accounts.middleware.ContentSecurityPolicyMiddleware",
    "quietroom.api.middleware.AuditApiCallsMiddleware",
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
                "quietroom.accounts.context_processors.access",
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
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        config.private_sqlite_file(DATABASES["default"]["NAME"])  # 0600, not SQLite's 0644
elif os.environ.get("QUIETROOM_PG_SERVER_SIDE_BINDING", "1") == "1":
    # Server-side parameters let psycopg prepare the statements a connection repeats (the
    # review queue's handful, thousands of times a day), so PostgreSQL plans them once.
    # Django turns psycopg's preparing off unless asked (for transaction-pooling proxies, which
    # QuietRoom does not use): a statement is prepared on its fifth run on a connection.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["quietroom.accounts.backends.AccountBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

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

# Sessions: short idle timeout (renewed by activity), cookies never readable by scripts.
# Django's database sessions, read in one statement with the signed-in user (accounts/session_store.py).
SESSION_ENGINE = "quietroom.accounts.session_store"
SESSION_COOKIE_AGE = 15 * 60
# Renewed by activity, but written at most once a minute (accounts.sessions): a database
# write on every request would be the review room's single biggest cost.
SESSION_SAVE_EVERY_REQUEST = False
QUIETROOM_SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
# Absolute session limit, whatever the activity (accounts.sessions.SessionPolicyMiddleware).
QUIETROOM_SESSION_ABSOLUTE_SECONDS = 12 * 3600
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
# With acks_late, a job whose worker died is redelivered after this many seconds (Redis
# visibility timeout). It must exceed the longest job; tests shorten it to see redelivery.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": config.env_int("QUIETROOM_VISIBILITY_TIMEOUT", 3600),
}
CELERY_TASK_DEFAULT_QUEUE = "quietroom"
# Publishing must fail fast when the broker is down (ingestion then leaves the recording for
# requeue) instead of blocking a web request.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE = {
    "requeue-received-recordings": {"task": "quietroom.requeue_received", "schedule": 300.0},
    "audit-checkpoint": {"task": "quietroom.audit_checkpoint", "schedule": 15 * 60.0},
    "privacy-retention": {"task": "quietroom.privacy_retention", "schedule": 24 * 3600.0},
    "privacy-finish-erasures": {"task": "quietroom.privacy_finish_erasures", "schedule": 15 * 60.0},
    "escalation-deadlines": {"task": "quietroom.escalation_deadlines", "schedule": 10 * 60.0},
}

# WebAuthn relying party: the site's registrable domain and the exact origin(s) browsers show.
# WebAuthn needs a secure context; http://localhost is one, 127.0.0.1 is not a valid RP ID.
QUIETROOM_WEBAUTHN_RP_ID = config.env_str("QUIETROOM_WEBAUTHN_RP_ID", "localhost")
QUIETROOM_WEBAUTHN_ORIGINS = config.csv_env("QUIETROOM_WEBAUTHN_ORIGIN", "http://localhost:8000")

# Security notices and escalation notices by e-mail (never content, a password or a sign-in
# link): printed to the console in the demo, SMTP in production, or any Django backend by name.
EMAIL_BACKEND = config.env_str("QUIETROOM_EMAIL_BACKEND", (
    "django.core.mail.backends.smtp.EmailBackend" if MODE == "production"
    else "django.core.mail.backends.console.EmailBackend"))
EMAIL_HOST = config.env_str("QUIETROOM_EMAIL_HOST", "localhost")
EMAIL_PORT = config.env_int("QUIETROOM_EMAIL_PORT", 25)
EMAIL_USE_TLS = os.environ.get("QUIETROOM_EMAIL_STARTTLS", "0") == "1"
EMAIL_HOST_USER = config.env_str("QUIETROOM_EMAIL_USER")
EMAIL_HOST_PASSWORD = os.environ.get("QUIETROOM_EMAIL_PASSWORD", "")  # whole value: it may hold commas
# Seconds: a case is announced after the reviewer's submission commits, in the same request,
# so a hung mail relay must not hold the reviewer (the in-app notice is already written).
EMAIL_TIMEOUT = config.env_int("QUIETROOM_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = config.env_str("QUIETROOM_EMAIL_FROM", "quietroom@localhost")

# Proxies whose X-Forwarded-For we believe (CIDRs); empty = use the socket address only.
QUIETROOM_TRUSTED_PROXIES = config.csv_env("QUIETROOM_TRUSTED_PROXIES")

# Imports (interop): where a batch may read manifests and audio ("label=/folder" or
# "label=s3://bucket/prefix"), which hosts an audio URL may name, and an S3-compatible endpoint.
QUIETROOM_SOURCE_ROOTS = config.csv_env("QUIETROOM_SOURCE_ROOTS")
QUIETROOM_SOURCE_URL_ALLOWLIST = config.csv_env("QUIETROOM_SOURCE_URL_ALLOWLIST")
QUIETROOM_S3_ENDPOINT_URL = config.env_str("QUIETROOM_S3_ENDPOINT_URL")

# QuietRoom's own knobs.
QUIETROOM = {
    "SNIPPET_MAX_SECONDS": 10.0,
    # Decode limits for ingested audio, checked against the file's header before decoding
    # (quietroom.deid.audio_io.DecodeLimits): longer, wider, faster or bigger files are refused
    # per row. Raise them for long call recordings; the tightest limit wins.
    "AUDIO_MAX_MINUTES": config.env_float("QUIETROOM_AUDIO_MAX_MINUTES", 30),
    "AUDIO_MAX_CHANNELS": config.env_int("QUIETROOM_AUDIO_MAX_CHANNELS", 2),
    "AUDIO_MAX_RATE": config.env_int("QUIETROOM_AUDIO_MAX_RATE", 48000),
    "AUDIO_MAX_DECODED_MB": config.env_int("QUIETROOM_AUDIO_MAX_DECODED_MB", 256),
    "LEASE_SECONDS": 10 * 60,
    "STREAM_TOKEN_SECONDS": 5 * 60,
    "INVITATION_HOURS": 48,
    # Review room (defaults; a controller's ControllerPolicy overrides them).
    "REVIEW_DAILY_CAP_MINUTES": 240.0,
    "REVIEW_MAX_PER_CUSTOMER_30D": 5,
    "REVIEW_GOLD_RATE": 0.05,
    "REVIEW_OVERLAP_FRACTION": 0.0,  # off until a controller turns it on (ControllerPolicy)
    "REVIEW_OVERLAP_K": 2,
    "REVIEW_ADJUDICATION_WER": 0.25,
    "REVIEW_DRAFT_MAX_CHARS": 5000,
    # Minutes after a submit during which the reviewer may correct it (their latest only); 0: off.
    "REVIEW_CORRECTION_MINUTES": config.env_float("QUIETROOM_REVIEW_CORRECTION_MINUTES", 10),
    # De-identification engines (quietroom.deid); an organisation's DeidProfile sets strength.
    "DEID_VAD_ENGINE": config.env_str("QUIETROOM_VAD_ENGINE", "silero"),
    "DEID_ASR_ENGINE": config.env_str("QUIETROOM_ASR_ENGINE", "faster-whisper"),
    "DEID_ASR_MODEL_DIR": config.env_str("QUIETROOM_ASR_MODEL_DIR"),
    # The bundled Whisper model (tiny.en or base) unless an organisation's DeidProfile picks one.
    "DEID_ASR_MODEL": config.env_str("QUIETROOM_ASR_MODEL", "tiny.en"),
    # Escalation (quietroom.escalation): response deadline per severity in hours, the share of the
    # window left when on-call staff are reminded, and where the links in e-mails point.
    "ESCALATION_DEADLINE_HOURS": {"critical": 4.0, "high": 24.0, "medium": 72.0, "low": 168.0},
    "ESCALATION_REMIND_FRACTION": 0.25,
    "ESCALATION_BASE_URL": config.env_str("QUIETROOM_BASE_URL", "http://127.0.0.1:8000"),
    # Reviewer care: distressing (warned or escalated) snippets per reviewer per day, and the
    # minutes of continuous work after which the room suggests a break.
    "CARE_DISTRESS_DAILY_CAP": config.env_int("QUIETROOM_CARE_DISTRESS_DAILY_CAP", 5),
    "CARE_BREAK_MINUTES": config.env_float("QUIETROOM_CARE_BREAK_MINUTES", 50),
}

# Retention periods in days (privacy/retention.py enforces them; 0 = keep until erasure).
QUIETROOM_RETENTION = {
    "RAW_RECORDING_DAYS": config.env_int("QUIETROOM_RETENTION_RAW_DAYS", 7),
    "SNIPPET_DAYS": config.env_int("QUIETROOM_RETENTION_SNIPPET_DAYS", 90),
    "TRANSCRIPT_DAYS": config.env_int("QUIETROOM_RETENTION_TRANSCRIPT_DAYS", 180),
    "AUDIT_DAYS": config.env_int("QUIETROOM_RETENTION_AUDIT_DAYS", 2190),
}

# Structured logs: one JSON object per line, with the request id; never personal data.
# Token path segments (invitation and stream links) are redacted from every record of every
# logger (quietroom.ops.redaction): the record factory installed by LOGGING_CONFIG, and the
# handler filter below for Django's `request` extra.
LOGGING_CONFIG = "quietroom.ops.redaction.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "quietroom.ops.logging.RequestIdFilter"},
        "redact_tokens": {"()": "quietroom.ops.redaction.RedactTokens"},
        # A refusal (4xx) is one line without a traceback; a 500 keeps its traceback.
        "refusals_in_one_line": {"()": "quietroom.ops.logging.RefusalsInOneLine"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                             "filters": ["refusals_in_one_line", "redact_tokens", "request_id"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "quietroom": {"level": config.csv_env("QUIETROOM_LOG_LEVEL", "INFO")[0]},
        "quietroom.request": {"level": "INFO" if MODE == "production" else "WARNING"},
    },
}

# Who may scrape /metrics (CIDRs).
QUIETROOM_METRICS_NETWORKS = config.csv_env("QUIETROOM_METRICS_NETWORKS", "127.0.0.0/8,::1/128")
