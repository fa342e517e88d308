"""Settings for both deployments, chosen by environment only.

Embedded default: SQLite in WAL mode under ``var/``, tasks inline.
Production: set DATABASE_URL (PostgreSQL), DANGJIAN_SECRET_KEY, DANGJIAN_KEY_FILE,
DANGJIAN_DEBUG=0 and DANGJIAN_ALLOWED_HOSTS.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url

from dangjian.core.secrets import load_or_create_secret_key, private_dir

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("DANGJIAN_VAR_DIR", PROJECT_DIR / "var"))

DEBUG = os.environ.get("DANGJIAN_DEBUG", "1") == "1"
SECRET_KEY = load_or_create_secret_key(VAR_DIR, allow_create=DEBUG)
ALLOWED_HOSTS = os.environ.get("DANGJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(
    ","
)

# Field-encryption keys live outside the database (打不开/读不懂): a JSON key file.
FIELD_KEY_FILE = Path(os.environ.get("DANGJIAN_KEY_FILE", VAR_DIR / "keys.json"))
FIELD_KEY_AUTOCREATE = DEBUG
# Algorithm of new data keys: aes-256-gcm, or sm4 (SM4-GCM) where 国密 is required.
# Existing values keep their key's algorithm (see dangjian/core/crypto.py, rotate_keys).
FIELD_CIPHER = os.environ.get("DANGJIAN_FIELD_CIPHER", "aes-256-gcm")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # runserver leaves static files to WhiteNoise too
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "ninja",  # Swagger UI served from its own static files, not a CDN
    "treebeard",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.orgs",
    "dangjian.members",
    "dangjian.orglife",
    "dangjian.dues",
    "dangjian.consult",  # only the migration history of the two apps below
    "dangjian.knowledge",
    "dangjian.desk",
    "dangjian.transfers",
    "dangjian.recruitment",
    "dangjian.mobility",
    "dangjian.home",
    "dangjian.demo",
]

MIDDLEWARE = [
    "dangjian.core.health.HealthMiddleware",  # /healthz, /readyz: before anything else
    "dangjian.core.context.RequestContextMiddleware",  # request id, address, actor → audit
    "django.middleware.security.SecurityMiddleware",
    "dangjian.core.headers.SecurityHeadersMiddleware",  # CSP, Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files: compressed, cached
    "dangjian.core.uploads.RequestSizeLimitMiddleware",  # 413 before reading a huge body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    "dangjian.accounts.middleware.SessionTimeoutMiddleware",  # idle + absolute lifetime
    "dangjian.accounts.middleware.AccessGateMiddleware",  # 2FA pending / password expired
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # lockouts of logins not handled by our views
    "dangjian.core.errorpages.ErrorPageMiddleware",  # Chinese 404 page with DEBUG on too
    "dangjian.core.failures.FailureMiddleware",  # outages → 503/507 (and handler500)
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

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
                "dangjian.core.context_processors.ui",
            ],
        },
    },
]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# PostgreSQL connections (docs/operations.md, "Connection budget"): each app-server
# process keeps a pool of at most DB_POOL_MAX connections, at least its thread count;
# the sum over every process (app servers × workers × DB_POOL_MAX, plus Celery workers
# and beat) stays below the server's max_connections. A request that waits longer than
# DB_POOL_TIMEOUT seconds for a connection is answered 503 (dangjian.core.failures).
DB_POOL = os.environ.get("DANGJIAN_DB_POOL", "1") == "1"
DB_POOL_MIN = _env_int("DANGJIAN_DB_POOL_MIN", 1)
DB_POOL_MAX = _env_int("DANGJIAN_DB_POOL_MAX", 8)
DB_POOL_TIMEOUT = float(os.environ.get("DANGJIAN_DB_POOL_TIMEOUT", "3"))
DB_CONNECT_TIMEOUT = _env_int("DANGJIAN_DB_CONNECT_TIMEOUT", 3)
DB_SESSION_OPTIONS = os.environ.get(
    "DANGJIAN_DB_SESSION_OPTIONS", "-c jit=off -c max_parallel_workers_per_gather=0"
)


def _postgresql(url: str) -> dict:
    """Pooled (psycopg_pool) or persistent connections, checked before use either way:
    after a database restart the first request gets a live connection, not a dead one."""
    db = dj_database_url.parse(url, conn_max_age=0 if DB_POOL else 60, conn_health_checks=True)
    options = db.setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
    # Requests run short indexed reads: JIT compilation and parallel workers cost them more
    # than they save (measured at province scale: bench/README.md); reports may override.
    options.setdefault("options", DB_SESSION_OPTIONS)
    if DB_POOL:
        db["ENGINE"] = "dangjian.core.pgpool"  # Django's, purging dead connections at once
        options["pool"] = {
            "min_size": DB_POOL_MIN,
            "max_size": DB_POOL_MAX,
            "timeout": DB_POOL_TIMEOUT,
            "max_idle": 300,
            # A failing reconnection is given up after this long and started afresh by
            # the next request, so its back-off never outlasts an outage by much.
            "reconnect_timeout": 5,
        }
    return db


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql://")):
        return _postgresql(url)
    if url:
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    private_dir(VAR_DIR)  # owner-only; the database file itself: core.apps
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DANGJIAN_SQLITE", VAR_DIR / "dangjian.sqlite3"),
        # IMMEDIATE: a write transaction takes the lock at BEGIN, so two writers never
        # deadlock upgrading a read lock; WAL lets readers go on during a write.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
ORG_MODEL = "orgs.Organisation"  # the tree core models point at (core imports no domain app)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password policy (进不来): ≥ 12 characters from ≥ 3 of 4 classes, not like the username,
# not common, not all digits, none of the last 5; privileged accounts' passwords expire.
PASSWORD_HISTORY_COUNT = 5
PASSWORD_EXPIRY_DAYS = int(os.environ.get("DANGJIAN_PASSWORD_EXPIRY_DAYS", "90"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "dangjian.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "dangjian.accounts.validators.CharacterClassValidator",
        "OPTIONS": {"min_classes": 3},
    },
    {
        "NAME": "dangjian.accounts.validators.PasswordHistoryValidator",
        "OPTIONS": {"count": PASSWORD_HISTORY_COUNT},
    },
]
AUTHENTICATION_BACKENDS = [
    "dangjian.accounts.lockout.LockoutBackend",  # refuses locked-out accounts and addresses
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_COOKIE_AGE = 8 * 3600  # absolute lifetime of a login (dangjian.accounts.middleware)
SESSION_IDLE_SECONDS = int(os.environ.get("DANGJIAN_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "dangjian.core.errorpages.csrf_failure"  # a Chinese page, DEBUG or not
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS: TLS ends at the reverse proxy. HSTS whenever not in debug; the redirect to
# https is optional (the proxy usually does it) and trusts X-Forwarded-Proto only
# behind a trusted proxy (DANGJIAN_TRUST_PROXY=1, see below).
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("DANGJIAN_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("DANGJIAN_HSTS_SUBDOMAINS", "0") == "1"
SECURE_HSTS_PRELOAD = False
SECURE_SSL_REDIRECT = os.environ.get("DANGJIAN_SSL_REDIRECT", "0") == "1"
# Content-Security-Policy (dangjian.core.headers): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(self), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)

# Behind a reverse proxy that sets X-Forwarded-For (TLS ends there).
TRUST_PROXY = os.environ.get("DANGJIAN_TRUST_PROXY", "0") == "1"
if TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Cache: local memory per process by default; Redis (shared by every app server, so
# rate limits hold across them) when REDIS_URL is set. Losing Redis is survivable
# (dangjian.core.cache): reads miss, writes are skipped, and the rate limiter counts in
# the database until Redis answers again. Short timeouts keep an unreachable host from
# holding requests.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "dangjian.core.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Tasks and periodic jobs (dangjian.core.jobs). Production: a Redis broker, Celery
# workers and beat. Embedded default: no broker, tasks run inline and periodic jobs run
# from `dangjian run_jobs --due` (cron / a systemd timer).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
# A task is acknowledged when it has finished, not when it starts: if its worker dies
# (SIGKILL, OOM, a power cut) the broker delivers it again, at once when only a pool
# process died (reject on worker lost), after the visibility timeout when the whole
# worker did. Tasks are idempotent; periodic jobs hold a lease (JOB_LEASE_SECONDS,
# dangjian.core.jobs) so a redelivered job never runs twice at once, and a run whose
# worker died is run again. The visibility timeout must exceed the longest task and the
# longest countdown (events.redeliver: 2 minutes); see docs/operations.md.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _env_int("DANGJIAN_TASK_VISIBILITY_SECONDS", 900),
    "unacked_restore_interval": _env_int("DANGJIAN_TASK_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": _env_int("DANGJIAN_TASK_RESTORE_THROTTLE", 6),
    "socket_connect_timeout": 2,
}
# Publishing while the broker is away fails within about a second (answered 503).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.5,
}
JOB_LEASE_SECONDS = _env_int("DANGJIAN_JOB_LEASE_SECONDS", 60)

# Notifications (dangjian.core.notify): the SMS gateway adapter. The console backend
# writes messages to the log; a real gateway implements core.notify.SmsBackend.
SMS_BACKEND = os.environ.get("DANGJIAN_SMS_BACKEND", "dangjian.core.notify.ConsoleSmsBackend")

# Rate limits (dangjian.core.ratelimit): name → (requests, seconds), per key.
RATE_LIMITS_ENABLED = True
RATE_LIMITS = {
    "login": (30, 300),  # login page and POST /api/v1/auth/token, per IP address
    "login-user": (10, 300),  # the same, per username
    "otp": (10, 300),  # TOTP verification and enrolment, per user
    "password-change": (10, 300),  # per user
    "sms": (1, 60),  # SMS codes (when they come), per phone number
    "public": (60, 60),  # unauthenticated public endpoints, per IP address
    # The public question form (consult): posts per address before proof of work is asked
    # (core.pow), orders per address and per confirmed phone.
    "public-pow": (5, 3600),
    "public-order-ip": (50, 86400),
    "public-order-phone": (3, 86400),
    # 咨询查询 (consult): look-ups per address and per order number (a code is 8 of 31 signs)
    "public-lookup": (20, 3600),
    "public-lookup-order": (10, 3600),
}
POW_BITS = 16  # hashcash difficulty (core.pow): ~65,000 SHA-256 on average

# Lockout after failed logins (django-axes, dangjian.accounts.lockout).
AXES_FAILURE_LIMIT = int(os.environ.get("DANGJIAN_LOGIN_FAILURE_LIMIT", "5"))  # per account
LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("DANGJIAN_LOGIN_IP_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("DANGJIAN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # order matters (LoginAttemptHandler)
AXES_HANDLER = "dangjian.accounts.lockout.LoginAttemptHandler"
AXES_CLIENT_IP_CALLABLE = "dangjian.core.http.client_ip"
AXES_LOCKOUT_CALLABLE = "dangjian.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = False  # axes would clear the IP's count too; we clear the account's
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True  # trying while locked restarts the lock
AXES_DISABLE_ACCESS_LOG = True  # successes are in the audit log already
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken", "otp", "token"]

# Two-factor (TOTP) for admins, leaders, agents and superusers (dangjian.accounts.twofactor).
OTP_TOTP_ISSUER = "智慧党建"
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes, wait 2^(n-1) seconds

# API bearer tokens: lifetime in hours.
API_TOKEN_HOURS = int(os.environ.get("DANGJIAN_API_TOKEN_HOURS", "12"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# Ours first: a few of Django's Chinese messages reworded (dangjian/locale).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# A list filter left empty means every row: django-filter's choice filters offer 全部, not
# Django's "---------" (an unchosen value to a member reading a phone).
FILTERS_EMPTY_CHOICE_LABEL = "全部"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = PROJECT_DIR / "staticfiles"
# `dangjian collectstatic` writes hashed, gzip- and Brotli-compressed copies; WhiteNoise
# serves them with a year-long immutable Cache-Control (dangjian/core/staticfiles.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "dangjian.core.staticfiles.StaticStorage"},
}
# Files not collected (a checkout that never ran collectstatic) come from the apps' static
# directories, re-read as they change, with DEBUG on.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

NINJA_PAGINATION_PER_PAGE = 20
NINJA_PAGINATION_MAX_LIMIT = 100

# 拿不走: exports (dangjian/core/exports.py) and uploads (dangjian/core/uploads.py).
# The most rows one export may hold, by the level of the exporter's role (the most generous
# of their roles); superusers have no limit. Over it the export is refused (and audited).
EXPORT_MAX_ROWS = {
    "province": 200_000,
    "city": 200_000,
    "county": 50_000,
    "grassroots": 10_000,
    "general_branch": 5_000,
    "branch": 2_000,
    "group": 2_000,
}
# Uploaded files live outside the web root (never under STATIC_ROOT; no MEDIA_URL): they
# are served only by views that check the object's scope.
UPLOAD_DIR = VAR_DIR / "uploads"
UPLOAD_IMAGE_MAX_BYTES = 5 * 1024 * 1024
UPLOAD_IMAGE_MAX_PIXELS = 40_000_000  # decompression-bomb guard (before decoding)
UPLOAD_IMAGE_MAX_SIDE = 1600  # re-encoded images are scaled down to this
# Any request body above this is refused with 413 before it is read (a reverse proxy
# should cap it too); non-file bodies above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) → 413.
MAX_REQUEST_BYTES = 8 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DANGJIAN_LOG_LEVEL", "WARNING")},
    # Audit checkpoints go to the log stream as well as the checkpoint file: ship this
    # logger to a collector the database's administrators cannot write to.
    "loggers": {
        "dangjian.audit": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# The audit log (dangjian/core/audit.py): parallel hash chains keyed with a secret kept
# outside the database, sealed into signed checkpoints kept outside it too.
AUDIT_CHAINS = int(os.environ.get("DANGJIAN_AUDIT_CHAINS", "16"))
AUDIT_KEY_FILE = Path(os.environ.get("DANGJIAN_AUDIT_KEY_FILE", VAR_DIR / "audit_key.json"))
AUDIT_KEY_AUTOCREATE = DEBUG
AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("DANGJIAN_AUDIT_CHECKPOINT_FILE", VAR_DIR / "audit_checkpoints.jsonl")
)

# A member-list read of this many records, or any page after the first, is audited.
AUDIT_BULK_READ_ROWS = int(os.environ.get("DANGJIAN_AUDIT_BULK_READ_ROWS", "50"))
