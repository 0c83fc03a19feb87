"""Build a whole company for benchmarks and trials at scale (``bench/seeding/``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale \
        .venv/bin/python bench/seed_scale.py [--employees 100000] [--force-add] [--seed 2016]

Creates and migrates the database if needed, then seeds it; the benchmarks that need the company
(compliance.py, scheduled_jobs.py) seed it themselves when the database has none.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_scale")

from _setup import prepare_database

from bench.seeding.command import Command

if __name__ == "__main__":
    prepare_database()
    Command().run_from_argv([sys.argv[0], "seed_scale", *sys.argv[1:]])
