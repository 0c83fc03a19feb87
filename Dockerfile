# The portal's production image: gunicorn for the web, the same image for the Celery worker/beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 portal

COPY pyproject.toml ./
RUN pip install .

COPY . .
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
