"""Fixtures for the security evidence: the world every check runs in, and Hypothesis's profile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.security.fuzzing import CLIENTS
from tests.security.report import SUMMARY
from tests.security.world import World, build_world

# The same examples on every run, so that CI is deterministic; no example database is written.
# Each example undoes its own writes (see fuzzing.py), so sharing one world between examples is
# deliberate rather than the mistake the function-scoped-fixture health check warns about.
settings.register_profile(
    "portal",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("portal")


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _fresh_fuzzing_clients() -> Iterator[None]:
    """The fuzzing clients belong to one test's database; each test starts without any."""
    CLIENTS.clear()
    yield
    CLIENTS.clear()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("security evidence")
        for line in SUMMARY:
            terminalreporter.write_line(line)
