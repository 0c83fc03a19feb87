"""Reproducible builds: the lock files (`make lock`) pin every dependency in pyproject.toml to one
version with its hashes, the production lock holds exactly what production needs, .venv runs
the locked versions, and every image the stack runs is pinned to a version."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PRODUCTION_LOCK = ROOT / "requirements" / "production.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
SHA256 = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: int


def pins(lock: Path) -> dict[str, Pin]:
    """The lock's entries by canonical name: ``name==version`` and its ``--hash`` options,
    written across continuation lines as pip-compile writes them."""
    text = re.sub(r"\s*\\\n\s*", " ", lock.read_text())
    entries = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split(" --hash=")
        name, _, pinned = requirement.split(";")[0].strip().partition("==")
        assert pinned, f"{lock.name}: {line[:60]!r} is not pinned to one version"
        assert all(SHA256.fullmatch("--hash=" + option) for option in options), line[:60]
        entries[canonicalize_name(name)] = Pin(canonicalize_name(name), pinned, len(options))
    return entries


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def production_requirements() -> list[Requirement]:
    """What the image installs: the portal's dependencies, and the build backend that installs
    the portal itself."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [
        Requirement(line)
        for line in pyproject["project"]["dependencies"] + pyproject["build-system"]["requires"]
    ]


def dev_requirements() -> list[Requirement]:
    return [Requirement(line) for line in project()["optional-dependencies"]["dev"]]


def needed_by(requirements: list[Requirement]) -> set[str]:
    """Every package that ``requirements`` bring in on this Python, extras followed, read from
    the installed packages' own metadata."""
    needed: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        needed.add(name)
        for line in distribution(name).requires or []:
            sub = Requirement(line)
            extras = {"", *requirement.extras}
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                todo.append(sub)
    return needed


def test_every_dependency_is_locked_to_an_allowed_version_with_its_hashes() -> None:
    for lock, requirements in [
        (PRODUCTION_LOCK, production_requirements()),
        (DEV_LOCK, production_requirements() + dev_requirements()),
    ]:
        locked = pins(lock)
        for requirement in requirements:
            pin = locked.get(canonicalize_name(requirement.name))
            assert pin, f"{requirement.name} is not in {lock.name}: run make lock"
            assert requirement.specifier.contains(pin.version, prereleases=True), (
                f"{lock.name} has {pin.name}=={pin.version}, pyproject.toml asks {requirement}"
            )
        unhashed = sorted(pin.name for pin in locked.values() if pin.hashes == 0)
        assert unhashed == [], f"{lock.name}: no sha256 hash"


def test_the_production_lock_holds_exactly_what_production_needs() -> None:
    production = set(pins(PRODUCTION_LOCK))
    needed = needed_by(production_requirements())

    assert sorted(production - needed) == [], "development-only packages in the production lock"
    assert sorted(needed - production) == [], "needed in production but not locked"
    assert {canonicalize_name(r.name) for r in dev_requirements()}.isdisjoint(production)


def test_the_two_locks_agree_and_the_dev_lock_has_everything_for_the_tests() -> None:
    production, dev = pins(PRODUCTION_LOCK), pins(DEV_LOCK)

    assert {n: p.version for n, p in production.items()} == {n: dev[n].version for n in production}
    assert sorted(needed_by(production_requirements() + dev_requirements()) - set(dev)) == []


def test_venv_runs_the_locked_versions() -> None:
    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    different = {
        name: (pin.version, installed(name))
        for name, pin in pins(DEV_LOCK).items()
        if installed(name) != pin.version
    }
    assert different == {}, "locked, installed: run make test to install the lock"


def test_nothing_locked_is_the_requests_library() -> None:
    # The portal's own ``requests`` app would shadow it (tests/portal/test_project.py).
    assert "requests" not in pins(PRODUCTION_LOCK)
    assert "requests" not in pins(DEV_LOCK)


def test_the_lock_reader_refuses_an_unpinned_or_unhashed_line(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("django==5.2.20 \\\n    --hash=sha256:" + "a" * 64 + "\ncelery>=5.5\n")
    try:
        pins(lock)
    except AssertionError as refused:
        assert "celery>=5.5" in str(refused)
    else:
        raise AssertionError("an unpinned line was accepted")
    lock.write_text("django==5.2.20\n")
    assert pins(lock)["django"] == Pin("django", "5.2.20", 0)


# --- Images -------------------------------------------------------------------------------------
# A tag names one release: X.Y.Z (with an optional v and variant such as -slim-bookworm or
# -alpine), or X.Y for images whose releases have two parts (PostgreSQL since 10).
RELEASE = re.compile(r"v?\d+\.\d+\.\d+(-[a-z0-9.-]+)?")
TWO_PART_RELEASES = {"postgres": re.compile(r"\d+\.\d+(-[a-z0-9.-]+)?")}


def pinned(image: str) -> bool:
    name, _, tag = image.partition(":")
    scheme = TWO_PART_RELEASES.get(name.rsplit("/", 1)[-1], RELEASE)
    return bool(tag) and bool(scheme.fullmatch(tag) or RELEASE.fullmatch(tag))


def images() -> list[str]:
    dockerfile = (ROOT / "Dockerfile").read_text()
    from_lines = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    # A service that is built here runs the Dockerfile's image, checked above.
    pulled = [
        spec["image"] for spec in services.values() if "image" in spec and "build" not in spec
    ]
    return from_lines + pulled


def test_every_image_is_pinned_to_a_release() -> None:
    found = images()

    assert any(image.startswith("python:3.11.") for image in found), "the Dockerfile's base"
    assert len(found) >= 5, "python, postgres, redis, nginx and mailpit"
    assert [image for image in found if not pinned(image)] == []


def test_the_image_check_refuses_floating_tags() -> None:
    for image in ["postgres", "postgres:15", "redis:7", "axllent/mailpit:latest"]:
        assert not pinned(image), image
    for image in ["python:3.11-slim", "nginx:1.27-alpine", "redis:7.4"]:
        assert not pinned(image), image
    for image in ["postgres:15.14", "python:3.11.13-slim-bookworm", "axllent/mailpit:v1.26.1"]:
        assert pinned(image), image
