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
"""

from __future__ import annotations

from django.db.models import Case, CharField, F, Func, Value, When
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
