"""The audit log's actions in words: one home for what each action code means to a reader.

Each app adds the words for its own actions when it starts (``describe``, from its
``AppConfig.ready``), so the portal names actions it cannot import. The audit log shows the words
with the code beside them, and offers the actions as a list to filter by, grouped by the part of
the code before its dot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_WORDS: dict[str, str] = {}
_GROUPS: dict[str, str] = {}


def describe(actions: Mapping[str, str], *, groups: Mapping[str, str] | None = None) -> None:
    """Add the words for ``actions`` (code -> words) and, optionally, for groups of them
    (the code's first part -> words). A code described twice must keep its words."""
    for table, new in ((_WORDS, actions), (_GROUPS, groups or {})):
        for code, words in new.items():
            if table.get(code, words) != words:
                raise ValueError(f"{code} is already described as {table[code]!r}")
            table[code] = words


def words_for(action: str) -> str:
    """What ``action`` means, or an empty string for a code nobody described."""
    return _WORDS.get(action, "")


def described() -> dict[str, str]:
    return dict(_WORDS)


@dataclass(frozen=True)
class Group:
    prefix: str  # "auth." : filters every action whose code starts with it
    words: str
    actions: list[tuple[str, str]]  # (code, words), by words


def groups() -> list[Group]:
    """Every described action, in groups by the part of its code before the dot, by words."""
    found: dict[str, list[tuple[str, str]]] = {}
    for code, words in _WORDS.items():
        found.setdefault(code.split(".", 1)[0], []).append((code, words))
    return sorted(
        (
            Group(
                f"{key}.",
                _GROUPS.get(key, key.replace("_", " ").capitalize()),
                sorted(pairs, key=lambda p: p[1]),
            )
            for key, pairs in found.items()
        ),
        key=lambda group: group.words,
    )


PORTAL_GROUPS = {
    "auth": "Sign-in and passwords",
    "user": "People's accounts",
    "staff": "Staff imports and invitations",
    "department": "Departments",
    "people": "Test companies",
    "job": "Scheduled jobs",
    "notification": "Notifications",
}

PORTAL_ACTIONS = {
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.login_failed": "Sign-in failed",
    "auth.locked_out": "Account locked after failed sign-ins",
    "auth.address_throttled": "Sign-in refused: too many failures from one address",
    "auth.oidc_linked": "Organisation sign-in linked to an account",
    "auth.oidc_refused": "Organisation sign-in refused",
    "auth.password_changed": "Password changed",
    "auth.password_reset": "Password reset from an e-mailed link",
    "auth.password_reset_requested": "Password-reset link requested",
    "auth.password_reset_throttled": "Password-reset link refused: too many asked for",
    "auth.password_set_from_letter": "Password chosen with a first sign-in letter",
    "auth.letter_code_refused": "First sign-in letter's code refused",
    "auth.permission_denied": "Refused a page (no access)",
    "auth.not_found": "Asked for something not found or not theirs",
    "user.created": "Account created",
    "user.deactivated": "Account deactivated",
    "user.email_changed": "E-mail address changed",
    "user.import_held": "Import row left for an administrator",
    "user.imported": "Person added by a staff import",
    "user.updated": "Person's details updated by a staff import",
    "user.line_manager_changed": "Line manager changed",
    "user.letter_printed": "First sign-in letter printed",
    "user.linked": "Account linked to a staff notice",
    "staff.import_queued": "Staff import queued",
    "staff.import_cancelled": "Staff import cancelled",
    "staff.imported": "Staff import finished",
    "staff.invitations_requested": "Invitations to sign in requested",
    "staff.invited": "Invited to sign in",
    "department.created": "Department created",
    "department.renamed": "Department renamed",
    "department.budget_holder_changed": "Budget holder changed",
    "department.deputy_changed": "Deputy budget holder changed",
    "people.scale_seeded": "Test company seeded at scale",
    "job.run_requested": "Scheduled job run by hand",
    "notification.retried": "Notification sent again",
    "notification.retried_all": "Every failed notification sent again",
}
