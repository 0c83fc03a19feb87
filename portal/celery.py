import os

from celery import Celery
from celery.signals import beat_init

from portal.beat_lock import take_beat_lock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Exactly one beat (portal.beat_lock): a second one exits naming the first.
beat_init.connect(take_beat_lock)
