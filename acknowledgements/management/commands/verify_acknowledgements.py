from django.core.management.base import BaseCommand, CommandError, CommandParser

from acknowledgements import chain
from acknowledgements.models import Acknowledgement, PolicyVersion


class Command(BaseCommand):
    help = "Recompute the signature hash chain and every policy text hash; fail on any break."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect",
            metavar="RECORD_HASH",
            help="A record hash printed by an earlier run: fail if that record is gone.",
        )

    def handle(self, *args: object, expect: str | None = None, **options: object) -> None:
        bodies = dict(PolicyVersion.objects.values_list("pk", "body"))
        records = Acknowledgement.objects.order_by("sequence").iterator(chunk_size=2000)
        try:
            result = chain.verify(records, bodies)
        finally:
            # Verification stops at the first break: close the server-side cursor now, while
            # its transaction is still open, rather than whenever the iterator is collected.
            records.close()
        total = Acknowledgement.objects.count()
        if not result.ok:
            broken = result.first_break
            raise CommandError(
                f"Chain broken at record {broken.record_id} (sequence {broken.sequence}): "
                f"{broken.reason}. {result.checked} of {total} records verified before it."
            )
        # The chain cannot show on its own that its newest records were removed; a head kept
        # from an earlier run, passed back with --expect, can.
        if expect and not Acknowledgement.objects.filter(record_hash=expect.lower()).exists():
            raise CommandError(
                f"No record has the expected hash {expect}: records signed up to it are missing."
            )
        self.stdout.write(
            f"All {result.checked} acknowledgements verified: hash chain intact, every signed "
            f"policy text matches its hash.\nLatest record hash: {result.head} "
            f"(keep it; pass it to --expect next time)."
        )
