"""On PostgreSQL, the database itself refuses to change or remove an audit event.

The ORM refuses too (``AuditEvent.save``/``delete``); these triggers hold for raw SQL and
console sessions. As for signature records, TRUNCATE passes only for a session whose role has
the table owner's privileges and that has set ``portal.test_database_reset``, which the test
suite does to empty its own throwaway database; the portal never sets it, and the role the
portal runs as owns nothing.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('portal.test_database_reset', true) = 'on'
       AND pg_catalog.pg_has_role(
           current_user,
           (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID),
           'USAGE'
       ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp;

CREATE TRIGGER audit_event_no_update_delete
    BEFORE UPDATE OR DELETE ON portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();

CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON portal_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
"""

REMOVE = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON portal_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_update_delete ON portal_auditevent;
DROP FUNCTION IF EXISTS audit_event_refuse_change();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE)


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_notification_sending")]

    operations = [migrations.RunPython(install, remove)]
