"""The references people quote for requests and staff notices (``AR-000123``, ``SC-000123``)."""

from __future__ import annotations


def make_reference(prefix: str, pk: int | None) -> str:
    """A record's reference as people quote it (``AR-000123``), or ``AR-(new)`` before it is
    saved."""
    return f"{prefix}-{pk:06d}" if pk else f"{prefix}-(new)"
