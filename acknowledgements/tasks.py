from __future__ import annotations

from celery import shared_task

from acknowledgements import publishing


@shared_task
def assign_outstanding() -> int:
    """Daily: anyone active without the current policy to sign (a new account made in the admin,
    a returning member of staff) is asked to sign it. Idempotent."""
    return publishing.assign_all_policies()
