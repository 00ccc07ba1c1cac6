"""A workbook read a share of its sheets at a time (`sheet_reads`, as `process` reads a large
one in its two workers) is the workbook `read_workbook` reads: the same sheets, problems and
warnings, in the same order."""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Callable
from functools import partial
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT
from seatbatch.core.config import Limits
from seatbatch.core.progress import Progress
from seatbatch.intake.guard import inspect_file
from seatbatch.intake.read import APART, assemble, read_workbook, sheet_reads
from seatbatch.output.files import PARALLEL_FROM, InvoiceWriter


def in_shares(path: Path, limits: Limits) -> object:
    inspection = inspect_file(path, limits)
    reads = sheet_reads(path, limits, inspection)
    assert len(reads) == (0 if inspection.problem else 2)
    return assemble(path, inspection, [read() for read in reads])


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "samples").glob("*.xlsx")))
def test_a_sample_read_in_shares_is_the_sample_read_whole(name: str) -> None:
    path = ROOT / "samples" / name
    assert in_shares(path, Limits()) == read_workbook(path, Limits())


def _odd(path: Path) -> Path:
    """Sheets twice (Devices, hidden), missing (Orders) and odd (a duplicate and an unknown
    header, an error value), more rows than 3."""
    book = openpyxl.Workbook()
    customers = book.active
    assert customers is not None
    customers.title = "customers "
    customers.append(["customer_id", "organization", "organization", "colour"])
    for n in range(5):
        customers.append([f"C-{n}", f"Org {n}", "#N/A" if n == 2 else None, "blue"])
    customers["B4"] = "=1/0"
    book.create_sheet(APART).append(["serial_number"])
    hidden = book.create_sheet("DEVICES")
    hidden.sheet_state = "hidden"
    book.create_sheet("Ordres").append(["order_id"])
    book.save(path)
    return path


@pytest.mark.parametrize("max_rows", [3, 1_000_000])
def test_problems_read_in_shares_are_those_read_whole(tmp_path: Path, max_rows: int) -> None:
    path = _odd(tmp_path / "odd.xlsx")
    whole = read_workbook(path, Limits(max_rows=max_rows))
    assert whole.problems
    assert in_shares(path, Limits(max_rows=max_rows)) == whole


def test_a_file_the_guard_refuses_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "not.xlsx"
    path.write_bytes(b"not a workbook")
    assert in_shares(path, Limits()) == read_workbook(path, Limits())


def _read_dies_in_a_worker(parent: int, share: int) -> int:
    if os.getpid() != parent and share == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer ends it
    return share


def _given(parent: int) -> int:
    return parent


def _shares(parent: int) -> list[Callable[[], int]]:
    return [partial(_read_dies_in_a_worker, parent, share) for share in (0, 1)]


def test_reads_whose_worker_dies_are_done_here(tmp_path: Path) -> None:
    with InvoiceWriter(tmp_path / "invoices", Progress()) as writer:
        writer.prepare(PARALLEL_FROM)
        reads = writer.meanwhile_then(_shares, _given, os.getpid())
        assert reads.early(1) is None  # its worker died: nothing early, all of it below
        parent, shares = reads()
        assert (parent, shares) == (os.getpid(), [0, 1])
        if (os.cpu_count() or 1) > 1:
            assert writer.pool is None  # gone with the worker


def _share(share: int) -> int:
    return share


def _two_shares(_parent: int) -> list[Callable[[], int]]:
    return [partial(_share, share) for share in (0, 1)]


def test_a_step_is_had_early_from_the_workers(tmp_path: Path) -> None:
    with InvoiceWriter(tmp_path / "invoices", Progress()) as writer:
        writer.prepare(PARALLEL_FROM)
        reads = writer.meanwhile_then(_two_shares, _given, os.getpid())
        workers = writer.pool is not None
        assert reads.early(1) == (1 if workers else None)  # without workers: none early
        assert reads.early(2) is None
        assert reads() == (os.getpid(), [0, 1])


def test_a_workbook_replaced_after_the_guard_passed_it_is_not_read(tmp_path: Path) -> None:
    """The readers read only the bytes the guard passed: a file renamed over the workbook's
    path in between (a sync tool, say) is refused as changed, never read unguarded."""
    path = tmp_path / "orders.xlsx"
    path.write_bytes((ROOT / "samples" / "acme-new.xlsx").read_bytes())
    inspection = inspect_file(path, Limits())
    assert inspection.problem is None
    other = tmp_path / "other.xlsx"
    other.write_bytes((ROOT / "samples" / "acme-changes.xlsx").read_bytes())
    other.replace(path)
    reads = [read() for read in sheet_reads(path, Limits(), inspection)]
    workbook = assemble(path, inspection, reads)
    assert workbook.sheets == {}
    [refused] = workbook.problems
    assert refused.code == "corrupt_workbook"
    assert "it changed while it was being read" in refused.describe()


def test_a_workbook_other_than_the_one_the_run_hashed_is_not_read() -> None:
    """The guard reads the bytes the run took the SHA-256 of (its manifest's input_sha256),
    or refuses the file as changed."""
    path = ROOT / "samples" / "acme-new.xlsx"
    taken = hashlib.sha256(path.read_bytes()).hexdigest()
    assert inspect_file(path, Limits(), taken).problem is None
    assert read_workbook(path, Limits(), taken) == read_workbook(path, Limits())
    refused = read_workbook(path, Limits(), "0" * 64)
    assert refused.sheets == {}
    [problem] = refused.problems
    assert problem.code == "corrupt_workbook"
    assert "it changed while it was being read" in problem.describe()
