"""Shared set-up for the benchmarks: Django on a dedicated PostgreSQL database."""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-" + "x" * 40)
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("PORTAL_ORG_NAME", "Bench Care Ltd")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")
os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
# Production refuses mail that goes nowhere. The benchmarks send nothing through this server:
# notices stay in the outbox, and scheduled_jobs.py sends to a mail server of its own.
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def prepare_database() -> None:
    """Create the benchmark database if needed and bring it up to date."""
    import psycopg2

    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"] or "postgres",
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    admin.close()
    call_command("migrate", verbosity=0)
    # Pages are rendered as in production, with the hashed static file names.
    call_command("collectstatic", interactive=False, verbosity=0)


def seed_company(employees: int) -> None:
    """The company of ``bench/seed_scale.py``, seeded once: a re-run reuses it."""
    from bench.seeding import people
    from bench.seeding.command import Command
    from portal.models import User

    have = User.objects.filter(email__endswith=f"@{people.EMAIL_DOMAIN}").count()
    if have >= employees:
        print(f"Reusing {have:,} seeded people.")
        return
    started = time.perf_counter()
    call_command(Command(), employees=employees - have, force_add=have > 0)
    print(f"Seeded in {time.perf_counter() - started:.1f} s (command and its transaction).")


def analyse() -> None:
    # After a bulk load the planner's statistics are stale until autovacuum runs; a live
    # database has them, so measure with them.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


@dataclass
class Measure:
    name: str
    median_ms: float
    queries: int
    peak_kib: float

    def line(self) -> str:
        return (
            f"| {self.name} | {self.median_ms:.1f} ms | {self.queries} | "
            f"{self.peak_kib / 1024:.1f} MiB |"
        )


def measure(name: str, action: Callable[[], object], runs: int = 5) -> Measure:
    """Median wall time of ``runs`` calls, the query count and peak Python memory of one call."""
    action()  # warm caches, as a running server would be
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        tracemalloc.start()
        action()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return Measure(name, statistics.median(timings), len(queries), peak / 1024)
