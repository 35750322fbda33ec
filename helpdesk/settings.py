"""The one settings module: everything comes from the environment, with embedded
defaults that let a fresh clone run on SQLite with tasks in process."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY (or DEBUG=1 for a local run with a development key)."
        )
    SECRET_KEY = "development-only-key-not-for-production-use-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Absolute address used in links sent by email and SMS.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

TIME_ZONE = "Europe/Bucharest"
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "ro"
LANGUAGES = [("ro", _("Romanian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Form widgets render through TEMPLATES (FORM_RENDERER), Django's own
    # widget templates found here, ours (templates/django/forms) first.
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "providers",
    "cards",
]
AUTH_USER_MODEL = "providers.Person"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    # First: one log line per request, whatever answers it.
    "helpdesk.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, reading the session's device with its person.
    "providers.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Staff: the code step before anything else, and the idle timeout.
    "providers.middleware.StaffSessionMiddleware",
    # The shared cache's versions read once a request, most in one round trip.
    "cards.middleware.VersionsMiddleware",
    "helpdesk.ratelimit.RateLimitMiddleware",
    # Last: turns a locked-out sign-in into the 429 answer.
    "axes.middleware.AxesMiddleware",
]
ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cards.context_processors.notifications",
            ],
        },
    },
]

# DATABASES
# ------------------------------------------------------------------------------
# Without DATABASE_URL: an SQLite file. IMMEDIATE transactions take the write lock
# at BEGIN, so the row-lock helper's one-winner guarantee holds on SQLite too.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DB_PREPARED_STATEMENTS", True
    ):
        # Parameters sent apart from the SQL, and a statement run twice on a
        # connection prepared: PostgreSQL then plans it once per connection
        # rather than on every run (planning cost more than running most of
        # the app's queries). Off for a transaction-mode connection pooler.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=2
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory: concurrent connections then see one database.
            "TEST": {
                "NAME": os.environ.get(
                    "SQLITE_TEST_PATH", str(BASE_DIR / "var" / "test.sqlite3")
                )
            },
        }
    }

# CACHES
# ------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# What each process keeps for the lists of requests, for the minute it was read or
# drawn for: a house's list and counts per version of its queue (cards.views.queue)
# and the rendered rows (templates/cards/queue/_rows.html); a provider's "my
# requests" per version of its requests (cards.views.portal). The polling of every
# specialist of a house reads and draws the same list whenever one request changes.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 120,
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
# Versions kept in the cache, one per house's queue and one per provider's requests:
# the queue's polling answers from them; only a cache every process shares can
# hold them (cards.services.versions).
QUEUE_VERSIONS = env_bool("QUEUE_VERSIONS", bool(REDIS_URL))
# A queue's list and counts, read once per version of the house's queue, scope,
# filters and minute by each process (CACHES["fragments"]) for every reader; and
# "my requests", drawn once per version of the provider's requests, filter, page,
# language and minute for every agent of the provider.
QUEUE_KEPT_SECONDS = env_int("QUEUE_KEPT_SECONDS", 120)
# The unread message count of the header, kept in the shared cache while the
# person's inbox keeps its version, this long at most (0: counted on every page).
UNREAD_COUNT_SECONDS = env_int("UNREAD_COUNT_SECONDS", 60 if REDIS_URL else 0)
# Sessions in the database, read through the shared cache where there is one
# (helpdesk.sessions); a cache per process could not see a sign-out in another.
SESSION_ENGINE = (
    "helpdesk.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
)
SESSION_CACHE_SECONDS = env_int("SESSION_CACHE_SECONDS", 300)

# CELERY
# ------------------------------------------------------------------------------
# Without a broker, tasks run in process (and errors surface in the caller).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Time limits well under the visibility timeout (3600 s), so that a task still
# running is never handed to a second worker. The longest task is a purge or
# auto-close batch of 1000 rows (seconds); a delivery waits at most the 10 s
# SMTP timeout. Soft limit 240 s raises in the task, hard limit 300 s kills it.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
# A worker that loses the broker stops its running late-acked tasks: they are
# redelivered anyway, and delivery is idempotent per notification.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Publishing must never stall a user's action: fail fast, the outbox sweep retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task; a task of a worker that died is redelivered
    # after it (the fault tests shorten it through the environment).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# The one schedule of the one beat process (times in TIME_ZONE, Europe/Bucharest).
# "expires": a run the workers could not start in time is dropped, not piled up:
# the next run does the same work.
CELERY_BEAT_SCHEDULE = {
    # * * * * *  re-publish notifications still pending (broker down at commit)
    "notifications-sweep": {
        "task": "cards.tasks.notifications_sweep_task",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
    # * * * * *  escalate requests past their target time to the supervisors (once)
    "sla-escalation": {
        "task": "cards.tasks.sla_escalation_task",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
    # 7 * * * *  close resolved requests the provider never confirmed
    "auto-close": {
        "task": "cards.tasks.auto_close_task",
        "schedule": crontab(minute=7),
        "options": {"expires": 3000},
    },
    # 30 3 * * *  erase the personal data of requests closed long ago
    "personal-data-purge": {
        "task": "cards.tasks.personal_data_purge_task",
        "schedule": crontab(minute=30, hour=3),
        "options": {"expires": 3 * 3600},
    },
}

# NOTIFICATIONS
# ------------------------------------------------------------------------------
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5)
# A pending notification older than this is re-published by the sweep.
NOTIFICATION_SWEEP_AFTER_SECONDS = env_int("NOTIFICATION_SWEEP_AFTER_SECONDS", 120)
# A resolved request the provider does not confirm is closed after this many days.
AUTO_CLOSE_AFTER_DAYS = env_int("AUTO_CLOSE_AFTER_DAYS", 7)
# The CID or card number of a closed request is erased after this many days.
PURGE_AFTER_DAYS = env_int("PURGE_AFTER_DAYS", 90)
# A claimed request untouched this long shows as idle on the supervisor's workload.
WORKLOAD_IDLE_MINUTES = env_int("WORKLOAD_IDLE_MINUTES", 60)
# The longest period a report or export covers.
REPORT_MAX_DAYS = env_int("REPORT_MAX_DAYS", 366)

# EMAIL
# ------------------------------------------------------------------------------
# EMAIL_BACKEND picks the backend (console with DEBUG, SMTP otherwise); its options
# come from the EMAIL_* variables it understands.
EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_email_options: dict = {}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
elif EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    _email_options = {
        "file_path": os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
    }
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "helpdesk-carduri@localhost")

# SMS
# ------------------------------------------------------------------------------
# SMS_BACKEND: cards.sms.ConsoleBackend (prints), cards.sms.HttpGatewayBackend
# (POSTs JSON to SMS_GATEWAY_URL with a bearer token) or cards.sms.LocmemBackend.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "cards.sms.ConsoleBackend")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
# Seconds a gateway call may take before the attempt counts as failed.
SMS_TIMEOUT = float(os.environ.get("SMS_TIMEOUT", "10"))
SMS_SENDER = os.environ.get("SMS_SENDER", "CAS")

# AUTHENTICATION
# ------------------------------------------------------------------------------
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username/address before the password
# is checked (and counts the failures); then Django's model backend, which also
# refuses inactive people on every request (and reads the person with their house).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "providers.backends.PersonBackend",
]
# Addresses (or networks, "10.0.0.0/8") of the reverse proxies in front of the app.
# Only a request from one of them has its X-Forwarded-For believed; empty: never.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# CAS staff are signed out after this long without a click (the queue's polling
# does not count).
STAFF_IDLE_TIMEOUT_SECONDS = env_int("STAFF_IDLE_TIMEOUT_SECONDS", 30 * 60)
# Two-factor sign-in for CAS staff (django-otp, TOTP apps).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "CAS card helpdesk")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Sign-in lockout (django-axes, with providers.lockout's two limits): failures
# of one username from one address, and of any usernames from one address, within
# the cool-off; a success clears that username's failures from that address.
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env_int(
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", 5
)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30)
AXES_HANDLER = "providers.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
# The lock runs from the failure that set it; more tries do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "helpdesk.network.axes_client_address"
AXES_LOCKOUT_CALLABLE = "providers.lockout.lockout_response"
# Failures are kept (until the cool-off ends); successful sign-ins are not logged.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# SECURITY
# ------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG and env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Pages and htmx posts carry the token in their forms ({% csrf_token %}); no script
# reads the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tokens: provider integrations only. Sessions: the web pages (staff ones
        # verified with a code).
        "providers.authentication.IntegrationTokenAuthentication",
        "providers.authentication.VerifiedSessionAuthentication",
    ],
    # Views name a `throttle_scope` (or action → scope); rates: RATE_LIMITS.
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.ratelimit.ScopedRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.exception_handler",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CAS card helpdesk API",
    "DESCRIPTION": "Blocked (reader error 15) and invalid (5, 17) health insurance "
    "cards: filing, routing to the card's house, and the lifecycle of a request.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CardRequestStatusEnum": "cards.models.Status",
        "CardRequestKindEnum": "cards.models.Kind",
        "ResolveOutcomeEnum": "cards.models.Outcome",
        "CallOutcomeEnum": "cards.models.CallOutcome",
        "CallReasonEnum": "cards.models.CallReason",
        "OfficeKindEnum": "providers.models.OfficeKind",
    },
}

# RATE LIMITS
# ------------------------------------------------------------------------------
# Requests per signed-in person (else per client address), "N/s|m|h|d"; an empty
# value turns a limit off. Over it: 429 with Retry-After (helpdesk.ratelimit).
RATE_LIMITS = {
    # Filing a request: POST /api/v1/requests/ and the provider portal's form.
    "filing": os.environ.get("RATE_LIMIT_FILING", "30/m"),
    # Provider lookups: /api/v1/providers/ and the phone console's as-you-type.
    "lookup": os.environ.get("RATE_LIMIT_LOOKUP", "120/m"),
    # Exchanging a password for an API token (per address).
    "token": os.environ.get("RATE_LIMIT_TOKEN", "20/m"),
}
# Web views under the same limits: view name → (scope, methods counted).
RATE_LIMITED_VIEWS = {
    "portal:file": ("filing", ["POST"]),
    "console:lookup": ("lookup", ["GET"]),
}

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # One JSON object per line (LOG_FORMAT=json, the default) or key=value text.
        "json": {"()": "helpdesk.logging.JsonFormatter"},
        "text": {"()": "helpdesk.logging.KeyValueFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "text" if os.environ.get("LOG_FORMAT") == "text" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Sign-in failures and lockouts (WARNING) without a line per sign-in.
        "axes": {"level": "WARNING"},
    },
}
