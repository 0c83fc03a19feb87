#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # The command line is where development happens: with no secret key configured it runs with
    # development defaults, so `manage.py makemigrations` and friends work in a fresh checkout.
    # The web server and the workers (portal.wsgi, portal.celery) keep the strict default, and
    # an environment that sets DJANGO_DEBUG (docker-compose sets 0) is always obeyed.
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
