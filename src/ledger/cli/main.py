"""The `ledger` command line: the operator's tools on the server (SPEC section 5, role operator).

    ledger demo                                     seed the 2025 demo (first run only)
    ledger serve                                    serve the API (uvicorn)
    ledger catalogue load FILE --effective-from D --reason TEXT
    ledger calendar load YEAR (--from-package | --file JSON)
    ledger history STAFF_NUMBER [--newest-first] [--limit N]
    ledger project [--batch N]                      keep the figures view current (worker)
    ledger rebuild                                  drop and rebuild the figures view
    ledger verify-store                             recompute every Merkle leaf and the tree

Every command acts as the OPERATOR actor and reads its store from the settings
(LEDGER_DATABASE_URL). A refusal prints one line, `error: <message>`, on stderr: exit status 2
for bad usage or bad input (arguments, files), 1 for a refusal by the ledger or the store. Nothing
is built when the module is imported.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import typer
from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from ledger.accounts import Accounts
from ledger.application import AssessmentLedger
from ledger.catalogue_file import read_catalogue_csv
from ledger.clock import CENTER_TIMEZONE, Clock, SettableClock, parse_as_of, system_clock
from ledger.demo import (
    DEMO_PASSWORD,
    CalendarUnavailable,
    DemoPlan,
    DemoState,
    build_plan,
    count_events,
    demo_logins,
    demo_state,
    event_topics,
    package_calendar,
    procedure_summary,
    seed,
)
from ledger.errors import LedgerError
from ledger.integrity.keys import KeyDirectory, KeyFileError
from ledger.serialisation import MAX_SAFE_INTEGER
from ledger.settings import Settings, get_settings
from ledger.values import OPERATOR, UnitKind

# Typer raises click's exceptions from its own copy of click (typer._click in recent versions):
# reach them through the public typer.BadParameter rather than a private module.
_CLICK_EXCEPTIONS = sys.modules[typer.BadParameter.__module__]
ClickException: type[Exception] = _CLICK_EXCEPTIONS.ClickException


class UsageProblem(Exception):
    """Bad arguments or a bad input file: exit status 2."""


class Refusal(Exception):
    """The request is understood but cannot be done: exit status 1."""


def _fail(message: str, status: int) -> int:
    first_line = " ".join(message.split())
    typer.echo(f"error: {first_line}", err=True)
    return status


def _click_error(error: Any) -> int:
    """Bad usage: one line and click's status (2); a bare group prints its help instead."""
    if type(error).__name__ == "NoArgsIsHelpError":
        typer.echo(error.format_message(), err=True)
        return 2
    context = getattr(error, "ctx", None)
    hint = f" (see '{context.command_path} --help')" if context is not None else ""
    return _fail(error.format_message() + hint, int(error.exit_code))


class LedgerCommands(TyperGroup):
    """The top-level group: turns every refusal into one line on stderr and an exit status."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            status = result if isinstance(result, int) else 0
        except ClickException as error:
            status = _click_error(error)
        except typer.Abort:
            status = _fail("aborted", 1)
        except UsageProblem as error:
            status = _fail(str(error), 2)
        except (Refusal, LedgerError, PersistenceError) as error:
            status = _fail(str(error), 1)
        if not standalone_mode:
            return status
        sys.exit(status)


app = typer.Typer(
    cls=LedgerCommands,
    help="The assessment ledger: the operator's commands on the server.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalogue_app = typer.Typer(help="The deduction catalogue (R-01).")
calendar_app = typer.Typer(help="The statutory calendar, one year at a time.")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(calendar_app, name="calendar")


# Wiring: settings and the store


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        problem = error.errors()[0]
        raise UsageProblem(f"LEDGER_DATABASE_URL: {problem['msg']}") from None


def _where(settings: Settings) -> str:
    """Where the events live, for the operator (no password)."""
    if settings.store == "sqlite":
        return str(settings.sqlite_path.resolve())
    if settings.store == "memory":
        return "memory (gone when the process ends)"
    parts = urlsplit(settings.database_url)
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@contextmanager
def open_ledger(settings: Settings, clock: Clock = system_clock) -> Iterator[AssessmentLedger]:
    """The ledger on the configured store (the SQLite file's directory is created), closed after;
    with the log's key in the key directory, it publishes a checkpoint at every period decision
    and at the year's filing with the higher authority."""
    if settings.store == "sqlite":
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    keys = KeyDirectory(settings.key_dir)
    try:
        signer = keys.signer() if keys.signer_file.exists() else None
    except KeyFileError as error:
        raise UsageProblem(str(error)) from None
    try:
        ledger = AssessmentLedger(
            env=settings.eventsourcing_env(),
            clock=clock,
            checkpoint_signer=signer,
            log_origin=settings.log_origin,
        )
    except PersistenceError as error:
        raise Refusal(f"cannot open the store {_where(settings)}: {error}") from None
    try:
        yield ledger
    finally:
        ledger.close()


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageProblem(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


# ledger demo


@app.command()
def demo() -> None:
    """Seed the store with a realistic center-year of 2025 and its procedures (first run only)."""
    settings = load_settings()
    started = time.perf_counter()
    plan = build_plan()
    clock = SettableClock(plan.commands[0].at)
    where = _where(settings)
    with open_ledger(settings, clock) as ledger:
        state = demo_state(ledger, plan)
        if state is DemoState.SEEDED:
            typer.echo(
                f"demo already seeded: {count_events(ledger)} events "
                f"up to position {ledger.head_position()} ({where})"
            )
            _demo_accounts(ledger, plan)
            return
        if state is DemoState.FOREIGN:
            raise Refusal(
                f"the store {where} already holds other records "
                f"(up to position {ledger.head_position()}); the demo seeds an empty store only"
            )
        if state is DemoState.PARTIAL:
            raise Refusal(
                f"the store {where} holds an interrupted demo seeding "
                f"(up to position {ledger.head_position()}); remove it and run `ledger demo` again"
            )
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        with progress:
            task = progress.add_task("seeding 2025", total=len(plan.commands))
            position = seed(
                ledger, clock, plan, on_progress=lambda done: progress.advance(task, done)
            )
        topics = event_topics(ledger)
        procedures = procedure_summary(ledger, plan, topics)
        _demo_accounts(ledger, plan)
    elapsed = time.perf_counter() - started
    categories = plan.staff_by_category()
    kinds = plan.units_by_kind()
    typer.echo(
        "\n".join(
            [
                f"seeded the 2025 demo in {elapsed:.1f} s",
                f"  staff       {sum(categories.values())} ("
                + ", ".join(f"{category.value} {n}" for category, n in sorted(categories.items()))
                + f"), {plan.count('transfer_staff')} transfers, "
                f"{plan.count('release_staff')} releases",
                f"  units       {sum(kinds.values())} ({kinds[UnitKind.WINDOW]} windows, "
                f"{kinds[UnitKind.OFFICE]} offices), "
                f"{plan.count('form_party_branch')} party branches",
                f"  deductions  {plan.count('record_deduction')} on staff, "
                f"{plan.count('record_window_deduction')} on windows; "
                f"{plan.count('notify_deduction')} notified, "
                f"{topics['ledger.staff.DeductionAmended.v1']} amended, "
                f"{topics['ledger.staff.DeductionRevoked.v1']} revoked",
                f"  veto cases  {plan.count('record_veto_case')} "
                f"({plan.count('revoke_veto_case')} revoked on review)",
                f"  rounds      {plan.count('open_round')} opened, "
                f"{topics['ledger.round.PeriodDecided.v1']} decided",
                *procedures,
                f"  events      {sum(topics.values())} up to position {position}",
                f"  data        {where}",
            ]
        )
    )


def _demo_accounts(ledger: AssessmentLedger, plan: DemoPlan) -> None:
    """Open the demo's login accounts (once) and say how to sign in with them."""
    accounts = Accounts(ledger)
    typer.echo(f"  logins      password {DEMO_PASSWORD!r} (demo data only):")
    for username, person, what in demo_logins(plan):
        if all(account.username != username for account in accounts.all()):
            accounts.create(username, person, DEMO_PASSWORD)
        typer.echo(f"              {username:<9} {person}  {what}")


# ledger serve


@app.command()
def serve() -> None:
    """Serve the API on the configured host and port (LEDGER_HOST, LEDGER_PORT)."""
    import uvicorn

    settings = load_settings()
    uvicorn.run("api.app:create_app", factory=True, host=settings.host, port=settings.port)


# ledger catalogue load


@catalogue_app.command("load")
def catalogue_load(
    file: Annotated[Path, typer.Argument(help="CSV: code,name_zh,name_en,points,unit,...")],
    effective_from: Annotated[str, typer.Option(help="The first day it is in force.")],
    reason: Annotated[str, typer.Option(help="Why this version is published.")],
) -> None:
    """Publish a catalogue version from a CSV in the shipped format."""
    day = _parse_date(effective_from, "--effective-from")
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageProblem(f"cannot read {file}: {error}") from None
    try:
        items = read_catalogue_csv(text)
    except ValueError as error:
        raise UsageProblem(f"{file}: {error}") from None
    with open_ledger(load_settings()) as ledger:
        outcome = ledger.publish_catalogue(OPERATOR, items, day, reason)
    typer.echo(
        f"published catalogue version {outcome.number} ({len(items)} items), "
        f"in force from {day}, at position {outcome.position}"
    )


# ledger calendar load


def _calendar_file(path: Path, year: int) -> tuple[list[date], list[date], str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UsageProblem(f"cannot read {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageProblem(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise UsageProblem(f'{path} must hold {{"holidays": [...], "makeup_workdays": [...]}}')
    try:
        holidays = [date.fromisoformat(day) for day in data["holidays"]]
        makeup = [date.fromisoformat(day) for day in data["makeup_workdays"]]
    except KeyError as error:
        raise UsageProblem(f"{path} has no {error.args[0]!r} list") from None
    except (TypeError, ValueError) as error:
        raise UsageProblem(f"{path}: dates must be YYYY-MM-DD strings ({error})") from None
    source = data.get("source") or f"file {path.name}"
    if not isinstance(source, str):
        raise UsageProblem(f"{path}: source must be a string")
    return holidays, makeup, source


@calendar_app.command("load")
def calendar_load(
    year: Annotated[int, typer.Argument(min=2009, max=2100, help="The year to load.")],
    from_package: Annotated[
        bool, typer.Option("--from-package", help="Take it from the chinese-calendar package.")
    ] = False,
    file: Annotated[
        Path | None,
        typer.Option(help='JSON: {"holidays": [...], "makeup_workdays": [...], "source": "..."}'),
    ] = None,
) -> None:
    """Load a year of the statutory calendar (once per year)."""
    if from_package == (file is not None):
        raise UsageProblem("give either --from-package or --file JSON")
    if file is not None:
        holidays, makeup, source = _calendar_file(file, year)
    else:
        try:
            calendar = package_calendar(year)
        except CalendarUnavailable as error:
            raise Refusal(
                f"{error}; load that year as data: ledger calendar load {year} --file YEAR.json"
            ) from None
        holidays, makeup, source = (
            list(calendar.holidays),
            list(calendar.makeup_workdays),
            calendar.source,
        )
    with open_ledger(load_settings()) as ledger:
        outcome = ledger.load_calendar_year(OPERATOR, year, holidays, makeup, source)
    typer.echo(
        f"loaded the calendar of {year}: {len(holidays)} holidays on weekdays, "
        f"{len(makeup)} make-up working days ({source}), at position {outcome.position}"
    )


# ledger history


_HIDDEN = frozenset({"timestamp", "originator_topic", "actor_id", "actor_role"})


def _local(moment: datetime) -> str:
    return moment.astimezone(CENTER_TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")


@app.command()
def history(
    staff_number: Annotated[str, typer.Argument(help="The staff number, e.g. S0001.")],
    newest_first: Annotated[bool, typer.Option("--newest-first", help="Newest first.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many events.")] = 50,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="As known at a log position (300), a time (2025-04-10T17:30; without an "
            "offset, the center's time) or a day (2025-04-10: as known at its end).",
        ),
    ] = None,
) -> None:
    """Print a staff member's events as a table."""
    try:
        point = None if as_of is None else parse_as_of(as_of, largest_position=MAX_SAFE_INTEGER)
    except ValueError as error:
        raise UsageProblem(f"--as-of: {error}") from None
    with open_ledger(load_settings()) as ledger:
        items = ledger.history(
            ledger.staff_stream(staff_number), limit=limit, newest_first=newest_first, as_of=point
        )
    if not items:
        raise Refusal(f"staff member {staff_number} is not registered")
    table = Table(title=f"{staff_number}: {len(items)} events", title_justify="left")
    for column in ("position", "version", "event", "at (Asia/Shanghai)", "actor", "details"):
        table.add_column(column, overflow="fold")
    for item in items:
        payload = item.payload
        at = payload.get("timestamp")
        actor = f"{payload.get('actor_id', '')} ({payload.get('actor_role', '')})"
        details = ", ".join(
            f"{key}={value}"
            for key, value in payload.items()
            if key not in _HIDDEN and value is not None
        )
        table.add_row(
            str(item.position),
            str(item.version),
            item.event.split(".")[-2] if item.event.count(".") >= 2 else item.event,
            _local(datetime.fromisoformat(at)) if isinstance(at, str) else "",
            actor,
            details,
        )
    Console().print(table)


# ledger project


@app.command()
def project(
    batch: Annotated[
        int, typer.Option(min=1, max=100_000, help="At most this many events per transaction.")
    ] = 1000,
) -> None:
    """Keep the figures view current: on PostgreSQL a worker that waits for new events
    (LISTEN/NOTIFY) until SIGTERM or SIGINT; on SQLite one catch-up (the application projects
    in-process)."""
    import signal

    from ledger.projections.figures import open_figures_view
    from ledger.projections.projector import InProcessProjection, WorkerStop, run_worker

    settings = load_settings()
    if settings.store == "memory":
        raise Refusal("the in-memory store lives in one process: nothing to project from here")
    with open_ledger(settings) as ledger:
        view = open_figures_view(ledger.factory)
        if settings.store == "sqlite":
            position = InProcessProjection(ledger, view).catch_up()
            typer.echo(f"figures caught up to position {position} ({_where(settings)})")
            return
        stop = WorkerStop()
        previous = {
            number: signal.signal(number, lambda *_: stop.set())
            for number in (signal.SIGTERM, signal.SIGINT)
        }
        typer.echo(
            f"projecting figures from position {view.position()} ({_where(settings)})", err=True
        )
        try:
            position = run_worker(ledger, view, stop, batch=batch)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
    typer.echo(f"stopped at position {position}", err=True)


# ledger rebuild


@app.command()
def rebuild(
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=16,
            help="Processes that compute the figures (default: one per core, at most 4, on a "
            "log of 100,000 events or more; else one).",
        ),
    ] = None,
) -> None:
    """Drop the figures view and rebuild it from the whole log, in one transaction."""
    from ledger.projections.figures import open_figures_view
    from ledger.projections.rebuild import rebuild as rebuild_view

    settings = load_settings()
    with open_ledger(settings) as ledger:
        view = open_figures_view(ledger.factory)
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        with progress:
            task = progress.add_task("reading the log", total=ledger.head_position())

            def phase(name: str) -> None:
                progress.update(task, description=name)

            rebuilt = rebuild_view(
                ledger,
                view,
                processes=processes,
                on_fold=lambda position: progress.update(task, completed=position),
                on_phase=phase,
            )
            progress.update(task, completed=rebuilt.position, description="rebuilt")
        checksum = view.checksum()
    typer.echo(
        f"rebuilt {rebuilt.rows} figures of {', '.join(map(str, rebuilt.years)) or 'no year'} "
        f"from {rebuilt.events} events up to position {rebuilt.position} in "
        f"{rebuilt.seconds:.2f} s ({rebuilt.phases()})\n"
        f"  checksum {checksum}"
    )


# ledger verify-store


@app.command("verify-store")
def verify_store_command() -> None:
    """Recompute every Merkle leaf from the stored events and the whole tree; report the first
    inconsistency (which row, which check). Exit status 1 if there is one."""
    from ledger.integrity.store_audit import verify_store

    settings = load_settings()
    with open_ledger(settings) as ledger:
        report = verify_store(ledger)
    typer.echo(
        f"{report.events} events, {report.leaves} leaves, tree size {report.tree_size}, "
        f"root {report.root.hex()} ({report.seconds:.2f} s)"
    )
    if report.problem is not None:
        raise Refusal(f"store inconsistent: {report.problem}")
    typer.echo("ok: " + "; ".join(report.checks))


def main() -> None:
    """The `ledger` entry point."""
    app()
