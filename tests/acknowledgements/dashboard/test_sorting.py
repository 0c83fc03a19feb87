"""The order of the dashboard's breakdowns."""

from __future__ import annotations

import pytest

from acknowledgements import compliance


# Sorting ------------------------------------------------------------------------------------
def _rows() -> list[compliance.GroupRow]:
    return [
        compliance.GroupRow(pk=1, name="Care", signed=3, due=1, overdue=0, unassigned=2, total=6),
        compliance.GroupRow(
            pk=2, name="Finance", signed=1, due=1, overdue=2, unassigned=0, total=4
        ),
        compliance.GroupRow(
            pk=None, name="No department", signed=0, due=0, overdue=0, unassigned=1, total=1
        ),
    ]


@pytest.mark.parametrize(
    ("sort", "names", "applied"),
    [
        ("name", ["Care", "Finance", "No department"], "name"),
        ("-name", ["No department", "Finance", "Care"], "-name"),
        ("signed", ["No department", "Finance", "Care"], "signed"),
        ("-overdue", ["Finance", "Care", "No department"], "-overdue"),
        ("due", ["No department", "Care", "Finance"], "due"),
        ("percent", ["No department", "Finance", "Care"], "percent"),
        ("-percent", ["Care", "Finance", "No department"], "-percent"),
        ("password", ["Care", "Finance", "No department"], "name"),
        ("", ["Care", "Finance", "No department"], "name"),
    ],
)
def test_sort_rows(sort: str, names: list[str], applied: str) -> None:
    rows, used = compliance.sort_rows(_rows(), sort)
    assert [r.name for r in rows] == names
    assert used == applied
