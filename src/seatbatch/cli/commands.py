"""The command line: options, one orchestrator call per command, and what its Outcome says
printed; its exit code is the command's (SPEC §6: 0 done, 1 input rejected, 2 usage or
configuration, 70 a bug, 75 busy or a full disk, 130/143 interrupted). What stopped a command
is mapped to its exit code and lines in one place, `seatbatch.jobs.base.failure`."""

from __future__ import annotations

import gc
import os
import re
import signal
import sys
import tomllib
from collections.abc import Callable, Collection
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from seatbatch import __version__
from seatbatch.cli.console import echo, escaped, show_click_error
from seatbatch.cli.progress import TerminalProgress, ended, on_terminal
from seatbatch.core.config import find_config, load_config, resolve_ledger
from seatbatch.core.exits import terminate
from seatbatch.core.terms import FIRST_RUN_DATE, LAST_RUN_DATE, RUN_DATES
from seatbatch.jobs import (
    EXIT_USAGE,
    Outcome,
    Settings,
    UsageError,
    failure,
    no_space,
    unforeseen,
)

# Each command imports its job when it runs, so that it loads only what it uses (`--help`
# loads none of pandas, pandera, openpyxl, SQLAlchemy or jinja2).

F = TypeVar("F", bound=Callable[..., Any])


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Common options may stand before or after the command; the later one wins."""
    if value is not None and param.name:
        ctx.find_root().meta[f"seatbatch.{param.name}"] = value
    return value


class RunDate(click.ParamType[date, Any]):
    """--as-of: a date YYYY-MM-DD within the run dates seatbatch takes."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value)
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not a date YYYY-MM-DD of the calendar", param, ctx)
        if not FIRST_RUN_DATE <= day <= LAST_RUN_DATE:
            self.fail(f"{text} is outside the {RUN_DATES}", param, ctx)
        return day


COMMON = ("config", "ledger", "as_of", "out")


def common_options(*, unused: Collection[str] = (),
                   as_of: str = "The run date (default: today).") -> Callable[[F], F]:
    """The common options (SPEC §6): every command accepts each of them, before or after its
    name, but its --help lists only those it uses (not those `unused`); `as_of` says what the
    run date is to the command."""
    assert set(unused) <= set(COMMON)

    def decorate(function: F) -> F:
        options = [
            # eager: read before --help, whose --partner names the partners configured there
            click.option("--config", type=click.Path(dir_okay=False), expose_value=False,
                         callback=_remember, is_eager=True, hidden="config" in unused,
                         help="The configuration file (default: $SEATBATCH_CONFIG, else "
                         "./seatbatch.toml)."),
            click.option("--ledger", metavar="FILE|URL", expose_value=False, callback=_remember,
                         hidden="ledger" in unused,
                         help="The ledger: a SQLite file or a postgresql://user@host/db URL "
                         "(default: $SEATBATCH_LEDGER, else the configuration's `ledger`, "
                         "else seatbatch.db beside the configuration file)."),
            click.option("--as-of", "as_of", type=RunDate(), expose_value=False,
                         callback=_remember, hidden="as_of" in unused, help=as_of),
            click.option("--out", metavar="DIR", type=click.Path(file_okay=False),
                         expose_value=False, callback=_remember, hidden="out" in unused,
                         help="Where run folders go (default: ./seatbatch-out)."),
        ]
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def _settings(ctx: click.Context) -> Settings:
    meta = ctx.find_root().meta
    config = load_config(find_config(meta.get("seatbatch.config")))
    as_of = meta.get("seatbatch.as_of") or date.today()
    out = Path(meta.get("seatbatch.out") or "seatbatch-out")
    settings = Settings(config, resolve_ledger(config, meta.get("seatbatch.ledger")), as_of, out,
                        TerminalProgress())
    meta["seatbatch.settings"] = settings
    return settings


# The problems of a rejection stderr shows (a cron mail stays a few kilobytes, not megabytes);
# every one of them is in the run folder's manifest.json and rejected.xlsx. 25 rather than 20:
# a workbook with one problem of each kind the partner can make has about 22.
SHOWN_PROBLEMS = 25


def _full_list(folder: Path | None, *, rejected: bool = True) -> str:
    """Where every problem of a rejection (or every warning) is listed."""
    if folder is None:
        return "see the run's manifest.json"
    files = [folder / "manifest.json"]
    if rejected and (folder / "rejected.xlsx").is_file():
        files.append(folder / "rejected.xlsx")
    return "every one is listed in " + " and ".join(map(str, files))


def _partner(ctx: click.Context, settings: Settings, partner_id: str) -> str:
    """--partner, a configured partner's id; else a usage error (exit 2, as Click's), not a
    configuration error: the command line asked for a partner the configuration lacks."""
    config = settings.config
    if partner_id in config.partners:
        return partner_id
    raise UsageError(f"--partner {partner_id!r} is an unknown partner in {config.path} "
                     f"{config.partners_besides(partner_id)} (see seatbatch "
                     f"{ctx.info_name} --help)")


def _report(outcome: Outcome) -> int:
    """Show what the command ended with (on a terminal, what it issued and where to look);
    its exit code, the run's, also when whoever read what it says stopped reading (`| head`):
    what was committed or rejected stands, and is in the run folder."""
    out, err = _Stream(err=False), _Stream(err=True)
    if outcome.folder is not None:
        out.say(str(outcome.folder))
    for line in outcome.said:
        out.say(line)
    if outcome.messages:
        err.say(f"seatbatch: input rejected, {len(outcome.messages)} problem(s); "
                "nothing was committed:")
        for message in outcome.messages[:SHOWN_PROBLEMS]:
            err.say(f"  {message}")
        if len(outcome.messages) > SHOWN_PROBLEMS:
            err.say(f"  ... and {len(outcome.messages) - SHOWN_PROBLEMS} more problem(s): "
                    f"{_full_list(outcome.folder)}")
    for warning in outcome.warnings[:SHOWN_PROBLEMS]:
        err.say(f"seatbatch: warning: {warning}")
    if len(outcome.warnings) > SHOWN_PROBLEMS:
        err.say(f"seatbatch: ... and {len(outcome.warnings) - SHOWN_PROBLEMS} more "
                f"warning(s): {_full_list(outcome.folder, rejected=False)}")
    for line in outcome.lines:
        err.say(line)
    if on_terminal():
        for line in ended(outcome):
            err.say(line)
    return outcome.exit_code


class _Stream:
    """stdout or stderr, each on its own: when its reader has gone (a broken pipe), what is
    left for it is dropped, and the other still says its part (the reasons of a rejection
    reach stderr when stdout's reader left)."""

    def __init__(self, *, err: bool):
        self.err, self.gone = err, False

    def say(self, text: str) -> None:
        if self.gone:
            return
        try:
            echo(text, err=self.err)
        except BrokenPipeError:
            self.gone = True


# The partners --help names, of a configuration with many (the rest are counted); and the
# largest configuration file --help reads to name them (a real one is a few kilobytes).
SHOWN_PARTNERS = 8
HELP_CONFIG_BYTES = 1 << 20


def configured_partners(ctx: click.Context) -> str | None:
    """The partners of the configuration the command would use (--config given before
    --help, else $SEATBATCH_CONFIG, else ./seatbatch.toml), as --help names them: read as
    plain TOML, never checked; None when there is no such file or it cannot be read as TOML
    (--help never fails for the configuration, nor waits on a large file)."""
    path = find_config(ctx.find_root().meta.get("seatbatch.config"))
    try:
        if not path.is_file() or path.stat().st_size > HELP_CONFIG_BYTES:
            return None
        partners = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("partners")
    except (OSError, ValueError, RecursionError):  # TOMLDecodeError and UnicodeError: ValueErrors
        return None
    if not isinstance(partners, dict) or not partners:
        return None
    named = []
    for partner_id, table in list(partners.items())[:SHOWN_PARTNERS]:
        name = table.get("name") if isinstance(table, dict) else None
        named.append(f"{partner_id} ({name})" if isinstance(name, str) and name.strip()
                     else partner_id)
    more = len(partners) - SHOWN_PARTNERS
    return escaped(f"{path}: " + ", ".join(named) + (f" and {more} more" if more > 0 else ""))


class PartnerOption(click.Option):
    """--partner ID: its help names the partners configured, when --help can read them."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        configured = configured_partners(ctx)
        if configured is None:
            return super().get_help_record(ctx)
        written = self.help
        self.help = f"{written} Configured in {configured}."
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = written


def partner_option(help_text: str, *, required: bool) -> Callable[[F], F]:
    return click.option("--partner", "partner_id", cls=PartnerOption, metavar="ID",
                        required=required, help=help_text)


def examples(*lines: str) -> str:
    """A command's --help epilog: examples, each line as written."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


class Commands(click.Group):
    """A group whose --help lists its commands in the order they are declared (the order
    of a partner's orders, then of month end), not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002  Click's signature
        return list(self.commands)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=examples(
                 "seatbatch template orders.xlsx --partner P-ACME  # a workbook to fill in",
                 "seatbatch quote orders.xlsx --partner P-ACME     # its prices, no invoice",
                 "seatbatch process orders.xlsx --partner P-ACME   # its invoices issued",
                 "seatbatch renew --month 2026-12                  # the terms ending then",
                 "seatbatch report --month 2026-11                 # finance's month end",
             ) + """

Each run writes a folder under --out and prints its path; its summary.html says what was
done. Exit codes: 0 done, 1 input rejected (nothing committed), 2 usage or configuration
error, 75 busy: try again later, 130 or 143 interrupted, 70 internal error.
See seatbatch COMMAND --help for a command's options and examples.""")
@click.version_option(__version__, prog_name="seatbatch")
@common_options()
def cli() -> None:
    """Partner order workbooks in; priced, numbered invoices out."""
    # the ledger connections kept for the command close with it, even run in-process (tests)
    click.get_current_context().call_on_close(_close_engines)


def workbook_command(name: str, *, short_help: str, as_of: str, epilog: str
                     ) -> Callable[[Callable[..., int]], click.Command]:
    """A command that takes one partner's order workbook."""

    def decorate(function: Callable[..., int]) -> click.Command:
        wrapped = click.pass_context(common_options(as_of=as_of)(function))
        wrapped = partner_option("The partner whose workbook it is: its id in the "
                                 "configuration's [partners].", required=True)(wrapped)
        wrapped = click.argument(
            "workbook", type=click.Path(dir_okay=False, path_type=Path))(wrapped)
        return cli.command(name, short_help=short_help, epilog=epilog)(wrapped)

    return decorate


@cli.command("template", short_help="Write a blank order workbook to fill in.",
             epilog=examples(
                 "seatbatch template orders.xlsx",
                 "seatbatch template acme.xlsx --partner P-ACME   # Acme's customers filled in"))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@partner_option("Pre-fill it with this partner's customers, devices and subscriptions from "
                "the ledger.", required=False)
@common_options(unused=("out",), as_of="The run date: the day its example order starts and "
                "the partner's seats are counted on (default: today).")
@click.pass_context
def template_command(ctx: click.Context, file: Path, partner_id: str | None) -> int:
    """Write FILE, an order workbook to fill in: its three sheets (Customers, Devices,
    Orders) with drop-downs and an instructions sheet. With --partner, the partner's
    customers, devices and subscriptions are filled in from the ledger (--ledger is read
    only then)."""
    from seatbatch.jobs.template import template

    settings = _settings(ctx)
    chosen = None if partner_id is None else _partner(ctx, settings, partner_id)
    return _report(template(settings, file, chosen))


@workbook_command(
    "quote", short_help="Check and price a workbook; change nothing.",
    as_of="The run date the estimate is made on (default: today).",
    epilog=examples("seatbatch quote acme-add.xlsx --partner P-ACME",
                    "seatbatch quote acme-add.xlsx --partner P-ACME --as-of 2026-11-24"))
def quote_command(ctx: click.Context, workbook: Path, partner_id: str) -> int:
    """Check WORKBOOK and price it as process would, and write the estimate (quote.html,
    quote.xlsx) in a new run folder. Records nothing and takes no invoice number. A rejected
    workbook comes back as rejected.xlsx with each problem marked (exit 1)."""
    from seatbatch.jobs.quote import quote

    settings = _settings(ctx)
    return _report(quote(settings, workbook, _partner(ctx, settings, partner_id)))


@workbook_command(
    "process", short_help="Issue the invoices of a workbook.",
    as_of="The run date: the invoices' date (default: today).",
    epilog=examples("seatbatch process acme-add.xlsx --partner P-ACME",
                    "seatbatch process acme-add.xlsx --partner P-ACME --as-of 2026-11-24"))
def process_command(ctx: click.Context, workbook: Path, partner_id: str) -> int:
    """Check WORKBOOK, price it, record it in the ledger and issue its numbered invoices:
    a new run folder with invoices/ and summary.html. All or nothing: a rejected workbook
    commits nothing and comes back as rejected.xlsx with each problem marked (exit 1).
    Processing the same lines again issues nothing twice."""
    from seatbatch.jobs.process import process

    settings = _settings(ctx)
    return _report(process(settings, workbook, _partner(ctx, settings, partner_id)))


def _month(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        parsed = datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month like 2026-11") from None
    if not FIRST_RUN_DATE.year <= parsed.year <= LAST_RUN_DATE.year:
        raise click.BadParameter(f"{value} is outside the months of the {RUN_DATES}")
    return parsed.year, parsed.month


@cli.command("renew", short_help="Invoice the renewals of the terms ending in a month.",
             epilog=examples("seatbatch renew --month 2026-12",
                             "seatbatch renew --month 2026-12 --as-of 2026-11-30   "
                             "# a month ahead"))
@click.option("--month", required=True, callback=_month, metavar="YYYY-MM",
              help="Renew every subscription term whose last day falls in this month (at "
              "most the month after the run date's).")
@common_options(as_of="The run date: the invoices' date (default: today).")
@click.pass_context
def renew_command(ctx: click.Context, month: tuple[int, int]) -> int:
    """Issue renewal invoices, for every partner, for the subscription terms whose last day
    falls in --month: the next term, of the same length, for the seats in force on the
    term's last day less those a reduce removed, on the PO a po line set, priced by the
    price list and partner discount in effect when it starts. A cancelled subscription, or
    one left with no seat, is not renewed (the summary lists it). Running it again issues
    nothing twice."""
    from seatbatch.jobs.renew import renew

    return _report(renew(_settings(ctx), *month))


@cli.command("report", short_help="Finance's month end: invoices, revenue, journal.",
             epilog=examples("seatbatch report --month 2026-11",
                             "seatbatch report --month 2026-11 --config /etc/seatbatch.toml"))
@click.option("--month", required=True, callback=_month, metavar="YYYY-MM",
              help="The month whose documents, revenue and month-end seats to report.")
@common_options(as_of="The report's date (default: today).")
@click.pass_context
def report_command(ctx: click.Context, month: tuple[int, int]) -> int:
    """Finance's month end, over every partner: report.xlsx and report.html with the
    invoices and credit notes dated in --month, totals per currency by partner, customer
    and device type, the revenue recognised in the month and deferred at its end (by the
    year it will be earned), the seats in force at its end, the renewals and notice
    deadlines of the month after, and whether the numbering has gaps; and journal.csv,
    the month's entries for the general ledger. Reads the ledger only."""
    from seatbatch.jobs.report import month_report

    return _report(month_report(_settings(ctx), *month))


@cli.command("render", short_help="Write an issued invoice's files again.",
             epilog=examples("seatbatch render INV-2026-000005"))
@click.argument("number")
@common_options(unused=("as_of",))
@click.pass_context
def render_command(ctx: click.Context, number: str) -> int:
    """Write the files of issued invoice (or credit note) NUMBER again, from the ledger
    alone, in a new run folder: the same content as when it was issued."""
    from seatbatch.jobs.render import render_invoice

    return _report(render_invoice(_settings(ctx), number))


class CreditedLine(click.ParamType[tuple[str, int | None], Any]):
    """--line ORDER_ID[=SEATS]: an invoice line, and the seats of it to credit (all of them
    when none are given)."""

    name = "ORDER_ID[=SEATS]"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[str, int | None]:
        if isinstance(value, tuple):
            return value
        text = str(value)
        line_id, equals, seats = text.rpartition("=")
        if not equals or not seats.strip().isdigit():
            line_id, seats = text, ""
        if not line_id.strip():
            self.fail(f"{text!r} names no line: give ORDER_ID or ORDER_ID=SEATS", param, ctx)
        if not seats:
            return line_id.strip(), None
        if int(seats) < 1:
            self.fail(f"{text!r}: the seats to credit are a whole number, at least 1", param,
                      ctx)
        return line_id.strip(), int(seats)


@cli.command("credit", short_help="Issue a credit note against an invoice.",
             epilog=examples(
                 'seatbatch credit INV-2026-000003 --reason "Ordered twice"',
                 'seatbatch credit INV-2026-000003 --reason "Returned" \\',
                 "    --line L2=2 --from 2026-12-01   # 2 seats of line L2, from 1 December"))
@click.argument("number")
@click.option("--reason", required=True, help="Why the invoice is credited (printed on the "
              "credit note).")
@click.option("--line", "lines", type=CreditedLine(), multiple=True,
              help="A line to credit, by its order id (a renewal line by its place on the "
              "invoice): what is left of it, or =SEATS of it; repeatable. Default: every "
              "line, what is left of it.")
@click.option("--from", "first_day", type=RunDate(), default=None,
              help="The first day credited (default: each line's first day).")
@common_options(as_of="The run date: the credit note's date (default: today).")
@click.pass_context
def credit_command(ctx: click.Context, number: str, reason: str,
                   lines: tuple[tuple[str, int | None], ...], first_day: date | None) -> int:
    """Issue a credit note against issued invoice NUMBER: all of it, or the seats of the
    lines given with --line, from --from on. Numbered in its own series; what earlier credit
    notes took of the invoice is never credited again."""
    from seatbatch.billing.credits import CreditRequest
    from seatbatch.jobs.credit import credit

    return _report(credit(_settings(ctx), CreditRequest(number, reason, lines, first_day)))


@cli.command("inbox", short_help="Process every workbook waiting in a folder (cron).",
             epilog=examples("seatbatch inbox /srv/orders",
                             "*/10 * * * * seatbatch inbox /srv/orders   # a crontab line"))
@click.argument("directory", metavar="DIR",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@common_options(as_of="The run date: the invoices' date (default: today).")
@click.pass_context
def inbox_command(ctx: click.Context, directory: Path) -> int:
    """Process every workbook waiting in DIR/<partner-id>/, one folder per partner, as
    process does, and file each in that folder's done/ or rejected/. Made to run unattended:
    a workbook the ledger was too busy for waits for the next run."""
    from seatbatch.jobs.inbox import inbox

    outcome = inbox(_settings(ctx), directory, echo)
    if not outcome.lines and on_terminal():  # under cron, an idle run says nothing
        echo("seatbatch inbox: nothing waiting", err=True)
    return _report(outcome)


@cli.group("ledger", cls=Commands, short_help="Copy or upgrade a ledger.")
@common_options(unused=COMMON)
def ledger_group() -> None:
    """Work on a ledger as a whole."""


@ledger_group.command(
    "copy", short_help="Copy a ledger into an empty database.",
    epilog=examples("seatbatch ledger copy seatbatch.db postgresql://db.example.com/seatbatch"))
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@common_options(unused=COMMON)
@click.pass_context
def ledger_copy_command(ctx: click.Context, source: str, target: str) -> int:
    """Copy the ledger FROM into TO, an empty database, and check the copy. Each is a SQLite
    file or a postgresql:// URL (TO: a file that does not exist yet, or a database without
    tables)."""
    from seatbatch.jobs.ledger_copy import copy

    ctx.find_root().meta["seatbatch.urls"] = [source, target]
    return _report(copy(source, target))


@ledger_group.command(
    "upgrade", short_help="Bring a ledger to this version's schema.",
    epilog=examples("seatbatch ledger upgrade --config /etc/seatbatch.toml",
                    "seatbatch ledger upgrade --ledger postgresql://db.example.com/seatbatch"))
@common_options(unused=("as_of", "out"))
@click.pass_context
def ledger_upgrade_command(ctx: click.Context) -> int:
    """Bring the ledger (--ledger, else the configuration's) to this seatbatch's schema
    version; a ledger already there is left as it is. Commands that only read (quote, report,
    render, template) never upgrade it."""
    from seatbatch.jobs.ledger_upgrade import upgrade

    return _report(upgrade(_settings(ctx)))


def _close_engines() -> None:
    """The ledger engines a command opened, closed as it ends (a command that opened none
    never imports SQLAlchemy for it)."""
    engine = sys.modules.get("seatbatch.ledger.engine")
    if engine is not None:
        engine.close_engines()


def run(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code; never lets a traceback out."""
    meta: dict[str, Any] = {}
    try:
        with cli.make_context("seatbatch", list(sys.argv[1:] if argv is None else argv)) as ctx:
            meta = ctx.meta
            result = cli.invoke(ctx)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        show_click_error(error)
        return EXIT_USAGE
    except click.exceptions.Abort:  # Click's own Ctrl-C, at a prompt
        return _report(_failed(KeyboardInterrupt(), meta))
    except (KeyboardInterrupt, Exception) as error:  # noqa: BLE001  each failure to its exit code, a bug logged
        return _report(_failed(error, meta))


def _failed(error: BaseException, meta: dict[str, Any]) -> Outcome:
    """What stopped the command, as jobs map it; a bug's traceback kept in a log."""
    settings = meta.get("seatbatch.settings")
    known = failure(error) or unforeseen(error, settings.ledger_url if settings else None,
                                         meta.get("seatbatch.urls", ()))
    return known.outcome()


def _unraisable(hook: Any) -> None:
    """A full disk's error raised again as a half-written file is collected (a zip file that
    a writer left open) was already reported once, as exit 75: not again, as a traceback."""
    if hook.exc_value is None or not no_space(hook.exc_value):
        sys.__unraisablehook__(hook)


def main() -> None:
    signal.signal(signal.SIGTERM, terminate)
    sys.unraisablehook = _unraisable
    # A run allocates millions of small objects and almost no reference cycles: collecting
    # rarely (and never over what start-up imported) saves a tenth of a large run's time.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    leave(run())


def leave(code: int) -> NoReturn:
    """End the process with `code` once what it printed is out, without tearing the interpreter
    down: by now every file is closed, every worker stopped and every ledger connection closed,
    and an orderly teardown would only free, one by one, the millions of objects a large run
    made and the libraries it imported (a tenth of a second or more, on every run)."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed or broken pipe: nothing more to say
            stream.flush()
    os._exit(code)


__all__ = ["cli", "main", "run"]
