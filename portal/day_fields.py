"""The one way the portal asks for a day: the browser's date picker, or a typed UK date, within
the years a working life spans.

A day far outside them is a slip of the keyboard (``30/12/9999`` for ``30/12/2026``), and the day
after 31/12/9999 cannot be written at all: every rule that counts days from one (a checklist's due
dates, a grant's expiry notice, a deputy's last day) would fail on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

YEARS_EITHER_SIDE = 50
FORMAT = "%d/%m/%Y"


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # The browser's date picker needs ISO dates; typed UK dates (25/12/2025) are accepted too.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def bounds(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return (
        date(today.year - YEARS_EITHER_SIDE, 1, 1),
        date(today.year + YEARS_EITHER_SIDE, 12, 31),
    )


def check_within_bounds(day: date | None) -> None:
    if day is None:
        return
    earliest, latest = bounds()
    if not earliest <= day <= latest:
        raise ValidationError(
            f"Enter a date between {earliest:{FORMAT}} and {latest:{FORMAT}}.", code="out_of_range"
        )


class DayField(forms.DateField):
    widget = DayInput
    default_error_messages = {"invalid": "Enter a real date, for example 17/03/2026."}
    default_validators = [check_within_bounds]
