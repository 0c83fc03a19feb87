"""Nothing installed imports the PyPI ``requests`` library at run time: the portal's own
``requests`` app would stand in its place (tests/portal/test_project.py checks the metadata;
this checks the code)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

PROBE = ROOT / "tests" / "portal" / "requests_probe.py"
# Walked module by module: the network and token code of organisation sign-in, and the
# libraries the portal talks to the outside world through. Celery is imported as the portal
# loads it (below), not walked: its optional Google Cloud Storage result backend imports
# requests, and the portal never loads that backend.
WALKED = ["joserfc", "httpx", "httpcore", "h11", "anyio", "idna", "certifi", "sentry-sdk", "kombu"]


def probe(*args: str, cwd) -> dict:
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_installed_module_imports_the_requests_library(tmp_path) -> None:
    # -I and another folder: the portal's own requests app is not on the path here.
    found = probe("-I", str(PROBE), "installed", *WALKED, cwd=tmp_path)
    assert found["imported"] > 500
    assert found["attempts"] == []


def test_the_running_portal_loads_no_requests_but_its_own_app() -> None:
    found = probe(str(PROBE), "portal", cwd=ROOT)
    assert found["imported"] > 100
    assert found["attempts"] == []
