"""`seatbatch ledger copy FROM TO`: a SQLite ledger moved into an empty PostgreSQL database (and
back), checked before it commits; the copy renders, reports and goes on numbering as the
original would."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import psycopg
import pytest

from conftest import CONFIG, ROOT, Env, Result, change, customer, device, ok, order
from pgserver import PASSWORD, PostgresServer, free_port
from seatbatch.cli import commands as cli
from seatbatch.ledger import copy as ledger_copy
from seatbatch.ledger.engine import insert_rows as engine_insert_rows
from seatbatch.ledger.migrations import MIGRATIONS, NEWEST_TABLES

NEWEST = MIGRATIONS[-1][0]

NEXT_DAY = date(2026, 11, 26)
V1_DUMP = ROOT / "tests" / "data" / "ledger-v1.sql"  # as test_migrations.py
SETTINGS = CONFIG + """
[[price_lists]]
currency = "EUR"
valid_from = "2025-01-01"
[price_lists.seat_price_per_year]
"Space Pro" = "140.00"
"Space Plus" = "110.00"
"Space CO2 Mini" = "55.00"
"""


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A SQLite ledger made by real runs: three partners in EUR and JPY, a subscription from
    2025 renewed in November 2026, seats added, a separate invoice, devices."""
    env = Env(tmp_path_factory.mktemp("source"))
    env.config.write_text(SETTINGS, encoding="utf-8")
    ok(env.process(env.workbook("acme.xlsx", customers=[customer()], orders=[
        order("A1", seats=2, term_years=1, start_date=date(2025, 12, 1))]),
        as_of=date(2025, 12, 1)))
    tokyo = ok(env.process(env.workbook("tokyo.xlsx", customers=[customer(country="JP")],
        devices=[device("JP-1"), device("JP-2"), device("JP-3", "Space Plus")],
        orders=[order("T1", seats=2, start_date=date(2026, 3, 2)),
                order("T2", device_type="Space Plus", seats=1, start_date=date(2026, 3, 2)),
                order("T3", subscription="S2", term_years=5, start_date=date(2026, 3, 2),
                      separate_invoice=True, po_number="PO-JP")]),
        "P-TOKYO", as_of=date(2026, 3, 2)))
    ok(env.process(env.workbook("other.xlsx", customers=[customer("C-100")], orders=[
        order("O1", customer_id="C-100", seats=4, term_years=5, start_date=date(2026, 6, 1))]),
        "P-OTHER", as_of=date(2026, 6, 1)))
    ok(env.process(env.workbook("acme-add.xlsx", orders=[
        order("A2", action="add", subscription="SUB-000001", term_years=None,
              start_date=None, device_type="Space CO2 Mini")]), as_of=date(2026, 11, 20)))
    tokyo_sub = tokyo["invoices"][0]["lines"][0]["subscription_id"]
    ok(env.process(env.workbook("tokyo-add.xlsx", orders=[
        order("T4", action="add", subscription=tokyo_sub, term_years=None, start_date=None,
              seats=3)]), "P-TOKYO", as_of=date(2026, 11, 20)))
    renewed = ok(env.run("renew", "--month", "2026-11", as_of=date(2026, 11, 24)))
    assert len(renewed["invoices"]) == 1
    # changes of subscriptions (SPEC §11), which issue no invoice: a cancel and a reduce
    changed = ok(env.process(env.workbook("tokyo-changes.xlsx", orders=[
        change("TC1", "cancel", "SUB-000003"),
        change("TC2", "reduce", tokyo_sub, device_type="Space Pro", seats=1)]),
        "P-TOKYO", as_of=date(2026, 11, 24)))
    assert [c["action"] for c in changed["changes"]] == ["cancel", "reduce"]
    return env


@pytest.fixture
def new_database(pg_server: PostgresServer, request: pytest.FixtureRequest
                 ) -> Callable[[], str]:
    """Empty PostgreSQL databases (their URLs carry the password), dropped after the test."""

    def make() -> str:
        name, url = pg_server.create_database()
        request.addfinalizer(lambda: pg_server.drop_database(name))
        return url

    return make


def installation(root: Path, ledger_url: str) -> Env:
    root.mkdir(parents=True, exist_ok=True)
    (root / "seatbatch.toml").write_text(SETTINGS, encoding="utf-8")
    return Env(root, ledger_url)


def copy(where: Env, source: str, target: str, **kwargs: Any) -> Result:
    """`ledger copy`, with the common options every command accepts (it needs none)."""
    return where.run("ledger", "copy", source, target, **kwargs)


def comparable(env: Env) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows; schema_migrations without the time each step was applied."""
    dump = env.dump()
    dump["schema_migrations"] = [row[:2] for row in dump["schema_migrations"]]
    return dump


def cells(path: Path) -> list[tuple[str, str, object, str]]:
    book = openpyxl.load_workbook(path, data_only=True)
    return [(ws.title, c.coordinate, c.value, c.number_format) for ws in book.worksheets
            for row in ws.iter_rows() for c in row if c.value is not None]


def no_password_in(root: Path, *results: Result) -> None:
    for result in results:
        assert PASSWORD not in result.stdout and PASSWORD not in result.stderr
    for path in root.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_sqlite_to_postgresql_is_checked_and_goes_on(source: Env, tmp_path: Path,
                                                     new_database: Callable[[], str]) -> None:
    target = installation(tmp_path / "pg", new_database())
    before = comparable(source)
    copied = copy(target, source.ledger_url, target.ledger_url)
    assert copied.code == 0, copied.stderr
    assert copied.stderr == ""
    report = copied.stdout
    shown = target.ledger_url.replace(PASSWORD, "***")
    assert f"copied the ledger {source.ledger_url} to {shown}" in report
    assert "no run could commit to it meanwhile" in report
    invoices = source.query("SELECT currency, count(*) FROM invoices GROUP BY currency")
    assert dict(invoices) == {"EUR": 4, "JPY": 3}
    assert "(3 invoices)" in report and "(4 invoices)" in report
    assert "INV 2025: INV-2025-000001" in report and "INV 2026: INV-2026-000006" in report
    assert comparable(target) == before  # every row, every table
    assert comparable(source) == before  # FROM unchanged

    # an invoice rendered from either ledger is the same invoice
    numbers = [row[0] for row in source.query(
        "SELECT number FROM invoices WHERE number IN ('INV-2025-000001', 'INV-2026-000002') "
        "OR kind = 'renewal' ORDER BY number")]
    assert len(numbers) == 3
    for number in numbers:
        rendered = source.run("render", number), target.run("render", number)
        assert ok(rendered[0])["invoices"] == ok(rendered[1])["invoices"]
        name = f"invoices/{number}"
        folders = rendered[0].folder, rendered[1].folder
        assert cells(folders[0] / f"{name}.xlsx") == cells(folders[1] / f"{name}.xlsx")
        assert (folders[0] / f"{name}.html").read_text() == (
            folders[1] / f"{name}.html").read_text()

    # the month end reports the same
    reports = [ok(env.run("report", "--month", "2026-11", as_of=date(2026, 11, 30)))
               for env in (source, target)]
    assert reports[0]["totals"] == reports[1]["totals"]
    assert reports[0]["report"] == reports[1]["report"]

    # processing goes on from where the original would: the same numbers, subscription ids
    # and seat ids as on a plain file copy of the SQLite ledger
    twin = installation(tmp_path / "twin", str(tmp_path / "twin" / "ledger.db"))
    for suffix in ("", "-wal"):
        if Path(source.ledger_url + suffix).exists():
            shutil.copy(source.ledger_url + suffix, twin.ledger_url + suffix)
    issued: list[list[dict[str, Any]]] = []
    for env in (twin, target):
        manifests = [
            ok(env.process(env.workbook("next.xlsx", customers=[customer("C-002")], orders=[
                order("A3", customer_id="C-002", seats=5),
                order("A4", action="add", subscription="SUB-000001", term_years=None,
                      start_date=date(2026, 12, 5), seats=2)]), as_of=NEXT_DAY)),
            ok(env.process(env.workbook("tokyo-next.xlsx", orders=[
                order("T5", subscription="S9", seats=6, term_years=1)]), "P-TOKYO",
                as_of=NEXT_DAY)),
        ]
        issued.append([invoice for m in manifests for invoice in m["invoices"]])
    assert issued[0] == issued[1]
    numbers = [invoice["number"] for invoice in issued[1]]
    assert numbers == ["INV-2026-000007", "INV-2026-000008", "INV-2026-000009"]
    lines = [line for invoice in issued[1] for line in invoice["lines"]]
    assert {line["subscription_id"] for line in lines if line["action"] == "new"} == {
        "SUB-000005", "SUB-000006"}
    for table in ("seats", "subscriptions", "counters", "id_counters"):
        statement = f"SELECT * FROM {table} ORDER BY 1, 2"
        assert target.query(statement) == twin.query(statement), table
    assert target.count("seats") == source.count("seats") + 3
    assert [n for (n,) in target.query("SELECT number FROM invoices WHERE year = 2026 "
                                       "ORDER BY seq")] == [
        f"INV-2026-{seq:06d}" for seq in range(1, 10)]
    no_password_in(tmp_path, copied)


def test_postgresql_to_sqlite(source: Env, tmp_path: Path,
                              new_database: Callable[[], str]) -> None:
    middle = installation(tmp_path / "pg", new_database())
    assert copy(middle, source.ledger_url, middle.ledger_url).code == 0
    back = installation(tmp_path / "back", str(tmp_path / "back" / "deeper" / "ledger.db"))
    result = copy(back, middle.ledger_url, back.ledger_url)
    assert result.code == 0, result.stderr
    assert "copied the ledger postgresql://seatbatch:***@" in result.stdout
    assert comparable(back) == comparable(source)

    # a PostgreSQL ledger being written to by another run is busy, like a SQLite one
    later = tmp_path / "later.db"
    with middle.hold_write_lock():
        busy = copy(back, middle.ledger_url, str(later), env={"SEATBATCH_BUSY_TIMEOUT": "0.2"})
    assert busy.code == 75 and "busy" in busy.stderr
    assert list(tmp_path.glob("later.db*")) == []
    no_password_in(tmp_path, result, busy)


def test_a_target_that_is_not_empty_is_refused_and_left_alone(
        source: Env, tmp_path: Path, new_database: Callable[[], str]) -> None:
    target = installation(tmp_path / "pg", new_database())
    with psycopg.connect(target.ledger_url) as connection:
        connection.execute("CREATE TABLE notes (line text)")
        connection.execute("INSERT INTO notes VALUES ('mine')")
    result = copy(target, source.ledger_url, target.ledger_url)
    assert result.code == 2
    assert result.stdout == ""
    assert "is not empty: it holds 1 table(s) (notes)" in result.stderr
    assert target.dump() == {"notes": [("mine",)]}

    # a copy already made is not overwritten by a second one
    again = installation(tmp_path / "again", new_database())
    assert copy(again, source.ledger_url, again.ledger_url).code == 0
    before = comparable(again)
    second = copy(again, source.ledger_url, again.ledger_url)
    assert second.code == 2 and f"{len(NEWEST_TABLES)} table(s)" in second.stderr
    assert comparable(again) == before

    # an existing SQLite file, whatever it holds
    existing = tmp_path / "existing.db"
    shutil.copy(source.ledger_url, existing)
    content = existing.read_bytes()
    refused = copy(target, source.ledger_url, str(existing))
    assert refused.code == 2 and f"{existing} already exists" in refused.stderr
    assert existing.read_bytes() == content
    assert not Path(f"{existing}-wal").exists()
    no_password_in(tmp_path, result, second, refused)


def test_a_missing_source_is_exit_2_and_creates_nothing(
        tmp_path: Path, new_database: Callable[[], str]) -> None:
    target = installation(tmp_path / "pg", new_database())
    missing = tmp_path / "nowhere" / "ledger.db"
    result = copy(target, str(missing), target.ledger_url)
    assert result.code == 2
    assert f"no ledger at {missing}" in result.stderr
    assert not missing.parent.exists()
    assert target.dump() == {}
    to_file = tmp_path / "new.db"
    assert copy(target, str(missing), str(to_file)).code == 2
    assert not to_file.exists() and not missing.parent.exists()

    # an empty database is no ledger either
    empty = installation(tmp_path / "empty", new_database())
    from_empty = copy(empty, empty.ledger_url, str(to_file))
    assert from_empty.code == 2 and "holds no seatbatch ledger" in from_empty.stderr
    assert not to_file.exists() and empty.dump() == {}
    no_password_in(tmp_path, result, from_empty)


def test_an_unreachable_target_names_host_and_database(
        source: Env, tmp_path: Path, pg_server: PostgresServer) -> None:
    env = installation(tmp_path / "here", str(tmp_path / "unused.db"))
    port = free_port()
    down = copy(env, source.ledger_url,
                f"postgresql://seatbatch:{PASSWORD}@127.0.0.1:{port}/offline")
    assert down.code == 2
    assert f"cannot reach the ledger database 'offline' on 127.0.0.1:{port}" in down.stderr
    refused = copy(env, source.ledger_url,
                   pg_server.url("postgres").replace(PASSWORD, PASSWORD + "-wrong"))
    assert refused.code == 2
    assert (f"database 'postgres' on 127.0.0.1:{pg_server.port} refused the login of user "
            "'seatbatch'") in refused.stderr
    for result in (down, refused):
        assert result.stdout == "" and "wrong" not in result.stderr
    no_password_in(tmp_path, down, refused)


def test_a_source_held_by_another_run_is_busy(source: Env, tmp_path: Path,
                                              new_database: Callable[[], str]) -> None:
    target = installation(tmp_path / "pg", new_database())
    with source.hold_write_lock():
        result = copy(target, source.ledger_url, target.ledger_url,
                      env={"SEATBATCH_BUSY_TIMEOUT": "0.2"})
    assert result.code == 75, result.stderr
    assert "busy" in result.stderr
    assert target.dump() == {}


@pytest.fixture
def tampered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The copy writes one invoice total a cent off: the check must catch it."""
    real = engine_insert_rows

    def off_by_a_cent(connection: Any, table: Any, names: Any, rows: Any) -> None:
        if table.name == "invoices":
            first, at = list(rows[0]), list(names).index("total")
            first[at] = str(Decimal(first[at]) + Decimal("0.01"))
            rows = [tuple(first), *rows[1:]]
        real(connection, table, names, rows)

    monkeypatch.setattr(ledger_copy, "insert_rows", off_by_a_cent)
    yield


@pytest.mark.usefixtures("tampered")
def test_a_copy_that_differs_is_rolled_back_with_exit_70(
        source: Env, tmp_path: Path, new_database: Callable[[], str],
        capsys: pytest.CaptureFixture[str]) -> None:
    target = installation(tmp_path / "pg", new_database())
    assert cli.run(["ledger", "copy", source.ledger_url, target.ledger_url]) == 70
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("seatbatch: ledger copy: the copy differs from FROM, nothing was "
                          "committed: invoice totals: EUR")
    assert len(err.strip().splitlines()) == 1 and PASSWORD not in err
    assert target.dump() == {}  # not even the schema

    to_file = tmp_path / "copy.db"
    assert cli.run(["ledger", "copy", source.ledger_url, str(to_file)]) == 70
    assert not to_file.exists() and list(tmp_path.glob("copy.db*")) == []


def test_a_version_1_ledger_is_upgraded_then_copied(tmp_path: Path,
                                                    new_database: Callable[[], str]) -> None:
    old = tmp_path / "v1.db"
    with sqlite3.connect(old) as connection:
        connection.executescript(V1_DUMP.read_text(encoding="utf-8"))
    connection.close()
    target = installation(tmp_path / "pg", new_database())
    result = copy(target, str(old), target.ledger_url)
    assert result.code == 0, result.stderr
    assert f"schema version  {NEWEST}" in result.stdout
    upgraded = Env(tmp_path, str(old))  # opened as every command opens it: upgraded in place
    assert [v for v, _ in comparable(upgraded)["schema_migrations"]] == list(range(1, NEWEST + 1))
    assert comparable(target) == comparable(upgraded)
    assert target.count("invoices") == 4
