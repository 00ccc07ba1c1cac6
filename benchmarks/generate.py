"""Generate valid order workbooks of any size, for benchmarks and load tests.

As a script:

    python benchmarks/generate.py OUT.xlsx --customers 5000 --devices 100000 --lines 20000

As a module: ``generate(path, customers=..., devices=..., lines=...)`` returns a
``GeneratedWorkbook`` with the counts it wrote.

What it writes satisfies SPEC §2 for partner P-ACME of samples/seatbatch.toml processed with
``--as-of`` the same run date as given here (default 2026-11-24):

* Customers: ``C-000001``... (unique), an organization, country NO/GB/DE, a contact e-mail.
* Devices: devices spread at random over the customers, a unique serial number each, a device
  type among the types that customer orders, a deployed_on date and a location.
* Orders: ``action = new`` lines only. Every customer has one PO number and its lines are split
  into subscriptions of at most one line per device type (labels ``S1``, ``S2``...); the lines
  of one subscription share term_years, start_date, po_number and separate_invoice (FALSE).
  term_years is 1, 3 or 5 at random (weights 5:3:2), or always one of ``terms`` when given.
  Start dates are the run date or up to ``backdate_days`` before it. accept_terms is TRUE.
* Seat coverage: for every customer and device type the seats ordered are at least the number
  of devices listed (plus a few spare seats now and then), split over that type's lines.

Since invoices group per customer and PO, a run issues one invoice per customer: 5,000
customers and 20,000 lines give 5,000 invoices of 4 lines each.

The workbook is written with xlsxwriter (shared strings, as Excel writes them): text with
``write_string`` (never a formula), dates as real date cells with a ``yyyy-mm-dd`` format,
numbers as numbers, booleans as Excel booleans. The same seed gives the same content.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter

DEVICE_TYPES = ("Space Pro", "Space Plus", "Space CO2 Mini")
SERIAL_PREFIX = {"Space Pro": "SPR", "Space Plus": "SPL", "Space CO2 Mini": "SCM"}
COUNTRIES = ("NO", "GB", "DE")
TERMS = (1, 3, 5)
TERM_WEIGHTS = (5, 3, 2)
MAX_SEATS = 100_000
DEFAULT_AS_OF = date(2026, 11, 24)

CUSTOMER_COLUMNS = ("customer_id", "organization", "country", "contact_email")
DEVICE_COLUMNS = ("customer_id", "serial_number", "device_type", "deployed_on", "location")
ORDER_COLUMNS = (
    "order_id", "customer_id", "action", "subscription", "device_type", "seats", "term_years",
    "start_date", "po_number", "separate_invoice", "accept_terms",
)
ORG_WORDS = (
    "Harbour", "Riverside", "Northgate", "Fjord", "Granite", "Linden", "Meridian", "Beacon",
    "Summit", "Oak", "Birch", "Aurora", "Kestrel", "Pioneer", "Atlas", "Willow",
)
ORG_KINDS = ("Offices Ltd", "Primary School", "Clinic", "Logistics AS", "Studios", "GmbH",
             "Hotel", "Library", "Campus", "Warehouse")


@dataclass(frozen=True)
class GeneratedWorkbook:
    path: Path
    customers: int
    devices: int
    lines: int
    subscriptions: int
    seats: int
    as_of: date


@dataclass(frozen=True)
class _Line:
    customer: int
    label: str
    device_type: str
    seats: int
    term_years: int
    start_date: date


def _split(total: int, parts: int) -> list[int]:
    """`total` seats over `parts` lines, each at least 1 and at most MAX_SEATS."""
    total = max(total, parts)
    base, extra = divmod(total, parts)
    shares = [base + 1 if i < extra else base for i in range(parts)]
    if shares[0] > MAX_SEATS:
        raise ValueError(
            f"{total} seats over {parts} line(s) would exceed {MAX_SEATS} seats a line: "
            "give more lines or fewer devices"
        )
    return shares


def plan(
    customers: int, devices: int, lines: int, *, seed: int = 0, as_of: date = DEFAULT_AS_OF,
    backdate_days: int = 60, terms: Sequence[int] | None = None,
) -> tuple[list[int], list[list[str]], list[_Line]]:
    """The content, without writing it: per customer its devices' count, per customer the
    device types of its devices (one entry a device), and the order lines."""
    if customers < 1 or lines < 1 or devices < 0:
        raise ValueError("need at least 1 customer and 1 line, and no negative device count")
    if lines < customers:
        raise ValueError(
            f"{lines} lines cannot cover {customers} customers: every customer needs at least "
            "one order line (give --lines >= --customers)"
        )
    if not 0 <= backdate_days <= 365:  # noqa: PLR2004  a year, as the message says
        raise ValueError("backdate_days must be within the 365-day window")
    if terms is not None and (not terms or not set(terms) <= set(TERMS)):
        raise ValueError(f"terms must be some of {TERMS}")
    term_choices, term_weights = (TERMS, TERM_WEIGHTS) if terms is None else (tuple(terms), None)
    rng = random.Random(seed)

    # Lines per customer: as even as possible.
    base, extra = divmod(lines, customers)
    lines_of = [base + 1 if c < extra else base for c in range(customers)]

    # Devices per customer: each device lands on a random customer.
    landed = Counter(rng.randrange(customers) for _ in range(devices))
    devices_of = [landed.get(c, 0) for c in range(customers)]

    device_types_of: list[list[str]] = []
    order_lines: list[_Line] = []
    for c in range(customers):
        types = list(DEVICE_TYPES)
        rng.shuffle(types)
        # The customer's line types: round-robin over (up to) all three device types.
        line_types = [types[i % len(types)] for i in range(lines_of[c])]
        ordered_types = sorted(set(line_types), key=types.index)
        deployed = [rng.choice(ordered_types) for _ in range(devices_of[c])]
        deployed.sort(key=types.index)
        device_types_of.append(deployed)
        per_type = Counter(deployed)

        # Seats: at least the devices of the type, sometimes a few spare, over its lines.
        seats_left: dict[str, list[int]] = {}
        for device_type in ordered_types:
            parts = line_types.count(device_type)
            spare = rng.choice((0, 0, 0, 1, 2, 5))
            seats_left[device_type] = _split(per_type[device_type] + spare, parts)

        # Subscriptions: line i goes to subscription i // 3, so each holds each type once.
        subscription_terms: dict[str, tuple[int, date]] = {}
        for i, device_type in enumerate(line_types):
            label = f"S{i // len(types) + 1}"
            if label not in subscription_terms:
                term = rng.choices(term_choices, term_weights)[0]
                start = as_of - timedelta(days=rng.randint(0, backdate_days))
                subscription_terms[label] = (term, start)
            term, start = subscription_terms[label]
            order_lines.append(
                _Line(c, label, device_type, seats_left[device_type].pop(), term, start)
            )
    return devices_of, device_types_of, order_lines


def generate(
    path: str | Path,
    *,
    customers: int,
    devices: int,
    lines: int,
    seed: int = 0,
    as_of: date = DEFAULT_AS_OF,
    backdate_days: int = 60,
    terms: Sequence[int] | None = None,
) -> GeneratedWorkbook:
    """Write a valid order workbook of the given size to `path`."""
    path = Path(path)
    devices_of, device_types_of, order_lines = plan(
        customers, devices, lines, seed=seed, as_of=as_of, backdate_days=backdate_days,
        terms=terms,
    )
    rng = random.Random(seed + 1)

    def customer_id(c: int) -> str:
        return f"C-{c + 1:06d}"

    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False,
                                           "strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        bold = book.add_format({"bold": True})

        sheet = book.add_worksheet("Customers")
        sheet.write_row(0, 0, CUSTOMER_COLUMNS, bold)
        for c in range(customers):
            row = c + 1
            words = f"{ORG_WORDS[c % len(ORG_WORDS)]} {ORG_KINDS[(c // 16) % len(ORG_KINDS)]}"
            sheet.write_string(row, 0, customer_id(c))
            sheet.write_string(row, 1, f"{words} {c + 1}")
            sheet.write_string(row, 2, COUNTRIES[c % len(COUNTRIES)])
            sheet.write_string(row, 3, f"facilities@customer{c + 1}.example")

        sheet = book.add_worksheet("Devices")
        sheet.write_row(0, 0, DEVICE_COLUMNS, bold)
        row = 0
        serials = Counter[str]()
        for c, types in enumerate(device_types_of):
            for device_type in types:
                row += 1
                prefix = SERIAL_PREFIX[device_type]
                serials[prefix] += 1
                sheet.write_string(row, 0, customer_id(c))
                sheet.write_string(row, 1, f"{prefix}-{serials[prefix]:08d}")
                sheet.write_string(row, 2, device_type)
                sheet.write_datetime(
                    row, 3, as_of - timedelta(days=rng.randint(30, 700)), date_format
                )
                sheet.write_string(row, 4, f"Floor {rng.randint(1, 12)}, room {rng.randint(1, 40)}")

        sheet = book.add_worksheet("Orders")
        sheet.write_row(0, 0, ORDER_COLUMNS, bold)
        for n, line in enumerate(order_lines, start=1):
            sheet.write_string(n, 0, f"ORD-{n:07d}")
            sheet.write_string(n, 1, customer_id(line.customer))
            sheet.write_string(n, 2, "new")
            sheet.write_string(n, 3, line.label)
            sheet.write_string(n, 4, line.device_type)
            sheet.write_number(n, 5, line.seats)
            sheet.write_number(n, 6, line.term_years)
            sheet.write_datetime(n, 7, line.start_date, date_format)
            sheet.write_string(n, 8, f"PO-{line.customer + 1:06d}")
            sheet.write_boolean(n, 9, False)
            sheet.write_boolean(n, 10, True)
    finally:
        book.close()

    return GeneratedWorkbook(
        path=path,
        customers=customers,
        devices=sum(devices_of),
        lines=len(order_lines),
        subscriptions=len({(line.customer, line.label) for line in order_lines}),
        seats=sum(line.seats for line in order_lines),
        as_of=as_of,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a valid seatbatch order workbook of any size (partner P-ACME of "
        "samples/seatbatch.toml; process it with the same --as-of)."
    )
    parser.add_argument("out", type=Path, help="the .xlsx file to write")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF,
                        help="the run date the start dates are chosen around (YYYY-MM-DD)")
    parser.add_argument("--backdate-days", type=int, default=60,
                        help="start dates fall on the run date or up to this many days before")
    parser.add_argument("--terms", type=lambda text: [int(t) for t in text.split(",")],
                        help="term_years to choose from, e.g. 1 (default: 1,3,5 weighted 5:3:2)")
    args = parser.parse_args(argv)
    try:
        made = generate(args.out, customers=args.customers, devices=args.devices,
                        lines=args.lines, seed=args.seed, as_of=args.as_of,
                        backdate_days=args.backdate_days, terms=args.terms)
    except ValueError as error:
        parser.error(str(error))
    print(
        f"{made.path}: {made.customers} customers, {made.devices} devices, {made.lines} lines "
        f"in {made.subscriptions} subscriptions ({made.seats} seats), as of "
        f"{made.as_of.isoformat()}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
