"""Settings, read from the environment (django-environ).

Every variable is documented in README.md. SQLite is the zero-set-up default; production sets
DATABASE_URL to PostgreSQL.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (a long random "
            "string) or, for local development only, DEBUG=1."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

# The key of the ledger's keyed hash chains (core.chain): a long random string, kept outside the
# database and NOT the SECRET_KEY (rotating SECRET_KEY must not break the chains, and someone who
# can read the settings file of one service should not be able to re-sign the ledger). Changing it
# makes verify_ledger report every chain as broken: keep it with the backups' keys.
LEDGER_HMAC_KEY = env.str("LEDGER_HMAC_KEY", default="")
if not LEDGER_HMAC_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "LEDGER_HMAC_KEY is not set. Set it to a long random string, different from "
            "SECRET_KEY (the key of the ledger's tamper-evident hash chains), or DEBUG=1."
        )
    LEDGER_HMAC_KEY = "dev-only-ledger-key-do-not-use-in-production"
if LEDGER_HMAC_KEY == SECRET_KEY:
    raise ImproperlyConfigured("LEDGER_HMAC_KEY must differ from SECRET_KEY.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "core",
    "csp",
    "members",
    "scoring",
    "evaluations",
    "rewards",
    "posts",
    "oversight",
]
# The demo county (`demo`: `manage.py seed_demo`) and the developer tools (`devtools`: `manage.py
# bench`, `time_exports`, `time_roster_import`) are apps of their own, installed only for
# development: with DEBUG, or LANXIAN_DEVTOOLS=1 (the benchmark runs with DEBUG off). A production
# deployment has neither their commands nor their code loaded.
DEVTOOLS = env.bool("LANXIAN_DEVTOOLS", default=DEBUG)
if DEVTOOLS:
    INSTALLED_APPS += ["demo", "devtools"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes last: it must see the authentication result.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lanxian_points.urls"
WSGI_APPLICATION = "lanxian_points.wsgi.application"

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
                "members.context_processors.official",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN so
    # two concurrent writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A form without a valid CSRF token: a Chinese page saying what to do (lanxian_points/errors.py).
CSRF_FAILURE_VIEW = "lanxian_points.errors.csrf_failure"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins: 5 failures for one user name from one address lock that pair for 30 minutes,
# so someone guessing a password from elsewhere never locks the real user out. Behind a reverse
# proxy the address is the client's from X-Forwarded-For, believed only as far as the proxies we
# run (TRUSTED_PROXY_COUNT, see core/net.py); otherwise every login would share the proxy's.
# django-ipware (axes' optional resolver) is not installed: the rule is these few lines.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # keep a history of failed logins for the county admin

LANGUAGE_CODE = "zh-hans"
FORMAT_MODULE_PATH = ["lanxian_points.formats"]
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads (declaration and report photos, roster files waiting for a confirm) go through
# Django's storage API only, so several app servers can share them: a directory by default
# (MEDIA_ROOT: one disk, or a mount every server sees), or an S3-compatible bucket (MinIO, a
# cloud's object store) when MEDIA_S3_BUCKET is set. Photos are never public: files stay private
# in the bucket and are served only through the scoped views, which read them via the storage.
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
if MEDIA_S3_BUCKET:
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MEDIA_S3_REGION", default="") or None,
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("MEDIA_S3_PREFIX", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            # Two uploads with one name must not overwrite each other (the local storage's rule).
            "file_overwrite": False,
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Several app servers share one cache when REDIS_URL is set (Django's own Redis backend);
# otherwise each process keeps its own in memory. Sessions live in the database either way.
if env.str("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_URL"),
        }
    }
MEDIA_URL = "media/"
# Where `manage.py backup` writes its archives unless given --output (README: Backups).
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")
# Shared notices as PNG and PDF (core.render): Debian's headless Chromium, killed after
# RENDER_TIMEOUT seconds; the files are kept in RENDER_CACHE_DIR (README: Shared notices).
RENDER_CHROMIUM = env.str("RENDER_CHROMIUM", default="chromium")
RENDER_TIMEOUT = env.int("RENDER_TIMEOUT", default=30)
RENDER_CACHE_DIR = env.path("RENDER_CACHE_DIR", default=BASE_DIR / "render-cache")

# Uploads: rosters and photos are at most 5 MB; anything larger is refused before parsing.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024

# Security headers. HTTPS settings are on unless DEBUG; a deployment behind a TLS-terminating
# proxy sets SECURE_PROXY_SSL_HEADER via USE_X_FORWARDED_PROTO=1.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 10  # a working day
CSRF_COOKIE_HTTPONLY = True
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer probes over plain HTTP
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading commits the whole registrable domain (often shared with other county
        # sites) to HTTPS in browsers, for months, and is hard to undo: an operator opts in with
        # SECURE_HSTS_PRELOAD=1. Until then the deploy check's reminder (W021) is noise.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy: everything comes from this server; no inline script anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},  # failed logins and lock-outs
        "django.db.backends": {"level": "INFO"},
    },
}

# The public notice's default objection channel text and the county's name, shown on prints.
COUNTY_NAME = env.str("COUNTY_NAME", default="岚县")
