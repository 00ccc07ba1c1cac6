"""A committed run's files written from what the ledger keeps: by `renew` after its commit,
and by the recovery of a run stopped before its folder was published."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from seatbatch.core.documents import manifest_entry
from seatbatch.jobs.base import SHOWN_ISSUED, Issued, issued_from
from seatbatch.output.files import CHUNK, InvoiceWriter, document_files
from seatbatch.output.html import write_rendered
from seatbatch.output.manifest import ManifestWriter
from seatbatch.output.runs import RunFolder

if TYPE_CHECKING:
    from seatbatch.ledger import Ledger


class _Issued:
    """A renewal run's invoices as its manifest lists them, read again from the ledger each
    time they are iterated: the summary page asks for them once, as it writes their rows."""

    def __init__(self, ledger: Ledger, numbers: list[str], with_currency: bool,
                 formats: tuple[str, ...]):
        self.ledger, self.numbers, self.with_currency = ledger, numbers, with_currency
        self.formats = formats

    def __bool__(self) -> bool:
        return bool(self.numbers)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for texts in _documents(self.ledger, self.numbers):
            for text in texts:
                document = json.loads(text)
                files = document_files(document, self.formats)
                yield manifest_entry(document, files,
                                     with_currency=self.with_currency)


def _documents(ledger: Ledger, numbers: list[str]) -> Iterator[list[str]]:
    """Issued invoices as the ledger keeps them, CHUNK at a time, in the order given."""
    for start in range(0, len(numbers), CHUNK):
        yield ledger.documents(numbers[start:start + CHUNK])


def files_from_ledger(
    ledger: Ledger, folder: RunFolder, writer: InvoiceWriter, numbers: list[str],
    manifest: dict[str, Any], *, headline: str, partner_name: str | None,
) -> Issued:
    """A committed run's invoice files, manifest and summary, written from the ledger a batch
    at a time: 100,000 invoices are never held at once. `manifest` comes without invoices.
    Returns what the run issued, for a terminal."""
    currency = manifest["currency"]
    # customer ids are each partner's own: name only those that mean one customer here
    names: dict[str, str | None] = {}
    with_vat = [False]  # whether an invoice listed was issued with VAT (SPEC §10)
    first: list[dict[str, Any]] = []  # the invoices a terminal lists
    with ManifestWriter(manifest, folder.path("manifest.json")) as listed:

        def batches() -> Iterator[list[str]]:
            for texts in _documents(ledger, numbers):
                for text in texts:
                    document = json.loads(text)
                    files = document_files(document, writer.formats)
                    entry = manifest_entry(document, files, with_currency=currency is None)
                    listed.add(entry, document["currency"])
                    if len(first) < SHOWN_ISSUED:
                        first.append(entry)
                    with_vat[0] = with_vat[0] or "vat" in document
                    name = names.setdefault(document["customer_id"], document["customer_name"])
                    if name != document["customer_name"]:
                        names[document["customer_id"]] = None
                yield texts

        writer.write_documents(batches(), len(numbers))
        manifest = listed.close()
    write_rendered(folder.path("summary.html"), "summary.html",
                   manifest={**manifest, "invoices": _Issued(ledger, numbers, currency is None,
                                                          writer.formats)},
                   headline=headline, partner_name=partner_name, coverage=[],
                   customer_names={k: v for k, v in names.items() if v is not None},
                   with_vat=with_vat[0])
    return issued_from({**manifest, "invoices": first})
