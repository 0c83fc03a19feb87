"""axe-core in the browser: which accessibility rules a page breaks, and how much that matters.

axe-core comes inside the axe-playwright-python package and is evaluated in the page through
Playwright (no CDN, and the page's Content-Security-Policy is not loosened for it).
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# A serious or critical violation stops someone using the page; moderate and minor ones are
# reported by axe too but do not fail a test.
BLOCKING = frozenset({"serious", "critical"})

_axe = Axe()


def violations(page: Page, *, impacts: frozenset[str] = BLOCKING) -> list[str]:
    """One line per element of ``page`` that breaks a rule at one of ``impacts``, and why."""
    found = []
    for rule in _axe.run(page).response["violations"]:
        if rule["impact"] not in impacts:
            continue
        for node in rule["nodes"]:
            why = "; ".join(check["message"] for check in node["any"] + node["all"] + node["none"])
            found.append(f"{rule['id']} ({rule['impact']}) at {' '.join(node['target'])}: {why}")
    return found
