"""What killed runs left under --out, finished by the next committing run (SPEC §8): a
committed run's folder written again from the ledger under its own name; any other staging
folder removed."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seatbatch.core.problems import Code, problem
from seatbatch.core.progress import Progress
from seatbatch.jobs.base import (
    NoSpace,
    Outcome,
    Settings,
    config_warnings,
    no_space,
    set_aside,
    where_full,
)
from seatbatch.jobs.from_ledger import files_from_ledger
from seatbatch.ledger import display_url
from seatbatch.output.files import InvoiceWriter
from seatbatch.output.manifest import build_manifest
from seatbatch.output.runs import RunFolder, abandoned, staged_for

if TYPE_CHECKING:
    from seatbatch.ledger import Ledger
    from seatbatch.ledger.records import CommittedRun


def recovering(command: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """A committing command first finishes what killed runs left in its --out (SPEC §8)."""

    @functools.wraps(command)
    def run(settings: Settings, *args: Any) -> Outcome:
        recovered = recover_runs(settings)
        outcome = command(settings, *args)
        notes = [f"the folder of a run stopped before it finished was written again from the "
                 f"ledger: {folder}" for folder in recovered]
        return dataclasses.replace(outcome, warnings=notes + outcome.warnings)

    return run


def recover_runs(settings: Settings) -> list[Path]:
    """Runs killed before their folders were published (SPEC §8): a committed one's folder is
    written again from the ledger under its own name; any other staging folder is removed.
    Returns the folders written again."""
    # another ledger's runs may share --out: what they left is theirs to finish
    names = [name for name in abandoned(settings.out)
             if staged_for(settings.out, name) in ("", display_url(settings.ledger_url))]
    if not names:
        return []
    from seatbatch.ledger import Ledger  # here: SQLAlchemy loads while `process` reads

    recovered = []
    with Ledger.open(settings.ledger_url, write=True, create=False) as ledger:
        committed = ledger.committed_runs(names)
        for name in names:
            try:
                folder = RunFolder(settings.out, "", name=name)
            except OSError:  # another run is recovering it
                continue
            run = committed.get(name)
            if run is None:
                folder.discard()
            else:
                recovered.append(_write_again(settings, ledger, folder, run))
    return recovered


def _write_again(settings: Settings, ledger: Ledger, folder: RunFolder, run: CommittedRun
                 ) -> Path:
    """A committed run's folder, written again from the ledger and published."""
    partner = settings.config.partners.get(run.partner_id or "")
    manifest = build_manifest(
        command=run.command, status="committed", as_of=run.as_of,
        partner_id=run.partner_id,
        currency=next(iter(run.currencies)) if len(run.currencies) == 1 else None,
        input_file=run.input_name, input_sha256=run.input_sha256,
        warnings=[problem(Code.RUN_RECOVERED, "", None, None, None),
                  *config_warnings(settings.config)],
    )
    if run.changes:  # the subscription changes it recorded (SPEC §11), as the ledger has them
        manifest["changes"] = run.changes
    try:
        with InvoiceWriter(folder.staging / "invoices", Progress(),
                           settings.config.documents.formats) as writer:
            writer.prepare(len(run.numbers))
            files_from_ledger(ledger, folder, writer, run.numbers, manifest,
                              headline=f"{len(run.numbers)} invoice(s) issued (written again "
                              "after the run was stopped)",
                              partner_name=partner.name if partner else None)
        return folder.publish()
    except BaseException as error:
        set_aside(folder, run.numbers, free=True)  # for the next run to try again
        if isinstance(error, Exception) and no_space(error):
            raise NoSpace(where_full(error, settings.out), [], settings.out.absolute(),
                          pending=folder.name) from None
        raise
