from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import local_certificate


class Command(BaseCommand):
    help = (
        "Write a self-signed certificate and its key to DIRECTORY as fullchain.pem and "
        "privkey.pem (the layout PORTAL_TLS_DIR expects), for localhost unless --name says "
        "otherwise. For trying the stack on this machine, or for the proxy to start with until "
        "the real certificate arrives."
    )
    # Works before anything else is configured, like make_sealing_key.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="Where to write the two files.")
        parser.add_argument(
            "--name",
            action="append",
            dest="names",
            help="A host name or address the certificate is for; repeat for more "
            f"(default: {', '.join(local_certificate.DEFAULT_NAMES)}).",
        )

    def handle(self, *args: object, directory: Path, names: list[str] | None, **kw: object) -> None:
        names = names or list(local_certificate.DEFAULT_NAMES)
        try:
            certificate, key = local_certificate.write(directory, names)
        except local_certificate.CertificateExists as exc:
            raise CommandError(
                f"{exc.args[0]} exists already and is never overwritten: it may be a real "
                "certificate. Remove it first to make a new local one."
            ) from None
        except OSError as exc:
            raise CommandError(f"Cannot write to {directory}: {exc.strerror}") from None
        self.stdout.write(
            f"Self-signed certificate for {', '.join(names)} written to {certificate}, its key "
            f"to {key} (mode 0600). Browsers warn about it until they are told to trust "
            f"{certificate}; a real site uses a certificate from a certificate authority."
        )
