"""The ledger: opened with `with` (a context manager that closes it), read through
partner-scoped snapshots, written through one unit of work per run (`committing`,
`renewing`) that the run's orchestrator drives."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date
from types import TracebackType

from sqlalchemy.engine import Connection, Engine

from seatbatch.core.model import Device, Invoice, LedgerView, ReadSet
from seatbatch.core.month_end import LedgerMonth
from seatbatch.ledger import claims, opening, reads
from seatbatch.ledger.claims import Claim
from seatbatch.ledger.engine import atomic, close_behind
from seatbatch.ledger.month import read_month
from seatbatch.ledger.records import CommittedRun, RunRecord
from seatbatch.ledger.unit import Commit, Crediting, Renewing
from seatbatch.ledger.versions import lock_partner, partner_version


class Ledger:
    def __init__(self, engine: Engine | None, held: Connection | None = None):
        self.engine = engine  # None: a ledger that does not exist yet, read as empty
        self._held = held  # the write transaction of `holding`: every read and write in it

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _transaction(self, *, write: bool) -> AbstractContextManager[Connection]:
        assert self.engine is not None
        return nullcontext(self._held) if self._held is not None \
            else atomic(self.engine, write=write)

    @contextmanager
    def holding(self, partner_id: str) -> Iterator[Ledger]:
        """This ledger inside one write transaction that holds the partner's lock from the
        start: a view read through it stays current, so its commit cannot go stale. For the
        run whose first try another run's commit overtook: it waits for its turn instead of
        trying again and again."""
        assert self.engine is not None and self._held is None
        with self._transaction(write=True) as connection:
            lock_partner(connection, partner_id)
            yield Ledger(self.engine, connection)

    @classmethod
    def open(cls, url: str, *, write: bool, create: bool = True) -> Ledger:
        """The ledger at `url`, recognised first (`migrations.examine`): a database that is not
        a seatbatch ledger, or one of a newer seatbatch, is refused (LedgerError) untouched.

        To read (`write=False`: quote, report, render, template) it is never created, upgraded
        or changed: a SQLite file is opened read-only; a missing file or an empty database
        reads as an empty ledger; an older version is refused, naming `seatbatch ledger
        upgrade`. To write, the schema is made in an empty database (a missing SQLite file is
        created, with its folder) and an older one is upgraded; with `create=False` (renew, the
        recovery of killed runs) a missing or empty one is left so and read as empty."""
        return cls(opening.open_engine(url, write=write, create=create))

    @staticmethod
    def upgrade(url: str) -> tuple[int, int]:
        """`seatbatch ledger upgrade`: the ledger brought to the newest version; the versions
        it was and is at."""
        return opening.upgrade(url)

    def close(self) -> None:
        """Closed here and now; or, a ledger opened to write inside `closing_behind()`, behind
        the run (its commits hold already), which waits for it before it ends."""
        if self.engine is not None:
            close_behind(self.engine)

    # reads, each in one snapshot

    def view(self, partner_id: str) -> LedgerView:
        if self.engine is None:
            return LedgerView(partner_id, 0)
        with self._transaction(write=False) as connection:
            return reads.read_view(connection, partner_id)

    def devices(self, partner_id: str) -> list[Device]:
        """The partner's devices as last listed, by customer and serial number."""
        if self.engine is None:
            return []
        with self._transaction(write=False) as connection:
            return reads.devices(connection, partner_id)

    def partners_with_subscriptions(self) -> list[str]:
        if self.engine is None:
            return []
        with self._transaction(write=False) as connection:
            return reads.partners_with_subscriptions(connection)

    def due(self, partner_id: str, year: int, month: int) -> tuple[int, int]:
        """The partner's version, and how many of its subscriptions have a last term whose
        last day falls in the month."""
        if self.engine is None:
            return 0, 0
        with self._transaction(write=False) as connection:
            return (partner_version(connection, partner_id),
                    reads.due_count(connection, partner_id, year, month))

    def cancelled_ending(self, partner_id: str, year: int, month: int) -> list[tuple[str, str]]:
        """The partner's cancelled subscriptions whose last term ends in the month, with the
        order lines that cancelled them."""
        if self.engine is None:
            return []
        with self._transaction(write=False) as connection:
            return reads.cancelled_ending(connection, partner_id, year, month)

    def committed_runs(self, run_ids: Sequence[str]) -> dict[str, CommittedRun]:
        """Which of these runs committed, with what they issued (numbers in issue order)."""
        if self.engine is None or not run_ids:
            return {}
        with self._transaction(write=False) as connection:
            return reads.committed_runs(connection, run_ids)

    def documents(self, numbers: Sequence[str]) -> list[str]:
        """Issued invoices as the ledger keeps them (JSON text), in the order asked for."""
        assert self.engine is not None
        with self._transaction(write=False) as connection:
            return reads.documents(connection, numbers)

    def month(self, first: date, last: date) -> LedgerMonth:
        """Everything the month-end report needs, read in one snapshot."""
        if self.engine is None:
            return LedgerMonth([], {}, [], [], [], {})
        with self._transaction(write=False) as connection:
            return read_month(connection, first, last)

    def invoice(self, number: str) -> Invoice | None:
        """An issued invoice, whole, as it was when issued."""
        if self.engine is None:
            return None
        with self._transaction(write=False) as connection:
            return reads.invoice(connection, number)

    # writes: one unit of work per run

    @contextmanager
    def committing(self, view: LedgerView, read_set: ReadSet, run: RunRecord
                   ) -> Iterator[Commit]:
        """The unit of work of one run over the partner's workbook, `view` the ledger as its
        validation read it and `read_set` what of it the validation depended on. StaleView
        on entering when another run's commit since touched any of that (see
        `Commit.begin`)."""
        assert self.engine is not None
        with self._transaction(write=True) as connection:
            commit = Commit.begin(connection, view, read_set, run)
            yield commit
            commit.finish()

    @contextmanager
    def renewing(self, versions: Mapping[str, int], run: RunRecord) -> Iterator[Renewing]:
        """The unit of work of a renewal run; `versions` are the partners' versions the run
        counted its work against (StaleView on entering when one has changed since)."""
        assert self.engine is not None
        with self._transaction(write=True) as connection:
            renewing = Renewing.begin(connection, versions, run)
            yield renewing
            renewing.finish()

    @contextmanager
    def crediting(self, partner_id: str, run: RunRecord) -> Iterator[Crediting]:
        """The unit of work of a credit run for the partner's invoice (SPEC §11)."""
        assert self.engine is not None
        with self._transaction(write=True) as connection:
            crediting = Crediting.begin(connection, partner_id, run)
            yield crediting
            crediting.finish()

    # the inbox's claims on workbooks' bytes (see `claims`), each its own short transaction

    def claim(self, partner_id: str, sha256: str, name: str, *, host: str, pid: int,
              lease: float) -> Claim:
        assert self.engine is not None
        return claims.claim(self.engine, partner_id, sha256, name, host=host, pid=pid,
                            lease=lease)

    def finish_claim(self, taken: Claim, outcome: str, run_folder: str | None) -> bool:
        assert self.engine is not None
        return claims.finish(self.engine, taken, outcome, run_folder)

    def release_claim(self, taken: Claim) -> bool:
        assert self.engine is not None
        return claims.release(self.engine, taken)


__all__ = ["Ledger"]
