"""Cells a spreadsheet would run as a formula, made inert (OWASP "CSV injection").

Spreadsheets run a cell as a formula when it starts with ``=``, ``+``, ``-`` or ``@``, and some
skip what comes before: spaces of any kind, characters that print as nothing (zero-width
spaces, the byte order mark, direction marks), line breaks, and a ``;`` that a spreadsheet set
to split on semicolons takes for the end of the cell before. So, as OWASP advises, a cell gets
a ``'`` in front (which the spreadsheet shows as text and hides) when its first character
that is none of those is a formula's first character, or when it starts with a tab, a carriage
return or a line feed.

The rule has two forms that must agree: ``inert`` for text in Python, and ``inert_sql`` for a
column the database writes straight into an export (``tests/acknowledgements/test_export.py``
runs the same cells through both).

Exports are written the same way everywhere (``rows`` and ``lines``): each cell is worked out by
the database as the file holds it (labels, ISO dates, the formula guard), read in chunks so that
memory stays flat, and written a batch of lines at a time after a byte order mark.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connections, transaction
from django.db.models import Case, CharField, F, Func, QuerySet, Value, When
from django.db.models.functions import Concat, Ord
from django.db.models.lookups import In

FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # and their full-width forms
ALWAYS = frozenset("\t\r\n")
# Skipped before a formula's first character: every character Python counts as a space (the
# no-break and other Unicode spaces among them), those that print as nothing, and ";".
SKIPPED = "".join(
    sorted(
        {chr(code) for code in range(0x3100) if chr(code).isspace()}
        | set("\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
        | set("\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d")
        | set("\u206e\u206f\u3000\ufeff;")
    )
)


def needs_guard(value: str) -> bool:
    if not value:
        return False
    if value[0] in ALWAYS:
        return True
    rest = value.lstrip(SKIPPED)
    return bool(rest) and rest[0] in FORMULA_STARTS


def inert(value: str) -> str:
    """``value`` as a cell no spreadsheet runs."""
    return "'" + value if needs_guard(value) else value


class _LTrimChars(Func):
    """The text without the given characters at its start (``ltrim(text, characters)`` on
    PostgreSQL and SQLite alike)."""

    function = "LTRIM"
    output_field = CharField()


_FIRST_CODES = sorted(ord(c) for c in FORMULA_STARTS | ALWAYS)
_SKIPPED_CODES = sorted({ord(c) for c in SKIPPED} - {ord(c) for c in ALWAYS})
_FORMULA_CODES = sorted(ord(c) for c in FORMULA_STARTS)


def inert_sql(path: str) -> Case:
    """The text at ``path`` as ``inert`` would write it, worked out by the database.

    Compared as character codes, which costs the database little: the first character alone
    decides nearly every cell, and only a cell that starts with a skipped character is trimmed
    to look at the first one that is not.
    """
    guarded = Concat(Value("'"), path)
    return Case(
        When(In(Ord(path), _FIRST_CODES), then=guarded),
        When(
            In(Ord(path), _SKIPPED_CODES)
            & In(Ord(_LTrimChars(F(path), Value(SKIPPED))), _FORMULA_CODES),
            then=guarded,
        ),
        default=F(path),
        output_field=CharField(),
    )


# --- Writing an export ------------------------------------------------------------------------
BOM = "\ufeff"  # so that Excel reads the file as UTF-8


class IsoDate(Func):
    """A date as ISO 8601 text, as ``date.isoformat`` writes it."""

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite holds a date as that text already.
        return self.as_sql(compiler, connection, template="%(expressions)s", **extra)


class IsoInstant(Func):
    """A moment as ISO 8601 text in UTC, as ``datetime.isoformat`` writes it: with microseconds
    only when there are some."""

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            "replace(to_char(%(expressions)s AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || '+00:00'"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps a moment in SQLite as ``str()`` of its naive UTC value.
        template = "replace(%(expressions)s, ' ', 'T') || '+00:00'"
        return self.as_sql(compiler, connection, template=template, **extra)


def rows(
    found: QuerySet, columns: Iterable[tuple[str, Any]], *, chunk_size: int = 2000
) -> Iterator[tuple[str | None, ...]]:
    """One tuple of cells per row of ``found`` (None for an empty cell), each cell the SQL of
    its ``(heading, cell)`` column, read in chunks: memory stays flat however many there are.

    The read runs in its own transaction so that, on PostgreSQL, the server-side cursor is
    planned for reading every row (``cursor_tuple_fraction = 1``: hash joins and one sort)
    rather than for returning the first tenth quickly, which walks an index row by row.
    """
    cells = {f"cell_{n}": cell for n, (_title, cell) in enumerate(columns)}
    connection = connections[found.db]
    with transaction.atomic(using=found.db):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from found.annotate(**cells).values_list(*cells).iterator(chunk_size=chunk_size)


def lines(
    header: list[str], cells: Iterable[tuple[str | None, ...]], *, batch: int = 500
) -> Iterator[str]:
    """The file as text, a batch of lines at a time: the BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    pending: list[tuple[str | None, ...]] = []
    for row in cells:
        pending.append(row)
        if len(pending) >= batch:
            yield _written(buffer, writer, pending)
            pending = []
    if pending:
        yield _written(buffer, writer, pending)


def _written(buffer: io.StringIO, writer: Any, batch: list[tuple[str | None, ...]]) -> str:
    # One ``writerows`` per batch into a reused buffer: far fewer Python calls than a line each.
    buffer.seek(0)
    buffer.truncate()
    writer.writerows(batch)
    return buffer.getvalue()
