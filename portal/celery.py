import os

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    celeryd_init,
    task_postrun,
    task_prerun,
)
from django.db import close_old_connections

from portal.beat_lock import take_beat_lock
from portal.logs import json_log_lines, quiet_worker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Exactly one beat (portal.beat_lock): a second one exits naming the first.
beat_init.connect(take_beat_lock)


def check_database_connections(sender: object = None, **kwargs: object) -> None:
    """Around every task, what Django does around every request: drop a connection that broke
    (an OperationalError or InterfaceError left it unusable) or is older than CONN_MAX_AGE, and
    have the next query ping a reused one first (CONN_HEALTH_CHECKS).

    Celery's Django fix-up closes connections only every CELERY_DB_REUSE_MAX tasks, so without
    this a worker keeps a connection the database dropped when it restarted, and every task
    fails on it until then. A task run eagerly runs inside its caller's request or transaction,
    whose connection is not the task's to close (the fix-up leaves those alone too).
    """
    request = getattr(sender, "request", None)
    if getattr(request, "is_eager", False):
        return
    close_old_connections()


task_prerun.connect(check_database_connections)
task_postrun.connect(check_database_connections)

# Celery's own log handlers write JSON lines too when PORTAL_LOG_FORMAT=json (portal.logs).
after_setup_logger.connect(json_log_lines)
after_setup_task_logger.connect(json_log_lines)
celeryd_init.connect(quiet_worker)
