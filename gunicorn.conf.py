"""gunicorn reads this file from its working directory by itself (/app in the image): with
PORTAL_LOG_FORMAT=json its own lines, start-up, workers and the access log, are JSON objects
like the portal's (portal/logs.py). With text, the default, it changes nothing."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portal.logs import gunicorn_logging, log_format

if log_format(os.environ.get("PORTAL_LOG_FORMAT", "")) == "json":
    logconfig_dict = gunicorn_logging()
