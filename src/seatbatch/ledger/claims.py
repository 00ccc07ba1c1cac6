"""Inbox claims: which host works on which workbook, recorded in the ledger.

An inbox run first moves a workbook into a claim folder of its own (a rename: enough between two
runs on one machine), then claims its content here, keyed by partner and the sha256 of its
bytes. The ledger is the authority: hosts sharing an inbox folder over a file system whose
renames do not exclude each other, or each holding a copy of it (a sync tool), still never
process the same bytes twice at once, and never again once they were committed.

Each function is one short write transaction. A claim is free to take when there is none, when
its run was rejected or failed (the partner may send the same file again once the problem is
fixed), or when it is stale: its run's process is gone (same host, pid no longer alive) or it is
older than the lease (SEATBATCH_CLAIM_LEASE seconds). The same code runs on SQLite (writers
serialised by BEGIN IMMEDIATE, FOR UPDATE renders as nothing) and PostgreSQL (a row another
host is claiming right now is skipped, never waited for)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.engine import Engine

from seatbatch.ledger.engine import atomic, insert_new
from seatbatch.ledger.schema import inbox_claims

LEASE_SECONDS = 900.0
DONE_OUTCOMES = frozenset({"committed", "duplicate"})  # these bytes are not processed again

TAKEN = "taken"  # this run works on it now
HELD = "held"  # another run works on it now: wait
DONE = "done"  # already processed (committed or duplicate): file this copy, no new run


@dataclass(frozen=True)
class Claim:
    state: str  # TAKEN, HELD or DONE
    partner_id: str
    sha256: str
    name: str | None = None  # the workbook's name when it was claimed (None: unknown)
    host: str | None = None
    pid: int | None = None
    claimed_at: datetime | None = None
    outcome: str | None = None  # for DONE: the earlier run's status
    run_folder: str | None = None  # for DONE: the earlier run's folder (on `host`)
    previous: str | None = None  # for TAKEN over an earlier claim: "stale", "rejected", ...


def this_host(environ: Mapping[str, str] = os.environ) -> str:
    """The host a claim names: $SEATBATCH_HOST, else the machine's host name."""
    return (environ.get("SEATBATCH_HOST") or socket.gethostname() or "localhost")[:255]


def lease_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """How long a claim whose run may still be alive protects its workbook:
    $SEATBATCH_CLAIM_LEASE seconds, default 900. A ValueError names a bad value."""
    given = environ.get("SEATBATCH_CLAIM_LEASE", "").strip()
    if not given:
        return LEASE_SECONDS
    try:
        lease = float(given)
    except ValueError:
        lease = -1.0
    if not 0 < lease < float("inf"):
        raise ValueError(f"SEATBATCH_CLAIM_LEASE={given!r}: give a number of seconds above 0")
    return lease


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _is_stale(row: Any, host: str, now: datetime, lease: float) -> bool:
    """A claim still being processed (outcome NULL) whose run is gone: its process on this
    host no longer runs (or is this one, which works on one workbook at a time and is not
    working on it), or it is older than the lease."""
    if now - row.claimed_at > timedelta(seconds=lease):
        return True
    return row.host == host and (row.pid == os.getpid() or not _pid_alive(row.pid))


def _key(partner_id: str, sha256: str) -> ColumnElement[bool]:
    c = inbox_claims.c
    return and_(c.partner_id == partner_id, c.sha256 == sha256)


def _ours(claim: Claim) -> ColumnElement[bool]:
    c = inbox_claims.c
    return and_(_key(claim.partner_id, claim.sha256), c.host == claim.host,
                c.pid == claim.pid, c.claimed_at == claim.claimed_at)


def claim(engine: Engine, partner_id: str, sha256: str, name: str, *, host: str, pid: int,
          lease: float = LEASE_SECONDS) -> Claim:
    """Take the claim on these bytes of the partner's, or say who holds it, or that they were
    processed already."""
    now = _now()
    name = name[:255]
    mine: dict[str, Any] = {"name": name, "host": host, "pid": pid, "claimed_at": now,
                            "outcome": None, "run_folder": None, "filed_at": None}
    taken = Claim(TAKEN, partner_id, sha256, name, host, pid, now)
    with atomic(engine, write=True) as connection:
        if insert_new(connection, inbox_claims, partner_id=partner_id, sha256=sha256, **mine):
            return taken
        row = connection.execute(
            select(inbox_claims).where(_key(partner_id, sha256))
            .with_for_update(skip_locked=True)
        ).one_or_none()
        if row is None:  # another host's claim transaction holds the row this instant
            return Claim(HELD, partner_id, sha256)
        if row.outcome in DONE_OUTCOMES:
            return Claim(DONE, partner_id, sha256, row.name, row.host, row.pid, row.claimed_at,
                         row.outcome, row.run_folder)
        if row.outcome is None and not _is_stale(row, host, now, lease):
            return Claim(HELD, partner_id, sha256, row.name, row.host, row.pid, row.claimed_at)
        connection.execute(update(inbox_claims).where(_key(partner_id, sha256)).values(**mine))
        return Claim(TAKEN, partner_id, sha256, name, host, pid, now,
                     previous=row.outcome or "stale")


def finish(engine: Engine, taken: Claim, outcome: str, run_folder: str | None) -> bool:
    """Record what became of a claimed workbook; False if the claim is no longer this run's
    (it outlived its lease and another run took it over)."""
    with atomic(engine, write=True) as connection:
        result = connection.execute(update(inbox_claims).where(_ours(taken)).values(
            outcome=outcome, run_folder=run_folder, filed_at=_now()))
        return bool(result.rowcount)


def release(engine: Engine, taken: Claim) -> bool:
    """Give up a claim whose workbook could not be processed (busy ledger, usage or
    configuration problem): it waits, and any run may claim it again. False if it was no
    longer this run's."""
    with atomic(engine, write=True) as connection:
        return bool(connection.execute(delete(inbox_claims).where(_ours(taken))).rowcount)


__all__ = ["DONE", "HELD", "TAKEN", "Claim", "claim", "finish", "lease_seconds", "release",
           "this_host"]
