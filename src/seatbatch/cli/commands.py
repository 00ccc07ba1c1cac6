"""The command line: options, one pipeline call per command, and the one place where failures
become exit codes (0 done, 1 input rejected, 2 usage or configuration, 75 ledger busy)."""

from __future__ import annotations

import gc
import re
import signal
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from seatbatch import __version__
from seatbatch.cli.console import echo, show_click_error
from seatbatch.cli.entry import Terminated, stopped_code, terminate
from seatbatch.core.config import ConfigError, find_config, load_config, resolve_ledger
from seatbatch.core.terms import FIRST_RUN_DATE, LAST_RUN_DATE, RUN_DATES
from seatbatch.jobs import (
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_USAGE,
    InternalError,
    Interrupted,
    NoSpace,
    Outcome,
    Settings,
    UsageError,
    month_report,
    no_space,
    process,
    quote,
    render_invoice,
    renew,
    template,
    where_full,
)
from seatbatch.jobs.inbox import inbox
from seatbatch.ledger import (
    InvoiceDateBackwards,
    Ledger,
    LedgerBusy,
    LedgerError,
    display_url,
    without_password,
)
from seatbatch.ledger.copy import CopyMismatch, copy_ledger
from seatbatch.ledger.engine import close_engines

F = TypeVar("F", bound=Callable[..., Any])
COMMON = ("config", "ledger", "as_of", "out")


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


def common_options(function: F) -> F:
    options = [
        click.option("--config", type=click.Path(dir_okay=False), expose_value=False,
                     callback=_remember, help="seatbatch.toml (default: $SEATBATCH_CONFIG, "
                     "else ./seatbatch.toml)."),
        click.option("--ledger", expose_value=False, callback=_remember,
                     help="The ledger: a SQLite file or a postgresql://user@host/db URL "
                     "(default: $SEATBATCH_LEDGER, else the config's "
                     "`ledger`, else seatbatch.db beside the config)."),
        click.option("--as-of", "as_of", type=RunDate(), expose_value=False,
                     callback=_remember, help="The run date, YYYY-MM-DD (default: today)."),
        click.option("--out", type=click.Path(file_okay=False), expose_value=False,
                     callback=_remember, help="Where run folders go (default: ./seatbatch-out)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _settings(ctx: click.Context) -> Settings:
    meta = ctx.find_root().meta
    config = load_config(find_config(meta.get("seatbatch.config")))
    as_of = meta.get("seatbatch.as_of") or date.today()
    out = Path(meta.get("seatbatch.out") or "seatbatch-out")
    settings = Settings(config, resolve_ledger(config, meta.get("seatbatch.ledger")), as_of, out)
    meta["seatbatch.settings"] = settings
    return settings


def _report(outcome: Outcome) -> int:
    echo(str(outcome.folder))
    if outcome.messages:
        echo(f"seatbatch: input rejected, {len(outcome.messages)} problem(s); "
             "nothing was committed:", err=True)
        for message in outcome.messages:
            echo(f"  {message}", err=True)
    for warning in outcome.warnings:
        echo(f"seatbatch: warning: {warning}", err=True)
    return outcome.exit_code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seatbatch")
@common_options
def cli() -> None:
    """Partner order workbooks in; priced, numbered invoices out."""
    # the ledger connections kept for the command close with it, even run in-process (tests)
    click.get_current_context().call_on_close(close_engines)


def workbook_command(name: str) -> Callable[[Callable[..., int]], click.Command]:
    """A command that takes one partner's order workbook."""

    def decorate(function: Callable[..., int]) -> click.Command:
        wrapped = click.pass_context(common_options(function))
        wrapped = click.option("--partner", "partner_id", required=True,
                               help="The partner id of seatbatch.toml.")(wrapped)
        wrapped = click.argument(
            "workbook", type=click.Path(dir_okay=False, path_type=Path))(wrapped)
        return cli.command(name)(wrapped)

    return decorate


@workbook_command("quote")
def quote_command(ctx: click.Context, workbook: Path, partner_id: str) -> int:
    """Validate and price WORKBOOK; write the estimate. Changes nothing."""
    return _report(quote(_settings(ctx), workbook, partner_id))


@workbook_command("process")
def process_command(ctx: click.Context, workbook: Path, partner_id: str) -> int:
    """Validate, price and commit WORKBOOK; write numbered invoices and a summary."""
    return _report(process(_settings(ctx), workbook, partner_id))


@cli.command("template")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--partner", "partner_id", help="Pre-fill with this partner's customers, "
              "devices and subscriptions from the ledger.")
@common_options
@click.pass_context
def template_command(ctx: click.Context, file: Path, partner_id: str | None) -> int:
    """Write FILE: a blank order workbook with drop-downs and instructions."""
    echo(str(template(_settings(ctx), file, partner_id)))
    return 0


def _month(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        parsed = datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month like 2026-11") from None
    if not FIRST_RUN_DATE.year <= parsed.year <= LAST_RUN_DATE.year:
        raise click.BadParameter(f"{value} is outside the months of the {RUN_DATES}")
    return parsed.year, parsed.month


@cli.command("renew")
@click.option("--month", required=True, callback=_month, metavar="YYYY-MM",
              help="Renew every subscription term whose last day falls in this month.")
@common_options
@click.pass_context
def renew_command(ctx: click.Context, month: tuple[int, int]) -> int:
    """Renewal invoices for the subscription terms that end in --month (all partners)."""
    return _report(renew(_settings(ctx), *month))


@cli.command("report")
@click.option("--month", required=True, callback=_month, metavar="YYYY-MM",
              help="The month whose invoices, totals and month-end seats to report.")
@common_options
@click.pass_context
def report_command(ctx: click.Context, month: tuple[int, int]) -> int:
    """Finance's month-end workbook and HTML (all partners; read-only)."""
    return _report(month_report(_settings(ctx), *month))


@cli.command("render")
@click.argument("number")
@common_options
@click.pass_context
def render_command(ctx: click.Context, number: str) -> int:
    """Write issued invoice NUMBER again from the ledger alone (xlsx and HTML)."""
    return _report(render_invoice(_settings(ctx), number))


@cli.command("inbox")
@click.argument("directory", metavar="DIR",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@common_options
@click.pass_context
def inbox_command(ctx: click.Context, directory: Path) -> int:
    """Process every workbook waiting in DIR/<partner-id>/; file each in done/ or rejected/."""
    return inbox(_settings(ctx), directory)


@cli.group("ledger")
@common_options
def ledger_group() -> None:
    """Work on a ledger as a whole."""


@ledger_group.command("copy")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@common_options
@click.pass_context
def ledger_copy_command(ctx: click.Context, source: str, target: str) -> int:
    """Copy the ledger FROM into TO, an empty database, and check the copy. Each is a SQLite
    file or a postgresql:// URL (TO: a file that does not exist yet, or a database without
    tables)."""
    ctx.find_root().meta["seatbatch.urls"] = [source, target]
    try:
        report = copy_ledger(source, target)
    except CopyMismatch as error:
        echo(f"seatbatch: ledger copy: {error}", err=True)
        return EXIT_INTERNAL
    for line in report.lines():
        echo(line)
    return 0


@ledger_group.command("upgrade")
@common_options
@click.pass_context
def ledger_upgrade_command(ctx: click.Context) -> int:
    """Bring the ledger (--ledger, else the configuration's) to this seatbatch's schema
    version; a ledger already there is left as it is. Commands that only read (quote, report,
    render, template) never upgrade it."""
    url = _settings(ctx).ledger_url
    before, after = Ledger.upgrade(url)
    shown = display_url(url)
    if before == after:
        echo(f"the ledger {shown} is at schema version {after} already: nothing to do")
    else:
        echo(f"upgraded the ledger {shown} from schema version {before} to {after}")
    return 0


def _log_unexpected(meta: dict[str, Any]) -> Path:
    """Keep the traceback of a failure outside any run folder in the ledger's folder (a SQLite
    ledger), else in the current folder."""
    settings = meta.get("seatbatch.settings")
    ledger = Path(settings.ledger_url) if settings and "://" not in settings.ledger_url else None
    folder = ledger.parent if ledger and ledger.parent.is_dir() else Path.cwd()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log = folder / f"seatbatch-error-{stamp}.log"
    log.write_text(_hidden(traceback.format_exc(), meta), encoding="utf-8")
    return log.absolute()


def _hidden(text: str, meta: dict[str, Any]) -> str:
    """Text without the password of any ledger URL the command was given."""
    settings = meta.get("seatbatch.settings")
    for url in [settings.ledger_url if settings else "", *meta.get("seatbatch.urls", ())]:
        text = without_password(text, url)
    return text


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
    except Interrupted as stopped:
        echo(f"seatbatch: {stopped}", err=True)
        return stopped_code(stopped)
    except (KeyboardInterrupt, click.exceptions.Abort) as stopped:
        # stopped outside any run's folder: before a run began, or in a command that commits
        # nothing (a ledger copy commits all or nothing, as a run does)
        how = "terminated" if isinstance(stopped, Terminated) else "interrupted"
        echo(f"seatbatch: {how}; nothing was committed", err=True)
        return stopped_code(stopped)
    except NoSpace as error:
        echo(f"seatbatch: {error}", err=True)
        return EXIT_BUSY
    except ConfigError as error:
        for line in error.lines():
            echo(f"seatbatch: configuration error: {line}", err=True)
        return EXIT_USAGE
    except (UsageError, InvoiceDateBackwards, LedgerError) as error:
        echo(f"seatbatch: {error}", err=True)
        return EXIT_USAGE
    except LedgerBusy as error:
        echo(f"seatbatch: {error}", err=True)
        return EXIT_BUSY
    except InternalError as error:
        echo(f"seatbatch: internal error: {error} (details: {error.log})", err=True)
        return EXIT_INTERNAL
    except Exception as error:
        if no_space(error):  # outside any run: template, ledger copy, before a run's folder
            full = NoSpace(where_full(error, "an output file"), [], Path())
            echo(f"seatbatch: {full}", err=True)
            return EXIT_BUSY
        log = _log_unexpected(meta)
        summary = _hidden(f"{type(error).__name__}: {error}".splitlines()[0][:300], meta)
        echo(f"seatbatch: internal error: {summary} (details: {log})", err=True)
        return EXIT_INTERNAL


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
    sys.exit(run())


__all__ = ["cli", "main", "run"]
