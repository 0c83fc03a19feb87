from __future__ import annotations

from celery import shared_task

from acknowledgements import chasing
from acknowledgements.models import Policy
from portal.models import User


@shared_task(name=chasing.REMIND_TASK)
def remind_overdue(actor_id: int, policy_id: int, filters: dict) -> int:
    """Claim today's reminders for the overdue people HR's filter shows, as HR asked."""
    actor = User.objects.get(pk=actor_id)
    policy = Policy.objects.get(pk=policy_id)
    return chasing.remind_overdue(
        actor=actor, policy=policy, filters=chasing.filters_from_data(filters)
    )
