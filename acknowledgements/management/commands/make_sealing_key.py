from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from acknowledgements import sealing


class Command(BaseCommand):
    help = (
        "Write a new Ed25519 key for sealing signature records to PATH (readable by its owner "
        "only) and print its id and public key. Point PORTAL_SEALING_KEY_FILE at it."
    )
    # Making the first key must work before any key is configured.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="Where to write the private key (PEM).")

    def handle(self, *args: object, path: Path, **options: object) -> None:
        try:
            key = sealing.write_private_key(path)
        except FileExistsError:
            raise CommandError(
                f"{path} exists already; a sealing key is never overwritten. Choose a new path."
            ) from None
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from None
        public = sealing.PublicKey(key.key_id, key.private_key.public_key())
        self.stdout.write(
            f"Sealing key {key.key_id} written to {path} (mode 0600).\n"
            f"Set PORTAL_SEALING_KEY_FILE={path}. Keep a copy of the public key below: once the "
            f"key is retired, put it in a .pem file in PORTAL_SEALING_PUBLIC_KEYS_DIR so the "
            f"records it sealed still verify.\n\n{public.pem}"
        )
