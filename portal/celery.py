import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, beat_init, celeryd_init

from portal.beat_lock import take_beat_lock
from portal.logs import json_log_lines, quiet_worker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Exactly one beat (portal.beat_lock): a second one exits naming the first.
beat_init.connect(take_beat_lock)

# Celery's own log handlers write JSON lines too when PORTAL_LOG_FORMAT=json (portal.logs).
after_setup_logger.connect(json_log_lines)
after_setup_task_logger.connect(json_log_lines)
celeryd_init.connect(quiet_worker)
