"""What only a PostgreSQL ledger has: a server that can be out of reach or refuse the login, and
the ways a busy server says no (lock timeout, serialization failure, deadlock), all exit 75."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text

from conftest import Env, customer, order
from pgserver import PASSWORD, PostgresServer
from seatbatch.cli import commands as cli
from seatbatch.ledger import Ledger
from seatbatch.ledger.engine import atomic, busy_guard, make_engine
from seatbatch.ledger.errors import LedgerBusy, display_url

pytestmark = pytest.mark.sqlite_only  # the env here is only for its folder and configuration


@pytest.fixture
def database(pg_server: PostgresServer) -> Iterator[str]:
    name, url = pg_server.create_database()
    yield url
    pg_server.drop_database(name)


def _run_against(env: Env, ledger: str) -> tuple[int, str, str]:
    workbook = env.workbook(customers=[customer()], orders=[order()])
    result = env.run("process", workbook, "--partner", "P-ACME", "--config", env.config,
                     "--ledger", ledger, "--out", env.out, common=False)
    return result.code, result.stdout, result.stderr


@pytest.mark.parametrize(("case", "expected"), [
    ("dead port", "cannot reach the ledger database 'x' on 127.0.0.1:1"),
    ("wrong password", "refused the login of user 'seatbatch'"),
    ("no such database", "database 'nosuch"),
])
def test_an_unusable_server_is_exit_2_naming_host_and_database(
        env: Env, pg_server: PostgresServer, case: str, expected: str) -> None:
    url = {
        "dead port": f"postgresql://seatbatch:{PASSWORD}@127.0.0.1:1/x",
        "wrong password": pg_server.url("postgres").replace(PASSWORD, "not-the-password"),
        "no such database": pg_server.url("nosuch_db"),
    }[case]
    code, stdout, stderr = _run_against(env, url)
    assert code == 2, stderr
    assert expected in stderr
    assert PASSWORD not in stderr + stdout and "not-the-password" not in stderr + stdout
    assert len(stderr.strip().splitlines()) == 1
    assert not env.out.exists() or env.visible_runs() == []


def test_a_server_out_of_connections_is_busy_not_a_usage_error(
        env: Env, pg_server: PostgresServer, database: str) -> None:
    """A database at its connection limit takes the run later: exit 75, as cron retries."""
    name = database.rsplit("/", 1)[1]
    with pg_server.admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" CONNECTION LIMIT 1')
    with psycopg.connect(database):
        code, stdout, stderr = _run_against(env, database)
    assert code == 75, stderr
    assert "cannot take another run now: " in stderr and "too many connections" in stderr
    assert PASSWORD not in stdout + stderr


def test_the_password_is_shown_nowhere(env: Env, database: str) -> None:
    """Not on stdout or stderr, not in any file of the run, even when the ledger URL comes
    from the environment."""
    workbook = env.workbook(customers=[customer()], orders=[order()])
    result = env.run("process", workbook, "--partner", "P-ACME", env={"SEATBATCH_LEDGER": database},
                     common=False)
    assert result.code == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    for path in env.root.rglob("*"):
        if path.is_file() and path.suffix not in (".xlsx",):
            assert PASSWORD.encode() not in path.read_bytes(), path
    assert display_url(database) == database.replace(PASSWORD, "***")


def _engine(url: str) -> Engine:
    engine = make_engine(url)
    with atomic(engine, write=True) as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, v int)"))
        connection.execute(text("INSERT INTO t VALUES (1, 0), (2, 0) ON CONFLICT DO NOTHING"))
    return engine


def test_a_lock_held_past_the_busy_timeout_is_busy(database: str) -> None:
    engine = _engine(database)
    with atomic(engine, write=True) as holder:
        holder.execute(text("SELECT * FROM t WHERE id = 1 FOR UPDATE"))
        with pytest.raises(LedgerBusy), atomic(engine, write=True) as waiter:
            waiter.execute(text("SET LOCAL lock_timeout = '200ms'"))
            waiter.execute(text("SELECT * FROM t WHERE id = 1 FOR UPDATE"))
    engine.dispose()


def test_a_deadlock_is_busy(database: str) -> None:
    """Two transactions each holding the row the other wants: PostgreSQL ends one of them
    (deadlock_detected), and that one is busy, not a bug."""
    engine = _engine(database)
    first_has_row = threading.Event()
    second_has_row = threading.Event()
    outcomes: dict[str, BaseException | None] = {}

    def transaction(name: str, mine: int, theirs: int, have: threading.Event,
                    other: threading.Event) -> None:
        try:
            with atomic(engine, write=True) as connection:
                connection.execute(text(f"UPDATE t SET v = v + 1 WHERE id = {mine}"))
                have.set()
                other.wait(10)
                connection.execute(text(f"UPDATE t SET v = v + 1 WHERE id = {theirs}"))
            outcomes[name] = None
        except BaseException as error:  # noqa: BLE001  the test asserts on whatever happened
            outcomes[name] = error

    threads = [threading.Thread(target=transaction, args=("a", 1, 2, first_has_row,
                                                          second_has_row)),
               threading.Thread(target=transaction, args=("b", 2, 1, second_has_row,
                                                          first_has_row))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    errors = [e for e in outcomes.values() if e is not None]
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], LedgerBusy), repr(errors[0])
    assert "deadlock" in str(errors[0])
    engine.dispose()


def test_a_serialization_failure_is_busy(database: str) -> None:
    """A snapshot (REPEATABLE READ, as the ledger's reads are) that tries to change a row
    another transaction changed after the snapshot began."""
    engine = _engine(database)
    with pytest.raises(LedgerBusy) as raised, engine.connect() as reader:
        reader = reader.execution_options(isolation_level="REPEATABLE READ")
        with reader.begin():
            reader.execute(text("SELECT v FROM t WHERE id = 1"))
            with atomic(engine, write=True) as writer:
                writer.execute(text("UPDATE t SET v = v + 1 WHERE id = 1"))
            with busy_guard():
                reader.execute(text("UPDATE t SET v = v + 1 WHERE id = 1"))
    assert "serialize" in str(raised.value)
    engine.dispose()


def test_a_password_in_the_query_or_a_bad_url_is_never_shown(env: Env) -> None:
    assert display_url("postgresql://u@h/db?password=se%40cret&sslmode=require") == (
        "postgresql://u@h/db?password=***&sslmode=require")
    code, stdout, stderr = _run_against(env, "postgresql://u:pw-secret@h:99x/db")
    assert code == 2, stderr
    assert "Traceback" not in stderr and "pw-secret" not in stdout + stderr


def test_a_long_partner_id_commits_on_both_engines(env: Env, database: str) -> None:
    """The run's name (stamp, command, partner id, token) fits the ledger's columns."""
    partner = "P-" + "L" * 60
    env.config.write_text(env.config.read_text() + f'\n[partners.{partner}]\nname = "Long"\n'
                          'currency = "EUR"\ndiscount = "0.10"\n')
    workbook = env.workbook(customers=[customer()], orders=[order()])
    for ledger in (env.ledger_url, database):
        result = env.run("process", workbook, "--partner", partner, "--config", env.config,
                         "--ledger", ledger, "--out", env.out, "--as-of", "2026-11-24",
                         common=False)
        assert result.code == 0, result.stderr


def test_connections_the_server_dropped_are_replaced(env: Env, pg_server: PostgresServer,
                                                     database: str) -> None:
    """A server restart between two workbooks of one inbox run: the kept connections are dead,
    and the next run opens new ones instead of failing."""
    common = ["--config", str(env.config), "--ledger", database, "--out", str(env.out),
              "--as-of", "2026-11-24"]
    first = env.workbook("a.xlsx", customers=[customer()], orders=[order("A1")])
    second = env.workbook("b.xlsx", customers=[customer()], orders=[order("B1")])
    assert cli.run(["process", str(first), "--partner", "P-ACME", *common]) == 0
    # a command closes its connections as it ends; an inbox run keeps them between workbooks,
    # as the ledger opened here keeps its own for the next command in this process
    Ledger.open(database, write=False).close()
    name = database.rsplit("/", 1)[1]
    with pg_server.admin() as admin:
        ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()
    assert ended is not None and isinstance(ended[0], int) and ended[0] >= 1
    assert cli.run(["process", str(second), "--partner", "P-ACME", *common]) == 0
