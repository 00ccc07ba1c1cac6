"""Shared test helpers: a configuration on disk, workbook builders, and the `seatbatch` command
run as cron would run it (no terminal, no standard input): in this process, or where a test is
about the process itself, the installed command in a process of its own."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, TextIO

import jsonschema
import psycopg
import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from pgserver import PostgresServer, running_over
from seatbatch.cli import commands
from seatbatch.ledger.engine import close_engines
from seatbatch.output.order_workbook import write_order_workbook

# Hypothesis, the same on every machine: the same examples each run (derandomize; no example
# database replaying an earlier run's), and nothing that depends on speed (no deadline per
# example, no health check of slowness). `HYPOTHESIS_PROFILE` (make fuzz) chooses another.
settings.register_profile("deterministic", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
if "HYPOTHESIS_PROFILE" not in os.environ:
    settings.load_profile("deterministic")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEATBATCH = Path(sys.executable).parent / "seatbatch"
AS_OF = date(2026, 11, 24)

PART1_CONFIG = """
[issuer]
name = "Example Sensors AS"
address = ["Street 1", "0150 Oslo", "Norway"]
vat_id = "NO999999999MVA"
invoice_prefix = "INV"
payment_terms_days = 30

[window]
max_backdate_days = 365
max_future_days = 365

[term_discounts]
"1" = "0"
"3" = "0.10"
"5" = "0.15"

[[price_lists]]
currency = "EUR"
valid_from = "2026-01-01"
[price_lists.seat_price_per_year]
"Space Pro" = "150.00"
"Space Plus" = "120.00"
"Space CO2 Mini" = "60.00"

[[price_lists]]
currency = "JPY"
valid_from = "2026-01-01"
[price_lists.seat_price_per_year]
"Space Pro" = "24000"
"Space Plus" = "19000"
"Space CO2 Mini" = "9500"

[partners.P-ACME]
name = "Acme Facilities Ltd"
currency = "EUR"
discount = "0.20"
address = ["Road 2", "London", "UK"]

[partners.P-OTHER]
name = "Other Reseller GmbH"
currency = "EUR"
discount = "0.10"

[partners.P-TOKYO]
name = "Tokyo Sensors KK"
currency = "JPY"
discount = "0.125"
"""
# The tests' configuration writes Part I's files: the PDF and the e-invoice have tests of their
# own (a PDF in every run would double the suite's time).
CONFIG = PART1_CONFIG + """
[documents]
formats = ["xlsx", "html"]
"""


def customer(customer_id: str = "C-001", **fields: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "organization": f"Org {customer_id}", **fields}


def order(order_id: str = "L1", **fields: Any) -> dict[str, Any]:
    """A valid `new` line: 1 Space Pro, 3 years from the run date, terms accepted."""
    line = {
        "order_id": order_id, "customer_id": "C-001", "action": "new", "subscription": "S1",
        "device_type": "Space Pro", "seats": 1, "term_years": 3, "start_date": AS_OF,
        "po_number": "PO-77", "accept_terms": True,
    }
    line.update(fields)
    return {k: v for k, v in line.items() if v is not None}


def change(order_id: str, action: str, subscription: str = "SUB-000001",
           **fields: Any) -> dict[str, Any]:
    """A change line (SPEC §11): only what the action takes (the other columns blank)."""
    line: dict[str, Any] = {"order_id": order_id, "customer_id": "C-001", "action": action,
                            "subscription": subscription, "accept_terms": True, **fields}
    return {k: v for k, v in line.items() if v is not None}


def device(serial: str, device_type: str = "Space Pro", customer_id: str = "C-001"
           ) -> dict[str, Any]:
    return {"customer_id": customer_id, "serial_number": serial, "device_type": device_type}


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def folder(self) -> Path:
        lines = self.stdout.strip().splitlines()
        assert len(lines) == 1, f"stdout should be the run folder alone: {self.stdout!r}"
        return Path(lines[0])

    @property
    def manifest(self) -> dict[str, Any]:
        return read_manifest(self.folder)


def found(node: Any, path: str) -> list[Any]:
    """The elements an XPath finds in a parsed HTML page (lxml types them loosely)."""
    return list(node.xpath(path))


def ok(result: Result) -> dict[str, Any]:
    """The manifest of a run that must have succeeded (its stderr shown when it did not)."""
    assert result.code == 0, result.stderr
    return result.manifest


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without any `SEATBATCH_` variable the caller may have set,
    plus `extra`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEATBATCH_")}
    return {**clean, **extra}


def run_installed(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] = {}) -> Result:
    """The installed `seatbatch` as cron runs it: no terminal, no standard input."""
    done = subprocess.run([str(SEATBATCH), *argv], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, cwd=cwd, env=environment(**env),
                          timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


STOPS = (signal.SIGINT, signal.SIGTERM)


def run_in_process(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] = {}) -> Result:
    """`seatbatch.cli.commands.run(argv)` here, as the installed command would run it: in
    `cwd`, with `env` and no other `SEATBATCH_` variable, no terminal and an empty standard
    input. The process is as it was afterwards (its environment, working folder and signal
    handlers: a stopped run ignores a second Ctrl-C)."""
    assert threading.current_thread() is threading.main_thread(), \
        "a command in-process holds the process's streams: runs side by side need cron=True"
    saved_environ = dict(os.environ)
    saved_cwd = Path.cwd()
    saved_handlers = {stop: signal.getsignal(stop) for stop in STOPS}
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        # the width a process whose output is a pipe finds, whatever this process's output is
        os.environ.update(environment(**{"COLUMNS": saved_environ.get("COLUMNS", "80"), **env}))
        os.chdir(cwd)
        with Path(os.devnull).open(encoding="utf-8") as nothing, redirect_stdout(stdout), \
                redirect_stderr(stderr), _stdin(nothing):
            code = commands.run(list(argv))
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environ)
        for stop, handler in saved_handlers.items():
            signal.signal(stop, handler)
    assert "Traceback" not in stderr.getvalue(), stderr.getvalue()
    return Result(code, stdout.getvalue(), stderr.getvalue())


@contextmanager
def _stdin(stream: TextIO) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, stream
    try:
        yield
    finally:
        sys.stdin = saved


@cache
def manifest_schema() -> dict[str, Any]:
    return json.loads((ROOT / "schemas" / "manifest.schema.json").read_text())  # type: ignore[no-any-return]


def read_manifest(folder: Path) -> dict[str, Any]:
    manifest = json.loads((folder / "manifest.json").read_text())
    jsonschema.validate(manifest, manifest_schema())
    return manifest  # type: ignore[no-any-return]


@dataclass
class Env:
    """One isolated installation: config, ledger, output folder, and a way to run commands.

    `ledger_url` is what `--ledger` gets: a SQLite file path (the default, `root/ledger.db`) or
    a `postgresql://` URL with a password (tests/pgserver.py). `query`, `count`,
    `invoice_numbers`, `dump` and `hold_write_lock` work on both; `ledger` is the SQLite file,
    for what only SQLite has (WAL files, PRAGMAs)."""

    root: Path
    ledger_url: str = ""
    _engine: Engine | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.ledger_url:
            self.ledger_url = str(self.root / "ledger.db")

    @property
    def engine(self) -> str:
        return "postgresql" if self.ledger_url.startswith("postgresql://") else "sqlite"

    @property
    def config(self) -> Path:
        return self.root / "seatbatch.toml"

    @property
    def ledger(self) -> Path:
        assert self.engine == "sqlite", f"a SQLite-only check on a {self.engine} ledger"
        return Path(self.ledger_url)

    @property
    def out(self) -> Path:
        return self.root / "out"

    def workbook(self, name: str = "orders.xlsx", *, customers: Sequence[Mapping[str, Any]] = (),
                 devices: Sequence[Mapping[str, Any]] = (),
                 orders: Sequence[Mapping[str, Any]] = (),
                 extra_columns: Mapping[str, Sequence[str]] | None = None) -> Path:
        return write_order_workbook(
            self.root / name,
            {"Customers": customers, "Devices": devices, "Orders": orders},
            extra_columns=extra_columns,
        )

    def run(self, *args: str | Path, as_of: date | None = AS_OF, env: Mapping[str, str] = {},
            common: bool = True, cron: bool = False) -> Result:
        """The command, in this process (the default: fast), or with `cron=True` the installed
        `seatbatch` as cron starts it, a process of its own: for what only a process shows
        (its exit status, signals, its standard streams, several side by side)."""
        argv = [*map(str, args), *(self.common(as_of) if common else ())]
        run = run_installed if cron else run_in_process
        return run(argv, cwd=self.root, env=env)

    def common(self, as_of: date | None = AS_OF) -> list[str]:
        """The options every run here is given: this test's configuration, ledger, output
        folder and day (none with `as_of=None`: the command's own today)."""
        day = [] if as_of is None else ["--as-of", as_of.isoformat()]
        return ["--config", str(self.config), "--ledger", self.ledger_url,
                "--out", str(self.out), *day]

    def process(self, workbook: Path, partner: str = "P-ACME", **kwargs: Any) -> Result:
        return self.run("process", workbook, "--partner", partner, **kwargs)

    def quote(self, workbook: Path, partner: str = "P-ACME", **kwargs: Any) -> Result:
        return self.run("quote", workbook, "--partner", partner, **kwargs)

    # --- the ledger, on either engine --------------------------------------------------------

    @property
    def sqlalchemy_url(self) -> str:
        if self.engine == "sqlite":
            return f"sqlite:///{self.ledger_url}"
        return "postgresql+psycopg://" + self.ledger_url.split("://", 1)[1]

    def database(self) -> Engine:
        """An engine that keeps no connection open between statements (NullPool), so that it
        never holds a lock or a PostgreSQL connection slot while seatbatch runs."""
        if self._engine is None:
            self._engine = create_engine(self.sqlalchemy_url, poolclass=NullPool)
        return self._engine

    def query(self, statement: str) -> list[tuple[Any, ...]]:
        """Run one statement in its own committed transaction; its rows as tuples, with dates
        and timestamps as the text SQLite stores, so that both engines compare alike."""
        with self.database().begin() as connection:
            result = connection.execute(text(statement))
            if not result.returns_rows:
                return []
            return [tuple(_as_stored(value) for value in row) for row in result]

    def ledger_exists(self) -> bool:
        """SQLite: the file exists. PostgreSQL: the database holds a table (the schema has
        been created)."""
        if self.engine == "sqlite":
            return self.ledger.exists()
        return bool(self.query("SELECT count(*) FROM pg_tables "
                               "WHERE schemaname = current_schema()")[0][0])

    def count(self, table: str) -> int:
        if not self.ledger_exists():
            return 0
        return int(self.query(f"SELECT count(*) FROM {table}")[0][0])

    def invoice_numbers(self) -> list[str]:
        if not self.ledger_exists():
            return []
        return [row[0] for row in self.query("SELECT number FROM invoices ORDER BY number")]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows, in a fixed order: to show that a run changed nothing."""
        if not self.ledger_exists():
            return {}
        with self.database().connect() as connection:
            tables = sorted(inspect(connection).get_table_names())
        return {table: sorted(self.query(f"SELECT * FROM {table}"), key=repr)
                for table in tables}

    @contextmanager
    def hold_write_lock(self) -> Iterator[None]:
        """Another run's write transaction, held on a connection of its own until the block
        ends. SQLite: BEGIN IMMEDIATE. PostgreSQL: the rows a committing run locks FOR UPDATE
        (its partner's in partner_versions, the series' in counters), held as table locks
        that still let readers through; the ledger's tables must exist."""
        if self.engine == "sqlite":
            holder = sqlite3.connect(self.ledger, isolation_level=None)
            try:
                holder.execute("BEGIN IMMEDIATE")
                yield
                holder.execute("ROLLBACK")
            finally:
                holder.close()
            return
        with psycopg.connect(self.ledger_url) as connection:
            connection.execute("LOCK TABLE partner_versions, counters IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                connection.rollback()

    def visible_runs(self) -> list[Path]:
        if not self.out.exists():
            return []
        return sorted(p for p in self.out.iterdir()
                      if not p.name.startswith(".") and p.is_dir())  # not a failed run's log


def _as_stored(value: Any) -> Any:
    """A value as SQLite's raw SQL returns it for SQLAlchemy's Date and DateTime columns."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- the engines: every test that uses `env` runs on SQLite and on PostgreSQL ----------------

ENGINES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the module's subject is not the ledger; run its `env` on "
                   "SQLite alone")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`engine` (behind `env`, `sample_env`, `new_ledger`): both engines, or SQLite alone under
    the sqlite_only mark. Module scope, so that module-scoped fixtures may build on it."""
    if "engine" in metafunc.fixturenames:
        engines = ["sqlite"] if metafunc.definition.get_closest_marker("sqlite_only") \
            else list(ENGINES)
        metafunc.parametrize("engine", engines, ids=engines, scope="module")


@pytest.fixture(autouse=True)
def _no_ledger_connections_left() -> Iterator[None]:
    """A test that opens a PostgreSQL ledger itself (not through a command) leaves no
    connection to it open after it: the engines a process keeps are closed."""
    yield
    close_engines()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server, started on first use and stopped at the end."""
    server = PostgresServer()
    server.start()
    datadir = server.datadir
    yield server
    server.stop()
    assert running_over(datadir) == [], "PostgreSQL still running after the session"


def ledger_url(engine: str, root: Path, request: pytest.FixtureRequest) -> str:
    """A new, empty ledger on `engine`: a file under `root`, or a database of its own that is
    dropped when `request`'s scope ends."""
    if engine == "sqlite":
        return str(root / "ledger.db")
    server: PostgresServer = request.getfixturevalue("pg_server")
    name, url = server.create_database()
    request.addfinalizer(lambda: server.drop_database(name))
    return url


@pytest.fixture
def new_ledger(engine: str, request: pytest.FixtureRequest) -> Callable[[Path], str]:
    """More ledgers on this test's engine, for tests with several installations."""
    return lambda root: ledger_url(engine, root, request)


@pytest.fixture
def env(tmp_path: Path, new_ledger: Callable[[Path], str]) -> Env:
    tmp_path.joinpath("seatbatch.toml").write_text(CONFIG, encoding="utf-8")
    return Env(tmp_path, new_ledger(tmp_path))


@pytest.fixture
def sample_env(tmp_path: Path, new_ledger: Callable[[Path], str]) -> Env:
    """An installation with the shipped sample configuration and workbooks."""
    shutil.copy(SAMPLES / "seatbatch.toml", tmp_path / "seatbatch.toml")
    for workbook in SAMPLES.glob("*.xlsx"):
        shutil.copy(workbook, tmp_path / workbook.name)
    return Env(tmp_path, new_ledger(tmp_path))


Codes = Callable[[Result], list[tuple[str, int | None, str | None, str]]]


def codes(result: Result) -> list[tuple[str, int | None, str | None, str]]:
    """The rejections of a run, compactly: [(sheet, row, column, code)]."""
    return [(r["sheet"], r["row"], r["column"], r["code"]) for r in result.manifest["rejections"]]
