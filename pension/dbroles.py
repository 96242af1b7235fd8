"""Two database roles (DESIGN §2.4, docs/operations.md "Database roles"): the
application connects as a role that owns no table; migrations run as the owner.

- ``DATABASE_URL`` is the application's role: it may read and write the tables but
  not change them, and on the change log only read and insert (no UPDATE, DELETE or
  TRUNCATE: ``grant_application_role``); the attachments table is not deleted from.
- ``DATABASE_OWNER_URL`` is the owner's: ``manage.py migrate`` (and the test flush)
  switch the connection to it (``as_owner``); after every migrate the owner grants the
  application role what it needs (``post_migrate``).

Without ``DATABASE_OWNER_URL`` there is one role, as before (a warning in
``docs/operations.md``). The embedded PostgreSQL of dev and tests creates both roles,
``pension_owner`` and ``pension_app``.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import connections

# the append-only tables: what the application role may not do there
APPEND_ONLY = {
    "pension_changelogentry": "UPDATE, DELETE, TRUNCATE",
    "pension_attachment": "DELETE, TRUNCATE",
}


def owner_credentials() -> dict:
    return dict(getattr(settings, "DATABASE_OWNER", None) or {})


def _database_owned_by_current_user(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_userbyid(datdba) = current_user FROM pg_database "
            "WHERE datname = current_database()"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _switch(connection, values: dict) -> None:
    connection.close()
    connection.settings_dict.update(values)


@contextmanager
def as_owner(alias: str = "default"):
    """Run the block on ``alias`` as the owner role, when one is configured and the
    connection is not already it (nor the owner of its database, as a benchmark's
    own database is)."""
    owner = owner_credentials()
    connection = connections[alias]
    if (
        not owner
        or connection.settings_dict.get("USER") == owner.get("USER")
        or connection.in_atomic_block
        or _database_owned_by_current_user(connection)
    ):
        yield
        return
    saved = {key: connection.settings_dict.get(key) for key in owner}
    _switch(connection, owner)
    try:
        yield
    finally:
        _switch(connection, saved)


def use_owner(alias: str = "default") -> dict:
    """Switch ``alias`` to the owner for good (the test database's creation); returns
    what to switch back to with ``use_values``."""
    owner = owner_credentials()
    connection = connections[alias]
    saved = {key: connection.settings_dict.get(key) for key in owner}
    if owner:
        _switch(connection, owner)
    return saved


def use_values(values: dict, alias: str = "default") -> None:
    if values:
        _switch(connections[alias], values)


def grant_application_role(connection) -> None:
    """The owner gives the application role what it needs, nothing more."""
    app = getattr(settings, "DATABASE_APP_USER", "")
    if not owner_credentials() or not app or connection.settings_dict.get("USER") == app:
        return
    quote = connection.ops.quote_name
    role = quote(app)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"REVOKE TRUNCATE ON ALL TABLES IN SCHEMA public FROM {role}")
        for table, privileges in APPEND_ONLY.items():
            cursor.execute("SELECT to_regclass(%s)", [table])
            if cursor.fetchone()[0] is not None:
                cursor.execute(f"REVOKE {privileges} ON {quote(table)} FROM {role}")


def grant_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """``post_migrate`` of the kernel (sent once the whole migrate has run)."""
    grant_application_role(connections[using])
