"""The outbox: notifications are rows written with the change that causes them.

``notify`` is called inside a service's transaction. Delivery by e-mail happens after commit in
a Celery task; if the broker is unreachable the row simply waits for the periodic sweep, so a
user's request never fails or hangs because of Redis, and no message is lost.

Scheduled jobs send many notices at once with ``notify_many``: it finds which dedupe keys are
already taken in one query, renders only the new notices and inserts them in batches,
ignoring conflicts, so two runs at once still write one row per key. The sweep then sends what
is due over one reused SMTP connection.

The rooms: ``notices`` (composing one notice, and which keys are taken), ``batches`` (a job's
notices rendered and claimed in bulk), ``delivery`` (sending one message, and its retries),
``sweeping`` (leasing what is due and sending it), ``broker`` (handing work to the workers, by
task name), ``send_time_secrets`` (the one-time links made only when an e-mail is sent) and
``inbox`` (read and unread). The tasks in ``portal.tasks`` call into the outbox; the outbox
names them but never imports them.
"""

from portal.outbox.batches import notify_many
from portal.outbox.broker import (
    connect_broker_resets,
    enqueue_delivery,
    enqueue_sweep,
    forget_broker_failure,
)
from portal.outbox.delivery import deliver, retry_delay
from portal.outbox.inbox import mark_all_read, mark_read
from portal.outbox.notices import (
    Notice,
    Recipient,
    absolute_url,
    claimed_keys,
    links_to,
    notify,
    notify_address,
    unclaimed,
)
from portal.outbox.send_time_secrets import SECRET_PLACEHOLDER, SEND_TIME_SECRETS
from portal.outbox.sweeping import sweep, sweep_all

__all__ = (
    "SECRET_PLACEHOLDER",
    "SEND_TIME_SECRETS",
    "Notice",
    "Recipient",
    "absolute_url",
    "claimed_keys",
    "connect_broker_resets",
    "deliver",
    "enqueue_delivery",
    "enqueue_sweep",
    "forget_broker_failure",
    "links_to",
    "mark_all_read",
    "mark_read",
    "notify",
    "notify_address",
    "notify_many",
    "retry_delay",
    "sweep",
    "sweep_all",
    "unclaimed",
)
