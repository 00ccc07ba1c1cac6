"""Writes the shipped sample workbooks (run: python samples/make_samples.py).

The story follows the partner portal's help page: Acme deploys 2 Space Pro, 1 Space Plus and
1 Space CO2 Mini at Harbour View Offices and buys a 3-year subscription on 2 March 2026; on
24 November 2026 it adds 4 Space Pro and 3 Space CO2 Mini to the same subscription."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from seatbatch.output.order_workbook import write_order_workbook

HERE = Path(__file__).resolve().parent
HARBOUR = {"customer_id": "C-001", "organization": "Harbour View Offices Ltd",
           "country": "GB", "contact_email": "facilities@harbourview.example"}
SCHOOL = {"customer_id": "C-002", "organization": "Riverside Primary School", "country": "GB"}


def devices(customer_id: str, counts: dict[str, int], deployed: date) -> list[dict[str, object]]:
    rows = []
    for device_type, count in counts.items():
        prefix = device_type.replace(" ", "").upper()
        for n in range(1, count + 1):
            rows.append({"customer_id": customer_id,
                         "serial_number": f"{customer_id}-{prefix}-{n:03d}",
                         "device_type": device_type, "deployed_on": deployed,
                         "location": f"Floor {n}"})
    return rows


def main() -> None:
    new_start = date(2026, 3, 2)
    order = {"customer_id": "C-001", "action": "new", "subscription": "harbour-hq",
             "term_years": 3, "start_date": new_start, "po_number": "PO-4471",
             "accept_terms": "yes"}
    write_order_workbook(HERE / "acme-new.xlsx", {
        "Customers": [HARBOUR, SCHOOL],
        "Devices": devices("C-001", {"Space Pro": 2, "Space Plus": 1, "Space CO2 Mini": 1},
                           new_start)
        + devices("C-002", {"Space Plus": 5}, new_start),
        "Orders": [
            {**order, "order_id": "ACME-1001", "device_type": "Space Pro", "seats": 2},
            {**order, "order_id": "ACME-1002", "device_type": "Space Plus", "seats": 1},
            {**order, "order_id": "ACME-1003", "device_type": "Space CO2 Mini", "seats": 1},
            {"order_id": "ACME-1004", "customer_id": "C-002", "action": "new",
             "subscription": "school", "device_type": "Space Plus", "seats": 5, "term_years": 1,
             "start_date": new_start, "po_number": "PO-4472", "separate_invoice": "yes",
             "accept_terms": True},
        ],
    })
    added = date(2026, 11, 24)
    add = {"customer_id": "C-001", "action": "add", "subscription": "SUB-000001",
           "po_number": "PO-5120", "start_date": added, "accept_terms": "yes"}
    write_order_workbook(HERE / "acme-add.xlsx", {
        "Devices": devices("C-001", {"Space Pro": 6, "Space Plus": 1, "Space CO2 Mini": 4},
                           added),
        "Orders": [
            {**add, "order_id": "ACME-1101", "device_type": "Space Pro", "seats": 4},
            {**add, "order_id": "ACME-1102", "device_type": "Space CO2 Mini", "seats": 3},
        ],
    })
    write_order_workbook(HERE / "acme-rejected.xlsx", {
        "Customers": [{"customer_id": "C-003", "organization": "Old Mill Studios",
                       "country": "UK"}],
        "Devices": devices("C-003", {"Space Pro": 3}, added),
        "Orders": [
            {"order_id": "ACME-1201", "customer_id": "C-003", "action": "new",
             "subscription": "mill", "device_type": "Space Pr", "seats": 2.5, "term_years": 2,
             "start_date": "31/12/2026", "accept_terms": "no"},
        ],
    })
    nord = {"customer_id": "N-17", "action": "new", "subscription": "bergen",
            "term_years": 5, "start_date": date(2026, 11, 1), "po_number": "NO-2026-88",
            "accept_terms": "x"}
    write_order_workbook(HERE / "nord-new.xlsx", {
        "Customers": [{"customer_id": "N-17", "organization": "Bryggen Kontorfellesskap AS",
                       "country": "NO"}],
        "Devices": devices("N-17", {"Space Pro": 3, "Space CO2 Mini": 2}, date(2026, 10, 28)),
        "Orders": [
            {**nord, "order_id": "N-5001", "device_type": "Space Pro", "seats": 3},
            {**nord, "order_id": "N-5002", "device_type": "Space CO2 Mini", "seats": 4},
        ],
    })
    # 1 December 2026 (SPEC §11): the school leaves at the end of its year; Harbour View
    # renews in 2029 with 2 Space Pro fewer, on a new purchase order.
    change = {"customer_id": "C-001", "subscription": "SUB-000001", "accept_terms": "yes"}
    write_order_workbook(HERE / "acme-changes.xlsx", {
        "Orders": [
            {"order_id": "ACME-1301", "customer_id": "C-002", "action": "cancel",
             "subscription": "SUB-000002", "accept_terms": "yes"},
            {**change, "order_id": "ACME-1302", "action": "reduce", "device_type": "Space Pro",
             "seats": 2},
            {**change, "order_id": "ACME-1303", "action": "po", "po_number": "PO-7000"},
        ],
    })


if __name__ == "__main__":
    main()
