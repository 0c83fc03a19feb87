from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from acknowledgements import publishing
from acknowledgements.models import PolicyVersion


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date written as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Load your organisation's Acceptable Use policy from a Markdown file (a '# Title' line, "
        "then numbered sections such as '## 1 Purpose') as version 1, and ask every active "
        "member of staff to sign it. Without a file, the demo's seed policy (released March "
        "2016). Safe to run again: once there is a version 1, nothing changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the policy's Markdown file")
        parser.add_argument("--released", help="the policy's effective date (default: today)")
        parser.add_argument(
            "--next-review", help="its next review date (default: a year after it is released)"
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["file"]:
            version = self._load_file(
                Path(str(options["file"])), options["released"], options["next_review"]
            )
        else:
            version = publishing.load_seed_policy()
        assigned = publishing.assign_outstanding(policy=version.policy)
        people = "1 person" if assigned == 1 else f"{assigned} people"
        self.stdout.write(
            f"{version} is loaded (text hash {version.body_sha256[:12]}...); "
            f"{people} newly asked to sign it."
        )

    def _load_file(self, path: Path, released: object, next_review: object) -> PolicyVersion:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path} as UTF-8 text: {exc}") from None
        title, body = publishing.split_title(text)
        if not title:
            raise CommandError(f"{path} must start with the policy's title, as '# Title'.")
        day = _day(str(released)) if released else timezone.localdate()
        review = _day(str(next_review)) if next_review else publishing.add_months(day, 12)
        if review <= day:
            raise CommandError("--next-review must be after the date the policy is released.")
        try:
            return publishing.load_policy(title=title, body=body, released=day, next_review=review)
        except ValidationError as exc:
            raise CommandError(f"{path}: {' '.join(exc.messages)}") from None
