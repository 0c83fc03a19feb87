"""Settings for the Acceptable Use Portal, read from the environment.

Every variable is listed, with its default, in ``.env.example``. The defaults run the demo:
SQLite, a broker on the local file system and e-mail printed to the console.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from portal.env import (
    email_settings,
    env_bool,
    env_colour,
    env_email,
    env_emails,
    env_int,
    env_list,
    env_networks,
    env_pounds,
    env_static_path,
    env_str,
    env_url,
)
from portal.logs import log_format
from portal.organisation import DEFAULT_BRAND_COLOUR, DEMO, Organisation

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

# --- Core -----------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", False)
# A placeholder, not a secret: with DEBUG off the portal refuses to start while it is in use.
INSECURE_DEV_SECRET = "insecure-development-only-secret-key-do-not-deploy"  # noqa: S105  # nosec B105
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or INSECURE_DEV_SECRET
if not DEBUG and SECRET_KEY == INSECURE_DEV_SECRET:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
        "For local development set DJANGO_DEBUG=1 (make demo does this)."
    )
if not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long.")

# The Ed25519 key that seals signature records (acknowledgements.sealing): a file the database
# never sees. Public keys of retired keys (*.pem) go in PORTAL_SEALING_PUBLIC_KEYS_DIR so that the
# records they sealed still verify. The demo makes its own key in var/ on first use.
SEALING_KEY_FILE = env_str("PORTAL_SEALING_KEY_FILE")
SEALING_KEY_MAKE = False
if not SEALING_KEY_FILE:
    if not DEBUG:
        raise ImproperlyConfigured(
            "PORTAL_SEALING_KEY_FILE must be set when DJANGO_DEBUG is off: the path of the key "
            "file that seals signature records (python manage.py make_sealing_key PATH makes one)."
        )
    SEALING_KEY_FILE = str(VAR_DIR / "sealing-key.pem")
    SEALING_KEY_MAKE = True
SEALING_PUBLIC_KEYS_DIR = env_str("PORTAL_SEALING_PUBLIC_KEYS_DIR")
# Where the PDFs' fonts are (portal.fonts): comma-separated folders, searched in order. The
# default (also when it is set but empty) is where Debian's font packages put them.
FONT_DIRS = env_list("PORTAL_FONT_DIRS", []) or [
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/nanum",
    "/usr/share/fonts/truetype/droid",
]
# Who receives the daily witness of the signature chain's head (an auditor's mailbox, not a
# portal user); the witness is written to the log as well.
WITNESS_EMAILS = env_emails("PORTAL_WITNESS_EMAILS")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
PORTAL_BASE_URL = env_url(
    "PORTAL_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https")
).rstrip("/")
CSRF_TRUSTED_ORIGINS = [PORTAL_BASE_URL]

# --- The organisation ------------------------------------------------------------------------
# Who the portal serves, as its pages, e-mails, receipts and letters name it
# (portal/organisation.py). The demo is the seed company of the policy in
# acknowledgements/policy_data; with DEBUG off nothing of it is used, and the name must be set.
_seed = DEMO if DEBUG else Organisation(name="", short_name="")
ORG_NAME = env_str("PORTAL_ORG_NAME", _seed.name).strip()
if not ORG_NAME:
    raise ImproperlyConfigured(
        "PORTAL_ORG_NAME must be set when DJANGO_DEBUG is off: your organisation's name, as the "
        "portal's pages, e-mails, receipts and letters give it (e.g. Northwind Home Care Ltd)."
    )
ORG_SHORT_NAME = env_str("PORTAL_ORG_SHORT_NAME", _seed.short_name).strip() or ORG_NAME
IT_HELPLINE_EMAIL = env_email("PORTAL_IT_HELPLINE_EMAIL", _seed.it_helpline_email)
IT_HELPLINE_PHONE = env_str("PORTAL_IT_HELPLINE_PHONE", _seed.it_helpline_phone).strip()
HR_CONTACT_NAME = env_str("PORTAL_HR_CONTACT_NAME", _seed.hr_contact_name).strip() or "HR"
HR_CONTACT_EMAIL = env_email("PORTAL_HR_CONTACT_EMAIL", _seed.hr_contact_email)
HR_CONTACT_PHONE = env_str("PORTAL_HR_CONTACT_PHONE", _seed.hr_contact_phone).strip()
ORG_LOGO = env_static_path("PORTAL_ORG_LOGO", _seed.logo)
BRAND_COLOUR = env_colour("PORTAL_BRAND_COLOUR", DEFAULT_BRAND_COLOUR)

INSTALLED_APPS = [
    "portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "csp",
    "portal",
    "acknowledgements",
    "requests",
]

MIDDLEWARE = [
    # First: a body too large (or of no stated length) is refused before anything reads it.
    "portal.body_limit.RequestBodyLimitMiddleware",
    # Before anything reads X-Forwarded-*: drops them unless a trusted proxy sent the request.
    "portal.client.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The frame and CSP headers are added to every answer given below them, /healthz's too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # /healthz, whatever the Host: before CommonMiddleware validates it, and before sessions,
    # sign-in and CSRF (portal.healthz).
    "portal.healthz.HealthzMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.password_age.PasswordAgeMiddleware",
    # Axes must be last: it turns a lockout raised during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "csp.context_processors.nonce",
                "portal.context_processors.navigation",
                "portal.context_processors.organisation",
            ],
            "builtins": ["portal.templatetags.form_tokens"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL")
if not _database_url:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the zero-setup default lives in ./var
    _database_url = f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
try:
    # Each request and each task (portal/celery.py) first pings a connection it reuses, so a
    # database that restarted costs a reconnect rather than an error.
    DATABASES = {
        "default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL I understand: {exc}") from None
# A trial of the stack on SQLite, which nobody relies on: with DEBUG off the portal starts on
# SQLite only when told so, because one file cannot hold the signatures of a live deployment
# (no separate running role, no backups while it is written, one writer at a time).
TRIAL = env_bool("PORTAL_TRIAL", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if not DEBUG and not TRIAL:
        raise ImproperlyConfigured(
            "DATABASE_URL must name a PostgreSQL database (postgres://user:password@host:5432/"
            "portal) when DJANGO_DEBUG is off; it is unset or names SQLite. For a trial that "
            "nobody relies on, set PORTAL_TRIAL=1 to run on SQLite anyway."
        )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The demo runs the web server, a worker and beat against one file.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People, sign-in and passwords ---------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
PASSWORD_HISTORY_SIZE = 5
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.validators.RecentPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Organisation sign-in with OpenID Connect (Microsoft Entra ID, Google Workspace or any provider
# that publishes its discovery document): off unless both an issuer and a client id are set.
OIDC_ISSUER = env_str("PORTAL_OIDC_ISSUER").strip().rstrip("/")
OIDC_CLIENT_ID = env_str("PORTAL_OIDC_CLIENT_ID").strip()
OIDC_CLIENT_SECRET = env_str("PORTAL_OIDC_CLIENT_SECRET")
OIDC_ENABLED = bool(OIDC_ISSUER and OIDC_CLIENT_ID)
OIDC_BUTTON_LABEL = env_str("PORTAL_OIDC_BUTTON_LABEL").strip() or "Sign in with your work account"
# Entra ID with one tenant: the tenant id every token must carry (its ``tid`` claim).
OIDC_TENANT_ID = env_str("PORTAL_OIDC_TENANT_ID").strip()
# The claim that finds a person in the directory at their first sign-in.
OIDC_MATCH_CLAIM = env_str("PORTAL_OIDC_MATCH_CLAIM").strip() or "email"
# Password sign-in alongside the organisation's; off, only the provider signs people in.
PASSWORD_SIGN_IN = env_bool("PORTAL_PASSWORD_SIGN_IN", True)

# Policy 5.6: passwords change every 3 months; once older, the next request goes to the change
# page. 0 turns expiry off: NCSC, NIST SP 800-63B and OWASP ASVS advise against forced rotation,
# so the policy's annual review is where the company decides.
PASSWORD_MAX_AGE_DAYS = env_int("PORTAL_PASSWORD_MAX_AGE_DAYS", 90, minimum=0)

# Policy 4.11: a budget holder's own request is their authority for a cost up to this much in its
# first year (the one-off cost plus twelve months or one year of the recurring cost); above it, a
# second authoriser (their line manager, else HR) must give it. 0 sends every cost of theirs on.
REQUEST_SELF_AUTHORITY_LIMIT = env_pounds("PORTAL_SELF_AUTHORITY_LIMIT", "100.00")
# A member of IT never decides their own request: another member of IT does. A company with one
# member of IT turns this on to let an administrator (a superuser) decide IT's own requests too.
REQUEST_ADMIN_DECIDES_IT_REQUESTS = env_bool("PORTAL_ADMIN_DECIDES_IT_REQUESTS", False)

AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PORTAL_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
# Lock the account being guessed from that address: locking a whole address would lock out
# every colleague in a care home that shares one connection.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form posts "username"; counting failures against the address in lower case makes
# "Emma@..." and "emma@..." one account, as sign-in itself does.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "portal.auth_events.lockout_username"
# The same client address as the audit log and the other limits, proxies taken into account.
AXES_CLIENT_IP_CALLABLE = "portal.client.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Limits counted in the database, so they hold across every web process and host
# (portal/throttle.py). Failed sign-ins from one client address, across all accounts: above the
# limit, only accounts that have signed in from that address before may try their password.
SIGN_IN_FAILURES_PER_CLIENT = env_int("PORTAL_SIGN_IN_FAILURES_PER_CLIENT", 30, minimum=1)
SIGN_IN_CLIENT_WINDOW_MINUTES = env_int("PORTAL_SIGN_IN_CLIENT_WINDOW_MINUTES", 10, minimum=1)
# Password-reset e-mails an hour, per e-mail address and per client address; over either, the
# same "check your email" page and no e-mail.
PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = env_int("PORTAL_RESETS_PER_ADDRESS_PER_HOUR", 3, minimum=1)
PASSWORD_RESETS_PER_CLIENT_PER_HOUR = env_int("PORTAL_RESETS_PER_CLIENT_PER_HOUR", 20, minimum=1)
# Tries at a first sign-in letter's code (portal/letters.py), per employee number and per client
# address: a code has 50 bits, so these leave guessing hopeless.
LETTER_CODE_TRIES_PER_NUMBER_PER_HOUR = env_int("PORTAL_LETTER_TRIES_PER_NUMBER", 5, minimum=1)
LETTER_CODE_TRIES_PER_CLIENT_PER_HOUR = env_int("PORTAL_LETTER_TRIES_PER_CLIENT", 30, minimum=1)
# Receipts checked on the public Verify page an hour, per client address (or per person, signed
# in): a receipt code has 64 bits, so this leaves guessing hopeless and lets an auditor work.
RECEIPT_CHECKS_PER_CLIENT_PER_HOUR = env_int("PORTAL_RECEIPT_CHECKS_PER_HOUR", 60, minimum=1)
# A signed-in person's "not found" answers recorded in the audit log, at most this many an hour.
NOT_FOUND_AUDITS_PER_USER_PER_HOUR = env_int("PORTAL_NOT_FOUND_AUDITS_PER_HOUR", 10, minimum=1)

SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = True  # the 8 hours count from the last request: idle expiry
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- HTTPS and browser hardening -------------------------------------------------------------
# Behind a TLS-terminating proxy; DJANGO_HTTPS=0 only for a plain-HTTP trial of the stack.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
# The reverse proxies in front of the portal (addresses or CIDR networks). Only a request whose
# direct peer is one of them may name the client's address (X-Forwarded-For) or say that it came
# over HTTPS (X-Forwarded-Proto); from anyone else those headers are dropped
# (portal.client.ForwardedHeadersMiddleware). Empty: no proxy, REMOTE_ADDR is the client.
PORTAL_TRUSTED_PROXIES = env_networks("PORTAL_TRUSTED_PROXIES")
if PORTAL_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads it: forms carry the token
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- Locale ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded files (request attachments). Never served directly: downloads go through a view that
# checks who may see them.
MEDIA_ROOT = Path(env_str("PORTAL_MEDIA_ROOT", str(VAR_DIR / "media")))
MIB = 1024 * 1024
# Each file, each request's files together, and what one person uploads in 24 hours: a bound on
# how fast one account can fill the disk that never refuses ordinary use as the years pass.
_attachment_mb = env_int("PORTAL_ATTACHMENT_MAX_MB", 10, minimum=1)
ATTACHMENT_MAX_BYTES = _attachment_mb * MIB
ATTACHMENTS_PER_REQUEST = env_int("PORTAL_ATTACHMENTS_PER_REQUEST", 10, minimum=1)
ATTACHMENTS_REQUEST_MAX_BYTES = env_int("PORTAL_ATTACHMENTS_REQUEST_MAX_MB", 50, minimum=1) * MIB
ATTACHMENTS_PERSON_DAY_MAX_BYTES = (
    env_int("PORTAL_ATTACHMENTS_PERSON_DAY_MAX_MB", 100, minimum=1) * MIB
)
# The largest request body the portal reads: one file and the form around it. A larger one is
# refused from its Content-Length before any of it is read (``portal.body_limit``); the proxy in
# front (deploy/nginx) is given the same number.
MAX_REQUEST_BODY_BYTES = env_int("PORTAL_MAX_BODY_MB", _attachment_mb + 1, minimum=1) * MIB
if MAX_REQUEST_BODY_BYTES <= ATTACHMENT_MAX_BYTES:
    raise ImproperlyConfigured(
        "PORTAL_MAX_BODY_MB must be larger than PORTAL_ATTACHMENT_MAX_MB: a body holds the file "
        "and the form around it."
    )
# Django's own bounds, kept in step: form fields without files (2.5 MiB, Django's default, far
# above any form here), files held in memory before they go to a temporary file, and files in
# one body.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = ATTACHMENTS_PER_REQUEST

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ---------------------------------------------------------------------------------
_email_host = env_str("EMAIL_HOST")
_email_url = env_str("EMAIL_URL") or (
    f"smtp://{_email_host}:{env_int('EMAIL_PORT', 25, minimum=1)}" if _email_host else "console://"
)
_email = email_settings(_email_url)
globals().update(_email)
if not DEBUG and _email["EMAIL_BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
    raise ImproperlyConfigured(
        f"EMAIL_URL must name a mail server (smtp://... or smtps://...), or EMAIL_HOST a plain "
        f"SMTP relay, when DJANGO_DEBUG is off; {_email_url.split(':')[0]}:// delivers nothing, "
        "so receipts, reminders and password resets would never arrive."
    )
# A hung mail server must not hold an outbox row (and a worker) until the task's time limit.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", _seed.sender or "IT Department <it-portal@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # A user's request never waits long on a broker that is down or hung: the outbox
        # keeps the message and the sweep sends it once the broker is back.
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
        "max_retries": 0,
        "visibility_timeout": 3600,
    }
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "broker-control"),
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Celery's Django fix-up closes the worker's database connection only after this many tasks;
# in between, the checks around each task (portal/celery.py) close one that broke or is older
# than CONN_MAX_AGE, and ping one before it is reused.
CELERY_DB_REUSE_MAX = 200
# Retries never wait longer than this, so a delayed task is not redelivered by Redis as lost.
OUTBOX_MAX_RETRY_DELAY = 1800
OUTBOX_RETRY_BASE_DELAY = 60
OUTBOX_MAX_ATTEMPTS = 8
# Mail servers cap the messages they take on one connection; the sweep reconnects after these.
OUTBOX_MESSAGES_PER_CONNECTION = 100
# Scheduled jobs insert their notices in batches of this many, each batch committed on its own.
OUTBOX_CLAIM_BATCH = 500
# A backlog is sent by up to this many workers at once, one more per this many due messages.
OUTBOX_SWEEPERS = 4
OUTBOX_SWEEP_SHARE = 500
# A sweep takes this many due messages at a time and holds them (a lease) until it has sent
# them, or for a minute longer than its task can run (the hard time limit): then they are due
# again. It starts no message after OUTBOX_SWEEP_SECONDS, well before the soft time limit.
OUTBOX_SEND_BATCH = 25
OUTBOX_SWEEP_SECONDS = 200
OUTBOX_LEASE_SECONDS = CELERY_TASK_TIME_LIMIT + 60


# --- Health (portal.health, /healthz) ---------------------------------------------------------
# How long a worker has to answer the health check's ping (seconds).
HEALTH_WORKER_TIMEOUT_SECONDS = env_int("PORTAL_HEALTH_WORKER_TIMEOUT_SECONDS", 2, minimum=1)
# Beat counts as running while the every-minute outbox sweep has started within this window.
HEALTH_BEAT_WINDOW_SECONDS = env_int("PORTAL_HEALTH_BEAT_WINDOW_SECONDS", 300, minimum=1)
# After this long without a sweep, IT is e-mailed once (per silence) by whatever notices first.
HEALTH_BEAT_ALERT_SECONDS = env_int("PORTAL_HEALTH_BEAT_ALERT_SECONDS", 900, minimum=1)


def _job_at(name: str, hour: int, minute: int = 0) -> dict[str, object]:
    return {
        "task": "portal.tasks.run_scheduled_job",
        "schedule": crontab(hour=hour, minute=minute),
        "args": [name],
    }


# Every scheduled job, named after the job it runs (``portal.scheduling``). Times are UK times:
# CELERY_TIMEZONE is Europe/London, so each job keeps its wall-clock time through the clock
# changes. Nothing runs between 01:00 and 03:00, the hours that the changes skip or repeat.
# Each daily job sends what is owed on or after its occasion and not yet sent, so a day that beat
# missed is made up the next morning, and a run repeated by hand sends nothing twice.
CELERY_BEAT_SCHEDULE = {
    # Every minute: e-mail what is due in the outbox (new, and retries after their backoff).
    "outbox-sweep": {"task": "portal.tasks.sweep_outbox", "schedule": 60.0},
    # 05:00 UK: anyone active with nothing to sign for a policy is asked to sign it.
    "policy-assignments": _job_at("policy-assignments", 5),
    # 06:00 UK: open each annual review 60 days before the review date; remind reviewers 60, 30
    # and 7 days before it, then weekly while overdue.
    "policy-reviews": _job_at("policy-reviews", 6),
    # 06:30 UK: password age notices 14, 7 and 1 days before a password is too old (5.6).
    "password-age": _job_at("password-age", 6, 30),
    # 06:45 UK: personal-use grants expiring in 7 days (employee and manager); expired ones end.
    "personal-use-expiry": _job_at("personal-use-expiry", 6, 45),
    # 07:00 UK: unsigned policy reminders on assignment, 7 and 1 days before due, on the due date,
    # then every 3 days; line managers told once a signature is 7 days overdue.
    "unsigned-policy": _job_at("unsigned-policy", 7),
    # 08:00 UK: HR's weekly summary, sent on Mondays (or the first run after a missed Monday).
    "hr-weekly-summary": _job_at("hr-weekly-summary", 8),
    # 08:15 UK: each line manager (or HR) gets the notices of their staff without a work e-mail.
    "no-email-digest": _job_at("no-email-digest", 8, 15),
    # Five past every hour: access ends within minutes of midnight after a leaver's last day or a
    # temporary worker's end date, and a missed run catches up within the hour.
    "staff-end-access": {
        "task": "portal.tasks.run_scheduled_job",
        "schedule": crontab(minute=5),
        "args": ["staff-end-access"],
    },
    # Ten past every hour: movers take their new place in the directory soon after midnight on
    # their effective date, and a missed run catches up within the hour.
    "staff-movers": {
        "task": "portal.tasks.run_scheduled_job",
        "schedule": crontab(minute=10),
        "args": ["staff-movers"],
    },
    # 07:15 UK: IT told of starters beginning within 3 days whose checklist is not done, and
    # (daily while any exist) of overdue checklist tasks; a temporary worker's manager told 7 days
    # before access ends.
    "staff-starters": _job_at("staff-starters", 7, 15),
    "staff-overdue-tasks": _job_at("staff-overdue-tasks", 7, 15),
    "staff-temporary-ending": _job_at("staff-temporary-ending", 7, 15),
    # 07:30 UK: on a deputy's first day they are told of the costs already waiting for them, and
    # the budget holder on the day after the deputy's last (deciding follows the dates anyway).
    "deputy-dates": _job_at("deputy-dates", 7, 30),
    # 07:30 UK: licences and paid subscriptions in the register renewing within 30 days, to the
    # paying department's budget holder and IT, once per renewal date each.
    "register-renewals": _job_at("register-renewals", 7, 30),
    # 04:00 UK: the signature chain's head (sequence, hash, seal) to PORTAL_WITNESS_EMAILS and
    # the log, covering every signature of the day before.
    "signature-witness": _job_at("signature-witness", 4),
}

# --- Logging --------------------------------------------------------------------------------
# text (the default) or json: one JSON object a line, for a log collector (portal/logs.py).
LOG_FORMAT = log_format(env_str("PORTAL_LOG_FORMAT", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "portal.logs.json_formatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("PORTAL_LOG_LEVEL", "INFO")},
    # fontTools reports every font subset it makes for a PDF (portal.fonts) at INFO, and each
    # font-editing table it leaves out of one (TSI0-TSI5, hinting sources) as a WARNING.
    "loggers": {"axes": {"level": "WARNING"}, "fontTools": {"level": "ERROR"}},
}

# --- Errors to Sentry -----------------------------------------------------------------------
# Off unless SENTRY_DSN is set. Personal data never leaves: the SDK sends none of its own and
# every event is scrubbed on the way out (portal/sentry.py).
SENTRY_DSN = env_str("SENTRY_DSN").strip()
if SENTRY_DSN:
    from portal.sentry import start_sentry

    start_sentry(
        dsn=env_url("SENTRY_DSN", "", schemes=("http", "https")),
        environment=env_str("SENTRY_ENVIRONMENT").strip() or "production",
        release=env_str("SENTRY_RELEASE").strip() or None,
    )
