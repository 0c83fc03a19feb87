"""Text people type: one Unicode form to keep, one to compare.

The same name can arrive as different code points: "ë" as one character (NFC, what most
keyboards send) or as "e" and a combining diaeresis (NFD, what macOS file names and some
spreadsheets export). Both look identical, so the portal must treat them as the same name.
"""

from __future__ import annotations

import unicodedata


def stored(value: str) -> str:
    """``value`` as the portal keeps it: NFC, with runs of white space made one space."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def comparable(value: str) -> str:
    """``value`` for an equality test of two typed names.

    NFKC also folds compatibility forms (full-width letters, ligatures such as "ﬁ") that a
    typed name may carry; casefold after it, then NFKC again, as Unicode's own NFKC_Casefold.
    """
    folded = unicodedata.normalize("NFKC", value or "").casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def email(value: str) -> str:
    """An e-mail address as the portal stores and looks it up: NFC, trimmed, lower case."""
    return unicodedata.normalize("NFC", (value or "").strip()).lower()


def sign_in_name(value: str) -> str:
    """What someone typed to sign in, as looked up: an address (with "@") as ``email`` keeps it,
    else an employee number, trimmed and otherwise as typed."""
    value = unicodedata.normalize("NFC", (value or "").strip())
    return email(value) if "@" in value else value
