"""What the outbox's hand-written statements share: the tables' names, the quick commit, and
times as the database takes them.

The sending loop runs thousands of times a minute: compiling the ORM's queries cost more than
running them, so its statements are written out once, in ``batches``, ``delivery`` and
``sweeping``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection as db_connection

from portal.models import Notification, User

NOTIFICATIONS = Notification._meta.db_table
USERS = User._meta.db_table

# PostgreSQL: the statement's transaction does not wait for its commit to reach the disk. The
# worst a database crash can then do is forget that a message went, so it goes again: a message
# is never lost, and sending is not held to one disk flush per e-mail.
QUICK_COMMIT = "SET LOCAL synchronous_commit TO OFF; "


def quick(sql: str) -> str:
    return QUICK_COMMIT + sql if db_connection.vendor == "postgresql" else sql


def db_time(moment: datetime) -> Any:
    return db_connection.ops.adapt_datetimefield_value(moment)
