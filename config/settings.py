"""One settings module, driven by the environment.

Development needs nothing set: SQLite in the project folder, a throwaway secret key and
DEBUG on. Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (PostgreSQL) and
REDIS_URL; with those, `manage.py check --deploy` is clean (jobs.checks warns about a SQLite
database or a per-process cache). docs/scaling.md says what several machines need.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-" + "x" * 20

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "markdownx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "notes",
    "accounts",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, which answers static files itself, already compressed where that helps;
    # dynamic pages are gzipped here, with Django's random padding against BREACH. Cached
    # anonymous note pages arrive compressed (notes.page_cache) and pass through.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.CachedPolicyCSPMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
    )
}
# A connection made for a request checks first that it still works (after a database restart
# the next request reconnects instead of failing). PostgreSQL is bounded three ways, so that a
# database that is down, slow or frozen is a 503 (config.middleware) within 3 s, not a wait:
# connecting (connect_timeout), each statement (the server's statement_timeout), and each
# answer (config.postgresql: a frozen server enforces no timeout of its own).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASE_STATEMENT_MS = env_int("DATABASE_STATEMENT_MS", 2000)
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=env_int("DATABASE_CONNECT_TIMEOUT", 2),
        # The session's time zone is Django's (UTC with USE_TZ) from the start, which spares
        # every new connection a SET TIME ZONE round trip.
        options=f"-c statement_timeout={DATABASE_STATEMENT_MS} -c TimeZone=UTC",
        answer_within=DATABASE_STATEMENT_MS / 1000 + 0.5,
    )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A writer waits for the lock instead of failing at once; WAL lets readers go on
    # while an import or publish writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # Tests that run threads (two editors saving at once) need a file: in-memory SQLite
    # shares one cache between connections and fails with "table is locked" instead of waiting.
    # SQLITE_TEST_NAME lets two suites run side by side in one checkout.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME", str(BASE_DIR / "test-db.sqlite3"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # An unreachable Redis is waited on for half a second at most, then treated as no cache.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (jobs): the database queue unless told otherwise, run by `manage.py db_worker`
# (`make run` starts one). TASKS_BACKEND=rq sends it to RQ on REDIS_URL, run by any number of
# `manage.py worker` (`rqworker default --with-scheduler`) on any machine (the scheduler runs
# deferred retries). "immediate" runs each job inside the request that queued it (the tests).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL (the Redis that RQ keeps its queue in).")
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": env_int("JOB_TIMEOUT_SECONDS", 1800)}}
    # Workers must load django-tasks-rq's job class: RQ's own calls the task object itself
    # (not callable) and has no task result for the backend's success and failure callbacks.
    # Set here, it holds for every `rqworker`, not only the ones `manage.py worker` starts.
    RQ = {"JOB_CLASS": "django_tasks_rq.backend.Job"}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be database, rq or immediate, not {TASKS_BACKEND!r}")
JOBS_RETRY_BACKOFF_SECONDS = env_int("JOBS_RETRY_BACKOFF_SECONDS", 15)  # the first retry's wait; then 4x
# The review page's count of annotations a publish would orphan tries at most this many of the
# note's annotations against the new text (about a second on a busy machine) and scales the
# result, labelled as an estimate, to all of them: a popular note's 100,000 would take a minute.
ANNOTATION_IMPACT_SAMPLE = env_int("ANNOTATION_IMPACT_SAMPLE", 1_000)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): five wrong passwords for one username, or from one address,
# lock further attempts of either for 15 minutes; the page (429, Retry-After) says how long.
# A right password resets the count. Password resets are limited in accounts.throttling.
# config.auth.ModelBackend is Django's, with the user of each signed-in request read by a
# statement compiled once (accounts migration 0007 moved sessions made before it over).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "config.auth.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttling.login_locked_out"
AXES_VERBOSE = False
PASSWORD_RESETS_PER_ADDRESS = 3  # an hour
PASSWORD_RESETS_PER_IP = 10  # an hour

# Django's database sessions, with the read every signed-in request makes compiled once.
SESSION_ENGINE = "config.sessions"

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "notes:home"
LOGOUT_REDIRECT_URL = "notes:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded images (the editor's uploads, MARKDOWNX_MEDIA_PATH) go through the default storage:
# MEDIA_ROOT on this machine's disk unless STORAGE_S3_BUCKET names an S3-compatible bucket,
# which every web machine shares (django-storages). Credentials are boto3's own: the
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment or the machine's role, never settings.
# An upload's URL is written into the note's source, so it must not expire: no signed query
# strings; the bucket (or STORAGE_S3_CUSTOM_DOMAIN in front of it) lets anyone read uploads/.
STORAGE_S3_BUCKET = os.environ.get("STORAGE_S3_BUCKET", "")
if STORAGE_S3_BUCKET:
    _s3 = {
        "bucket_name": STORAGE_S3_BUCKET,
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        "custom_domain": os.environ.get("STORAGE_S3_CUSTOM_DOMAIN") or None,
        "location": os.environ.get("STORAGE_S3_LOCATION", ""),
        "querystring_auth": False,
        "file_overwrite": False,
    }
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3}
    # Where readers' browsers fetch the images from, for the Content-Security-Policy below.
    MEDIA_ORIGIN = (
        f"https://{_s3['custom_domain'].split('/')[0]}"
        if _s3["custom_domain"]
        else _s3["endpoint_url"].rstrip("/")
        if _s3["endpoint_url"]
        else f"https://{STORAGE_S3_BUCKET}.s3.amazonaws.com"
    )
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    MEDIA_ORIGIN = ""
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"

# Email: printed to the console unless a host is configured, or written as files into
# EMAIL_FILE_PATH (a folder: for trying mail out, and for tests of the worker that sends it).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif EMAIL_FILE_PATH:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "notes@localhost")

# KaTeX lays out math with inline style attributes, so those are allowed; scripts and
# style elements come only from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# The editor: markdownx's widget posts previews and uploads to our own views (editors only).
MARKDOWNX_URLS_PATH = "/edit/preview/"
MARKDOWNX_UPLOAD_URLS_PATH = "/edit/upload/"
MARKDOWNX_MEDIA_PATH = "uploads/"
MARKDOWNX_UPLOAD_MAX_SIZE = 5 * 1024 * 1024
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
MARKDOWNX_SERVER_CALL_LATENCY = 400
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024  # a 1 MB note plus the form around it

# Numerical checks of derivations: where the <slug>.checks.py files live, and the limits of
# the process each check runs in.
CHECKS_DIR = Path(os.environ.get("CHECKS_DIR", BASE_DIR / "notes" / "corpus"))
CHECK_TIMEOUT_SECONDS = float(os.environ.get("CHECK_TIMEOUT_SECONDS", "30"))
CHECK_MEMORY_BYTES = env_int("CHECK_MEMORY_BYTES", 1024 * 1024 * 1024)
# The graph's layout (ELK, in a child process of a worker): how long one may take.
GRAPH_LAYOUT_TIMEOUT_SECONDS = float(os.environ.get("GRAPH_LAYOUT_TIMEOUT_SECONDS", "60"))

# The renderer: per-call KaTeX timeout (a note's math gets at most twice it: a first try and
# one retry of what failed, formula by formula), the KaTeX engines of each process (V8
# contexts in threads of their own, made on first use: notes.rendering.pool; about 30 MB
# each, more while typesetting) and the largest note source accepted.
KATEX_TIMEOUT_SECONDS = float(os.environ.get("KATEX_TIMEOUT_SECONDS", "10"))
KATEX_ENGINES = env_int("KATEX_ENGINES", os.cpu_count() or 1)
NOTE_MAX_BYTES = 1_000_000
# The formula cache's entries each process keeps in memory in front of the table
# (notes.rendering.formula_memo), in bytes: the starter notes' formulas take about 12 MB.
FORMULA_MEMO_BYTES = env_int("FORMULA_MEMO_BYTES", 64 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
