"""Invoice PDFs, laid out by typst from templates/invoice.typ.

typst was chosen by measuring (benchmarks/pdf_engines.py): a one-page invoice in about 7 ms of
CPU with one compiler kept per process (fpdf2 about 70 ms with an embedded Unicode font,
WeasyPrint about 250 ms), real text, fonts embedded, and no system library to install. Its text
is set in typst's own Libertinus Serif, shipped in its wheel: the same on every machine. Only
characters that font lacks (Arabic, emoji) are taken from the machine's fonts where it has them.

Everything the template shows goes to it as one JSON text, amounts formatted here exactly as the
HTML formats them (Decimal, never float). The template only ever places these values as strings,
so text from input is never read as typst markup or code. That text is a file, `invoice.json`,
beside a copy of the template in a folder of the process's own, written again for each invoice:
typst takes `sys.inputs` as part of its standard library, and a new one each time had it hash
the whole library again and find nothing it had laid out before still valid (measured: about a
tenth of each PDF's time). The folder goes when the process ends.

One trap, measured: a process forked from one that has already compiled a PDF hangs in its
first compile (typst's worker threads are not carried into the fork). Importing typst or making
a compiler before the fork is harmless. Workers that write PDFs must therefore be forked before
their parent makes its first PDF, or be started with "spawn"; a worker forked too late gets
`ForkedTooLate` rather than hanging."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seatbatch.core.model import Invoice, InvoiceLine, Party
from seatbatch.core.resources import resource_dir
from seatbatch.output.html import money, percent
from seatbatch.output.whole_files import write_whole

if TYPE_CHECKING:
    import typst

TEMPLATE = "invoice.typ"
DATA = "invoice.json"  # what templates/invoice.typ reads, beside it
ESTIMATE = "Estimate — not an invoice"

_compiled_in: int | None = None  # the process that has compiled a PDF


class ForkedTooLate(RuntimeError):
    """A PDF asked of a process forked after its parent had compiled one: it would hang."""

    def __init__(self) -> None:
        super().__init__("a PDF cannot be made in a process forked after its parent made one "
                         "(typst would hang): fork the workers first, or start them by spawn")


@dataclass(frozen=True)
class _Typst:
    """One compiler per process, made on first use: it keeps the parsed template, the fonts and
    what it laid out between invoices. Its root is a folder of this process's own, holding a
    copy of the template and the invoice being made (DATA)."""

    pid: int
    folder: Path
    compiler: typst.Compiler
    lock: threading.Lock  # one invoice at a time in the folder

    def pdf(self, text: str, issued: datetime) -> bytes:
        with self.lock:
            self.keep_folder()
            write_whole(self.folder / DATA, text.encode("utf-8"))
            pdf = self.compiler.compile(format="pdf", timestamp=issued)
        if not isinstance(pdf, bytes):  # a PDF is one document, never a list of pages
            raise TypeError(f"typst returned {type(pdf).__name__} for a PDF")
        return pdf

    def keep_folder(self) -> None:
        """The folder as it was made, should a cleaner of temporary files have removed it while
        this process waited (the inbox runs for days)."""
        if not (self.folder / TEMPLATE).is_file():
            self.folder.mkdir(mode=0o700, exist_ok=True)
            shutil.copyfile(resource_dir("templates") / TEMPLATE, self.folder / TEMPLATE)


_typst: _Typst | None = None


def _typst_here() -> _Typst:
    """This process's compiler; a forked worker makes its own rather than use one made before
    the fork."""
    global _typst
    if _typst is None or _typst.pid != os.getpid():
        from multiprocessing.util import Finalize

        import typst  # here: only a command that writes PDFs needs it

        pid = os.getpid()
        folder = Path(tempfile.mkdtemp(prefix="seatbatch-pdf-"))
        # run as this process ends, a worker of a pool too (which runs no atexit handlers)
        Finalize(None, _remove, args=(folder, pid), exitpriority=0)
        shutil.copyfile(resource_dir("templates") / TEMPLATE, folder / TEMPLATE)
        _typst = _Typst(pid, folder, typst.Compiler(folder / TEMPLATE, root=folder),
                        threading.Lock())
    return _typst


def _remove(folder: Path, pid: int) -> None:
    if os.getpid() == pid:  # never by a process forked from the one that made it
        shutil.rmtree(folder, ignore_errors=True)


def _legal(party: Party) -> list[str]:
    """What identifies a party legally (SPEC §10), where it has it: its registration with its
    legal form, its VAT id, its e-mail."""
    lines = []
    if party.registration:
        lines.append(f"Reg. no. {party.registration}")
    if party.vat_id:
        lines.append(f"VAT {party.vat_id}")
    if party.email:
        lines.append(party.email)
    return lines


def _party(party: Party) -> dict[str, Any]:
    return {"name": party.name, "lines": [*party.address, *_legal(party)]}


def _totals(invoice: Invoice) -> list[dict[str, Any]]:
    """The total; with VAT (SPEC §10), the net total, the VAT line and the amount payable."""
    currency, vat = invoice.currency, invoice.vat
    if vat is None:
        return [{"label": f"Total {currency}", "amount": money(invoice.total, currency),
                 "due": True}]
    vat_label = (f"VAT {percent(vat.rate)} on {money(vat.base, currency)}" if vat.rate
                 else f"VAT: {vat.note}")
    return [
        {"label": f"Net total {currency}", "amount": money(invoice.total, currency),
         "due": False},
        {"label": vat_label, "amount": money(vat.amount, currency), "due": False},
        {"label": f"{invoice.payable_label} {currency}",
         "amount": money(invoice.payable, currency), "due": True},
    ]


def _payment(invoice: Invoice) -> list[list[str]]:
    """The payment block as label and value rows; none without payment means."""
    payment = invoice.payment
    if payment is None or invoice.number is None or invoice.is_credit_note:
        return []  # an estimate is not to be paid, nor is a credit note
    rows = [["Payment terms", invoice.payment_terms],
            ["IBAN", payment.iban], ["BIC", payment.bic]]
    if payment.bank:
        rows.append(["Bank", payment.bank])
    rows.append(["Payment reference", payment.reference])
    return rows


def _line(line: InvoiceLine, currency: str) -> dict[str, str]:
    prorated = line.prorate_days != line.term_days
    return {
        "order": line.order_id or "(renewal)",
        "subscription": line.subscription_id or "(new)",
        "device_type": line.device_type,
        "seats": str(line.seats),
        "start": line.period_start.isoformat(),
        "end": line.period_end.isoformat(),
        "years": str(line.term_years),
        "unit_price": money(line.unit_price, currency),
        "proration": f"{line.prorate_days} of {line.term_days} days" if prorated else "—",
        "list_amount": money(line.list_amount, currency),
        "term_discount": money(line.term_discount, currency),
        "partner_discount": money(line.partner_discount, currency),
        "net_amount": money(line.net_amount, currency),
    }


LONGEST_IN_LINES, LONGEST_IN_NAMES = 16, 48  # as templates/invoice.typ breaks them


def _has_long_word(values: Iterable[str], longest: int) -> bool:
    """Whether a word of any value is longer than `longest` characters: counted in code points,
    never fewer than the template's clusters, so that no word it would break is missed."""
    return any(len(value) > longest and any(len(word) > longest for word in value.split(" "))
               for value in values)  # (most values are too short to hold one: not split)


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    """What the template shows, every value a string as it is printed."""
    currency = invoice.currency
    estimate = invoice.number is None
    issuer = invoice.issuer
    footer = [issuer.name, ", ".join(issuer.address), *_legal(issuer)]
    bill_to = _party(invoice.bill_to)
    bill_to["lines"].append(f"Partner {invoice.partner_id}")
    lines = [_line(line, currency) for line in invoice.lines]
    customer = f"{invoice.customer_id} — {invoice.customer_name}"
    po_number = invoice.po_number or ""
    references = [list(row) for row in invoice.references]
    long_words = (
        _has_long_word((value for line in lines for value in line.values()), LONGEST_IN_LINES)
        or _has_long_word((customer, po_number, issuer.name, invoice.bill_to.name,
                           *(value for row in references for value in row)),
                          LONGEST_IN_NAMES))
    return {
        "long_words": long_words,
        "estimate": estimate,
        "title": "Estimate" if estimate else f"{invoice.document_name} {invoice.number}",
        "label": ESTIMATE if estimate else f"{invoice.document_name} {invoice.number}",
        "footer": [part for part in footer if part],
        "issuer": _party(issuer),
        "bill_to": bill_to,
        "number": invoice.number or "estimate: numbered when processed",
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "name": invoice.document_name,
        "references": references,
        "customer": customer,
        "po_number": po_number,
        "currency": currency,
        "partner_discount": percent(invoice.partner_discount_rate),
        "lines": lines,
        "totals": _totals(invoice),
        "note": invoice.vat.note if invoice.vat and invoice.vat.rate else "",
        "payment": _payment(invoice),
    }


def compiled_here() -> bool:
    """Whether this process, or one it was forked from, has made a PDF: a process forked from
    it could not make one."""
    return _compiled_in is not None


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice's PDF. Its creation date is the invoice date, so that rendering an invoice
    again gives the same bytes."""
    global _compiled_in
    if _compiled_in not in (None, os.getpid()):
        raise ForkedTooLate
    text = json.dumps(invoice_data(invoice), ensure_ascii=False)
    issued = datetime.combine(invoice.invoice_date, time(), tzinfo=UTC)
    maker = _typst_here()
    _compiled_in = os.getpid()
    return maker.pdf(text, issued)


def write_invoice_pdf(invoice: Invoice, path: Path) -> None:
    write_whole(path, invoice_pdf(invoice))
