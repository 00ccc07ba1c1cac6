"""Every configuration value of the wrong TOML type, or out of range, is exit 2 naming its key
(SPEC §8; issue 11, finding 14): values of every TOML type and odd decimal strings are put at
every key of a valid configuration. Whatever loads must also price without overflow."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONFIG
from seatbatch.billing.pricing import line_amounts
from seatbatch.cli.commands import run
from seatbatch.core.config import ConfigError, load_config

Path_ = tuple[str | int, ...]
ODD_DECIMALS = ["1e30", "1E-30", "NaN", "nan", "sNaN", "Infinity", "-inf", "-0", "-0.00",
                "+1", "1_000", "\uff11\uff15\uff10", " 0.10 ", "0.1234567", ".5", "5.", "0x10",
                "",
                "999999999999", "1000000000.000001", "0", "0.999999", "1", "1.0", "٣",
                "1,50", "1 000", "\u00a01", "1\n", "0.1\x00"]


def _toml(value: Any) -> str:
    """A value as inline TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F
                          else "\\" + c if c in '"\\' else c for c in value)
        return f'"{escaped}"'
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"


def document(tree: dict[str, Any]) -> str:
    return "".join(f"{_toml(key)} = {_toml(value)}\n" for key, value in tree.items())


def key_paths(node: Any, path: Path_ = ()) -> Iterator[Path_]:
    if path:
        yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from key_paths(value, (*path, key))
    elif isinstance(node, list) and not all(isinstance(v, str) for v in node):
        for index, value in enumerate(node):
            yield from key_paths(value, (*path, index))


def key_name(path: Path_) -> str:
    """A path as the configuration's messages name it."""
    name = ""
    for position, part in enumerate(path):
        if isinstance(part, int):
            name += f"[{part}]"
        elif position and path[position - 1] in ("term_discounts", "seat_price_per_year"):
            name += f'."{part}"'
        else:
            name += f".{part}" if name else part
    return name


def replaced(tree: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = list(tree) if isinstance(tree, list) else dict(tree)
    copy[head] = replaced(tree[head], rest, value)  # type: ignore[index]
    return copy


VALID = tomllib.loads(CONFIG)
PATHS = sorted(key_paths(VALID), key=repr)
scalars = st.one_of(
    st.text(max_size=20),
    st.sampled_from(ODD_DECIMALS),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                 timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=5))])),
    st.dates(),
    st.times(),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.text(min_size=1, max_size=8), scalars, max_size=3))


def _price_everything(config: Any) -> None:
    """The largest order any workbook may make, at every accepted price and rate."""
    for price_list in config.price_lists:
        assert type(price_list.valid_from) is date
        for price in price_list.seat_price_per_year.values():
            for years, rate in config.term_discounts.items():
                for partner in config.partners.values():
                    line_amounts(100_000, price, years, prorate_days=1, term_days=1827,
                                 term_rate=rate, partner_rate=partner.discount,
                                 currency=price_list.currency)


@settings(max_examples=600, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=values)
def test_every_value_at_every_key_is_exit_2_naming_it_or_accepted(
        tmp_path: Path, path: Path_, value: Any) -> None:
    config_file = tmp_path / "seatbatch.toml"
    config_file.write_text(document(replaced(VALID, path, value)), encoding="utf-8")
    expected = key_name(path)
    try:
        config = load_config(config_file)
    except ConfigError as error:
        named = [key for key, _ in error.problems]
        assert any(key == expected or key.startswith((expected + ".", expected + "["))
                   for key in named), (expected, error.problems)
        return
    _price_everything(config)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=values)
def test_the_command_line_never_fails_on_a_configuration_value(
        tmp_path: Path, path: Path_, value: Any, capsys: Any) -> None:
    """Through `seatbatch.cli.commands.run`: exit 2 with a configuration error, never 70."""
    refused = renew_with(tmp_path, document(replaced(VALID, path, value)), capsys)
    if refused:
        assert key_name(path) in refused


def renew_with(tmp_path: Path, text: str, capsys: Any) -> str:
    """`seatbatch renew` with this configuration, through `seatbatch.cli.commands.run`: it
    runs (exit 0), or is refused with a configuration error (exit 2), whose message this
    returns; never a traceback or an internal error."""
    config_file = tmp_path / "seatbatch.toml"
    config_file.write_text(text, encoding="utf-8")
    code = run(["renew", "--month", "2026-12", "--as-of", "2026-11-30", "--config",
                str(config_file), "--ledger", str(tmp_path / "ledger.db"),
                "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "internal error" not in captured.err
    if code == 2:
        assert captured.err.startswith(f"seatbatch: configuration error: {config_file}: ")
        return str(captured.err)
    assert code == 0, captured.err
    return ""


def test_the_serializer_round_trips_the_valid_configuration(tmp_path: Path) -> None:
    path = tmp_path / "seatbatch.toml"
    path.write_text(document(VALID), encoding="utf-8")
    assert tomllib.loads(path.read_text()) == VALID
    assert load_config(path).partner("P-TOKYO").currency == "JPY"
