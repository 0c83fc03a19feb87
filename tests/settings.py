"""Test settings: production settings with test-only values supplied through the environment."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

from portal.settings import *  # noqa: F403
from portal.settings import REDIS_URL

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
