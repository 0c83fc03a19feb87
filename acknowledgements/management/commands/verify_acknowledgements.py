from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from acknowledgements import chain, sealing, witness
from acknowledgements.models import Acknowledgement, PolicyVersion


class Command(BaseCommand):
    help = (
        "Recompute the signature hash chain, check every record's seal and every policy text "
        "hash; fail on any break."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect",
            metavar="RECORD_HASH",
            help="A record hash printed by an earlier run: fail if that record is gone.",
        )
        parser.add_argument(
            "--witness",
            dest="witness_file",
            metavar="FILE",
            type=Path,
            help="A daily witness e-mail's body, saved as a file: fail if the record it names "
            "is gone or no longer has the hash it gives (history rewritten since).",
        )

    def handle(
        self,
        *args: object,
        expect: str | None = None,
        witness_file: Path | None = None,
        **options: object,
    ) -> None:
        witnessed = self._read_witness(witness_file) if witness_file else None
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
        # Nor can seals show a rewrite by someone holding the key; a head witnessed outside the
        # portal can.
        if witnessed and (problem := witness.problem(witnessed)):
            raise CommandError(f"The witness does not match: {problem}.")
        keys = ", ".join(sealing.public_keys())
        self.stdout.write(
            f"All {result.checked} acknowledgements verified: hash chain intact, every record "
            f"sealed by a portal key ({keys}), every signed policy text matches its hash.\n"
            + (
                f"Witness of {witnessed.day:%d/%m/%Y} matches (record {witnessed.sequence}).\n"
                if witnessed
                else ""
            )
            + f"Latest record hash: {result.head} (keep it; pass it to --expect next time)."
        )

    def _read_witness(self, path: Path) -> witness.Witness:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read the witness file {path}: {exc}") from None
        try:
            return witness.parse(text)
        except witness.InvalidWitness as exc:
            raise CommandError(f"{path}: {exc}") from None
