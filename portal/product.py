"""The portal's own name and version, as documents it produces record them."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

NAME = "Acceptable Use Portal"
_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@cache
def version() -> str:
    """The version in pyproject.toml: the portal runs from its checkout (and the image copies
    it whole), so this is the version of the code running, whether or not it was installed."""
    with _PYPROJECT.open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def producer() -> str:
    """'Acceptable Use Portal 0.1.0': what a PDF's Producer names."""
    return f"{NAME} {version()}"
