"""Receipt PDFs for names in eighteen languages: size and time to draw, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \
        .venv/bin/python bench/receipts.py

Signs the seed policy once for each name (re-runs reuse the signatures), then measures drawing
each receipt as the download does (median of 5, after one warm-up in the same process: the first
PDF of a process also reads each font's character map), and the first sign-in letter for a few of
the names. Targets: a receipt under 150 KB whatever its scripts; under a second to draw.
"""

from __future__ import annotations

from _setup import measure, prepare_database

from django.test import RequestFactory

from acknowledgements import publishing, receipts, signing
from acknowledgements.models import Acknowledgement
from portal import letters
from portal.models import User
from tests.acknowledgements.test_receipt_scripts import NAMES

PASSWORD = "bench-receipts-password-1"  # noqa: S105 (a benchmark's own accounts)
VERIFY = "https://portal.example/verify/"
MAX_KB = 150


def signed(number: int, first: str, last: str) -> Acknowledgement:
    version = publishing.load_seed_policy()
    user, made = User.objects.get_or_create(
        email=f"bench.receipt{number}@example.com",
        defaults={"first_name": first, "last_name": last, "employee_number": f"BR{number:04d}"},
    )
    if made:
        user.set_password(PASSWORD)
        user.save()
    found = Acknowledgement.objects.filter(user=user, version=version).first()
    if found is not None:
        return found
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="bench")
    return signing.sign(
        user=user, version=version, printed_name=user.full_name, password=PASSWORD, request=request
    )


def main() -> None:
    prepare_database()
    print("| name | receipt size | median time to draw |")
    print("|---|---|---|")
    worst = 0.0
    for number, (language, first, last, _reading) in enumerate(NAMES):
        ack = signed(number, first, last)
        size = len(receipts.build_pdf(ack, verify_url=VERIFY)) / 1024
        timed = measure(language, lambda ack=ack: receipts.build_pdf(ack, verify_url=VERIFY))
        worst = max(worst, size)
        print(f"| {language}: {ack.printed_name} | {size:.1f} KB | {timed.median_ms:.0f} ms |")
    print(f"\nLargest receipt: {worst:.1f} KB (target: under {MAX_KB} KB)")
    issuer = User.objects.get(email="bench.receipt0@example.com")
    print("\n| letter for | size | median time to draw |\n|---|---|---|")
    for number in (1, 3, 4):
        _language, first, last, _reading = NAMES[number]
        # A letter is for someone with no e-mail address; who may print it: their line manager.
        person, _ = User.objects.get_or_create(
            employee_number=f"BL{number:04d}",
            defaults={"first_name": first, "last_name": last, "line_manager": issuer},
        )
        printed = letters.letter_print(actor=issuer, person=person)
        timed = measure(
            person.full_name,
            lambda person=person, letter=printed.letter: letters.build_pdf(
                person, "code", letter, issuer
            ),
        )
        size = len(printed.pdf) / 1024
        print(f"| {person.full_name} | {size:.1f} KB | {timed.median_ms:.0f} ms |")


if __name__ == "__main__":
    main()
