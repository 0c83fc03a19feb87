"""Someone's place in the organisation changing: their department, line manager or job title.

The directory changes in two places: the staff import (HR's file, in force at once) and a mover
notice reaching its effective date. Both tell the rest of the portal through one signal,
``staff_moved``, sent inside the transaction that changed the directory, with the moves as
``Move`` rows and the ``source`` ("import" or "notice"). The apps above ``portal`` listen: IT's
mover notices are raised for an import's moves, and personal-use grants made by an old manager
end. ``portal`` itself never imports them.

The rule that line managers never form a loop has one home for a single person here
(``loop_through``); the staff import checks a whole file at once with the same walk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.dispatch import Signal

from portal.models import User

IMPORT, NOTICE = "import", "notice"

# Sent with ``moves`` (a list of ``Move``), ``actor`` (a User or None) and ``source``.
staff_moved = Signal()


@dataclass(frozen=True)
class Move:
    person: int
    old_department: int | None
    new_department: int | None
    old_manager: int | None
    new_manager: int | None
    old_job_title: str = ""
    new_job_title: str = ""

    @property
    def changes_manager(self) -> bool:
        return self.old_manager != self.new_manager

    @property
    def changes_team(self) -> bool:
        """A mover for IT: a new department or a new line manager."""
        return self.changes_manager or self.old_department != self.new_department


Place = tuple[int | None, int | None, str]


def places(users: Iterable[User]) -> dict[int, Place]:
    """Each person's department, line manager and job title as they stand, by id."""
    return {u.pk: (u.department_id, u.line_manager_id, u.job_title) for u in users if u.pk}


def moves_between(before: dict[int, Place], users: Iterable[User]) -> list[Move]:
    """The people among ``users`` whose department or line manager differs from ``before``."""
    found = []
    for user in users:
        if user.pk not in before:
            continue
        department, manager, title = before[user.pk]
        move = Move(
            person=user.pk,
            old_department=department,
            new_department=user.department_id,
            old_manager=manager,
            new_manager=user.line_manager_id,
            old_job_title=title,
            new_job_title=user.job_title,
        )
        if move.changes_team:
            found.append(move)
    return found


def announce(moves: list[Move], *, actor: User | None, source: str) -> None:
    """Tell the listeners of ``moves``; nothing is sent for none. Call inside the transaction
    that changed the directory, so that what they do is written with it, or not at all."""
    if moves:
        staff_moved.send(sender=Move, moves=moves, actor=actor, source=source)


def loop_through(person: User, manager: User) -> list[User]:
    """The chain that would lead back to ``person`` if ``manager`` became their line manager,
    from the manager up (empty when there is none). One query a level; a chain already in a loop
    that does not reach ``person`` ends the walk."""
    chain: list[User] = []
    seen: set[int] = set()
    current: User | None = manager
    while current is not None and current.pk not in seen:
        if current.pk == person.pk:
            return chain
        chain.append(current)
        seen.add(current.pk)
        if current.line_manager_id is None:
            break
        current = (
            User.objects.filter(pk=current.line_manager_id)
            .only("pk", "first_name", "last_name", "email", "employee_number", "line_manager")
            .first()
        )
    return []
