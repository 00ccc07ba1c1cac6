"""A command imports only what it uses (issue 12): checked by which modules a command, run in a
fresh process as the installed command runs it, has loaded by its end. Never by its speed
(benchmarks/startup.py prints that)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Env, customer, order

pytestmark = pytest.mark.sqlite_only  # what is imported does not depend on the ledger's engine

LARGE = ("pandas", "pandera", "openpyxl", "sqlalchemy", "jinja2")
# what the command run in a fresh process has imported by its end, and its exit code
PROBE = f"""\
import json, sys
from seatbatch.cli.commands import run
code = run(sys.argv[1:])
large = {LARGE!r}
print(json.dumps({{"code": code, "loaded": [m for m in large if m in sys.modules]}}))
"""


def loaded(*argv: str | Path, cwd: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, argv)], capture_output=True,
                          text=True, cwd=cwd, stdin=subprocess.DEVNULL, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return set(report["loaded"])


@pytest.mark.parametrize("command", [
    [], ["quote"], ["process"], ["template"], ["renew"], ["report"], ["render"], ["inbox"],
    ["ledger", "copy"], ["ledger", "upgrade"],
])
def test_help_loads_none_of_the_large_libraries(tmp_path: Path, command: list[str]) -> None:
    assert loaded(*command, "--help", cwd=tmp_path) == set()


def test_a_blank_template_opens_no_ledger_and_validates_nothing(env: Env) -> None:
    assert loaded("template", env.root / "blank.xlsx", "--config", env.config,
                  "--ledger", env.ledger_url, cwd=env.root) == {"openpyxl"}
    assert not env.ledger_exists()


def test_process_of_a_valid_workbook_writes_no_workbook_with_openpyxl(env: Env) -> None:
    book = env.workbook(customers=[customer()], orders=[order()])
    assert loaded("process", book, "--partner", "P-ACME", "--config", env.config,
                  "--ledger", env.ledger_url, "--out", env.out, "--as-of", "2026-11-24",
                  cwd=env.root) == {"pandas", "pandera", "sqlalchemy", "jinja2"}


def test_renew_validates_no_workbook_and_writes_none_with_openpyxl(env: Env) -> None:
    assert loaded("renew", "--month", "2026-11", "--config", env.config,
                  "--ledger", env.ledger_url, "--out", env.out, "--as-of", "2026-11-24",
                  cwd=env.root) == {"sqlalchemy", "jinja2"}
