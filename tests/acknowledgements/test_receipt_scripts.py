"""A receipt prints the signer's name as typed, in any script, and stays small.

Each receipt is read back with pypdf, as a reader's software would, and the name must come out
as recorded (both in NFC), right-to-left names in their reading order too. One reading is
pypdf's, not the PDF's, and is compared for what it is: where a vowel sign is drawn offset from
its letter (Bengali ু under ক), pypdf's layout heuristic reads the offset as a gap and puts a
space there, so spaces are left out of that comparison (every letter and sign must still be
there, in order).
"""

from __future__ import annotations

import unicodedata

import pytest

from acknowledgements import receipts
from tests.acknowledgements.helpers import sign
from tests.factories import UserFactory
from tests.pdfs import extracted_text

EXACT, OFFSET_SIGNS = "exact", "offset vowel signs"
MAX_BYTES = 150 * 1024

NAMES = [
    ("Polish", "Łukasz", "Wójcik", EXACT),
    ("Arabic", "محمد", "الأحمد", EXACT),
    ("Hebrew", "דוד", "כהן", EXACT),
    ("Chinese", "王秀英", "", EXACT),
    ("Hindi", "अमित", "शर्मा", EXACT),
    ("Greek", "Γιώργος", "Παπαδόπουλος", EXACT),
    ("Russian", "Дмитрий", "Иванов", EXACT),
    ("Japanese", "山田太郎", "", EXACT),
    ("Korean", "김민준", "", EXACT),
    ("Thai", "สมชาย", "ใจดี", EXACT),
    ("Bengali", "রবীন্দ্রনাথ", "ঠাকুর", OFFSET_SIGNS),
    ("Tamil", "முத்துக்குமார்", "", EXACT),
    ("Punjabi", "ਗੁਰਪ੍ਰੀਤ", "ਸਿੰਘ", EXACT),
    ("Vietnamese", "Nguyễn", "Văn Hưng", EXACT),
    ("Czech", "Jiří", "Dvořák", EXACT),
    ("Turkish", "Ayşe", "Yıldız", EXACT),  # noqa: RUF001 (a dotless i, as Turkish writes it)
    ("Ukrainian", "Олена", "Ґонта", EXACT),
    ("Irish", "Seán", "Ó Súilleabháin", EXACT),
]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def read_as(name: str, reading: str) -> str:
    """What pypdf's reading of a receipt must contain for ``name``."""
    return "".join(name.split()) if reading == OFFSET_SIGNS else name


@pytest.mark.parametrize(("language", "first", "last", "reading"), NAMES, ids=[n[0] for n in NAMES])
def test_the_receipt_prints_the_name_as_recorded(version, language, first, last, reading) -> None:
    user = UserFactory(first_name=first, last_name=last)
    ack = sign(user, version)
    assert ack.printed_name == f"{first} {last}".strip()

    pdf = receipts.build_pdf(ack)

    text = extracted_text(pdf)
    expected = read_as(nfc(ack.printed_name), reading)
    if reading == OFFSET_SIGNS:
        text = "".join(text.split())
    assert expected in text, f"{language}: {ack.printed_name!r} not in {text[:300]!r}"
    assert ack.receipt_code in extracted_text(pdf)
    print(f"\n{language} receipt: {len(pdf) / 1024:.1f} KB")
    assert len(pdf) < MAX_BYTES


def test_a_name_mixing_scripts_falls_back_within_the_line(version) -> None:
    user = UserFactory(first_name="Anna 王", last_name="Łęcka-Ωμέγα דוד כהן")
    ack = sign(user, version)

    pdf = receipts.build_pdf(ack)

    assert nfc(ack.printed_name) in extracted_text(pdf)
    assert len(pdf) < MAX_BYTES


def test_typographic_punctuation_is_kept(version) -> None:
    user = UserFactory(first_name="Zoë", last_name="O\u2019Brien\u2013Smith")
    ack = sign(user, version)

    assert "Zoë O\u2019Brien\u2013Smith" in extracted_text(receipts.build_pdf(ack))
