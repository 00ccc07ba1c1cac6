"""Shared test helpers: a configuration on disk, workbook builders, and the installed `seatbatch`
command run as cron would run it (no terminal, no standard input)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from seatbatch.workbook.write import write_order_workbook

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEATBATCH = Path(sys.executable).parent / "seatbatch"
AS_OF = date(2026, 11, 24)

CONFIG = """
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


@cache
def manifest_schema() -> dict[str, Any]:
    return json.loads((ROOT / "schemas" / "manifest.schema.json").read_text())  # type: ignore[no-any-return]


def read_manifest(folder: Path) -> dict[str, Any]:
    manifest = json.loads((folder / "manifest.json").read_text())
    jsonschema.validate(manifest, manifest_schema())
    return manifest  # type: ignore[no-any-return]


@dataclass
class Env:
    """One isolated installation: config, ledger, output folder, and a way to run commands."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "seatbatch.toml"

    @property
    def ledger(self) -> Path:
        return self.root / "ledger.db"

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
            common: bool = True) -> Result:
        argv = [str(SEATBATCH), *map(str, args)]
        if common:
            argv += ["--config", str(self.config), "--ledger", str(self.ledger),
                     "--out", str(self.out)]
            if as_of is not None:
                argv += ["--as-of", as_of.isoformat()]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SEATBATCH_")}
        environment.update(env)
        done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              cwd=self.root, env=environment, timeout=300)
        assert "Traceback" not in done.stderr, done.stderr
        return Result(done.returncode, done.stdout, done.stderr)

    def process(self, workbook: Path, partner: str = "P-ACME", **kwargs: Any) -> Result:
        return self.run("process", workbook, "--partner", partner, **kwargs)

    def quote(self, workbook: Path, partner: str = "P-ACME", **kwargs: Any) -> Result:
        return self.run("quote", workbook, "--partner", partner, **kwargs)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.ledger) as connection:
            return connection.execute(sql).fetchall()

    def count(self, table: str) -> int:
        if not self.ledger.exists():
            return 0
        return int(self.query(f"SELECT count(*) FROM {table}")[0][0])

    def invoice_numbers(self) -> list[str]:
        if not self.ledger.exists():
            return []
        return [row[0] for row in self.query("SELECT number FROM invoices ORDER BY number")]

    def visible_runs(self) -> list[Path]:
        if not self.out.exists():
            return []
        return sorted(p for p in self.out.iterdir() if not p.name.startswith("."))


@pytest.fixture
def env(tmp_path: Path) -> Env:
    tmp_path.joinpath("seatbatch.toml").write_text(CONFIG, encoding="utf-8")
    return Env(tmp_path)


@pytest.fixture
def sample_env(tmp_path: Path) -> Env:
    """An installation with the shipped sample configuration and workbooks."""
    shutil.copy(SAMPLES / "seatbatch.toml", tmp_path / "seatbatch.toml")
    for workbook in SAMPLES.glob("*.xlsx"):
        shutil.copy(workbook, tmp_path / workbook.name)
    return Env(tmp_path)


Codes = Callable[[Result], list[tuple[str, int | None, str | None, str]]]


def codes(result: Result) -> list[tuple[str, int | None, str | None, str]]:
    """The rejections of a run, compactly: [(sheet, row, column, code)]."""
    return [(r["sheet"], r["row"], r["column"], r["code"]) for r in result.manifest["rejections"]]
