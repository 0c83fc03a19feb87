"""Log lines as text (the default) or, with PORTAL_LOG_FORMAT=json, one JSON object a line for a
log collector to read without parsing prose.

Django's processes take the format from ``settings.LOGGING``. Celery's worker and beat install
handlers of their own, so ``json_log_lines`` gives those the same formatter once Celery has set
them up, and ``quiet_worker`` leaves out the worker's start-up banner, which is not a log line
(both connected in portal/celery.py). gunicorn configures its logging before the portal's
settings are read: gunicorn.conf.py gives it ``gunicorn_logging``.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter

LOG_FORMATS = ("text", "json")

# Every line carries when, how serious, which logger and which process; a traceback, when there
# is one, goes in "exc_info" within the same line.
JSON_FIELDS = ["asctime", "levelname", "name", "process", "message"]
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


def log_format(raw: str) -> str:
    """PORTAL_LOG_FORMAT's value: text (also when empty) or json."""
    value = raw.strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ImproperlyConfigured(f"PORTAL_LOG_FORMAT must be text or json; got {raw!r}")
    return value


def json_formatter() -> logging.Formatter:
    return JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES, json_ensure_ascii=False)


def json_log_lines(logger: logging.Logger | None = None, **kwargs: object) -> None:
    """Celery's after_setup_logger and after_setup_task_logger: JSON lines when configured."""
    from django.conf import settings

    if logger is None or settings.LOG_FORMAT != "json":
        return
    for handler in logger.handlers:
        handler.setFormatter(json_formatter())


def quiet_worker(instance: object = None, **kwargs: object) -> None:
    """Celery's celeryd_init: no start-up banner among JSON lines (as `celery --quiet` would)."""
    from django.conf import settings

    if instance is not None and settings.LOG_FORMAT == "json":
        instance.quiet = True


def gunicorn_logging() -> dict[str, object]:
    """gunicorn's logconfig_dict for JSON lines: its own messages on stderr and the access log
    on stdout, where gunicorn writes them in text."""

    def stream(name: str) -> dict[str, str]:
        return {"class": "logging.StreamHandler", "formatter": "json", "stream": name}

    def logger(handler: str) -> dict[str, object]:
        return {"level": "INFO", "handlers": [handler], "propagate": False}

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "portal.logs.json_formatter"}},
        "handlers": {"error": stream("ext://sys.stderr"), "access": stream("ext://sys.stdout")},
        "root": {"level": "INFO", "handlers": ["error"]},
        "loggers": {"gunicorn.error": logger("error"), "gunicorn.access": logger("access")},
    }
