"""A real PostgreSQL server for the test session: a fresh data directory under the system's
temporary folder, run by a non-root user, listening on 127.0.0.1 on a free port, stopped and
deleted at the end.

Run as root (as here and in CI), initdb and pg_ctl go through `runuser -u postgres --`: initdb
refuses root, and the `postgres` system user exists once Debian's postgresql package is installed.
The role `seatbatch` logs in over TCP with a password (scram-sha-256), so that tests use a ledger
URL with a password in it; the superuser `postgres` connects over the server's own Unix socket
(trust) for admin work. Each test gets its own empty database owned by `seatbatch`.

No PostgreSQL binaries is an error, never a skip: `make test` installs them
(tests/ensure_postgresql.sh)."""

from __future__ import annotations

import atexit
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

USER = "seatbatch"
PASSWORD = "s3cret-pw"
ADMIN = "postgres"
RUN_AS = "postgres"  # the system user that runs the server when the tests run as root
INSTALL_HINT = ("no PostgreSQL server binaries found (initdb, pg_ctl): install them with "
                "`apt-get install -y postgresql` (as root; `make test` does it by itself)")
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",  # a throwaway server: speed over durability
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",  # the concurrency test: 16 processes, a few connections each
    "shared_buffers": "'64MB'",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",  # lock timeouts are expected; keep the log short
}


class PostgresNotInstalled(RuntimeError):
    pass


def find_bindir() -> Path:
    """`pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin with initdb in it."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                              check=False)
        if done.returncode == 0 and done.stdout.strip():
            candidates.append(Path(done.stdout.strip()))

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresNotInstalled(INSTALL_HINT)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server, started by `start()` and gone (processes and files) after `stop()`."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        self.base: Path | None = None
        self.port = 0
        self._names = itertools.count(1)

    # --- paths ------------------------------------------------------------------------------

    @property
    def datadir(self) -> Path:
        assert self.base is not None, "the server is not started"
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.base is not None, "the server is not started"
        return self.base / "socket"

    @property
    def logfile(self) -> Path:
        assert self.base is not None, "the server is not started"
        return self.base / "server.log"

    # --- running the server's own tools -----------------------------------------------------

    def _tool(self, name: str, *args: str, timeout: float = 600) -> None:
        argv = [str(self.bindir / name), *args]
        if self.as_root:
            argv = ["runuser", "-u", RUN_AS, "--", *argv]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, check=False,
                              env={**os.environ, "LC_ALL": "C", "TZ": "UTC"})
        if done.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-4000:] if self.logfile.exists() \
                else ""
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}"
                               f"{done.stderr}\n{log}")

    def start(self) -> None:
        if self.as_root:
            try:
                owner = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise PostgresNotInstalled(
                    f"running as root, but there is no `{RUN_AS}` user to run PostgreSQL as; "
                    + INSTALL_HINT) from None
        self.base = Path(tempfile.mkdtemp(prefix="seatbatch-pg-"))
        atexit.register(self.stop)  # also on an interrupted session
        if self.as_root:
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self._tool("initdb", "-D", str(self.datadir), "-U", ADMIN, "-E", "UTF8",
                   "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
                   "--no-instructions")
        socket_dir = self.socket_dir
        socket_dir.mkdir()
        if self.as_root:
            os.chown(socket_dir, owner.pw_uid, owner.pw_gid)
        for attempt in range(5):  # another process may take the free port before we do
            self.port = free_port()
            settings = {**SETTINGS, "port": str(self.port),
                        "unix_socket_directories": f"'{socket_dir}'"}
            with (self.datadir / "postgresql.auto.conf").open("a") as conf:
                conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
            try:
                self._tool("pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile), "-w",
                           "-t", "300", "start")
                break
            except RuntimeError:
                if attempt == 4:
                    raise
                time.sleep(0.2)
        with self.admin() as connection:
            connection.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(USER), sql.Literal(PASSWORD)))

    def stop(self) -> None:
        """Stop the server and delete its directory; harmless when already done."""
        if self.base is None:
            return
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._tool("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "-t",
                           "60", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    # --- databases --------------------------------------------------------------------------

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host=str(self.socket_dir), port=self.port, user=ADMIN,
                               dbname=dbname, autocommit=True)

    def url(self, dbname: str) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> tuple[str, str]:
        """A fresh, empty database owned by `seatbatch`: (its name, its URL)."""
        name = f"ledger_{os.getpid()}_{next(self._names)}"
        with self.admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(USER)))
        return name, self.url(name)

    def copy_database(self, source: str, target: str) -> None:
        """Make database `target` a copy of `source` (which no one may be connected to), in
        place of what `target` held."""
        with self.admin() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(target)))
            connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                sql.Identifier(target), sql.Identifier(source), sql.Identifier(USER)))

    def drop_database(self, name: str) -> None:
        if self.base is None:
            return
        with self.admin() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))

    def processes(self) -> list[str]:
        """The pids of server processes still running over this data directory."""
        if self.base is None:
            return []
        return running_over(self.datadir)


def running_over(datadir: Path) -> list[str]:
    """Pids of processes whose command line names `datadir` (the postmaster's `-D`)."""
    argv = ["pgrep", "-f", str(datadir)]
    if os.geteuid() == 0:
        argv[1:1] = ["-u", RUN_AS]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.stdout.split()
