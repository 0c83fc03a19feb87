"""Keyset pagination's common part: one page of rows and where the next one starts.

Each list keeps its own cursor (the columns it is ordered by, encoded for the address) and its
own "after the cursor" filter; cutting the page is the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Row = TypeVar("Row")
Cursor = TypeVar("Cursor")


@dataclass(frozen=True)
class Page(Generic[Row, Cursor]):
    rows: list[Row]
    next_cursor: Cursor | None
    after: Cursor | None

    @property
    def is_first(self) -> bool:
        return self.after is None


def cut(
    rows: Sequence[Row], *, size: int, after: Cursor | None, cursor_of: Callable[[Row], Cursor]
) -> Page[Row, Cursor]:
    """The first ``size`` of ``rows`` (ordered, already after ``after``); one more is read to
    know whether another page follows, and ``cursor_of`` the last row shown marks its start."""
    found = list(rows[: size + 1])
    next_cursor = None
    if len(found) > size:
        found = found[:size]
        next_cursor = cursor_of(found[-1])
    return Page(rows=found, next_cursor=next_cursor, after=after)
