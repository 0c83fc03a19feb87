"""The queue's search finds a word anywhere in a request's item, vendor or version: on
PostgreSQL a trigram index answers that without reading every request.

``pg_trgm`` ships with PostgreSQL and is a trusted extension, so the database owner that migrates
may create it. SQLite (the embedded development default) has no such index and reads the rows.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "request_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON requests_authorisationrequest "
            "USING gin (search_text gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("requests", "0006_register_renewals_and_queue_search")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
