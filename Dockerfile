# The portal's production image: gunicorn for the web, the same image for the Celery worker/beat.
# A fixed Python release on a fixed Debian (docs/operations.md says how to move it on).
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 portal
# The fonts the PDFs embed, so that a name in any script prints as typed (portal/fonts.py); a
# receipt is PDF/A, which allows no font the reader has to supply.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-core fonts-dejavu-core fonts-nanum fonts-droid-fallback \
    && rm -rf /var/lib/apt/lists/*

# The production lock: exact versions, every file checked against its hash (make lock).
COPY requirements/production.txt requirements/production.txt
RUN pip install --require-hashes -r requirements/production.txt

COPY . .
# The portal's own metadata only: its dependencies came from the lock above, and so did the
# setuptools that builds it.
RUN pip install --no-deps --no-build-isolation .
# collectstatic needs settings but no secrets or services: give it throwaway values.
RUN DJANGO_SECRET_KEY=collectstatic-only-$(python -c 'import secrets; print(secrets.token_hex(32))') \
    DJANGO_DEBUG=0 DATABASE_URL=sqlite:////tmp/build.sqlite3 PORTAL_TRIAL=1 \
    EMAIL_URL=smtp://collectstatic-sends-no-mail \
    PORTAL_SEALING_KEY_FILE=/nonexistent/collectstatic-needs-no-key \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
