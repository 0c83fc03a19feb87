"""On PostgreSQL, the database itself refuses to change or remove a signature record.

The ORM refuses too (``Acknowledgement.save``/``delete``), but raw SQL, a console session or a
future bug would not go through it. TRUNCATE is refused unless the session has set
``portal.test_database_reset`` to ``on``: the test suite does so to empty its own throwaway
database between tests; nothing in the portal sets it.
"""

from django.db import migrations

TABLE = "acknowledgements_acknowledgement"

INSTALL = f"""
CREATE OR REPLACE FUNCTION acknowledgement_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('portal.test_database_reset', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'acknowledgements are permanent records: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER acknowledgement_no_update_delete
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION acknowledgement_refuse_change();

CREATE TRIGGER acknowledgement_no_truncate
    BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION acknowledgement_refuse_change();
"""

REMOVE = f"""
DROP TRIGGER IF EXISTS acknowledgement_no_truncate ON {TABLE};
DROP TRIGGER IF EXISTS acknowledgement_no_update_delete ON {TABLE};
DROP FUNCTION IF EXISTS acknowledgement_refuse_change();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE)


class Migration(migrations.Migration):
    dependencies = [("acknowledgements", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
