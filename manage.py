#!/usr/bin/env python
import os
import sys

DEVELOPMENT_SETTINGS = """\
*** DEVELOPMENT SETTINGS: DJANGO_SECRET_KEY is not set, so manage.py runs with debug on, a
*** public secret key, and SQLite and e-mail printed to the console unless told otherwise.
*** Never run a live portal like this: set DJANGO_SECRET_KEY (and the rest of .env.example).
"""


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # The command line is where development happens: with no secret key configured it runs with
    # development defaults, so `manage.py makemigrations` and friends work in a fresh checkout.
    # The web server and the workers (portal.wsgi, portal.celery) keep the strict default, and
    # an environment that sets DJANGO_DEBUG (docker-compose sets 0) is always obeyed.
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ.setdefault("DJANGO_DEBUG", "1")
        from portal.env import env_bool

        if env_bool("DJANGO_DEBUG", True):
            sys.stderr.write(DEVELOPMENT_SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
