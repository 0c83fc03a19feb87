"""A first sign-in letter prints the person's name, and their line manager's, as typed in any
script (read back with pypdf)."""

from __future__ import annotations

import unicodedata

import pytest

from portal import letters, organisation
from tests.factories import UserFactory
from tests.pdfs import extracted_lines

MAX_BYTES = 150 * 1024


@pytest.mark.parametrize(
    ("first", "last"),
    [("王", "秀英"), ("अमित", "शर्मा"), ("Łucja", "Wiśniewska"), ("محمد", "الأحمد"), ("דוד", "כהן")],
)
def test_the_letter_prints_names_as_typed(department, first, last) -> None:
    manager = UserFactory(first_name="Γιώργος", last_name="Παπαδόπουλος", department=department)
    department.budget_holder = manager
    department.save()
    person = UserFactory(
        email=None,
        employee_number="C0777",
        first_name=first,
        last_name=last,
        department=department,
        line_manager=manager,
    )

    printed = letters.letter_print(actor=manager, person=person)

    text = extracted_lines(printed.pdf)
    assert (
        f"Welcome to the Acceptable Use Portal, {unicodedata.normalize('NFC', person.full_name)}"
        in text
    )
    hr = organisation.current().hr_contact
    assert " ".join(f"your line manager, Γιώργος Παπαδόπουλος, or {hr}".split()) in text
    assert "Printed by Γιώργος Παπαδόπουλος on" in text
    assert f"Your one-time code: {letters.shown_code(printed.code)}" in text
    print(f"\nletter for {person.full_name}: {len(printed.pdf) / 1024:.1f} KB")
    assert len(printed.pdf) < MAX_BYTES
