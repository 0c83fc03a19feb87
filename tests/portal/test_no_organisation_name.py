"""The portal names no organisation of its own: the seed company's name and contacts live only in
the settings' defaults for the demo (``portal.organisation.DEMO``), the seed policy (data) and
the demo's data, and every other file in the repository, the tests included, reaches them
through the settings."""

from __future__ import annotations

import fnmatch
import subprocess

from portal.organisation import DEMO
from tests.conftest import ROOT

# Where the seed company may be named: its policy text, the demo's people, and the one home of
# the settings' demo defaults.
ALLOWED = (
    "acknowledgements/policy_data/*",
    "*demo_data*.py",
    "portal/demo.py",
    "portal/organisation.py",
)
# Files that are not text (a font, an image) say nothing.
BINARY = (".png", ".ico", ".woff", ".woff2", ".ttf", ".pdf", ".gz", ".zip")


def traces() -> list[str]:
    """The seed company as text could name it, in lower case: its names, its web and e-mail
    domain, and its helpline and HR addresses and telephone numbers."""
    domain = DEMO.it_helpline_email.rsplit("@", 1)[1]
    found = {
        DEMO.name,
        DEMO.short_name,
        domain,
        DEMO.it_helpline_email,
        DEMO.it_helpline_phone,
        DEMO.hr_contact_email,
        DEMO.hr_contact_phone,
    }
    return sorted(trace.lower() for trace in found if trace)


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [name for name in listed.decode().split("\0") if name]


def allowed(path: str) -> bool:
    return path.endswith(BINARY) or any(fnmatch.fnmatch(path, pattern) for pattern in ALLOWED)


def test_the_traces_are_the_seed_companys() -> None:
    assert len(traces()) == 7
    assert DEMO.short_name.lower() in traces()


def test_the_scan_sees_the_code_the_templates_and_the_tests() -> None:
    files = tracked_files()
    for expected in (
        "templates/base.html",
        "templates/emails/base.html",
        "acknowledgements/receipts.py",
        "portal/letters.py",
        "README.md",
        "pyproject.toml",
        "tests/portal/test_invitations.py",
    ):
        assert expected in files
    assert not allowed("templates/base.html")
    assert allowed("acknowledgements/policy_data/acceptable-use-v1.md")
    assert allowed("requests/demo_data.py")


def test_no_file_outside_the_seed_data_names_the_seed_company() -> None:
    found = []
    for path in tracked_files():
        if allowed(path) or not (ROOT / path).is_file():
            continue
        text = (ROOT / path).read_text(encoding="utf-8", errors="replace").lower()
        found.extend(f"{path}: {trace}" for trace in traces() if trace in text)
    assert found == []
