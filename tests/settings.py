"""Test settings: production settings with test-only values supplied through the environment."""

import os
import tempfile
from pathlib import Path

from portal.organisation import DEMO

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# The suite runs with DEBUG off, on SQLite unless DATABASE_URL names PostgreSQL: a trial as far
# as the portal's refusal goes. Production refuses mail that goes nowhere; the tests' mail goes
# to the in-memory mailbox (EMAIL_BACKEND below), so this server is never reached.
os.environ.setdefault("PORTAL_TRIAL", "1")
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")
# The demo's organisation, so that what the tests see is what the demo shows; the tests read its
# name and contacts from settings (portal/organisation.py), never write them out.
os.environ.setdefault("PORTAL_ORG_NAME", DEMO.name)
os.environ.setdefault("PORTAL_ORG_SHORT_NAME", DEMO.short_name)
os.environ.setdefault("PORTAL_IT_HELPLINE_EMAIL", DEMO.it_helpline_email)
os.environ.setdefault("PORTAL_IT_HELPLINE_PHONE", DEMO.it_helpline_phone)
os.environ.setdefault("PORTAL_HR_CONTACT_NAME", DEMO.hr_contact_name)
os.environ.setdefault("PORTAL_HR_CONTACT_EMAIL", DEMO.hr_contact_email)
os.environ.setdefault("PORTAL_HR_CONTACT_PHONE", DEMO.hr_contact_phone)
# A sealing key of the test run's own, made in a throwaway folder; processes the tests start
# (workers, commands) inherit the variable and so seal and verify with the same key.
if not os.environ.get("PORTAL_SEALING_KEY_FILE"):
    from acknowledgements.sealing import write_private_key

    _key_file = Path(tempfile.mkdtemp(prefix="portal-test-key-")) / "sealing-key.pem"
    write_private_key(_key_file)
    os.environ["PORTAL_SEALING_KEY_FILE"] = str(_key_file)

from portal.env import email_settings, env_int, env_str
from portal.settings import *  # noqa: F403
from portal.settings import CELERY_BROKER_TRANSPORT_OPTIONS, OUTBOX_LEASE_SECONDS, REDIS_URL

# Hashing with Argon2 for every fixture user would make the suite slow; the production list is
# checked by tests/portal/test_settings.py.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Without Redis, messages go to an in-process broker that nothing consumes; the integration
# tests that need a real broker ask for Redis explicitly.
CELERY_BROKER_URL = REDIS_URL or "memory://"
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# Serve static files from the finders, as the demo does; there is no collectstatic in tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Uploads from the tests go to a throwaway folder.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="portal-test-media-"))

# A worker that the integration tests start as a separate process reads these: a local SMTP
# sink instead of the in-memory mailbox, short retries, and a short broker visibility timeout so
# that a message held by a worker killed mid-task is redelivered within the test.
if env_str("PORTAL_TEST_EMAIL_URL"):
    globals().update(email_settings(env_str("PORTAL_TEST_EMAIL_URL")))
    EMAIL_TIMEOUT = 5
OUTBOX_RETRY_BASE_DELAY = env_int("PORTAL_TEST_RETRY_BASE_DELAY", 60, minimum=1)
OUTBOX_CLAIM_BATCH = env_int("PORTAL_TEST_CLAIM_BATCH", 500, minimum=1)
# A sweep's lease short enough to run out within a test (the worker's solo pool enforces no
# time limit for it to outlast).
OUTBOX_LEASE_SECONDS = env_int("PORTAL_TEST_LEASE_SECONDS", OUTBOX_LEASE_SECONDS, minimum=1)
if env_str("PORTAL_TEST_VISIBILITY_TIMEOUT"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "visibility_timeout": env_int("PORTAL_TEST_VISIBILITY_TIMEOUT", 3600, minimum=1),
        # Kombu 5.7 looks for such messages every interval x throttle seconds (100 by default).
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

# No worker answers the unit tests' pings: a short wait keeps each page that checks the portal's
# health quick. Processes the integration tests start may be given the setting itself.
if not env_str("PORTAL_HEALTH_WORKER_TIMEOUT_SECONDS"):
    HEALTH_WORKER_TIMEOUT_SECONDS = 0.3
# A beat the integration tests start can send the outbox sweep more often than every minute, so
# that a short PORTAL_HEALTH_BEAT_WINDOW_SECONDS sees it stop within the test.
if env_str("PORTAL_TEST_SWEEP_SECONDS"):
    CELERY_BEAT_SCHEDULE = {
        **CELERY_BEAT_SCHEDULE,  # noqa: F405
        "outbox-sweep": {
            "task": "portal.tasks.sweep_outbox",
            "schedule": float(env_int("PORTAL_TEST_SWEEP_SECONDS", 60, minimum=1)),
        },
    }
