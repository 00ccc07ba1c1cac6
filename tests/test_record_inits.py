"""Records that write their own __init__ for speed (Device, OrderLine, LineRequest, Coverage)
still take and keep exactly their dataclass fields, as a generated __init__ would."""

from __future__ import annotations

import inspect
from dataclasses import MISSING, FrozenInstanceError, fields, replace
from datetime import date

import pytest

from seatbatch.core.model import Device, LineRequest, OrderLine
from seatbatch.core.terms import term_of
from seatbatch.validation.rules import Coverage

RECORDS = (Device, OrderLine, LineRequest, Coverage)


@pytest.mark.parametrize("record", RECORDS)
def test_init_takes_the_fields_in_order_with_their_defaults(record: type) -> None:
    parameters = list(inspect.signature(record).parameters.values())
    assert [p.name for p in parameters] == [f.name for f in fields(record)]
    for parameter, declared in zip(parameters, fields(record), strict=True):
        if declared.default is not MISSING:
            assert parameter.default == declared.default
        elif declared.default_factory is MISSING:
            assert parameter.default is inspect.Parameter.empty


def test_records_are_frozen_compared_and_replaced_by_their_fields() -> None:
    line = OrderLine(2, "L1", "C-1", "new", "S", "Space Pro", 3, 1, date(2026, 1, 5), None,
                     False, "f" * 64)
    assert line.content == {}
    assert line == replace(line)
    assert replace(line, seats=4).seats == 4 and replace(line, seats=4) != line
    device = Device(7, "C-1", "SN-1", "Space Pro", None, "Hall")
    assert device == Device(7, "C-1", "SN-1", "Space Pro", None, "Hall")
    assert hash(device) == hash(Device(7, "C-1", "SN-1", "Space Pro", None, "Hall"))
    assert repr(device) == ("Device(row=7, customer_id='C-1', serial_number='SN-1', "
                            "device_type='Space Pro', deployed_on=None, location='Hall')")
    request = LineRequest(line, None, ("C-1", "S"), 1, term_of(date(2026, 1, 5), 1),
                          date(2026, 1, 5), None, False)
    assert request.continues is False
    row = Coverage("C-1", "Space Pro", devices=3, ledger_seats=0, workbook_seats=2,
                   first_device_row=7)
    assert (row.pending_seats, row.pending_rows, row.broken, row.short) == (0, (), False, 1)
    for record in (line, device, request, row):
        with pytest.raises(FrozenInstanceError):
            setattr(record, fields(record)[0].name, None)
