"""A Hypothesis state machine over one ledger (issue 5, item 7): workbooks valid and invalid,
processed again, changed, for one partner and another, seats added; after every step the
ledger is checked against SPEC §4, §5 and §8 and against a model of what it should hold.

Steps run in-process through `seatbatch.cli.commands.run`, the code path of the `seatbatch` command.
CI runs 100 examples of 10 steps; `make stateful` runs more (SEATBATCH_STATEFUL_EXAMPLES,
SEATBATCH_STATEFUL_STEPS)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import tempfile
import tomllib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from conftest import AS_OF, CONFIG, change, customer, device, manifest_schema, order
from seatbatch.cli.commands import run
from seatbatch.core.terms import term_of
from seatbatch.output.order_workbook import write_order_workbook

EXAMPLES = int(os.environ.get("SEATBATCH_STATEFUL_EXAMPLES", "100"))
STEPS = int(os.environ.get("SEATBATCH_STATEFUL_STEPS", "10"))
SHRINK = os.environ.get("SEATBATCH_STATEFUL_SHRINK", "1") != "0"  # 0: report a failure unshrunk

SETUP = tomllib.loads(CONFIG)
PARTNERS = sorted(SETUP["partners"])
DEVICE_TYPES = ("Space Pro", "Space Plus", "Space CO2 Mini")
CUSTOMERS = ("C-1", "C-2", "C-3")  # every partner's: the same ids mean different customers
NEVER_LISTED = "C-9"  # a customer no workbook ever names in its Customers sheet
BACKDATE = SETUP["window"]["max_backdate_days"]
AHEAD = SETUP["window"]["max_future_days"]
GROUP_FIELDS = ("term_years", "start_date", "po_number", "separate_invoice")
MONEY = ("list_amount", "term_discount", "partner_discount", "net_amount")
EXPONENT = {"EUR": -2, "JPY": 0}


def currency_of(partner: str) -> str:
    return str(SETUP["partners"][partner]["currency"])


def seat_price(currency: str, device_type: str) -> Decimal:
    (prices,) = [p for p in SETUP["price_lists"] if p["currency"] == currency]
    return Decimal(prices["seat_price_per_year"][device_type])


def half_up(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(EXPONENT[currency]), rounding=ROUND_HALF_UP)


def exact(text: str, currency: str) -> Decimal:
    """An amount as the ledger shows it: a decimal string with the currency's minor unit."""
    amount = Decimal(text)
    assert amount.as_tuple().exponent == EXPONENT[currency], (text, currency)
    return amount


@cache
def manifest_validator() -> jsonschema.protocols.Validator:
    """conftest's schema, checked once: jsonschema.validate checks the schema at every call."""
    schema = manifest_schema()
    return jsonschema.validators.validator_for(schema)(schema)


def read_manifest(folder: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    manifest_validator().validate(manifest)
    return manifest


def cell_problem(line: dict[str, Any]) -> str | None:
    """The code a cell of this line earns on its own (the invalid lines this test makes)."""
    if line["seats"] == 0:
        return "seats_out_of_range"
    if line["device_type"] not in DEVICE_TYPES:
        return "unknown_device_type"
    if line.get("term_years") not in (None, 1, 3, 5):
        return "term_not_allowed"
    if line["accept_terms"] is not True:
        return "terms_not_accepted"
    return None


def ledger_rows(ledger: Path, sql: str) -> list[sqlite3.Row]:
    """What `sql` finds in the machine's SQLite ledger (none before its first commit)."""
    if not ledger.exists():
        return []
    with contextlib.closing(sqlite3.connect(ledger)) as c:
        c.row_factory = sqlite3.Row
        return c.execute(sql).fetchall()


@dataclass(frozen=True)
class Book:
    """A workbook on disk and the rows it was written from."""

    path: Path
    partner: str  # the partner it was made for
    customers: tuple[dict[str, Any], ...]
    devices: tuple[dict[str, Any], ...]
    orders: tuple[dict[str, Any], ...]


@dataclass
class Sub:
    number: str
    customer: str
    term_years: int
    start: date
    end: date  # exclusive
    po: str | None
    seats: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Prediction:
    codes: frozenset[str]
    fresh: tuple[dict[str, Any], ...]  # lines to issue
    already: tuple[dict[str, Any], ...]  # lines committed before with this content

    def invoices(self, subs: dict[str, Sub]) -> int:
        """Invoices per customer and PO; a separately billed new subscription on its own."""
        keys = set()
        for line in self.fresh:
            po = line.get("po_number")
            if line["action"] == "add" and po is None:
                po = subs[line["subscription"]].po
            key: tuple[Any, ...] = (line["customer_id"], po)
            if line["action"] == "new" and line.get("separate_invoice"):
                key = (*key, line["subscription"])
            keys.add(key)
        return len(keys)


class Machine(RuleBasedStateMachine):
    """What both machines share: a folder of their own with the configuration and a ledger,
    a clock moved on by a rule, fresh names, the command run in-process, the ledger's rows."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.config = self.root / "seatbatch.toml"
        self.config.write_text(CONFIG, encoding="utf-8")
        self.ledger = self.root / "ledger.db"
        self.out = self.root / "out"
        self.as_of = AS_OF
        self.serial = 0  # for fresh order ids, labels, serial numbers and file names

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def invoke(self, *argv: str) -> tuple[int, str, str]:
        """`seatbatch ARGV` in-process as cron would run it, on this machine's configuration,
        ledger, output folder and day: its exit code, stdout and stderr."""
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = run([*argv, "--config", str(self.config), "--ledger", str(self.ledger),
                        "--out", str(self.out), "--as-of", self.as_of.isoformat()])
        return code, stdout.getvalue(), stderr.getvalue()

    @rule(days=st.integers(1, 200))
    def next_day(self, days: int) -> None:
        self.as_of += timedelta(days=days)

    def rows(self, sql: str) -> list[sqlite3.Row]:
        return ledger_rows(self.ledger, sql)


class Ledger(Machine):
    def __init__(self) -> None:
        super().__init__("seatbatch-stateful-")
        self.partner = PARTNERS[0]
        self.books: list[Book] = []
        # the model: what the ledger must hold
        self.customers: dict[str, set[str]] = defaultdict(set)
        self.subs: dict[str, dict[str, Sub]] = defaultdict(dict)  # partner -> number -> sub
        self.committed: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}  # -> invoice
        self.invoices = 0
        self.last: tuple[str, date] | None = None  # the last invoice issued: number, date
        self.published = 0  # run folders that should be visible under --out
        self.credited: Counter[tuple[str, str]] = Counter()  # (partner, order_id) -> seats

    # --- making workbooks ---------------------------------------------------------------

    def book(self, partner: str, customers: Sequence[str], orders: Sequence[dict[str, Any]],
             devices: Sequence[dict[str, Any]] = ()) -> Book:
        rows = tuple(customer(c, organization=f"{partner} {c}") for c in customers)
        path = write_order_workbook(self.root / f"{self.fresh('book')}.xlsx", {
            "Customers": rows, "Devices": devices, "Orders": orders})
        made = Book(path, partner, rows, tuple(devices), tuple(orders))
        self.books.append(made)
        return made

    def new_lines(self, data: st.DataObject, customer_id: str) -> list[dict[str, Any]]:
        """One or two new subscriptions of one or two lines each, valid on the run date."""
        lines = []
        for _ in range(data.draw(st.integers(1, 2), "subscriptions")):
            label = self.fresh("S")
            years = data.draw(st.sampled_from((1, 3, 5)), "term")
            start = self.as_of + timedelta(days=data.draw(st.integers(-60, 60), "start"))
            po = data.draw(st.sampled_from(("PO-1", "PO-2", None)), "po")
            separate = data.draw(st.booleans(), "separate")
            for _ in range(data.draw(st.integers(1, 2), "lines")):
                lines.append(order(
                    self.fresh("O"), customer_id=customer_id, subscription=label,
                    device_type=data.draw(st.sampled_from(DEVICE_TYPES), "device type"),
                    seats=data.draw(st.integers(1, 40), "seats"), term_years=years,
                    start_date=start, po_number=po, separate_invoice=separate or None))
        return lines

    def device_rows(self, data: st.DataObject, customer_id: str) -> list[dict[str, Any]]:
        """A few deployed devices: usually covered by the seats, sometimes not."""
        count = data.draw(st.integers(0, 3), "devices")
        kind = data.draw(st.sampled_from(DEVICE_TYPES), "device type")
        return [device(self.fresh("SN"), kind, customer_id) for _ in range(count)]

    # --- the oracle ---------------------------------------------------------------------

    def predict(self, book: Book, partner: str) -> Prediction:
        """What SPEC §2 and §8 say processing `book` as `partner` does today."""
        codes: set[str] = set()
        known = {c["customer_id"] for c in book.customers} | self.customers[partner]
        fresh, already, broken = self.sort_lines(book, partner, codes)
        done_groups = {(x["customer_id"], x["subscription"]) for x in already
                       if x["action"] == "new"}
        in_workbook: Counter[tuple[str, str]] = Counter()
        leaders: dict[tuple[str, str], dict[str, Any]] = {}
        for line in fresh:
            key = (line["customer_id"], line["device_type"])
            if line["customer_id"] not in known:
                codes.add("unknown_customer")
            if line.get("start_date") and not self.in_window(line["start_date"]):
                codes.add("start_outside_window")  # seatbatch holds add dates to it too
            if line["action"] == "new":
                counted = self.check_new(line, done_groups, leaders, codes)
            else:
                counted = self.check_change(line, partner, known, codes)
            if counted:
                in_workbook[key] += line["seats"]
        listed = Counter((d["customer_id"], d["device_type"]) for d in book.devices)
        for (customer_id, kind), devices in listed.items():
            if customer_id in broken or customer_id not in known:
                continue
            seats = in_workbook[(customer_id, kind)] + sum(
                s.seats[kind] for s in self.subs[partner].values()
                if s.customer == customer_id and s.end > self.as_of)
            if seats < devices:
                codes.add("seats_short_of_devices")
        return Prediction(frozenset(codes), tuple(fresh), tuple(already))

    def sort_lines(self, book: Book, partner: str, codes: set[str],
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
        """The order lines to issue, those committed before as they are, and the customers
        with a line whose cells are wrong."""
        fresh, already, broken = [], [], set()
        for line in book.orders:
            if (code := cell_problem(line)) is not None:
                codes.add(code)
                broken.add(line["customer_id"])
                continue
            before = self.committed.get((partner, line["order_id"]))
            if before is None:
                fresh.append(line)
            elif before[0] == line:
                already.append(line)
            else:
                codes.add("order_id_conflict")
        return fresh, already, broken

    def check_new(self, line: dict[str, Any], done_groups: set[tuple[str, str]],
                  leaders: dict[tuple[str, str], dict[str, Any]], codes: set[str]) -> bool:
        """A new subscription's line checked; whether its seats count today."""
        start = line["start_date"]
        group = (line["customer_id"], line["subscription"])
        if group in done_groups:
            codes.add("label_already_committed")
        leader = leaders.setdefault(group, line)
        if any(line.get(name) != leader.get(name) for name in GROUP_FIELDS):
            codes.add("inconsistent_group")
        return term_of(start, line["term_years"]).end > self.as_of

    def check_change(self, line: dict[str, Any], partner: str, known: set[str],
                     codes: set[str]) -> bool:
        """A line changing a subscription checked; whether its seats count today."""
        if line["customer_id"] not in known:
            return False
        sub = self.subs[partner].get(line["subscription"])
        if sub is None or sub.customer != line["customer_id"]:
            codes.add("unknown_subscription")
            return False
        if line.get("term_years") not in (None, sub.term_years):
            codes.add("term_mismatch")
        if max(line.get("start_date") or self.as_of, sub.start) >= sub.end:
            codes.add("subscription_ended")
        return sub.end > self.as_of

    def in_window(self, day: date) -> bool:
        return self.as_of - timedelta(BACKDATE) <= day <= self.as_of + timedelta(AHEAD)

    # --- running ------------------------------------------------------------------------

    def process(self, what: str, book: Book, partner: str | None = None, *,
                backwards: str | None = None) -> None:
        """Process `book` in-process as cron would, and check the run against the oracle;
        `backwards`: the run is dated before this invoice, the last of its year."""
        partner = partner or book.partner
        expected = self.predict(book, partner)
        code, stdout, stderr = self.invoke("process", str(book.path), "--partner", partner)
        said = f"exit {code}; stderr: {stderr}"
        event(f"{what}: exit {code}, " + (", ".join(sorted(expected.codes)) or (
            "committed" if expected.fresh else "duplicate")))
        if backwards and expected.fresh and not expected.codes:
            assert code == 2, f"a run dated before {backwards} should be refused; {said}"
            assert backwards in stderr and stdout == ""
            return
        assert code in (0, 1), said
        self.published += 1
        manifest = read_manifest(Path(stdout.strip()))
        if expected.codes:
            assert code == 1, f"expected {sorted(expected.codes)}; {said}"
            assert manifest["status"] == "rejected"
            assert {r["code"] for r in manifest["rejections"]} == expected.codes, said
            assert manifest["invoices"] == []
            return
        assert code == 0, f"expected no problem; {said}"
        assert stderr == ""
        assert [(a["order_id"], a["invoice_number"]) for a in manifest["already_processed"]] \
            == [(x["order_id"], self.committed[(partner, x["order_id"])][1])
                for x in expected.already]
        if not expected.fresh:
            assert manifest["status"] == "duplicate"
            assert manifest["invoices"] == []
            return
        assert manifest["status"] == "committed"
        assert len(manifest["invoices"]) == expected.invoices(self.subs[partner])
        self.record(manifest, expected, book, partner)

    def record(self, manifest: dict[str, Any], expected: Prediction, book: Book,
               partner: str) -> None:
        """The model takes in what a committed run issued."""
        issued = {line["order_id"]: (line, invoice["number"])
                  for invoice in manifest["invoices"] for line in invoice["lines"]}
        assert sorted(issued) == sorted(x["order_id"] for x in expected.fresh)
        self.invoices += len(manifest["invoices"])
        last = manifest["invoices"][-1]
        self.last = (last["number"], date.fromisoformat(last["invoice_date"]))
        self.customers[partner] |= {c["customer_id"] for c in book.customers}
        for line in expected.fresh:
            shown, number = issued[line["order_id"]]
            self.committed[(partner, line["order_id"])] = (line, number)
            if line["action"] == "new":
                sub = self.subs[partner].setdefault(shown["subscription_id"], Sub(
                    shown["subscription_id"], line["customer_id"], line["term_years"],
                    line["start_date"], term_of(line["start_date"], line["term_years"]).end,
                    line.get("po_number")))
                assert (sub.customer, sub.start) == (line["customer_id"], line["start_date"])
                assert shown["period_start"] == sub.start.isoformat()
            else:
                sub = self.subs[partner][line["subscription"]]
                assert shown["subscription_id"] == sub.number
                effective = max(line.get("start_date") or self.as_of, sub.start)
                assert shown["period_start"] == effective.isoformat()
            assert shown["period_end"] == (sub.end - timedelta(days=1)).isoformat()
            sub.seats[line["device_type"]] += line["seats"]

    def subs_of(self, partner: str) -> list[Sub]:
        return sorted(self.subs[partner].values(), key=lambda s: s.number)

    # --- rules --------------------------------------------------------------------------

    @rule(data=st.data())
    def process_new_subscriptions(self, data: st.DataObject) -> None:
        customer_id = data.draw(st.sampled_from(CUSTOMERS), "customer")
        lines = self.new_lines(data, customer_id)
        devices = self.device_rows(data, customer_id)
        self.process("new subscriptions", self.book(self.partner, [customer_id], lines, devices))

    @precondition(lambda self: bool(self.subs[self.partner]))
    @rule(data=st.data())
    def add_seats(self, data: st.DataObject) -> None:
        sub = data.draw(st.sampled_from(self.subs_of(self.partner)), "subscription")
        effective = data.draw(st.sampled_from(
            (None, "today", "later", "before the start", "last day", "after the end")),
            "effective")
        start = {None: None, "today": self.as_of, "later": self.as_of + timedelta(10),
                 "before the start": sub.start - timedelta(5),
                 "last day": sub.end - timedelta(1), "after the end": sub.end}[effective]
        lines = [order(self.fresh("O"), customer_id=sub.customer, action="add",
                       subscription=sub.number, start_date=start,
                       term_years=data.draw(st.sampled_from((None, sub.term_years, 1, 5)),
                                            "term"),
                       device_type=data.draw(st.sampled_from(DEVICE_TYPES), "device type"),
                       seats=data.draw(st.integers(1, 25), "seats"),
                       po_number=data.draw(st.sampled_from((None, "PO-ADD")), "po"))]
        if data.draw(st.booleans(), "with a new subscription"):
            lines += self.new_lines(data, sub.customer)
        devices = self.device_rows(data, sub.customer)
        self.process("add seats", self.book(self.partner, [], lines, devices))

    @rule(data=st.data())
    def process_invalid(self, data: st.DataObject) -> None:
        customer_id = data.draw(st.sampled_from(CUSTOMERS), "customer")
        lines = self.new_lines(data, customer_id)
        bad = order(self.fresh("O"), customer_id=customer_id, subscription=self.fresh("S"),
                    start_date=self.as_of)
        flaw: dict[str, Any] = data.draw(st.sampled_from((
            {"seats": 0}, {"device_type": "Space Pr"}, {"term_years": 2},
            {"accept_terms": False}, {"customer_id": NEVER_LISTED},
            {"start_date": self.as_of + timedelta(AHEAD + 1)},
            {"action": "add", "subscription": "SUB-999999", "term_years": None,
             "start_date": None},
        )), "flaw")
        bad.update(flaw)
        lines.insert(data.draw(st.integers(0, len(lines)), "position"),
                     {k: v for k, v in bad.items() if v is not None})
        self.process("invalid", self.book(self.partner, [customer_id], lines))

    @precondition(lambda self: bool(self.books))
    @rule(data=st.data())
    def process_again(self, data: st.DataObject) -> None:
        """An earlier workbook again, as it was, or with a new subscription appended."""
        book = data.draw(st.sampled_from(self.books), "book")
        if data.draw(st.booleans(), "extended"):
            customer_id = book.orders[0]["customer_id"]
            extra = self.new_lines(data, customer_id)
            names = [c["customer_id"] for c in book.customers]
            book = self.book(book.partner, names, [*book.orders, *extra], list(book.devices))
        self.process("again", book)

    def changeable(self) -> list[Book]:
        return [b for b in self.books
                if any((b.partner, x["order_id"]) in self.committed for x in b.orders)]

    @precondition(lambda self: bool(self.changeable()))
    @rule(data=st.data())
    def change_a_line(self, data: st.DataObject) -> None:
        """An earlier workbook sent again with one committed line changed from what was
        committed (same order_id, other content): a conflict."""
        book = data.draw(st.sampled_from(self.changeable()), "book")
        lines = [dict(x) for x in book.orders]
        index = data.draw(st.sampled_from([
            i for i, x in enumerate(lines) if (book.partner, x["order_id"]) in self.committed]),
            "line")
        line = lines[index] = dict(self.committed[(book.partner, lines[index]["order_id"])][0])
        change = data.draw(st.sampled_from(("seats", "po_number", "device_type")), "change")
        if change == "seats":
            line["seats"] += 1
        elif change == "po_number":
            line["po_number"] = f"{line.get('po_number') or 'PO'}-CHANGED"
        else:
            line["device_type"] = next(t for t in DEVICE_TYPES if t != line["device_type"])
        names = [c["customer_id"] for c in book.customers]
        self.process("changed line", self.book(book.partner, names, lines, list(book.devices)))

    @rule(partner=st.sampled_from(PARTNERS))
    def switch_partner(self, partner: str) -> None:
        self.partner = partner

    @precondition(lambda self: bool(self.books))
    @rule(data=st.data())
    def process_as_the_current_partner(self, data: st.DataObject) -> None:
        """Another partner's workbook under this partner: its ids mean nothing here."""
        book = data.draw(st.sampled_from(self.books), "book")
        self.process("a workbook as the current partner", book, self.partner)

    @precondition(lambda self: any(self.subs[p] for p in PARTNERS))
    @rule(data=st.data())
    def name_another_partners_subscription(self, data: st.DataObject) -> None:
        owner = data.draw(st.sampled_from([p for p in PARTNERS if self.subs[p]]), "owner")
        sub = data.draw(st.sampled_from(self.subs_of(owner)), "subscription")
        thief = data.draw(st.sampled_from([p for p in PARTNERS if p != owner]), "thief")
        line = order(self.fresh("O"), customer_id=sub.customer, action="add",
                     subscription=sub.number, term_years=None, start_date=None)
        theirs = self.subs[thief].get(sub.number)
        assert theirs is None  # subscription ids are never shared between partners
        before = self.invoices
        self.process("other partner's subscription", self.book(thief, [sub.customer], [line]))
        assert self.invoices == before

    @precondition(lambda self: self.last is not None and self.last[1].timetuple().tm_yday > 1)
    @rule(data=st.data())
    def process_dated_before_the_last_invoice(self, data: st.DataObject) -> None:
        """Numbers follow dates: a run that would issue an invoice dated before the last one
        of its year is refused (exit 2) and consumes nothing."""
        assert self.last is not None
        number, last = self.last
        today, self.as_of = self.as_of, last - timedelta(days=1)
        try:
            customer_id = data.draw(st.sampled_from(CUSTOMERS), "customer")
            lines = self.new_lines(data, customer_id)
            self.process("dated backwards", self.book(self.partner, [customer_id], lines),
                         backwards=number)
        finally:
            self.as_of = today

    @precondition(lambda self: bool(self.committed))
    @rule(data=st.data())
    def credit_seats_of_a_line(self, data: st.DataObject) -> None:
        """A credit note of some seats of a committed line (SPEC §11), sometimes more than is
        left of it: rejected (exit 1), nothing taken; else its seats leave the subscription."""
        key = data.draw(st.sampled_from(sorted(self.committed)), "line")
        partner, order_id = key
        line, number = self.committed[key]
        seats = data.draw(st.integers(1, line["seats"] + 1), "seats")
        code, stdout, stderr = self.invoke("credit", number, "--reason", "stateful",
                                           "--line", f"{order_id}={seats}")
        said = f"exit {code}; stderr: {stderr}"
        left = line["seats"] - self.credited[key]
        event(f"credit: exit {code}")
        self.published += 1
        manifest = read_manifest(Path(stdout.strip()))
        if seats > left:
            assert code == 1, said
            assert [r["code"] for r in manifest["rejections"]] == ["credit_exceeds_invoiced"]
            return
        assert code == 0, said
        [(sid,)] = self.rows(f"SELECT subscription_id FROM order_lines WHERE partner_id = "
                             f"'{partner}' AND order_id = '{order_id}'")
        self.subs[partner][f"SUB-{sid:06d}"].seats[line["device_type"]] -= seats
        self.credited[key] += seats
        self.invoices += 1

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def numbers_are_gapless_per_series_and_year(self) -> None:
        series: dict[tuple[str, int], list[sqlite3.Row]] = defaultdict(list)
        for row in self.rows("SELECT * FROM invoices ORDER BY series, year, seq"):
            series[(row["series"], row["year"])].append(row)
        for (prefix, year), issued in series.items():
            assert [r["seq"] for r in issued] == list(range(1, len(issued) + 1))
            assert [r["number"] for r in issued] == [
                f"{prefix}-{year:04d}-{n:06d}" for n in range(1, len(issued) + 1)]
            dates = [date.fromisoformat(r["invoice_date"]) for r in issued]
            assert dates == sorted(dates) and {d.year for d in dates} == {year}
        counters = {(r["series"], r["year"]): r["last_seq"]
                    for r in self.rows("SELECT * FROM counters")}
        assert counters == {key: len(issued) for key, issued in series.items()}
        assert sum(map(len, series.values())) == self.invoices

    @invariant()
    def one_committed_line_per_partner_and_order_id(self) -> None:
        stored = {(r["partner_id"], r["order_id"]): r["invoice_number"]
                  for r in self.rows("SELECT * FROM order_lines")}
        assert stored == {key: number for key, (_, number) in self.committed.items()}
        billed = Counter(
            (r["partner_id"], r["order_id"]) for r in self.rows(
                "SELECT i.partner_id, l.order_id FROM invoice_lines l "
                "JOIN invoices i ON i.number = l.invoice_number "
                "WHERE i.kind != 'credit_note'"))
        assert billed == Counter(stored.keys())
        placed = {(r["partner_id"], r["order_id"]): r["invoice_number"] for r in self.rows(
            "SELECT i.partner_id, l.order_id, l.invoice_number FROM invoice_lines l "
            "JOIN invoices i ON i.number = l.invoice_number WHERE i.kind != 'credit_note'")}
        assert placed == stored

    @invariant()
    def credited_seats_never_exceed_invoiced_seats(self) -> None:
        """Over all credit notes, a line's seats credited never exceed its seats (SPEC §11);
        what is credited is the model's."""
        credited = {(r["partner_id"], r["order_id"]): (r["credited"], r["seats"]) for r in
                    self.rows("SELECT c.partner_id, l.order_id, l.seats, sum(c.seats) AS "
                              "credited FROM credit_lines c JOIN invoice_lines l ON "
                              "l.invoice_number = c.invoice_number AND "
                              "l.position = c.invoice_position GROUP BY c.partner_id, "
                              "l.invoice_number, l.position")}
        assert all(taken <= seats for taken, seats in credited.values())
        assert {key: taken for key, (taken, _) in credited.items()} == {
            key: n for key, n in self.credited.items() if n}

    @invariant()
    def partners_keep_to_their_own(self) -> None:
        """Every row that names a subscription, customer or invoice names one of its partner;
        the subscriptions and seats are those of the model."""
        assert self.rows(
            "SELECT * FROM order_lines o JOIN subscriptions s ON s.id = o.subscription_id "
            "JOIN invoices i ON i.number = o.invoice_number "
            "WHERE s.partner_id != o.partner_id OR i.partner_id != o.partner_id "
            "OR s.customer_id != o.customer_id OR i.customer_id != o.customer_id") == []
        assert self.rows(
            "SELECT * FROM invoice_lines l JOIN invoices i ON i.number = l.invoice_number "
            "JOIN subscriptions s ON s.id = l.subscription_id "
            "WHERE s.partner_id != i.partner_id OR s.customer_id != i.customer_id "
            "OR s.currency != i.currency") == []
        assert self.rows(
            "SELECT * FROM subscriptions s LEFT JOIN customers c "
            "ON c.partner_id = s.partner_id AND c.customer_id = s.customer_id "
            "WHERE c.customer_id IS NULL") == []
        for row in self.rows("SELECT partner_id, currency FROM invoices"):
            assert row["currency"] == currency_of(row["partner_id"])
        subscriptions = {(r["partner_id"], f"SUB-{r['id']:06d}", r["customer_id"])
                         for r in self.rows("SELECT * FROM subscriptions")}
        assert subscriptions == {(p, s.number, s.customer)
                                 for p in PARTNERS for s in self.subs[p].values()}
        seats = {(f"SUB-{r['subscription_id']:06d}", r["device_type"]): r["seats"]
                 for r in self.rows("SELECT subscription_id, device_type, sum(seats) AS seats "
                                    "FROM seats GROUP BY subscription_id, device_type")}
        assert seats == {(s.number, kind): n for p in PARTNERS for s in self.subs[p].values()
                         for kind, n in s.seats.items()}
        known = {(r["partner_id"], r["customer_id"]) for r in self.rows("SELECT * FROM customers")}
        assert known == {(p, c) for p in PARTNERS for c in self.customers[p]}

    @invariant()
    def invoices_add_up_to_the_cent(self) -> None:
        """Every invoice's total is the sum of its lines' net amounts, and every line's
        amounts follow SPEC §4 from the price list, the term and the partner's discount."""
        lines: dict[str, list[sqlite3.Row]] = defaultdict(list)
        for row in self.rows(
            "SELECT l.*, s.term_years, t.start_date AS term_start, t.end_date AS term_end "
            "FROM invoice_lines l JOIN subscriptions s ON s.id = l.subscription_id "
            "JOIN subscription_terms t ON t.subscription_id = l.subscription_id "
            "AND t.start_date <= l.period_start AND l.period_start < t.end_date "
            "ORDER BY l.invoice_number, l.position"):
            lines[row["invoice_number"]].append(row)
        invoices = self.rows("SELECT * FROM invoices")
        assert sum(len(v) for v in lines.values()) == len(self.rows("SELECT * FROM invoice_lines"))
        for invoice in invoices:
            currency, partner = invoice["currency"], invoice["partner_id"]
            mine = lines[invoice["number"]]
            assert mine, invoice["number"]
            total = exact(invoice["total"], currency)
            assert total == sum(exact(r["net_amount"], currency) for r in mine)
            document = json.loads(invoice["document"])
            assert document["total"] == invoice["total"]
            assert [x["net_amount"] for x in document["lines"]] == [r["net_amount"] for r in mine]
            for row in mine:
                self.check_line(row, currency, partner)

    def check_line(self, row: sqlite3.Row, currency: str, partner: str) -> None:
        price = seat_price(currency, row["device_type"])
        assert Decimal(row["unit_price"]) == price
        years = row["term_years"]
        term_days = (date.fromisoformat(row["term_end"])
                     - date.fromisoformat(row["term_start"])).days
        days = (date.fromisoformat(row["period_end"])
                - date.fromisoformat(row["period_start"])).days + 1
        assert date.fromisoformat(row["period_end"]) == \
            date.fromisoformat(row["term_end"]) - timedelta(days=1)
        with localcontext() as exactly:
            exactly.prec = 60
            listed = half_up(row["seats"] * price * years * days / term_days, currency)
        term_rate = Decimal(SETUP["term_discounts"][str(years)])
        partner_rate = Decimal(SETUP["partners"][partner]["discount"])
        term_discount = half_up(listed * term_rate, currency)
        partner_discount = half_up((listed - term_discount) * partner_rate, currency)
        shown = [exact(row[name], currency) for name in MONEY]
        assert shown == [listed, term_discount, partner_discount,
                         listed - term_discount - partner_discount], dict(row)

    @invariant()
    def runs_leave_whole_folders_only(self) -> None:
        entries = list(self.out.iterdir()) if self.out.exists() else []
        assert [p.name for p in entries if p.name.startswith(".")] == []
        assert len(entries) == self.published
        assert list(self.root.glob("seatbatch-error-*.log")) == []


Ledger.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
    phases=[p for p in Phase if p is not Phase.shrink or SHRINK],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_ledger_state_machine = Ledger.TestCase


# --- the life of a subscription after the order (SPEC §11) ---------------------------------

NOTICE_DAYS = 90  # [lifecycle] notice_days, the default
LIFECYCLE_EXAMPLES = max(1, EXAMPLES // 4)


@dataclass
class Life:
    """A subscription as the lifecycle model holds it."""

    number: str
    customer: str
    term_years: int
    end: date  # exclusive end of its last issued term
    seats: Counter[str] = field(default_factory=Counter)  # in force
    pending: Counter[str] = field(default_factory=Counter)  # to remove at the next renewal
    cancelled: bool = False

    def renewing(self) -> Counter[str]:
        return Counter({k: max(0, n - self.pending[k]) for k, n in self.seats.items()})


class Lifecycle(Machine):
    """Subscriptions made, seats added, cancelled, reduced and renewed, for one partner: after
    every step seats in force are never negative, a cancelled subscription never renews, and
    the ledger's seats are the model's."""

    def __init__(self) -> None:
        super().__init__("seatbatch-lifecycle-")
        self.subs: dict[str, Life] = {}

    def seatbatch(self, *argv: str) -> tuple[int, dict[str, Any] | None, str]:
        code, stdout, stderr = self.invoke(*argv)
        folder = stdout.strip()
        manifest = read_manifest(Path(folder)) if code in (0, 1) and folder else None
        return code, manifest, stderr

    def process(self, orders: list[dict[str, Any]], customers: Sequence[str] = ()
                ) -> tuple[int, dict[str, Any] | None, str]:
        path = write_order_workbook(self.root / f"{self.fresh('book')}.xlsx", {
            "Customers": [customer(c) for c in customers], "Devices": [], "Orders": orders})
        return self.seatbatch("process", str(path), "--partner", PARTNERS[0])

    def open_subs(self) -> list[Life]:
        """Subscriptions whose last term has not ended: they take seats and changes."""
        return sorted((s for s in self.subs.values() if s.end > self.as_of),
                      key=lambda s: s.number)

    @rule(data=st.data())
    def new_subscription(self, data: st.DataObject) -> None:
        customer_id = data.draw(st.sampled_from(CUSTOMERS), "customer")
        years = data.draw(st.sampled_from((1, 3)), "term")
        label = self.fresh("S")
        kinds = data.draw(st.lists(st.sampled_from(DEVICE_TYPES), min_size=1, max_size=2,
                                   unique=True), "device types")
        lines = [order(self.fresh("O"), customer_id=customer_id, subscription=label,
                       device_type=kind, seats=data.draw(st.integers(1, 5), "seats"),
                       term_years=years, start_date=self.as_of) for kind in kinds]
        code, manifest, said = self.process(lines, [customer_id])
        assert code == 0 and manifest is not None, said
        [invoice] = manifest["invoices"]
        number = invoice["lines"][0]["subscription_id"]
        sub = self.subs[number] = Life(number, customer_id, years,
                                       term_of(self.as_of, years).end)
        for line in lines:
            sub.seats[line["device_type"]] += line["seats"]

    @precondition(lambda self: bool(self.open_subs()))
    @rule(data=st.data())
    def add_seats(self, data: st.DataObject) -> None:
        sub = data.draw(st.sampled_from(self.open_subs()), "subscription")
        kind = data.draw(st.sampled_from(DEVICE_TYPES), "device type")
        seats = data.draw(st.integers(1, 3), "seats")
        code, _, said = self.process([order(
            self.fresh("O"), customer_id=sub.customer, action="add", subscription=sub.number,
            device_type=kind, seats=seats, term_years=None, start_date=None)])
        assert code == 0, said  # a cancelled subscription takes seats for its current term
        sub.seats[kind] += seats

    def change(self, sub: Life, action: str, **fields: Any) -> tuple[int, str]:
        code, manifest, said = self.process([
            change(self.fresh("X"), action, sub.number, customer_id=sub.customer, **fields)])
        assert code in (0, 1), said
        assert manifest is not None
        codes = {r["code"] for r in manifest["rejections"]}
        event(f"{action}: " + (", ".join(sorted(codes)) or "recorded"))
        return code, ",".join(sorted(codes))

    @precondition(lambda self: bool(self.subs))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        sub = data.draw(st.sampled_from(sorted(self.subs.values(), key=lambda s: s.number)),
                        "subscription")
        code, codes = self.change(sub, "cancel")
        if sub.cancelled:  # said first: nothing of it renews, whatever the notice
            assert codes == "already_cancelled"
        elif self.as_of > sub.end - timedelta(days=NOTICE_DAYS):
            assert codes == "notice_period_passed"
        else:
            assert code == 0, codes
            sub.cancelled = True

    @precondition(lambda self: bool(self.subs))
    @rule(data=st.data())
    def reduce(self, data: st.DataObject) -> None:
        sub = data.draw(st.sampled_from(sorted(self.subs.values(), key=lambda s: s.number)),
                        "subscription")
        kind = data.draw(st.sampled_from(DEVICE_TYPES), "device type")
        renewing = sub.renewing()[kind]
        seats = data.draw(st.integers(1, renewing + 1), "seats")
        code, codes = self.change(sub, "reduce", device_type=kind, seats=seats)
        if sub.cancelled:
            assert codes == "already_cancelled"
        elif self.as_of > sub.end - timedelta(days=NOTICE_DAYS):
            assert codes == "notice_period_passed"
        elif seats > renewing:
            assert codes == "reduce_more_than_renews"
        else:
            assert code == 0, codes
            sub.pending[kind] += seats
            sub.cancelled = not any(sub.renewing().values())  # reducing every seat cancels

    @precondition(lambda self: bool(self.subs))
    @rule(data=st.data())
    def renew(self, data: st.DataObject) -> None:
        """Renew the month in which a subscription's last term ends, on the first day of the
        next month or later: every term it renews has ended."""
        sub = data.draw(st.sampled_from(sorted(self.subs.values(), key=lambda s: s.number)),
                        "subscription")
        last_day = sub.end - timedelta(days=1)
        after = (last_day.replace(day=1) + timedelta(days=32)).replace(day=1)
        self.as_of = max(self.as_of, after)
        if self.as_of != after:  # the run date went past that month: renew the last one
            last_day = self.as_of.replace(day=1) - timedelta(days=1)
        year, month = last_day.year, last_day.month
        code, manifest, said = self.seatbatch("renew", "--month", f"{year:04d}-{month:02d}")
        assert code == 0 and manifest is not None, said
        due = {s.number for s in self.subs.values()
               if (s.end - timedelta(days=1)).timetuple()[:2] == (year, month)
               and not s.cancelled and any(s.renewing().values())}
        renewed: dict[str, Counter[str]] = defaultdict(Counter)
        for invoice in manifest["invoices"]:
            for line in invoice["lines"]:
                renewed[line["subscription_id"]][line["device_type"]] += line["seats"]
        assert set(renewed) == due, said
        skipped = [s for s in self.subs.values()
                   if (s.end - timedelta(days=1)).timetuple()[:2] == (year, month)
                   and s.number not in due]
        event(f"renew: {'some' if due else 'none'} renewed, "
              f"{'some' if skipped else 'none'} cancelled left out")
        for number in due:
            sub = self.subs[number]
            sub.seats = sub.renewing()
            assert renewed[number] == +sub.seats
            sub.pending = Counter()
            sub.end = term_of(sub.end, sub.term_years).end

    @invariant()
    def seats_in_force_are_never_negative_and_are_the_models(self) -> None:
        seats = {(f"SUB-{r['subscription_id']:06d}", r["device_type"]): r["seats"]
                 for r in self.rows("SELECT subscription_id, device_type, sum(seats) AS seats "
                                    "FROM seats GROUP BY subscription_id, device_type")}
        assert all(n >= 0 for n in seats.values()), seats
        assert {k: n for k, n in seats.items() if n} == {
            (s.number, kind): n for s in self.subs.values() for kind, n in s.seats.items() if n}

    @invariant()
    def a_cancelled_subscription_never_renews(self) -> None:
        assert self.rows(
            "SELECT * FROM subscription_changes c JOIN subscription_terms t "
            "ON t.subscription_id = c.subscription_id AND t.start_date >= c.effective_date "
            "WHERE c.cancels") == []
        cancelled = {f"SUB-{r['subscription_id']:06d}" for r in self.rows(
            "SELECT subscription_id FROM subscription_changes WHERE cancels")}
        assert cancelled == {s.number for s in self.subs.values() if s.cancelled}


Lifecycle.TestCase.settings = settings(
    max_examples=LIFECYCLE_EXAMPLES, stateful_step_count=STEPS, deadline=None,
    phases=[p for p in Phase if p is not Phase.shrink or SHRINK],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_lifecycle_state_machine = Lifecycle.TestCase
