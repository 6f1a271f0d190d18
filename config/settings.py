"""Settings for 网格通 (Grid Link).

Every knob comes from the environment, with the embedded default (SQLite, local media,
in-process tasks, the `dev` WeChat backend) when a variable is unset. README.md lists
every variable; a malformed value raises ImproperlyConfigured at start-up.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.observability import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

class Env(environ.Env):
    """django-environ, but a malformed value is ImproperlyConfigured naming the variable."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError as exc:
            raise ImproperlyConfigured(f"Environment variable {var} is malformed: {exc}") from exc


env = Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-dev-key-only-for-the-embedded-default"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "accounts",
    "gridapp",
    "payroll",
    "console",
    "open311",
]

MIDDLEWARE = [
    "config.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.api.middleware.JSONErrorsUnderAPIMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.api.replica.PinWritersToPrimaryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
# docs/api.md fixes each path exactly (some end in "/", some don't); a redirect would drop a
# POST body, so a wrong path is a plain 404.
APPEND_SLASH = False
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# How a user sees themselves (/me, the login answer): identity (accounts) knows no roles,
# the domain composes the profile.
PROFILE_SERIALIZER = "gridapp.api.serializers.me.MeSerializer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- The web console (/console/) -------------------------------------------------------
# Staff sign in with a password there (Django sessions); the API keeps its JWTs.
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
# The one map's tiles, e.g. "https://tiles.example.cn/{z}/{x}/{y}.png" (GCJ-02 tiles, as
# the grids are GCJ-02); empty: the grids are drawn on a plain background, and the page
# loads nothing from another host.
MAP_TILE_URL = env("MAP_TILE_URL", default="")
if MAP_TILE_URL and not (MAP_TILE_URL.startswith(("https://", "http://", "/"))
                         and "{z}" in MAP_TILE_URL and "{x}" in MAP_TILE_URL
                         and "{y}" in MAP_TILE_URL):
    raise ImproperlyConfigured("MAP_TILE_URL must be an http(s) or /path URL template with "
                               "{z}, {x} and {y}.")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="")

# --- Database -------------------------------------------------------------------------
# SQLite by default, tuned for concurrent writers: WAL lets readers run beside a writer,
# IMMEDIATE takes the write lock at BEGIN (no deadlock-prone lock upgrades) and the busy
# timeout makes a second writer wait instead of failing with "database is locked".
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Threads in tests need a file, not a per-connection in-memory database; one file
    # per test process, so that two suites running side by side don't share it.
    _db["TEST"] = {"NAME": str(BASE_DIR / f"test_db.{os.getpid()}.sqlite3")}
_db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
_db["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = _db["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRES:
    _db["ENGINE"] = "config.postgresql"  # Django's, reading timestamps in C (its base.py)
    # Server-side binding: psycopg sends the parameters apart from the SQL and prepares a
    # statement it has run 5 times on a connection, so PostgreSQL stops planning the
    # report list's 7-table query afresh on every request (issue 19). Off behind a
    # pooler in transaction mode (PgBouncer), where a prepared statement may not be there.
    PREPARED = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
    _db.setdefault("OPTIONS", {}).update(server_side_binding=PREPARED,
                                         prepare_threshold=5 if PREPARED else None)

# A PostgreSQL streaming replica for reads that tolerate a second of lag (config/db.py,
# docs/deploy.md "A read replica"). Writers are pinned to the primary for a few seconds.
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=5)
if env.str("DATABASE_REPLICA_URL", default=""):
    if not IS_POSTGRES:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL") | {
        "ENGINE": _db["ENGINE"], "CONN_MAX_AGE": _db["CONN_MAX_AGE"], "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"}}
    DATABASES["replica"].setdefault("OPTIONS", {}).update(
        server_side_binding=_db["OPTIONS"]["server_side_binding"],
        prepare_threshold=_db["OPTIONS"]["prepare_threshold"])
    DATABASE_ROUTERS = ["config.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, WeChat access token, locks) -------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://gridlink")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Throttle counters and tokens are not worth failing a request for: see config/cache.py.
    CACHES["default"]["BACKEND"] = "config.cache.FailOpenRedisCache"

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploads above this many bytes stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)


def s3_storage_options() -> dict:
    """django-storages options for a private bucket on any S3-compatible store
    (docs/storage.md has the values for Tencent COS, Aliyun OSS and MinIO)."""
    from botocore.config import Config

    bucket = env("AWS_STORAGE_BUCKET_NAME", default="")
    style = env("AWS_S3_ADDRESSING_STYLE", default="auto")
    signature = env("AWS_S3_SIGNATURE_VERSION", default="s3v4")
    if not bucket:
        raise ImproperlyConfigured("AWS_STORAGE_BUCKET_NAME is required with STORAGE_BACKEND=s3.")
    if style not in ("auto", "virtual", "path") or signature not in ("s3v4", "s3"):
        raise ImproperlyConfigured("AWS_S3_ADDRESSING_STYLE must be auto, virtual or path; "
                                   "AWS_S3_SIGNATURE_VERSION s3v4 or s3.")
    return {
        "bucket_name": bucket,
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
        "region_name": env("AWS_S3_REGION_NAME", default=None),
        "access_key": env("AWS_ACCESS_KEY_ID", default=None),
        "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
        "location": env("AWS_LOCATION", default=""),
        "default_acl": env("AWS_DEFAULT_ACL", default="private") or None,
        # Private photos are only ever served through signed, expiring URLs; a custom
        # domain would make django-storages hand out unsigned ones.
        "querystring_auth": True,
        "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
        "custom_domain": None,
        # Keys are random UUIDs that never collide; False would cost a HEAD per upload.
        "file_overwrite": True,
        "client_config": Config(
            s3={"addressing_style": style}, signature_version=signature,
            # boto3 >= 1.36 adds CRC checksums (aws-chunked uploads) that COS, OSS and
            # older MinIO reject: only send them where the API requires one.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=5.0),
            read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=30.0)),
    }


STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND not in ("local", "s3"):
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'.")
STORAGES = {
    # django-storages' S3 storage, reusing signed URLs for half their life (config/storage.py)
    "default": ({"BACKEND": "config.storage.S3Storage", "OPTIONS": s3_storage_options()}
                if STORAGE_BACKEND == "s3"
                else {"BACKEND": "django.core.files.storage.FileSystemStorage"}),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
    ],
    # JSON bounded in size and depth (config/api/parsers.py); forms and multipart as DRF's.
    "DEFAULT_PARSER_CLASSES": [
        "config.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson writing DRF's JSON (config/api/renderers.py); the browsable API as before.
    "DEFAULT_RENDERER_CLASSES": [
        "config.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "config.api.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="30/min"),
        "invite": env("THROTTLE_INVITE", default="20/hour"),
        "upload": env("THROTTLE_UPLOAD", default="60/min"),
        "report": env("THROTTLE_REPORT", default="30/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    # Proxies in front of us whose X-Forwarded-For entries we trust (nginx: 1). With 0 the
    # throttles key on the socket address, so a client cannot forge its identity.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
MAX_PAGE_SIZE = env.int("MAX_PAGE_SIZE", default=100)
# A JSON body over this many bytes is 413 `body_too_large` before it is parsed.
MAX_JSON_BODY_BYTES = env.int("MAX_JSON_BODY_BYTES", default=1_048_576)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "网格通 (Grid Link) API",
    "DESCRIPTION": "Backend of the grid leaders' WeChat mini-program.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and its favicon from drf-spectacular-sidecar's static files (pinned in
    # constraints.txt): /api/docs/ loads nothing from another host.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.document_idempotency_key",
    ],
    # Several models have a `status` or `level` field with different choices: name each
    # set, or the generator invents hashed names (Status7a8Enum) and warns.
    "ENUM_NAME_OVERRIDES": {
        "RegionLevelEnum": "gridapp.models.Region.Level",
        "ReportLevelEnum": "gridapp.models.ReportLevel",
        "MembershipStatusEnum": "gridapp.models.GridMembership.Status",
        "ReportStatusEnum": "gridapp.models.Report.Status",
        "ProjectStatusEnum": "gridapp.models.Project.Status",
        "ReportSourceEnum": "gridapp.models.Report.Source",
        "FiledSourceEnum": [("miniprogram", "mini-program"), ("hotline", "12345 hotline")],
        "RunStatusEnum": "payroll.models.Run.Status",
        "PayrollLineKindEnum": "payroll.models.RunLine.Kind",
        "DistributionStatusEnum": "payroll.models.Distribution.Status",
        "AppealStatusEnum": "payroll.models.Appeal.Status",
    },
}

# --- WeChat -----------------------------------------------------------------------------
WECHAT_APP_ID = env("WECHAT_APP_ID", default="")
WECHAT_APP_SECRET = env("WECHAT_APP_SECRET", default="")
WECHAT_API_BASE = env("WECHAT_API_BASE", default="https://api.weixin.qq.com")
WECHAT_TIMEOUT = env.float("WECHAT_TIMEOUT", default=5.0)
# "dev" maps the login code demo-<name> to a demo user; refused unless DEBUG is on.
WECHAT_BACKEND = env("WECHAT_BACKEND", default="api" if WECHAT_APP_ID else "dev")
if WECHAT_BACKEND not in ("api", "dev"):
    raise ImproperlyConfigured("WECHAT_BACKEND must be 'api' or 'dev'.")
if WECHAT_BACKEND == "dev" and not DEBUG:
    raise ImproperlyConfigured("The dev WeChat backend is refused when DEBUG is off.")
if WECHAT_BACKEND == "api" and not (WECHAT_APP_ID and WECHAT_APP_SECRET):
    raise ImproperlyConfigured("WECHAT_APP_ID and WECHAT_APP_SECRET are required.")

# --- Domain knobs -----------------------------------------------------------------------
INVITE_TTL_HOURS = env.int("INVITE_TTL_HOURS", default=72)
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=10.0)

# --- Photos and reports -----------------------------------------------------------------
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=40_000_000)
# Pixels a user may have decoded per clock hour: decoding is what an upload costs in CPU
# (a 40-megapixel PNG of one colour is 131 KB on the wire and a second of a core).
PHOTO_PIXELS_PER_HOUR = env.int("PHOTO_PIXELS_PER_HOUR", default=1_000_000_000)
PHOTO_MAX_SIDE = env.int("PHOTO_MAX_SIDE", default=2560)
PHOTO_THUMBNAIL_SIDE = env.int("PHOTO_THUMBNAIL_SIDE", default=480)
PHOTO_FORMAT = env("PHOTO_FORMAT", default="jpeg")
if PHOTO_FORMAT not in ("jpeg", "webp"):
    raise ImproperlyConfigured("PHOTO_FORMAT must be 'jpeg' or 'webp'.")
PHOTO_QUALITY = env.int("PHOTO_QUALITY", default=85)
PHOTO_ORPHAN_HOURS = env.int("PHOTO_ORPHAN_HOURS", default=24)
REPORT_NUMBER_PREFIX = env("REPORT_NUMBER_PREFIX", default="BH")
REPORT_MAX_PHOTOS = env.int("REPORT_MAX_PHOTOS", default=9)
REPORT_DUPLICATE_DAYS = env.int("REPORT_DUPLICATE_DAYS", default=30)
REPORT_PHOTO_DISTANCE_M = env.float("REPORT_PHOTO_DISTANCE_M", default=500.0)
# Governance projects (docs/workflow.md "Governance projects"): a suggestion is at least
# this many reports of one category in the last days, in one street or near each other.
PROJECT_SUGGESTION_MIN_REPORTS = env.int("PROJECT_SUGGESTION_MIN_REPORTS", default=5)
PROJECT_SUGGESTION_DAYS = env.int("PROJECT_SUGGESTION_DAYS", default=30)
PROJECT_SUGGESTION_RADIUS_M = env.int("PROJECT_SUGGESTION_RADIUS_M", default=300)

# --- Open311 GeoReport v2 (open311/, docs/open311.md) ---
# Reading requests without an api_key (only non-personal fields are ever published).
OPEN311_PUBLIC_READ = env.bool("OPEN311_PUBLIC_READ", default=False)
# What discovery.json tells client developers: whom to ask, where to ask for a key.
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="")
OPEN311_KEY_SERVICE = env.str("OPEN311_KEY_SERVICE", default="")

# --- Workflow, SLA and notifications (gridapp.lifecycle, gridapp.services) ----------------
REPORT_URGENT_SLA_HOURS = env.int("REPORT_URGENT_SLA_HOURS", default=2)
REPORT_VERIFY_DAYS = env.int("REPORT_VERIFY_DAYS", default=7)
# Receiving (受理): a submitted report must be accepted within this, from submission; an
# urgent one within minutes. And the overall deadline from submission, which escalation
# does not reset (docs/workflow.md "The clocks").
REPORT_ACCEPT_HOURS = env.int("REPORT_ACCEPT_HOURS", default=24)
REPORT_ACCEPT_MINUTES_URGENT = env.int("REPORT_ACCEPT_MINUTES_URGENT", default=30)
REPORT_DEADLINE_DAYS = env.int("REPORT_DEADLINE_DAYS", default=15)
REPORT_DEADLINE_HOURS_URGENT = env.int("REPORT_DEADLINE_HOURS_URGENT", default=24)
# Learned routing (gridapp.selectors.routing, docs/workflow.md "Learned routing"): the
# last WINDOW reports of a category × region finished at a level are looked at, once there
# are MIN_REPORTS of them; where the table's department returned at least SHARE of them and
# one other department finished those, that one is suggested.
ROUTING_LEARN_WINDOW = env.int("ROUTING_LEARN_WINDOW", default=10)
ROUTING_LEARN_MIN_REPORTS = env.int("ROUTING_LEARN_MIN_REPORTS", default=5)
ROUTING_LEARN_SHARE = env.float("ROUTING_LEARN_SHARE", default=0.5)
if not (1 <= ROUTING_LEARN_MIN_REPORTS <= ROUTING_LEARN_WINDOW <= 1000
        and 0 < ROUTING_LEARN_SHARE <= 1):
    raise ImproperlyConfigured("Learned routing needs 1 <= ROUTING_LEARN_MIN_REPORTS <= "
                               "ROUTING_LEARN_WINDOW <= 1000 and 0 < ROUTING_LEARN_SHARE <= 1.")

# Department scorecards (四象限, docs/evaluation.md): fast = median hours from dispatch to
# start at most FAST_HOURS; effective = effect rate at least EFFECT_RATE; a department
# with fewer than MIN_REPORTS reports in the period is not placed.
EVALUATION_FAST_HOURS = env.float("EVALUATION_FAST_HOURS", default=24.0)
EVALUATION_EFFECT_RATE = env.float("EVALUATION_EFFECT_RATE", default=0.8)
EVALUATION_MIN_REPORTS = env.int("EVALUATION_MIN_REPORTS", default=5)
if not (0 < EVALUATION_FAST_HOURS <= 100_000 and 0 <= EVALUATION_EFFECT_RATE <= 1
        and 1 <= EVALUATION_MIN_REPORTS <= 100_000):
    raise ImproperlyConfigured("Scorecards need 0 < EVALUATION_FAST_HOURS <= 100000, "
                               "0 <= EVALUATION_EFFECT_RATE <= 1 and "
                               "1 <= EVALUATION_MIN_REPORTS <= 100000.")
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=30)
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=120)
# The mini-program page a subscribe message opens; {report} is the report id.
WECHAT_MESSAGE_PAGE = env("WECHAT_MESSAGE_PAGE", default="pages/report/detail?id={report}")
# What a message may carry, by name; each template maps its keywords to these.
WECHAT_MESSAGE_FIELDS = {"number", "category", "status", "level", "note", "result", "time",
                         "due", "address", "department"}
_TEMPLATE_DEFAULT_FIELDS = {
    "new_report": "character_string1=number,thing2=category,thing3=address,time4=time",
    "accepted": "character_string1=number,thing2=category,phrase3=status,time4=time",
    "dispatched": "character_string1=number,thing2=category,time3=due,thing4=note",
    "resolved": "character_string1=number,thing2=category,thing3=note,time4=time",
    "closed": "character_string1=number,thing2=category,phrase3=result,time4=time",
    "overdue": "character_string1=number,thing2=category,time3=due,thing4=department",
    "escalated": "character_string1=number,thing2=category,phrase3=level,thing4=note",
    "returned": "character_string1=number,thing2=category,thing3=department,thing4=note",
    "extension_asked": "character_string1=number,thing2=category,time3=due,thing4=note",
    "extension_reply": "character_string1=number,phrase2=result,time3=due,thing4=note",
    "suggestion": "thing1=category,thing2=address,thing3=note,time4=time",
}


def wechat_template(kind: str) -> dict:
    """WECHAT_TEMPLATE_<KIND> (the template id; empty: such messages are given up) and
    WECHAT_TEMPLATE_<KIND>_FIELDS (`keyword=field,...`, e.g. `thing2=category`)."""
    name = f"WECHAT_TEMPLATE_{kind.upper()}"
    fields = env.get_value(f"{name}_FIELDS", cast=dict, default=_TEMPLATE_DEFAULT_FIELDS[kind],
                           parse_default=True)
    unknown = set(fields.values()) - WECHAT_MESSAGE_FIELDS
    if not fields or unknown:
        raise ImproperlyConfigured(f"{name}_FIELDS maps to unknown fields {sorted(unknown)}; "
                                   f"known: {sorted(WECHAT_MESSAGE_FIELDS)}.")
    return {"id": env(name, default=""), "fields": fields}


WECHAT_TEMPLATES = {kind: wechat_template(kind) for kind in _TEMPLATE_DEFAULT_FIELDS}

# --- Payroll ----------------------------------------------------------------------------
# Account numbers in bank files: "masked" (6222********0001) or "full".
PAYROLL_EXPORT_ACCOUNT_NUMBERS = env("PAYROLL_EXPORT_ACCOUNT_NUMBERS", default="masked")
if PAYROLL_EXPORT_ACCOUNT_NUMBERS not in ("masked", "full"):
    raise ImproperlyConfigured("PAYROLL_EXPORT_ACCOUNT_NUMBERS must be 'masked' or 'full'.")


def payroll_adjustment_limit() -> "Decimal":
    """PAYROLL_ADJUSTMENT_LIMIT: the largest adjustment either way, in yuan with at most two
    decimals (3000.00 by default)."""
    from decimal import Decimal  # imported here to keep the payroll settings in one place

    text = env("PAYROLL_ADJUSTMENT_LIMIT", default="3000.00")
    try:
        limit = Decimal(text)
    except ArithmeticError:
        limit = Decimal("NaN")
    if not (limit.is_finite() and Decimal("0.01") <= limit <= Decimal("99999999.99")
            and limit == limit.quantize(Decimal("0.01"))):
        raise ImproperlyConfigured("PAYROLL_ADJUSTMENT_LIMIT must be an amount from 0.01 to "
                                   f"99999999.99 with at most two decimals, not {text!r}.")
    return limit


# Largest adjustment either way: beyond it 400 `amount_over_limit`.
PAYROLL_ADJUSTMENT_LIMIT = payroll_adjustment_limit()


def payroll_year_end_weights() -> dict[str, dict[str, "Decimal"]]:
    """PAYROLL_YEAR_END_WEIGHTS: JSON, region code (or "default") → {metric: weight}; the
    nearest region up the tree wins. Unnamed metrics weigh 0."""
    import json
    from decimal import Decimal, InvalidOperation

    from payroll.yearend.scoring import DEFAULT_WEIGHTS, METRICS

    text = env("PAYROLL_YEAR_END_WEIGHTS", default="")
    if not text:
        return {"default": dict(DEFAULT_WEIGHTS)}
    try:
        table = {str(region): {metric: Decimal(str(weight)) for metric, weight in entry.items()}
                 for region, entry in json.loads(text).items()}
    except (ValueError, AttributeError, TypeError, InvalidOperation):
        table = None
    if not table or any(set(w) - set(METRICS) or not all(v.is_finite() and v >= 0
                                                          for v in w.values())
                        for w in table.values()):
        raise ImproperlyConfigured(
            "PAYROLL_YEAR_END_WEIGHTS must be a JSON object of region codes (or \"default\") "
            f"to {{metric: non-negative weight}}, metrics among {list(METRICS)}.")
    table.setdefault("default", dict(DEFAULT_WEIGHTS))
    return table


def payroll_year_end_bound(name: str, low: str, high: str) -> "Decimal | None":
    """An optional multiple of an equal share (empty: no bound)."""
    from decimal import Decimal, InvalidOperation

    text = env(name, default="")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not (value.is_finite() and Decimal(low) <= value <= Decimal(high)):
        raise ImproperlyConfigured(f"{name} must be empty or a number from {low} to {high}, "
                                   f"not {text!r}.")
    return value


# Year-end second distribution (docs/payroll.md "Year-end"): weights per region, and the
# optional bounds per share as multiples of an equal share, and the minimum days served.
PAYROLL_YEAR_END_WEIGHTS = payroll_year_end_weights()
PAYROLL_YEAR_END_FLOOR = payroll_year_end_bound("PAYROLL_YEAR_END_FLOOR", "0", "1")
PAYROLL_YEAR_END_CAP = payroll_year_end_bound("PAYROLL_YEAR_END_CAP", "1", "1000")
PAYROLL_YEAR_END_MIN_DAYS = env.int("PAYROLL_YEAR_END_MIN_DAYS", default=0)
if not 0 <= PAYROLL_YEAR_END_MIN_DAYS <= 366:
    raise ImproperlyConfigured("PAYROLL_YEAR_END_MIN_DAYS must lie between 0 and 366.")

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A request that commits a change queues its messages after commit: with the broker down
# it must fail fast (the outbox relay sends them later). kombu would otherwise sleep
# interval_start (2 s) before its one retry.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2,
                                   "max_retries": 1, "interval_start": 0}
CELERY_BEAT_SCHEDULE = {
    "purge-idempotency-records": {
        "task": "accounts.tasks.purge_idempotency_records",
        "schedule": timedelta(hours=1),
    },
    "delete-orphan-photos": {
        "task": "gridapp.tasks.delete_orphan_photos",
        "schedule": timedelta(hours=1),
    },
    "check-pending-report-content": {
        "task": "gridapp.tasks.check_pending_report_content",
        "schedule": timedelta(minutes=10),
    },
    "relay-notifications": {  # what the on-commit tasks could not send (broker down)
        "task": "gridapp.tasks.relay_notifications",
        "schedule": timedelta(minutes=1),
    },
    "supervise-reports": {  # overdue → flag, notify; a second SLA period → escalate
        "task": "gridapp.tasks.supervise_reports",
        "schedule": timedelta(minutes=5),
    },
    "close-unverified-reports": {
        "task": "gridapp.tasks.close_unverified_reports",
        "schedule": timedelta(minutes=30),
    },
    "announce-project-suggestions": {  # each morning: new classes of problems (治理一类问题)
        "task": "gridapp.tasks.announce_project_suggestions",
        "schedule": crontab(minute=0, hour=8),
    },
    "publish-scorecards": {  # on the 1st: last month's scorecards for every command centre
        "task": "gridapp.tasks.publish_monthly_scorecards",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    "prepare-payroll-drafts": {  # on the 1st: the new month's draft for every community
        "task": "payroll.tasks.prepare_monthly_runs",
        "schedule": crontab(minute=30, hour=1, day_of_month=1),
    },
}

# --- Security (production: DEBUG off) ---------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# JSON lines in production (for the log shipper), readable text in development; both
# carry the request id and mask phone numbers.
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'.")
LOGGING = logging_config(LOG_FORMAT, env("LOG_LEVEL", default="INFO"))
