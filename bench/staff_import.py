"""A whole company's staff directory imported through the page: upload, then the job.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python bench/staff_import.py [--rows 100000]

Not a test. It DELETES the people it imports (employee numbers starting "BX") from the database
named by DATABASE_URL before it starts. It writes a directory of ``--rows`` people (one in 50 a
line manager of the next 49, 40 teams, one row in 1,000 with a bad address) of about 7.6 MB,
uploads it as HR through Django's test client (the request that must answer well within the
web server's 30 s), then runs the job the request queued as the worker would
(``import_jobs.run_import``, in this process, whose peak resident memory is reported), and
prints the times, the rate and the outcome. A second upload of the same file (every row
unchanged) is measured too.
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import time

import _setup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portal import import_jobs
from portal.models import StaffImport, User
from portal.staff_import import COLUMNS


def directory(rows: int) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for i in range(rows):
        manager = "" if i % 50 == 0 else f"bx{i - i % 50}@example.org"
        email = f"bx{i}@example.org" if i % 1000 != 999 else f"bx{i} at example.org"
        writer.writerow(
            [
                f"BX{i:06d}",
                "Sam",
                f"Lee{i}",
                email,
                f"Team {i % 40}",
                "Carer",
                manager,
                "",
                "2024-01-15",
                "",
            ]
        )
    return out.getvalue().encode()


def hr_client() -> tuple[Client, User]:
    from django.contrib.auth.models import Group

    from portal import permissions

    hr, _ = User.objects.get_or_create(
        email="bench-hr@example.org", defaults={"first_name": "Bench", "last_name": "HR"}
    )
    hr.groups.add(Group.objects.get(name=permissions.HR_GROUP))
    client = Client()
    client.force_login(hr)
    return client, hr


def run_once(client: Client, data: bytes) -> dict[str, float | int | str]:
    start = time.perf_counter()
    response = client.post(
        "/staff/import/",
        {"file": SimpleUploadedFile("directory.csv", data, content_type="text/csv")},
    )
    upload_s = time.perf_counter() - start
    assert response.status_code == 302, response.content[-500:]
    job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    start = time.perf_counter()
    import_jobs.run_import(job_id)
    job_s = time.perf_counter() - start
    # Peak resident memory of this process so far (tracemalloc would slow the import several
    # times over): the file, the client and Django included.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    job = StaffImport.objects.get(pk=job_id)
    page_start = time.perf_counter()
    page = client.get(f"/staff/import/{job_id}/")
    page_s = time.perf_counter() - page_start
    report = client.get(f"/staff/import/{job_id}/refused.csv")
    report_lines = b"".join(report.streaming_content).count(b"\n") - 1
    return {
        "status": job.status,
        "upload_s": upload_s,
        "job_s": job_s,
        "rows_per_s": job.rows_total / job_s,
        "peak_mib": peak / 1024 / 1024,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "refused": job.refused,
        "page_ms": page_s * 1000,
        "page_status": page.status_code,
        "report_rows": report_lines,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    _setup.prepare_database()
    User.objects.filter(employee_number__startswith="BX").delete()
    StaffImport.objects.filter(live=True).update(live=None, status=StaffImport.Status.FAILED)
    data = directory(args.rows)
    print(f"File: {args.rows:,} rows, {len(data) / 1024 / 1024:.1f} MiB")
    client, _ = hr_client()
    for label in ("first import (all new)", "same file again (all unchanged)"):
        outcome = run_once(client, data)
        print(
            f"| {label} | {outcome['upload_s']:.2f} s | {outcome['job_s']:.1f} s | "
            f"{outcome['rows_per_s']:,.0f} | {outcome['peak_mib']:.0f} MiB | "
            f"{outcome['created']:,} / {outcome['updated']:,} / {outcome['unchanged']:,} / "
            f"{outcome['refused']:,} | {outcome['report_rows']:,} | {outcome['status']} |"
        )


if __name__ == "__main__":
    main()
