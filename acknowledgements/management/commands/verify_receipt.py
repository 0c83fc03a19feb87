from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from acknowledgements import receipt_files, receipts

# The exit status for each verdict: distinct from 1 (an error, such as an unreadable file) and
# 2 (the command used wrongly).
EXIT_STATUS = {
    receipt_files.Verdict.GENUINE: 0,
    receipt_files.Verdict.ALTERED: 3,
    receipt_files.Verdict.UNKNOWN: 4,
}


class Command(BaseCommand):
    help = (
        "Check a receipt PDF against the portal's records: exit 0 genuine, 3 altered (its "
        "signature record differs from the portal's or does not hash to its fingerprint), "
        "4 unknown (not a receipt, or no such record)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The receipt PDF.")

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            pdf = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        check = receipt_files.check_pdf(pdf)
        line = f"{check.verdict.value.capitalize()}: {file}: {check.reason}."
        ack = check.acknowledgement
        if ack is not None:
            line += (
                f"\nReceipt {ack.receipt_code}: {ack.printed_name} signed "
                f"{ack.version.policy.title}, {ack.version.label}, on {receipts.signed_uk(ack)} "
                f"(record {ack.sequence})."
            )
        if check.verdict is receipt_files.Verdict.GENUINE:
            self.stdout.write(self.style.SUCCESS(line))
        else:
            self.stderr.write(line)
        status = EXIT_STATUS[check.verdict]
        if status:
            raise SystemExit(status)
