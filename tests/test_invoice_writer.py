"""The invoice writer's workers: work handed to them meanwhile, and what happens when one
dies at it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from seatbatch.core.progress import Progress
from seatbatch.output.files import PARALLEL_FROM, InvoiceWriter


def _dies_in_a_worker(parent: int) -> int:
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer ends it
    return 42


def test_work_whose_worker_dies_is_done_here_and_the_writer_goes_on_without_workers(
        tmp_path: Path) -> None:
    with InvoiceWriter(tmp_path / "invoices", Progress()) as writer:
        writer.prepare(PARALLEL_FROM)
        if (os.cpu_count() or 1) > 1:
            assert writer.pool is not None
        result = writer.meanwhile(_dies_in_a_worker, os.getpid())
        assert result() == 42  # done here, after the worker died at it
        assert writer.pool is None
        writer.submit([])
        writer.finish()


def test_without_workers_work_is_done_at_once(tmp_path: Path) -> None:
    with InvoiceWriter(tmp_path / "invoices", Progress()) as writer:
        writer.prepare(1)
        assert writer.pool is None
        assert writer.meanwhile(_dies_in_a_worker, os.getpid())() == 42
