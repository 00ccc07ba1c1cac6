"""Printable HTML from jinja2 templates, autoescaped everywhere; the rows of the summary's long
tables made here, each value escaped as the templates escape it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from seatbatch.core.model import InvoiceLine, Party
from seatbatch.core.money import grouped_amount
from seatbatch.core.resources import resource_dir

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup


_ESCAPED = re.compile("[&<>\"']")  # what markupsafe's escape() changes


def money(amount: Decimal | str, currency: str) -> str:
    """1234.5 EUR -> '1,234.50' (thousands separated, the currency's decimals)."""
    return grouped_amount(Decimal(amount), currency)


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


@cache
def environment() -> Environment:
    # jinja2 is imported here, not at start-up: only a command that writes HTML needs it
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(resource_dir("templates"))),
        # the templates of an installed seatbatch never change while it runs: not checked for
        # changes at each page (a stat of each template a page uses; thousands of invoices)
        auto_reload=False,
        # and kept in a plain dict (a few templates, all of them kept), not in an LRU that locks
        # and reorders on each of the three lookups a page makes
        cache_size=-1,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["percent"] = percent
    env.filters["line_rows"] = line_rows
    env.globals["parties"] = parties
    env.filters["credit_notes"] = credit_notes
    env.filters["invoice_rows"] = invoice_rows
    env.filters["coverage_rows"] = coverage_rows
    env.filters["rejection_rows"] = rejection_rows
    return env


@lru_cache(maxsize=64)  # a run's invoices name the same few
def parties(issuer: Party, bill_to: Party, partner_id: str) -> Markup:
    """_parties.html: the issuer and the partner as an invoice's page shows them, made once for
    thousands of invoices."""
    from markupsafe import Markup

    return Markup(environment().get_template("_parties.html").render(
        issuer=issuer, bill_to=bill_to, partner_id=partner_id))


def line_rows(lines: Iterable[InvoiceLine], currency: str) -> Markup:
    """_invoice.html's rows of an invoice's lines, each made in one piece here as the template
    made it cell by cell: a process writes thousands of invoices, and jinja2 spent ~30 µs on an
    invoice's lines, through an attribute lookup, a call and an escape per cell. Only the three
    texts come from the input and are escaped; the rest are numbers, dates (ISO 8601, as
    themselves) and amounts (`money`'s digits, commas and point): nothing to escape."""
    from markupsafe import Markup, escape  # jinja2's, imported with it

    def escaped(text: str) -> str:  # as escape() writes it, without making Markup of plain text
        return text if _ESCAPED.search(text) is None else str(escape(text))

    def shown(amount: Decimal) -> str:
        return grouped_amount(amount, currency)

    rows = []
    for line in lines:
        list_amount, term_discount, partner_discount, net_amount = line.amounts
        proration = (f"{line.prorate_days} of {line.term_days}&nbsp;days"
                     if line.prorate_days != line.term_days else "\u2014")  # an em dash
        rows.append(
            f'    <tr>\n      <td>{escaped(line.order_id or "(renewal)")}</td>'
            f'<td>{escaped(line.subscription_id or "(new)")}</td>'
            f"<td>{escaped(line.device_type)}</td>\n"
            f'      <td class="num">{line.seats}</td>\n'
            f'      <td><span class="nowrap">{line.period_start} \u2013</span> '
            f'<span class="nowrap">{line.period_end}</span> ({line.term_years}&nbsp;y)</td>\n'
            f'      <td class="num">{shown(line.unit_price)}</td>\n'
            f'      <td class="num">{proration}</td>\n'
            f'      <td class="num">{shown(list_amount)}</td>\n'
            f'      <td class="num">{shown(term_discount)}</td>\n'
            f'      <td class="num">{shown(partner_discount)}</td>\n'
            f'      <td class="num">{shown(net_amount)}</td>\n'
            "    </tr>\n")
    return Markup("".join(rows))


# summary.html's long tables (5,000 invoices, 15,000 coverage rows, 20,000 problems) have their
# rows made here, not cell by cell by the template: jinja2 spent ~0.2 s on a large run's page,
# through a call, an attribute lookup and an escape per cell. Every value from the run is
# escaped here, as the template's autoescape would (amounts are `money`'s digits, commas and
# point, and counts are ints: nothing to escape). The rows come ROWS_AT_ONCE at a time: a page
# streamed from the ledger (`write_rendered`) is never held whole.
ROWS_AT_ONCE = 1000


def credit_notes(invoices: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The credit notes among a manifest's invoices."""
    return [invoice for invoice in invoices if invoice["kind"] == "credit_note"]


def invoice_rows(invoices: Iterable[Mapping[str, Any]], currency: str | None, with_vat: bool,
                 customer_names: Mapping[str, str]) -> Iterator[Markup]:
    """summary.html's rows of a manifest's invoices (`currency` the run's, None when they are
    in several): number (linked), customer, PO, lines, total, and VAT and payable `with_vat`."""
    return _pieces(_invoice_rows(invoices, currency, with_vat, customer_names))


def _invoice_rows(invoices: Iterable[Mapping[str, Any]], currency: str | None, with_vat: bool,
                  customer_names: Mapping[str, str]) -> Iterator[str]:
    from markupsafe import escape  # jinja2's, imported with it

    shown = cache(money)  # amounts recur: a VAT of 0.00, a payable the same as the total
    for position, invoice in enumerate(invoices, start=1):
        number = invoice["number"]
        if number:
            number = escape(number)
            link = f'<a href="invoices/{number}.html">{number}</a>'
        else:
            link = f'<a href="invoices/quote.html">estimate {position}</a>'
        customer = invoice["customer_id"]
        name = customer_names.get(customer)
        named = f"{escape(customer)} — {escape(name)}" if name else escape(customer)
        code = currency or invoice["currency"]
        total = shown(invoice["total"], code) if currency else \
            f'{shown(invoice["total"], code)} {escape(invoice["currency"])}'
        taxed = ""
        if with_vat:
            vat = invoice.get("vat")
            taxed = (f'<td class="num">{shown(vat["amount"], code) if vat else ""}</td>'
                     f'<td class="num">{shown(invoice.get("payable", invoice["total"]), code)}'
                     "</td>")
        yield (f'    <tr>\n      <td>{link}</td>\n'
               f'      <td>{named}</td><td>{escape(invoice["po_number"] or "")}</td>\n'
               f'      <td class="num">{len(invoice["lines"])}</td>'
               f'<td class="num">{total}</td>\n{taxed}    </tr>\n')


class CoverageRow(Protocol):
    """A row of the seat coverage (seatbatch.validation's Coverage) as the summary shows it."""

    @property
    def customer_id(self) -> str: ...
    @property
    def device_type(self) -> str: ...
    @property
    def devices(self) -> int: ...
    @property
    def seats(self) -> int: ...
    @property
    def short(self) -> int: ...
    @property
    def unchecked(self) -> bool: ...
    @property
    def first_device_row(self) -> int | None: ...


def coverage_rows(coverage: Iterable[CoverageRow]) -> Iterator[Markup]:
    """summary.html's rows of the seat coverage: devices listed, seats in force, and whether
    they cover them."""
    return _pieces(_coverage_rows(coverage))


def _coverage_rows(coverage: Iterable[CoverageRow]) -> Iterator[str]:
    from markupsafe import escape

    escaped = cache(escape)  # customers and device types recur: each escaped once
    for row in coverage:
        customer, device_type = escaped(row.customer_id), escaped(row.device_type)
        seats = row.seats
        if row.first_device_row is None:
            yield (f'    <tr><td>{customer}</td><td>{device_type}</td>'
                   f'<td class="num note">not listed</td><td class="num">{seats}</td>'
                   '<td class="note">not checked</td></tr>\n')
        else:
            devices = row.devices
            status = ('<td class="ok">covered' if seats >= devices
                      else '<td class="bad">not checked: rows rejected' if row.unchecked
                      else f'<td class="bad">short by {row.short}')
            yield (f'    <tr><td>{customer}</td><td>{device_type}</td>'
                   f'<td class="num">{devices}</td><td class="num">{seats}</td>\n'
                   f'      {status}</td></tr>\n')


def rejection_rows(rejections: Iterable[Mapping[str, Any]]) -> Iterator[Markup]:
    """summary.html's rows of a rejected run's problems, as the manifest lists them: sheet,
    row, column, the value given and the problem."""
    return _pieces(_rejection_rows(rejections))


def _rejection_rows(rejections: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    from markupsafe import escape

    escaped = cache(escape)  # sheets and columns recur
    for problem in rejections:
        yield (f'    <tr><td>{escaped(problem["sheet"])}</td>'
               f'<td class="num">{escape(problem["row"] or "")}</td>'
               f'<td>{escaped(problem["column"] or "")}</td><td>{escape(problem["value"])}</td>'
               f'<td>{escape(problem["message"])}</td></tr>\n')


def _pieces(rows: Iterator[str]) -> Iterator[Markup]:
    """Rows made of escaped values, as markup, ROWS_AT_ONCE at a time."""
    from markupsafe import Markup

    while piece := "".join(islice(rows, ROWS_AT_ONCE)):
        yield Markup(piece)


def prepare(*templates: str) -> None:
    """The templates compiled ahead (jinja2 imported): `process` does it while it waits."""
    for template in templates:
        environment().get_template(template)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def write_rendered(path: Path, template: str, **context: Any) -> None:
    """`render`'s text written to `path` as it is made, never held whole (a page of 100,000
    rows); `context` may hold iterables that produce their rows as the page asks for them."""
    with path.open("w", encoding="utf-8") as out:
        out.writelines(environment().get_template(template).generate(**context))
