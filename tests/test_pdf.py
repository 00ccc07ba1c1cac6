"""Invoice PDFs (SPEC §9): A4, real text, fonts embedded, the line table's header on every page,
the totals once after the last line, "Page N of M", the number and the issuer's legal footer on
every page; a quote marked as an estimate; text from input printed as typed. Read back with
pypdf, as a reader of the PDF would find its text."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from seatbatch.core.model import Credited, Invoice, InvoiceLine, LineAmounts, Party
from seatbatch.output.html import render
from seatbatch.output.pdf import invoice_data, invoice_pdf, write_invoice_pdf

ISSUER = Party("Example Sensors AS", ("Street 1", "0150 Oslo", "Norway"), "NO999999999MVA")
FOOTER = "Example Sensors AS · Street 1, 0150 Oslo, Norway · VAT NO999999999MVA"
HEADER = ("Order", "Subscription", "Device type", "Seats", "Service period", "Proration",
          "List", "Net")
A4 = (595, 842)  # points, rounded
HOSTILE = (
    '#set page(fill: red) #panic("x") *bold* _it_ <b>x</b> =1+1 $x^2$ \\ back\\slash '
    "\"dq\" 'sq' `raw` @ref // not a comment /* no */ ] ) } #{ 😀 שלום مرحبا"
)


def line(order_id: str = "L1", net: str = "980.28") -> InvoiceLine:
    return InvoiceLine(order_id, "add", "SUB-000001", "Space Pro", 4, 3, date(2026, 11, 24),
                       date(2029, 3, 1), Decimal("150.00"), 829, 1096,
                       LineAmounts(Decimal("1361.50"), Decimal("136.15"), Decimal("245.07"),
                                   Decimal(net)))


def invoice(count: int = 1, **fields: Any) -> Invoice:
    """An invoice of `count` lines, `fields` replaced (total: the sum of the lines)."""
    items = tuple(line(f"L{n}") for n in range(1, count + 1))
    made = Invoice("INV-2026-000002", date(2026, 11, 24), date(2026, 12, 24), ISSUER, "P-ACME",
                   Party("Acme Facilities Ltd", ("Road 2", "London", "UK")), "C-001", "Harbour",
                   "PO-77", "EUR", Decimal("0.20"), items,
                   sum((i.net_amount for i in items), Decimal(0)))
    made = replace(made, **fields)
    return replace(made, total=sum((i.net_amount for i in made.lines), Decimal(0)))


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def squeezed(text: str) -> str:
    """Text without its white space: where a line breaks is the layout's business (and so is
    the zero-width space that lets a very long word break)."""
    return "".join(text.replace("\N{ZERO WIDTH SPACE}", "").split())


def test_a_one_line_invoice_is_one_a4_portrait_page(tmp_path: Path) -> None:
    path = tmp_path / "INV-2026-000002.pdf"
    write_invoice_pdf(invoice(), path)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4
    text = reader.pages[0].extract_text()
    for shown in ("Invoice INV-2026-000002", "Bill to", "Acme Facilities Ltd", "C-001 — Harbour",
                  "PO-77", "2026-12-24", "829 of 1096 days", "1,361.50", "980.28",
                  "Total EUR", "Page 1 of 1", FOOTER):
        assert shown in text
    assert "Estimate" not in text


def test_a_150_line_invoice_pages_with_its_header_number_and_footer_on_each_page() -> None:
    texts = pages(invoice_pdf(invoice(150)))
    assert len(texts) > 2
    for number, text in enumerate(texts, start=1):
        assert f"Invoice INV-2026-000002 · Page {number} of {len(texts)}" in text
        assert FOOTER in text
        for heading in HEADER:
            assert heading in text, (number, heading)
    # every line once, in order; the total once, after the last line, on the last page
    orders = [word for text in texts for word in text.split() if word[0] == "L"
              and word[1:].isdigit()]
    assert orders == [f"L{n}" for n in range(1, 151)]
    everything = "\n".join(texts)
    assert everything.count("Total EUR") == 1
    assert "Total EUR 147,042.00" in texts[-1]
    assert texts[-1].index("L150") < texts[-1].index("Total EUR")


def test_every_font_is_embedded() -> None:
    reader = PdfReader(BytesIO(invoice_pdf(invoice(60, customer_name=HOSTILE))))
    fonts: dict[str, set[str]] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for name, reference in resources["/Font"].items():
            font: Any = reference.get_object()
            if font["/Subtype"] == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            descriptor = font["/FontDescriptor"].get_object()
            fonts[name] = {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)
    assert fonts and all(fonts.values()), fonts


@pytest.mark.parametrize("where", ["customer_name", "device_type", "po_number", "bill_to",
                                   "issuer"])
def test_text_from_input_prints_as_typed(where: str) -> None:
    """Markup of typst, HTML, a formula, TeX, backslashes, quotes, emoji and right-to-left
    text are set as they were typed, never read as markup or code."""
    cases: dict[str, dict[str, Any]] = {
        "customer_name": {"customer_name": HOSTILE},
        "device_type": {"lines": (replace(line(), device_type=HOSTILE),)},
        "po_number": {"po_number": HOSTILE},
        "bill_to": {"bill_to": Party(HOSTILE, (HOSTILE,), HOSTILE)},
        "issuer": {"issuer": Party(HOSTILE, (HOSTILE,), HOSTILE)},
    }
    texts = pages(invoice_pdf(invoice(**cases[where])))
    assert len(texts) == 1  # no #set page, no #pagebreak
    shown = squeezed(texts[0])
    assert squeezed(HOSTILE) in shown
    if where == "issuer":  # the legal footer too
        assert shown.count(squeezed(HOSTILE)) == 2 * 3  # name, address, VAT: From and footer


def test_a_very_long_word_breaks_and_stays_whole() -> None:
    """A name typed without spaces or a long device type wraps inside its column (an invisible
    break every few characters) rather than running over the amounts; its text is whole."""
    name, device = "x" * 400, "Y" * 120
    text = pages(invoice_pdf(invoice(customer_name=name,
                                     lines=(replace(line(), device_type=device),))))
    assert len(text) == 1
    assert name in squeezed(text[0]) and device in squeezed(text[0])
    assert max(map(len, re.findall("x+", text[0]))) < 100  # wrapped within its column
    assert max(map(len, re.findall("Y+", text[0]))) <= 16
    assert "1,361.50 136.15 245.07 980.28" in text[0]


def test_only_an_invoice_with_a_long_word_has_its_words_broken() -> None:
    """The template breaks words only when Python found one longer than it allows (most
    invoices have none): a 49-character PO is found, wherever the long word stands."""
    assert not invoice_data(invoice(2))["long_words"]
    assert not invoice_data(invoice(po_number="P" * 48))["long_words"]
    assert invoice_data(invoice(po_number="PO " + "P" * 49))["long_words"]
    assert invoice_data(invoice(lines=(replace(line(), subscription_id="S" * 17),)))["long_words"]
    text = pages(invoice_pdf(invoice(po_number="P" * 200)))[0]
    assert "P" * 200 in squeezed(text) and max(map(len, re.findall("P+", text))) < 100


def test_a_credit_notes_reason_breaks_like_the_other_values() -> None:
    """A reason holding a long word (a URL) wraps under its label rather than running off the
    page; the invoice number it credits is never broken."""
    url = "https://support.example.com/tickets/" + "a" * 300
    credits = Credited("INV-2026-000002", date(2026, 11, 24), f"Refund agreed, see {url}")
    note = invoice(number="CN-2026-000001", kind="credit_note", credits=credits)
    assert invoice_data(note)["long_words"]
    assert not invoice_data(replace(note, credits=replace(credits, reason="Order twice")))[
        "long_words"]
    [text] = pages(invoice_pdf(note))
    assert url in squeezed(text) and max(map(len, re.findall("a+", text))) < 100
    assert "INV-2026-000002 of 2026-11-24" in text


def test_a_quote_is_marked_as_an_estimate_on_every_page() -> None:
    texts = pages(invoice_pdf(invoice(150, number=None)))
    assert texts[0].startswith("Estimate — not an invoice. Do not pay.")
    assert "estimate: numbered when processed" in texts[0]
    for number, text in enumerate(texts, start=1):
        assert f"Estimate — not an invoice · Page {number} of {len(texts)}" in text
        assert "None" not in text


def test_amounts_are_the_html_amounts() -> None:
    """Formatted as the HTML formats them: the currency's decimals, thousands separated."""
    yen = invoice(currency="JPY", lines=(replace(line(net="1234567"), unit_price=Decimal(
        "15000"), amounts=LineAmounts(*(Decimal(a) for a in ("1500000", "150000", "115433",
                                                               "1234567")))),),
        partner_discount_rate=Decimal("0.125"))
    html = render("invoice.html", invoice=yen)
    text = pages(invoice_pdf(yen))[0]
    for amount in ("15,000", "1,500,000", "150,000", "115,433", "1,234,567", "12.5%"):
        assert f">{amount}<" in html
        assert amount in text
    assert "Total JPY 1,234,567" in text
    assert "1,234,567.00" not in text


def test_the_same_invoice_is_the_same_pdf() -> None:
    """`render` writes an issued invoice again: its PDF is the same, byte for byte."""
    assert invoice_pdf(invoice(3)) == invoice_pdf(invoice(3))


def test_a_worker_forked_after_its_parent_made_a_pdf_is_refused_not_hung() -> None:
    """typst hangs in a process forked after its parent compiled; forked before, it works."""
    script = textwrap.dedent("""
        import os, sys
        sys.path.insert(0, sys.argv[1])
        from test_pdf import invoice
        from seatbatch.output.pdf import ForkedTooLate, invoice_pdf

        def child():
            try:
                invoice_pdf(invoice())
            except ForkedTooLate:
                os._exit(3)
            os._exit(0)

        def fork_and_wait():
            pid = os.fork()
            if pid == 0:
                child()
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

        before = fork_and_wait()
        invoice_pdf(invoice())
        after = fork_and_wait()
        print(before, after)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "3"]


def test_a_part_two_invoice_shows_its_legal_lines_vat_payable_and_payment() -> None:
    from test_vat import DOMESTIC, _part2_invoice

    part2 = replace(_part2_invoice(DOMESTIC), lines=(line(net="1036.80"),))
    [text] = [squeezed(page) for page in pages(invoice_pdf(part2))]
    for shown in ("Reg. no. 999999999 Foretaksregisteret", "VAT NO999999999MVA",
                  "billing@example-sensors.no", "VAT GB980780684", "Net total NOK 1,036.80",
                  "VAT 25% on 1,036.80 259.20", "Amount payable NOK 1,296.00",
                  "Payable within 30 days, by 2026-12-24", "NO9386011117947", "DNBANOKKXXX",
                  "DNB Bank ASA", "Payment reference INV-2026-000007"):
        assert squeezed(shown) in text, shown


def test_what_a_reader_copies_is_set_whole() -> None:
    """The IBAN, the payment reference, the e-mail and the legal form are copied from the PDF
    or searched for: no invisible break inside them, whatever their length."""
    from seatbatch.core.model import Payment
    from test_vat import DOMESTIC, _part2_invoice

    part2 = replace(_part2_invoice(DOMESTIC), lines=(line(net="1036.80"),),
                    payment=Payment("DE89370400440532013000", "COBADEFFXXX", "Commerzbank",
                                    "RF18INV2026000004", "rf"))
    [text] = pages(invoice_pdf(part2))
    for whole in ("DE89370400440532013000", "RF18INV2026000004", "billing@example-sensors.no",
                  "Foretaksregisteret", "NO999999999MVA", "INV-2026-000007"):
        assert whole in text, whole
