"""The portal's two database roles: the owner that migrates, and the role the portal runs as.

The owner creates and alters the tables (``manage.py migrate``). The web server, workers and
beat connect as a running role that reads and writes ordinary rows but may only read and add
to the permanent records (``APPEND_ONLY``: signatures, audit events). TRUNCATE, ALTER and DROP
are the owner's alone, so the running role can neither empty a table nor set a guard trigger
aside. Privileges are granted table by table, so ``grant_runtime_role`` runs again after every
``migrate``; the deployment check (``portal.checks``) names a table the running role cannot
read, and any right over the permanent records that it should not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper
    from psycopg2.sql import Composable

# Rows the running role may only read and add to; each app adds its own in ``ready()``.
APPEND_ONLY: list[type[Model]] = []
# Only the owner records migrations.
READ_ONLY_TABLES = ("django_migrations",)

# The rights over a permanent record that the running role must not have (TRIGGER would let it
# add a trigger of its own that quietly drops or rewrites new rows).
_FORBIDDEN = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER")


class RoleError(Exception):
    """The role cannot be set up as the portal's running role; the message says why."""


@dataclass(frozen=True)
class Granted:
    role: str
    tables: int
    append_only: list[str]
    read_only: list[str]
    problems: list[str]


def append_only_tables() -> list[str]:
    return [model._meta.db_table for model in APPEND_ONLY]


def _connection(using: str):
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RoleError(
            f"The database is {connection.display_name}, which has no roles: "
            "only PostgreSQL is set up with an owner and a running role."
        )
    return connection


def record_rights(*, role: str, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What ``role`` could do to the permanent records beyond reading and adding rows.

    Rights held through membership of another role count (PostgreSQL's own privilege checks
    answer), and so does a right on a single column.
    """
    connection = _connection(using)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            return [f"there is no database role {role!r}"]
        if row[0]:
            return [f"{role!r} is a superuser: it can change or remove any record, triggers or not"]
        cursor.execute(
            """
            SELECT t.name,
                   pg_catalog.pg_has_role(%(role)s, c.relowner, 'USAGE'),
                   pg_catalog.has_any_column_privilege(%(role)s, c.oid, 'UPDATE'),
                   pg_catalog.has_table_privilege(%(role)s, c.oid, 'DELETE'),
                   pg_catalog.has_table_privilege(%(role)s, c.oid, 'TRUNCATE'),
                   pg_catalog.has_table_privilege(%(role)s, c.oid, 'TRIGGER')
              FROM unnest(%(tables)s::text[]) AS t(name)
              JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.name)
             ORDER BY t.name
            """,
            {"role": role, "tables": append_only_tables()},
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT pg_catalog.has_schema_privilege(%s, current_schema(), 'CREATE'),"
            " current_schema()",
            [role],
        )
        may_create, schema = cursor.fetchone()
        # The guard triggers run with a fixed search_path, so an object the role makes cannot
        # stand in for one they use; creating objects is still more than the portal needs.
        problems = [f"{role!r} may CREATE in schema {schema}"] if may_create else []
        for table, owns, *rights in rows:
            if owns:
                problems.append(
                    f"{role!r} owns {table} (or holds its owner's rights), so it can ALTER or "
                    "DROP the table and its guard triggers"
                )
                continue
            held = [name for name, has in zip(_FORBIDDEN, rights, strict=True) if has]
            if held:
                problems.append(f"{role!r} may {', '.join(held)} {table}")
        return problems


def unreadable_tables(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Tables of the portal's schema that the connected role cannot read: not granted yet."""
    connection = _connection(using)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname
              FROM pg_catalog.pg_class c
             WHERE c.relnamespace = pg_catalog.current_schema()::regnamespace
               AND c.relkind IN ('r', 'p')
               AND NOT pg_catalog.has_table_privilege(current_user, c.oid, 'SELECT')
             ORDER BY c.relname
            """
        )
        return [name for (name,) in cursor.fetchall()]


def _check_role(cursor: CursorWrapper, role: str, append_only: list[str]) -> tuple[str, str]:
    """Refuse a role that cannot be limited, or an owner who may not grant; the database and
    schema to grant on."""
    cursor.execute(
        """
        SELECT r.rolsuper,
               r.rolname = current_user,
               bool_or(pg_catalog.pg_has_role(r.oid, c.relowner, 'USAGE')),
               bool_and(pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')),
               pg_catalog.current_database(),
               pg_catalog.current_schema()
          FROM pg_catalog.pg_roles r
          JOIN pg_catalog.pg_class c ON c.oid = ANY(
               SELECT pg_catalog.to_regclass(name) FROM unnest(%s::text[]) AS t(name))
         WHERE r.rolname = %s
         GROUP BY r.rolsuper, r.rolname
        """,
        [append_only, role],
    )
    row = cursor.fetchone()
    if row is None:
        cursor.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise RoleError(
                f"There is no database role {role!r}. Create it first, as an administrator: "
                f"CREATE ROLE {role} LOGIN PASSWORD '...';"
            )
        raise RoleError("The portal's tables are not there yet: run manage.py migrate first.")
    superuser, is_me, owns, i_own, database, schema = row
    if superuser:
        raise RoleError(f"{role!r} is a superuser: no grant can limit what it does.")
    if is_me or owns:
        raise RoleError(
            f"{role!r} owns the portal's tables (or holds the owner's rights): the portal "
            "must run as a different role from the one that migrates."
        )
    if not i_own:
        raise RoleError(
            "Run this as the role that owns the portal's tables (the one that ran migrate)."
        )
    return database, schema


def _grants(role: str, database: str, schema: str, append_only: list[str]) -> list[Composable]:
    """Everything revoked, then the runtime's rights given, then the records' taken back."""
    from psycopg2 import sql

    ident, schema_ident = sql.Identifier(role), sql.Identifier(schema)
    return [
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema_ident, ident),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema_ident, ident),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_ident, ident),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
            schema_ident, ident
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
            schema_ident, ident
        ),
        sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, append_only)), ident
        ),
        sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, READ_ONLY_TABLES)), ident
        ),
    ]


def _column_revokes(cursor: CursorWrapper, role: str, tables: list[str]) -> list[Composable]:
    """A right on single columns outlives REVOKE ... ON TABLE; take those back one by one."""
    from psycopg2 import sql

    cursor.execute(
        """
        SELECT c.relname, array_agg(a.attname ORDER BY a.attnum)
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
         WHERE c.oid = ANY(
               SELECT pg_catalog.to_regclass(name) FROM unnest(%s::text[]) AS t(name))
           AND a.attnum > 0 AND NOT a.attisdropped
         GROUP BY c.relname
        """,
        [tables],
    )
    return [
        sql.SQL("REVOKE ALL ({}) ON {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.Identifier(table),
            sql.Identifier(role),
        )
        for table, columns in cursor.fetchall()
    ]


def grant_runtime_role(*, role: str, using: str = DEFAULT_DB_ALIAS) -> Granted:
    """Give ``role`` what the web server and workers need on today's tables, and no more.

    Run by the tables' owner after every ``migrate``. Everything the role held on the schema's
    tables and sequences is revoked first, in the same transaction, so running it again also
    takes back a right given by hand.
    """
    connection = _connection(using)
    append_only = append_only_tables()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        database, schema = _check_role(cursor, role, append_only)
        statements = _grants(role, database, schema, append_only)
        statements += _column_revokes(cursor, role, [*append_only, *READ_ONLY_TABLES])
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(
            """
            SELECT count(*) FROM pg_catalog.pg_class
             WHERE relnamespace = pg_catalog.current_schema()::regnamespace
               AND relkind IN ('r', 'p')
            """
        )
        (tables,) = cursor.fetchone()
    return Granted(
        role=role,
        tables=tables,
        append_only=append_only,
        read_only=list(READ_ONLY_TABLES),
        problems=record_rights(role=role, using=using),
    )
