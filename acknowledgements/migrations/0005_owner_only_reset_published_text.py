"""The database guards only the tables' owner can relax, and the published text they protect.

The portal runs as a role that may only SELECT and INSERT signature records (see
``manage.py grant_runtime_role``). Should that role ever be given more, TRUNCATE still passes
only for a session whose role has the table owner's privileges and that has set
``portal.test_database_reset``: the owner could drop the trigger anyway, so the switch gives
nobody a power they lacked. The running role needs UPDATE on policy versions for drafts, so a
trigger keeps a published or superseded version's text (which ``body_sha256`` of every
signature names) and its status as a published version fixed.
"""

from django.db import migrations

TABLE = "acknowledgements_acknowledgement"
VERSIONS = "acknowledgements_policyversion"

OWNER_ONLY_RESET = """
CREATE OR REPLACE FUNCTION acknowledgement_refuse_change() RETURNS trigger AS $$
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
        MESSAGE = 'acknowledgements are permanent records: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp;
"""

ANY_SESSION_RESET = """
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
"""

FROZEN_VERSIONS = f"""
CREATE OR REPLACE FUNCTION policy_version_refuse_change() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    -- Published to superseded, and dates such as the next review, may still change.
    IF TG_OP = 'UPDATE'
       AND NEW.status <> 'draft'
       AND (NEW.policy_id, NEW.number, NEW.body, NEW.body_sha256, NEW.material_change)
           IS NOT DISTINCT FROM
           (OLD.policy_id, OLD.number, OLD.body, OLD.body_sha256, OLD.material_change) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'published policy versions never change: ' || TG_OP || ' of version '
                  || OLD.id || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp;

CREATE TRIGGER policy_version_published_frozen
    BEFORE UPDATE OR DELETE ON {VERSIONS}
    FOR EACH ROW EXECUTE FUNCTION policy_version_refuse_change();
"""

UNFREEZE_VERSIONS = f"""
DROP TRIGGER IF EXISTS policy_version_published_frozen ON {VERSIONS};
DROP FUNCTION IF EXISTS policy_version_refuse_change();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OWNER_ONLY_RESET)
        schema_editor.execute(FROZEN_VERSIONS)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNFREEZE_VERSIONS)
        schema_editor.execute(ANY_SESSION_RESET)


class Migration(migrations.Migration):
    dependencies = [("acknowledgements", "0004_policy_reviews")]

    operations = [migrations.RunPython(install, remove)]
