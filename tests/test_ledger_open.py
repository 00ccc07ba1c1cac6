"""Opening a ledger (SPEC §8): a database that is not a seatbatch ledger is refused by every
command and left as it was; commands that only read never create, upgrade or change a ledger;
an older ledger is upgraded by the commands that write or by `seatbatch ledger upgrade`; a
ledger that cannot be written, or is damaged, is exit 2 with a plain message, never exit 70.

Tests run as root, which ignores permission bits: a ledger the child may not write is made by
running the child without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (`setpriv
--bounding-set`), so that root obeys the file's and the folder's modes as any user would."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import CONFIG, SEATBATCH, Env, Result, customer, order
from pgserver import PostgresServer
from seatbatch.ledger import display_url
from seatbatch.ledger.migrations import NEWEST
from test_migrations import _make_v1_ledger

Command = Callable[[Env], tuple[Any, ...]]


def _workbook(env: Env) -> Path:
    return env.workbook(customers=[customer()], orders=[order()])


def _inbox(env: Env) -> Path:
    folder = env.root / "inbox" / "P-ACME"
    folder.mkdir(parents=True, exist_ok=True)
    env.workbook("inbox/P-ACME/orders.xlsx", customers=[customer()], orders=[order()])
    return folder.parent


READING: dict[str, Command] = {
    "quote": lambda env: ("quote", _workbook(env), "--partner", "P-ACME"),
    "report": lambda _env: ("report", "--month", "2026-11"),
    "render": lambda _env: ("render", "INV-2026-000001"),
    "template": lambda env: ("template", env.root / "blank.xlsx", "--partner", "P-ACME"),
}
WRITING: dict[str, Command] = {
    "process": lambda env: ("process", _workbook(env), "--partner", "P-ACME"),
    "renew": lambda _env: ("renew", "--month", "2026-11"),
    "inbox": lambda env: ("inbox", _inbox(env)),
    "ledger upgrade": lambda _env: ("ledger", "upgrade"),
    "ledger copy": lambda env: ("ledger", "copy", env.ledger_url, env.root / "copy.db"),
}
EVERY = {**READING, **WRITING}


def state(env: Env) -> dict[str, Any]:
    """What a test must find unchanged. SQLite: the bytes and mtime of every file beside the
    ledger named after it (the file, and any -wal, -shm or -journal). PostgreSQL: every table,
    with its rows."""
    if env.engine == "sqlite":
        return {path.name: (path.read_bytes(), path.stat().st_mtime_ns)
                for path in sorted(env.ledger.parent.glob(env.ledger.name + "*"))}
    return env.dump()


def _foreign(env: Env, *, wal: bool = False) -> None:
    """Another application's database where the ledger should be: one table of its own."""
    if env.engine == "sqlite":
        connection = sqlite3.connect(env.ledger)
        if wal:
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO users VALUES (1, 'ann')")
        connection.commit()
        connection.close()
    else:
        env.query("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        env.query("INSERT INTO users VALUES (1, 'ann')")


def _refused(env: Env, result: Result, message: str) -> None:
    assert result.code == 2, result.stderr
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    assert env.visible_runs() == []


def _foreign_message(env: Env) -> str:
    return (f"{display_url(env.ledger_url)} is not a seatbatch ledger: it holds 1 table(s) "
            "(users) and no seatbatch schema; nothing was changed in it. Give --ledger a "
            "seatbatch ledger, a new file or an empty database")


def test_ledger_copy_from_another_applications_database_is_refused_untouched(env: Env) -> None:
    """Issue 11, finding 13: `ledger copy app.db to.db` said 'copied the ledger' and made 14
    tables inside app.db."""
    _foreign(env)
    before = state(env)
    target = env.root / "to.db"
    result = env.run("ledger", "copy", env.ledger_url, target)
    _refused(env, result, _foreign_message(env))
    assert result.stderr == f"seatbatch: {_foreign_message(env)}\n"
    assert state(env) == before
    assert list(env.root.glob("to.db*")) == []


@pytest.mark.parametrize("command", list(EVERY))
def test_another_applications_database_is_refused_by_every_command(env: Env,
                                                                   command: str) -> None:
    """Finding 13 and its siblings: quote, report and renew made the schema in it; every
    other command, reading or writing, refuses it too, and leaves it as it was."""
    _foreign(env)
    argv = EVERY[command](env)
    before = state(env)
    result = env.run(*argv)
    _refused(env, result, _foreign_message(env))
    assert state(env) == before
    if command == "inbox":  # the workbook waits, for a configuration put right
        assert (env.root / "inbox" / "P-ACME" / "orders.xlsx").is_file()
        assert result.stderr.splitlines()[-1].startswith("seatbatch inbox: 0 done")
    else:
        assert result.stderr == f"seatbatch: {_foreign_message(env)}\n"


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", ["quote", "process"])
def test_another_applications_wal_database_gets_no_file_beside_it(tmp_path: Path,
                                                                  command: str) -> None:
    """Even a read-only look at a WAL database makes its -wal and -shm files: the look that
    recognises a ledger takes no lock and makes no file when no connection has it open."""
    env = Env(tmp_path)
    env.config.write_text(CONFIG, encoding="utf-8")
    _foreign(env, wal=True)
    before = state(env)
    assert list(before) == ["ledger.db"]
    _refused(env, env.run(*EVERY[command](env)), _foreign_message(env))
    assert state(env) == before


def test_reading_commands_on_a_missing_ledger_create_nothing(env: Env) -> None:
    """A fresh installation quotes and makes templates; report reads an empty month; render
    has no invoice to render. None of them makes a file or a table."""
    quoted = env.quote(_workbook(env))
    assert quoted.code == 0, quoted.stderr
    assert quoted.manifest["invoices"][0]["total"] == "324.00"
    template = env.run("template", env.root / "blank.xlsx", "--partner", "P-ACME")
    assert template.code == 0, template.stderr
    report = env.run("report", "--month", "2026-11")
    assert report.code == 0 and report.manifest["totals"]["invoices"] == 0
    render = env.run("render", "INV-2026-000001")
    assert render.code == 2
    assert render.stderr == (f"seatbatch: no invoice 'INV-2026-000001' in the ledger "
                             f"{display_url(env.ledger_url)}\n")
    renew = env.run("renew", "--month", "2026-11")
    assert renew.code == 0 and renew.manifest["status"] == "nothing_due"
    assert not env.ledger_exists()
    if env.engine == "sqlite":
        assert list(env.root.glob("ledger.db*")) == []


def test_the_first_writing_run_makes_the_ledger_and_reading_ones_then_change_nothing(
        env: Env) -> None:
    assert env.process(_workbook(env)).code == 0
    assert [v for (v,) in env.query("SELECT version FROM schema_migrations ORDER BY 1")] == \
        list(range(1, NEWEST + 1))
    before = env.dump()
    for command in READING:
        result = env.run(*READING[command](env))
        assert result.code == 0, (command, result.stderr)
    assert env.dump() == before


def test_an_older_ledger_is_refused_by_reading_commands_and_upgraded_by_ledger_upgrade(
        sample_env: Env) -> None:
    env = sample_env
    _make_v1_ledger(env)
    before = state(env)
    for command in READING:
        result = env.run(*READING[command](env))
        _refused(env, result, f"the ledger {display_url(env.ledger_url)} is of an older "
                 "version of seatbatch, and a command that only reads does not upgrade it: "
                 "run `seatbatch ledger upgrade` (or any command that writes), then this again")
        assert state(env) == before, command
    upgraded = env.run("ledger", "upgrade")
    assert upgraded.code == 0, upgraded.stderr
    assert upgraded.stdout == (f"upgraded the ledger {display_url(env.ledger_url)} from schema "
                               f"version 1 to {NEWEST}\n")
    after = env.dump()
    again = env.run("ledger", "upgrade")
    assert again.code == 0, again.stderr
    assert again.stdout == (f"the ledger {display_url(env.ledger_url)} is at schema version "
                            f"{NEWEST} already: nothing to do\n")
    assert env.dump() == after
    assert env.run("render", "INV-2026-000001").code == 0


def test_ledger_upgrade_of_no_ledger_makes_none(env: Env) -> None:
    result = env.run("ledger", "upgrade")
    assert result.code == 2
    assert result.stderr == (f"seatbatch: no seatbatch ledger at {display_url(env.ledger_url)}"
                             ": nothing to upgrade (the first command that writes, such as "
                             "process, makes one)\n")
    assert not env.ledger_exists()


@pytest.mark.parametrize("command", list(EVERY))
def test_a_ledger_of_a_newer_seatbatch_is_refused_untouched(env: Env, command: str) -> None:
    assert env.process(env.workbook("first.xlsx", customers=[customer()],
                                    orders=[order("F1", subscription="F")])).code == 0
    env.query("INSERT INTO schema_migrations VALUES "
              f"({NEWEST + 1}, 'from the future', '2027-01-01 00:00:00')")
    argv = EVERY[command](env)
    before = state(env)
    result = env.run(*argv)
    message = (f"the ledger {display_url(env.ledger_url)} was made by a newer seatbatch "
               f"(schema version {NEWEST + 1}; this one knows up to {NEWEST}): upgrade "
               "seatbatch; nothing was changed in it")
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert state(env) == before


def test_a_ledger_missing_tables_is_refused_as_incomplete(env: Env) -> None:
    assert env.process(_workbook(env)).code == 0
    env.query("DROP TABLE inbox_claims")
    before = state(env)
    for command in ("quote", "process"):
        result = env.run(*EVERY[command](env))
        assert result.code == 2, result.stderr
        assert (f"the ledger {display_url(env.ledger_url)} is incomplete: it is recorded at "
                f"schema version {NEWEST} but lacks the table(s) inbox_claims") in result.stderr
        assert state(env) == before


# --- SQLite files that are not ledgers, or cannot be written --------------------------------

@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", list(EVERY))
def test_a_file_that_is_not_sqlite_is_refused_untouched(env: Env, command: str) -> None:
    env.ledger.write_bytes(b"name,amount\nann,12\n" * 20)
    argv = EVERY[command](env)
    before = state(env)
    result = env.run(*argv)
    assert result.code == 2, result.stderr
    assert (f"the ledger {env.ledger} is not a SQLite database (nor a seatbatch ledger): "
            "nothing was changed in it") in result.stderr
    assert state(env) == before


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", ["quote", "report", "process", "ledger copy"])
def test_a_truncated_ledger_is_refused_as_damaged(env: Env, command: str) -> None:
    assert env.process(env.workbook("first.xlsx", customers=[customer()],
                                    orders=[order("F1", subscription="F")])).code == 0
    assert not Path(f"{env.ledger}-wal").exists()
    size = env.ledger.stat().st_size
    with env.ledger.open("r+b") as file:
        file.truncate(size // 2)
    argv = EVERY[command](env)
    before = state(env)
    result = env.run(*argv)
    assert result.code == 2, result.stderr
    assert (f"the ledger {env.ledger} is damaged: {size // 2} bytes where its header says "
            f"{size} (the file was cut short)") in result.stderr
    assert state(env) == before


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", ["quote", "process", "report"])
def test_a_ledger_path_that_is_a_folder_is_exit_2(env: Env, command: str) -> None:
    env.ledger.mkdir()
    result = env.run(*EVERY[command](env))
    assert result.code == 2, result.stderr
    assert result.stderr == (f"seatbatch: the ledger {env.ledger} is a folder: give --ledger "
                             "a SQLite file path\n")
    assert list(env.ledger.iterdir()) == []


@pytest.mark.sqlite_only
def test_a_ledger_under_a_file_is_exit_2(env: Env) -> None:
    blocker = env.root / "not-a-folder"
    blocker.write_text("a file where the ledger's folder should be")
    env.ledger_url = str(blocker / "ledger.db")
    result = env.run("process", _workbook(env), "--partner", "P-ACME")
    assert result.code == 2, result.stderr
    assert result.stderr == (f"seatbatch: cannot make the ledger {blocker / 'ledger.db'}: "
                             f"{blocker} is a file, not a folder\n")


def _without_privileges(env: Env, *args: Any) -> Result:
    """`env.run`, as a user who obeys file modes: root without CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH (a non-root user obeys them already)."""
    argv = [str(SEATBATCH), *map(str, args), "--config", str(env.config), "--ledger",
            env.ledger_url, "--out", str(env.out), "--as-of", "2026-11-24"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): cannot run the child "
                        "as a user who obeys file modes")
        argv = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *argv]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SEATBATCH_")}
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          cwd=env.root, env=environment, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def kept(env: Env) -> Iterator[Env]:
    """A SQLite ledger with one invoice, in a folder of its own (`root/books/`), whose modes
    the test may take away; given back afterwards so that the folder can be removed."""
    books = env.root / "books"
    books.mkdir()
    env.ledger_url = str(books / "ledger.db")
    assert env.process(_workbook(env)).code == 0
    assert not Path(f"{env.ledger}-wal").exists()
    env.out.chmod(0o777)
    yield env
    books.chmod(0o755)
    for path in books.iterdir():
        path.chmod(0o644)


READ_ONLY_MESSAGE = ("seatbatch: cannot write the ledger {path}: the file is read-only for the "
                     "user running seatbatch; make it writable (or run seatbatch as a user who "
                     "may write it)\n")
FOLDER_MESSAGE = ("seatbatch: cannot write the ledger {path}: its folder {folder} cannot be "
                  "written, and SQLite must make ledger.db-wal and ledger.db-shm there; make "
                  "the folder writable for the user running seatbatch\n")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("what", ["read-only file", "read-only folder"])
def test_an_unwritable_ledger_is_exit_2_for_writing_commands_and_read_by_the_others(
        kept: Env, what: str) -> None:
    """Issue 11, finding 15 (part): a ledger file that cannot be written was exit 70."""
    env = kept
    book = env.workbook("more.xlsx", customers=[customer("C-002")],
                        orders=[order("L2", customer_id="C-002", subscription="S2")])
    if what == "read-only file":
        env.ledger.chmod(0o444)
        expected = READ_ONLY_MESSAGE.format(path=env.ledger)
    else:
        env.ledger.parent.chmod(0o555)
        expected = FOLDER_MESSAGE.format(path=env.ledger, folder=env.ledger.parent)
    before = state(env)
    for argv in (("process", book, "--partner", "P-ACME"), ("renew", "--month", "2026-11"),
                 ("ledger", "upgrade")):
        result = _without_privileges(env, *argv)
        assert (result.code, result.stdout, result.stderr) == (2, "", expected), argv
    assert state(env) == before
    # the commands that only read just work
    quoted = _without_privileges(env, "quote", book, "--partner", "P-ACME")
    assert quoted.code == 0, quoted.stderr
    assert _without_privileges(env, "report", "--month", "2026-11").code == 0
    assert _without_privileges(env, "render", "INV-2026-000001").code == 0
    assert state(env)["ledger.db"] == before["ledger.db"]
    if what == "read-only folder":
        assert state(env) == before  # not even -wal and -shm: none could be made
    assert env.invoice_numbers() == ["INV-2026-000001"]


@pytest.mark.sqlite_only
def test_a_ledger_that_cannot_be_made_is_exit_2(kept: Env) -> None:
    env = kept
    books = env.ledger.parent
    books.chmod(0o555)
    for where in (books / "new.db", books / "deeper" / "new.db"):
        env.ledger_url = str(where)
        result = _without_privileges(env, "process", _workbook(env), "--partner", "P-ACME")
        assert result.code == 2, result.stderr
        assert result.stderr == (f"seatbatch: cannot make the ledger {where}: the folder "
                                 f"{books} cannot be written by the user running "
                                 "seatbatch\n")
        assert not where.exists()
    assert not (books / "deeper").exists()


# --- PostgreSQL: a database the user may not write ---------------------------------------

@pytest.mark.sqlite_only  # the ledger here is a database made for the test, not `env`'s
def test_a_postgresql_ledger_the_user_may_not_write_is_exit_2(
        env: Env, pg_server: PostgresServer) -> None:
    name, url = pg_server.create_database()
    try:
        env.ledger_url = url
        with pg_server.admin(name) as admin:  # the schema cannot be made
            admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC, pg_database_owner")
        made = env.process(_workbook(env))
        assert made.code == 2, made.stderr
        assert made.stderr.startswith(f"seatbatch: cannot write the ledger "
                                      f"{display_url(url)} (permission denied for schema "
                                      "public")
        assert env.dump() == {}
        with pg_server.admin(name) as admin:
            admin.execute("GRANT CREATE ON SCHEMA public TO pg_database_owner")
        assert env.process(_workbook(env)).code == 0
        with pg_server.admin(name) as admin:  # its rows cannot be written
            admin.execute("REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                          "FROM seatbatch")
        before = env.dump()
        book = env.workbook("more.xlsx", customers=[customer("C-002")],
                            orders=[order("L2", customer_id="C-002", subscription="S2")])
        refused = env.process(book)
        assert refused.code == 2, refused.stderr
        assert refused.stderr.startswith(f"seatbatch: cannot write the ledger "
                                         f"{display_url(url)} (permission denied for table")
        assert refused.stderr.rstrip().endswith(
            "the database user must be able to create and write its tables, on a server that "
            "accepts writes")
        assert env.dump() == before
        assert env.quote(book).code == 0  # reading still works
    finally:
        pg_server.drop_database(name)


@pytest.mark.sqlite_only
def test_wal_files_the_user_may_not_write_are_exit_2(kept: Env) -> None:
    """Sibling of finding 15: the ledger and its folder are writable, but its -wal and -shm
    files (left by a reading command of another user) are not: SQLite says so only when the
    run writes, and that is exit 2 too, naming the ledger."""
    env = kept
    assert env.quote(_workbook(env)).code == 0  # a read-only connection leaves them
    for end in ("-wal", "-shm"):
        Path(f"{env.ledger}{end}").chmod(0o444)
    before = state(env)
    book = env.workbook("more.xlsx", customers=[customer("C-002")],
                        orders=[order("L2", customer_id="C-002", subscription="S2")])
    result = _without_privileges(env, "process", book, "--partner", "P-ACME")
    assert result.code == 2, result.stderr
    assert result.stderr == (
        f"seatbatch: cannot write the ledger {env.ledger} (attempt to write a readonly "
        "database): the user running seatbatch must be able to write the file and to create "
        f"files in its folder {env.ledger.parent} (SQLite makes ledger.db-wal and "
        "ledger.db-shm there)\n")
    assert state(env) == before
    assert _without_privileges(env, "report", "--month", "2026-11").code == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", ["quote", "process"])
def test_a_ledger_with_a_damaged_page_is_refused_as_damaged(env: Env, command: str) -> None:
    """Sibling of the truncated file: the right size, but its schema page overwritten."""
    assert env.process(env.workbook("first.xlsx", customers=[customer()],
                                    orders=[order("F1", subscription="F")])).code == 0
    with env.ledger.open("r+b") as file:
        file.seek(100)
        file.write(bytes(range(256)) * 15)
    argv = EVERY[command](env)
    content = env.ledger.read_bytes()
    result = env.run(*argv)
    assert result.code == 2, result.stderr
    assert result.stderr.startswith(f"seatbatch: the ledger {env.ledger} is damaged (")
    assert result.stderr.endswith("): restore it from a backup; nothing was changed\n")
    assert env.ledger.read_bytes() == content
