"""Append benchmark: our application service against the bare library and raw inserts.

Measured in one run, on an SQLite file and on PostgreSQL (`make bench`):

* ours, single: `AssessmentLedger.record_deduction`, one command per transaction. Each command
  loads the staff member, checks the clerk's role (organisation), the catalogue item and the
  membership, and saves two events: DeductionRecorded on the staff stream and the incident index
  record (a new Incident stream).
* bare, single: a plain `eventsourcing` Application (library recorders, default mapper and
  transcoder, uuid ids) that per command loads an aggregate with the same number of prior events,
  appends one event whose stored state is as long as our DeductionRecorded and saves it
  ("bare-1ev"); and the same command also creating a new small aggregate as long as our incident
  record in the same save ("bare-2ev": the same work in events, the one the ratio uses).
* raw: sqlite3 / psycopg inserts of rows of the same shape and sizes into a table like the
  library's (PK on originator_id, originator_version; notification id), one row per commit, and
  one executemany of a whole batch's rows per commit.
* the bulk path: ours `with ledger.batch():` of 100 deductions on 100 staff members, against the
  bare library saving the same batches (`app.save(*aggregates)`: 100 loaded aggregates appending
  one event each, plus 100 new index aggregates for bare-2ev).

Ours runs as the application configures itself (its aggregate cache included); the bare
application runs with the library's defaults (no cache). Setup (catalogue, organisation, unit,
staff) is not timed; only commands and saves are, after a few untimed warm-up commands.

Method (the machine may be shared with other work): in each round, each (store, path) gets fresh
SQLite files or PostgreSQL databases, one per configuration, all set up side by side; the timed
work is then cut into slices and the configurations take turns slice by slice (the order
rotating), so ours and the bare library are timed under the same background load. The table
reports medians over the rounds; the ratio is the median of the per-round ratios ours/bare-2ev.
Compare the ratios, not the absolute figures.

    .venv/bin/python bench/append.py [--quick] [--rounds R] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from ledger.aggregates.incident import Incident
from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import CENTER_TIMEZONE, SettableClock
from ledger.settings import Settings
from ledger.values import OPERATOR, Actor, DeductionSource, Role, StaffCategory, UnitKind

TARGET = 0.8
EVENTS_PER_COMMAND = 2
NOW = datetime(2025, 3, 10, 9, 30, tzinfo=CENTER_TIMEZONE)
OCCURRED_ON = date(2025, 3, 3)
CLERK = Actor("C001", Role.SUPERVISION_CLERK)
STORES = ("sqlite", "postgres")
STORE_NAMES = {"sqlite": "SQLite file", "postgres": "PostgreSQL"}
PATHS = ("single", "batch")
KINDS = ("ours", "bare2", "bare1", "raw")
"""ours: our application; bare2/bare1: the bare library with/without the index aggregate."""


@dataclass(frozen=True)
class Workload:
    """How much each configuration does; the same for ours and its bare mirrors."""

    staff: int
    """Staff members (aggregates) written to: commands go round-robin over them."""
    batch: int
    """Commands per transaction on the bulk path (one per staff member)."""
    single: dict[str, int]
    """Timed single commands per store (ours and bare)."""
    batches: dict[str, int]
    """Timed batches per store (ours, bare and raw)."""
    raw_rows: dict[str, int]
    """Timed one-row commits per store."""
    slices: int
    """Turns each configuration takes within a round."""
    warmup: int = 3
    """Untimed commands (or batches) before the clock starts."""


FULL = Workload(
    staff=100,
    batch=100,
    single={"sqlite": 600, "postgres": 400},
    batches={"sqlite": 8, "postgres": 8},
    raw_rows={"sqlite": 2000, "postgres": 1000},
    slices=8,
)
QUICK = Workload(
    staff=20,
    batch=20,
    single={"sqlite": 60, "postgres": 40},
    batches={"sqlite": 3, "postgres": 3},
    raw_rows={"sqlite": 200, "postgres": 100},
    slices=3,
    warmup=1,
)


@dataclass(frozen=True)
class Sizes:
    """The stored sizes of our events, which the bare and raw rows reproduce."""

    registered: int
    assigned: int
    deduction: int
    incident: int
    catalogue_events: int
    organisation_events: int


@dataclass
class Measurement:
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """CPU time of this process (not of the PostgreSQL server) while timed."""
    commands: int = 0
    events: int = 0

    @property
    def commands_per_second(self) -> float:
        return self.commands / self.seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_per_command(self) -> float:
        return self.cpu_seconds / self.commands


class Runner(Protocol):
    """One configuration, set up on its own store; `step` is one transaction."""

    steps: int
    """Timed steps."""
    commands_per_step: int
    events_per_step: int

    def step(self) -> None: ...

    def written(self) -> int:
        """Events (rows) in the store, to check the count."""
        ...

    def close(self) -> None: ...


# Stores: a fresh SQLite file or PostgreSQL database per configuration and round


@dataclass
class Store:
    kind: str
    pg_dsn: str
    workdir: Path
    counter: int = 0

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """Yield the URL of an empty store, removed afterwards."""
        self.counter += 1
        if self.kind == "sqlite":
            path = self.workdir / f"bench_{self.counter}.sqlite3"
            try:
                yield f"sqlite:///{path}"
            finally:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        name = f"bench_ledger_{os.getpid()}_{self.counter}"
        with psycopg.connect(self.pg_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            info = psycopg.conninfo.conninfo_to_dict(self.pg_dsn)
            user, host = info.get("user", "postgres"), info.get("host", "127.0.0.1")
            yield f"postgresql://{user}@{host}:{info.get('port', 5432)}/{name}"
        finally:
            with psycopg.connect(self.pg_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ours_env(url: str) -> dict[str, str]:
    return Settings(database_url=url).eventsourcing_env()


def bare_env(url: str) -> dict[str, str]:
    """The same settings as ours, with the library's own recorders."""
    env = ours_env(url)
    sqlite = env["PERSISTENCE_MODULE"].endswith("SQLiteFactory")
    env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite" if sqlite else "eventsourcing.postgres"
    return env


# Ours


def staff_number(index: int) -> str:
    return f"S{index:04d}"


def incident_ref(index: int) -> str:
    return f"INC-{index:08d}"


def evidence_ref(index: int) -> str:
    return f"evidence/photo-{index:08d}"


def seed_ledger(ledger: AssessmentLedger, staff: int) -> None:
    """The reference data and staff the commands need (not timed): one catalogue, an
    organisation with a few branches, appointments and grants, a window, the staff."""
    op = OPERATOR
    officials = ["PB1", "PB2", "PB3", "L01", "L02", "L03", "M01", "M02", "C002", CLERK.person_id]
    with ledger.batch():
        ledger.publish_catalogue(op, shipped_catalogue(), date(2009, 2, 1), "initial")
        for person in officials:
            ledger.register_staff(
                op, person, "李四", StaffCategory.CIVIL_SERVANT, "Center", date(2025, 1, 1)
            )
        for branch in ("B1", "B2", "B3"):
            ledger.form_party_branch(op, branch, f"Branch {branch}", date(2025, 1, 1))
            ledger.appoint_branch_secretary(op, branch, f"P{branch}", date(2025, 1, 1))
        for person in ("L01", "L02", "L03"):
            ledger.appoint_leading_group_member(op, person, date(2025, 1, 1))
        for person in ("M01", "M02"):
            ledger.appoint_committee_member(op, person, date(2025, 1, 1))
        for person in ("C002", CLERK.person_id):
            ledger.grant_role(op, person, Role.SUPERVISION_CLERK, date(2025, 1, 1))
        ledger.open_unit(op, "W01", "Tax", UnitKind.WINDOW, "Tax bureau", "B1", date(2025, 1, 1))
        for index in range(staff):
            number = staff_number(index)
            ledger.register_staff(
                op, number, "张三", StaffCategory.CIVIL_SERVANT, "Tax bureau", date(2025, 1, 1)
            )
            ledger.assign_staff(op, number, "W01", date(2025, 1, 2))


def record(ledger: AssessmentLedger, index: int, staff: int) -> None:
    ledger.record_deduction(
        CLERK,
        staff_number(index % staff),
        "ATT-01",
        OCCURRED_ON,
        incident_ref(index),
        evidence_ref(index),
        DeductionSource.SUPERVISION_INSPECTION,
    )


class Ours:
    """record_deduction, one command per transaction or `batch` commands per `ledger.batch()`."""

    def __init__(self, url: str, workload: Workload, store: str, path: str) -> None:
        self.ledger = AssessmentLedger(env=ours_env(url), clock=SettableClock(NOW))
        seed_ledger(self.ledger, workload.staff)
        self.staff = workload.staff
        self.counter = 0
        self.commands_per_step = 1 if path == "single" else workload.batch
        self.events_per_step = self.commands_per_step * EVENTS_PER_COMMAND
        self.steps = workload.single[store] if path == "single" else workload.batches[store]

    def command(self) -> None:
        self.counter += 1
        record(self.ledger, self.counter, self.staff)

    def step(self) -> None:
        if self.commands_per_step == 1:
            self.command()
            return
        with self.ledger.batch():
            for _ in range(self.commands_per_step):
                self.command()

    def written(self) -> int:
        return self.ledger.head_position()

    def close(self) -> None:
        self.ledger.close()


# Bare library


class Member(Aggregate):
    """Stands for a staff member: created, one more event, then one event per command."""

    def __init__(self, payload: str) -> None:
        self.entries = 0

    @event("Noted", topic="bench.member.Noted.v1")
    def note(self, payload: str) -> None:
        self.entries += 1

    @event("DeductionRecorded", topic="bench.member.DeductionRecorded.v1")
    def record(self, payload: str) -> None:
        self.entries += 1


class IndexEntry(Aggregate):
    """Stands for the incident index record created by each command."""

    @event("FirstEntryRecorded", topic="bench.incident.FirstEntryRecorded.v1")
    def __init__(self, payload: str) -> None:
        self.payload_length = len(payload)


@dataclass(frozen=True)
class Padding:
    """Payload lengths that make the bare events' stored states as long as ours."""

    created: int
    noted: int
    recorded: int
    index: int


def bare_padding(sizes: Sizes) -> Padding:
    app = Application[uuid.UUID](env={"PERSISTENCE_MODULE": "eventsourcing.popo"})

    def stored_length(aggregate: Aggregate) -> int:
        events = aggregate.collect_events()
        return len(app.mapper.to_stored_event(events[-1]).state)

    member = Member(payload="")
    created = stored_length(member)
    member.note(payload="")
    noted = stored_length(member)
    member.record(payload="")
    recorded = stored_length(member)
    index = stored_length(IndexEntry(payload=""))
    app.close()
    return Padding(
        created=sizes.registered - created,
        noted=sizes.assigned - noted,
        recorded=sizes.deduction - recorded,
        index=sizes.incident - index,
    )


class Bare:
    """The same commands on a plain Application: load, append one event (and create the index
    aggregate if `with_index`), save; one command per save or `batch` commands per save."""

    def __init__(
        self,
        url: str,
        workload: Workload,
        store: str,
        path: str,
        padding: Padding,
        *,
        with_index: bool,
    ) -> None:
        self.app = Application[uuid.UUID](env=bare_env(url))
        members = []
        for _ in range(workload.staff):
            member = Member(payload="x" * padding.created)
            member.note(payload="x" * padding.noted)
            members.append(member)
        self.app.save(*members)
        self.ids = [member.id for member in members]
        self.recorded = "y" * padding.recorded
        self.index_payload = "z" * padding.index if with_index else None
        self.counter = 0
        self.commands_per_step = 1 if path == "single" else workload.batch
        self.events_per_step = self.commands_per_step * (2 if with_index else 1)
        self.steps = workload.single[store] if path == "single" else workload.batches[store]

    def command(self) -> list[Aggregate]:
        self.counter += 1
        member: Member = self.app.repository.get(self.ids[self.counter % len(self.ids)])
        member.record(payload=self.recorded)
        if self.index_payload is None:
            return [member]
        return [member, IndexEntry(payload=self.index_payload)]

    def step(self) -> None:
        changed: list[Aggregate] = []
        for _ in range(self.commands_per_step):
            changed.extend(self.command())
        self.app.save(*changed)

    def written(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def close(self) -> None:
        self.app.close()


# Raw inserts

Row = tuple[uuid.UUID, int, str, bytes]


def raw_rows(sizes: Sizes, count: int) -> list[Row]:
    """Rows alternating our two event shapes: a deduction on an existing stream, a new index."""
    rows = []
    for index in range(count):
        if index % 2 == 0:
            rows.append(
                (uuid.uuid4(), 3, "ledger.staff.DeductionRecorded.v1", b"d" * sizes.deduction)
            )
        else:
            rows.append(
                (uuid.uuid4(), 1, "ledger.incident.FirstEntryRecorded.v1", b"i" * sizes.incident)
            )
    return rows


class Raw:
    """Rows of the same shape and sizes in a table like the library's: one row per commit
    (single) or one executemany of a batch's events per commit (batch)."""

    def __init__(self, url: str, workload: Workload, store: str, path: str, sizes: Sizes) -> None:
        self.commands_per_step = self.events_per_step = (
            1 if path == "single" else workload.batch * EVENTS_PER_COMMAND
        )
        self.steps = workload.raw_rows[store] if path == "single" else workload.batches[store]
        rows = raw_rows(sizes, self.events_per_step * (self.steps + workload.warmup))
        size = self.events_per_step
        self.chunks = iter([rows[i : i + size] for i in range(0, len(rows), size)])
        self.sqlite: sqlite3.Connection | None = None
        self.postgres: psycopg.Connection[Any] | None = None
        if store == "sqlite":
            # The library's SQLite table and connection: rowid = notification id, WAL,
            # autocommit mode with explicit transactions.
            self.sqlite = sqlite3.connect(
                Settings(database_url=url).sqlite_path,
                isolation_level=None,
                check_same_thread=False,
            )
            self.sqlite.execute("PRAGMA journal_mode=WAL")
            self.sqlite.execute(
                "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
                "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
            )
        else:
            # The library's PostgreSQL table: bigserial notification id with a unique index.
            self.postgres = psycopg.connect(url)
            self.postgres.execute(
                "CREATE TABLE stored_events (originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, topic text, state bytea, "
                "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
            )
            self.postgres.execute("CREATE UNIQUE INDEX ON stored_events (notification_id)")
            self.postgres.commit()

    def step(self) -> None:
        chunk = next(self.chunks)
        if self.sqlite is not None:
            statement = "INSERT INTO stored_events VALUES (?,?,?,?)"
            self.sqlite.execute("BEGIN")
            if len(chunk) == 1:
                row = chunk[0]
                self.sqlite.execute(statement, (row[0].hex, row[1], row[2], row[3]))
            else:
                self.sqlite.executemany(statement, [(r[0].hex, r[1], r[2], r[3]) for r in chunk])
            self.sqlite.execute("COMMIT")
            return
        assert self.postgres is not None
        statement = (
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)"
        )
        with self.postgres.cursor() as curs:
            if len(chunk) == 1:
                curs.execute(statement, chunk[0], prepare=True)
            else:
                curs.executemany(statement, chunk)
        self.postgres.commit()

    def written(self) -> int:
        if self.sqlite is not None:
            return int(self.sqlite.execute("SELECT count(*) FROM stored_events").fetchone()[0])
        assert self.postgres is not None
        row = self.postgres.execute("SELECT count(*) FROM stored_events").fetchone()
        self.postgres.commit()
        return int(row[0]) if row else 0

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        if self.postgres is not None:
            self.postgres.close()


# Sizes of our events, probed on the in-memory store


def probe_sizes() -> Sizes:
    ledger = AssessmentLedger(env=ours_env("memory://"), clock=SettableClock(NOW))
    seed_ledger(ledger, 1)
    record(ledger, 1, 1)
    recorder = ledger.ledger_recorder
    staff = recorder.select_stream(ledger.staff_stream(staff_number(0)))
    incident = recorder.select_stream(Incident.create_id(incident_ref(1)))
    organisation = ledger.organisation()
    assert organisation is not None
    sizes = Sizes(
        registered=len(staff[0].state),
        assigned=len(staff[1].state),
        deduction=len(staff[2].state),
        incident=len(incident[0].state),
        catalogue_events=ledger.catalogue().version,
        organisation_events=organisation.version,
    )
    ledger.close()
    return sizes


# The run


def rotated(items: Sequence[Any], number: int) -> list[Any]:
    shift = number % len(items)
    return [*items[shift:], *items[:shift]]


def measure_group(
    store: Store, path: str, workload: Workload, sizes: Sizes, padding: Padding, number: int
) -> dict[str, Measurement]:
    """One round of one (store, path): all configurations set up side by side, then timed in
    turns, slice by slice."""
    with ExitStack() as stack:
        runners: dict[str, Runner] = {}
        for kind in KINDS:
            url = stack.enter_context(store.fresh())
            runner: Runner
            if kind == "ours":
                runner = Ours(url, workload, store.kind, path)
            elif kind == "raw":
                runner = Raw(url, workload, store.kind, path, sizes)
            else:
                runner = Bare(url, workload, store.kind, path, padding, with_index=kind == "bare2")
            stack.callback(runner.close)
            runners[kind] = runner
        for runner in runners.values():
            for _ in range(workload.warmup):
                runner.step()
        heads = {kind: runner.written() for kind, runner in runners.items()}
        results = {kind: Measurement() for kind in KINDS}
        done = dict.fromkeys(KINDS, 0)
        gc.collect()
        for turn in range(workload.slices):
            for kind in rotated(KINDS, number + turn):
                runner = runners[kind]
                steps = -(-runner.steps * (turn + 1) // workload.slices) - done[kind]
                start, cpu = time.perf_counter(), time.thread_time()
                for _ in range(steps):
                    runner.step()
                result = results[kind]
                result.seconds += time.perf_counter() - start
                result.cpu_seconds += time.thread_time() - cpu
                result.commands += steps * runner.commands_per_step
                result.events += steps * runner.events_per_step
                done[kind] += steps
        for kind, runner in runners.items():
            written = runner.written() - heads[kind]
            assert written == results[kind].events, (kind, written, results[kind].events)
        return results


@dataclass
class Results:
    by_key: dict[tuple[str, str, str], list[Measurement]] = field(default_factory=dict)

    def add(self, store: str, path: str, kind: str, measurement: Measurement) -> None:
        self.by_key.setdefault((store, path, kind), []).append(measurement)

    def get(self, store: str, path: str, kind: str) -> list[Measurement]:
        return self.by_key.get((store, path, kind), [])


def postgres_available(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return True
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable ({error}); measuring SQLite only", file=sys.stderr)
        return False


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def path_label(path: str, workload: Workload) -> str:
    return "single, 1 cmd/tx" if path == "single" else f"batch, {workload.batch} cmd/tx"


def report(results: Results, stores: Sequence[str], workload: Workload) -> list[str]:
    header = (
        f"{'store':<12} {'path':<20} {'ours cmd/s':>10} {'ours ev/s':>10} {'bare ev/s':>10} "
        f"{'ours/bare':>9} {'(min-max)':>11} {'bare-1ev ev/s':>13} {'cmd ratio':>9} "
        f"{'raw ev/s':>9}"
    )
    lines = [header, "-" * len(header)]
    verdicts = []
    for store in stores:
        for path in PATHS:
            ours, bare2, bare1, raw = (results.get(store, path, kind) for kind in KINDS)
            if not ours:
                continue
            ratios = [
                o.events_per_second / b.events_per_second for o, b in zip(ours, bare2, strict=True)
            ]
            command_ratios = [
                o.commands_per_second / b.commands_per_second
                for o, b in zip(ours, bare1, strict=True)
            ]
            ratio = median(ratios)
            label = path_label(path, workload)
            lines.append(
                f"{STORE_NAMES[store]:<12} {label:<20} "
                f"{median([m.commands_per_second for m in ours]):>10,.0f} "
                f"{median([m.events_per_second for m in ours]):>10,.0f} "
                f"{median([m.events_per_second for m in bare2]):>10,.0f} "
                f"{ratio:>9.2f} {f'{min(ratios):.2f}-{max(ratios):.2f}':>11} "
                f"{median([m.events_per_second for m in bare1]):>13,.0f} "
                f"{median(command_ratios):>9.2f} "
                f"{median([m.events_per_second for m in raw]):>9,.0f}"
            )
            verdict = "PASS" if ratio >= TARGET else "MISS"
            verdicts.append(f"  {STORE_NAMES[store]}, {label}: {ratio:.2f}x  {verdict}")
    lines.append("")
    lines.append(f"target: >= {TARGET}x the bare library doing the same work, on each store")
    lines.extend(verdicts)
    lines.append("")
    lines.append(
        "CPU time of this process per command, µs (medians; the PostgreSQL server's time and "
        "waiting for I/O are not in it):"
    )
    lines.append(
        f"{'store':<12} {'path':<20} {'ours':>8} {'bare-2ev':>9} {'bare-1ev':>9} "
        f"{'ours - bare-2ev':>16}"
    )
    for store in stores:
        for path in PATHS:
            cpu = {
                kind: median([m.cpu_per_command * 1e6 for m in results.get(store, path, kind)])
                for kind in ("ours", "bare2", "bare1")
            }
            lines.append(
                f"{STORE_NAMES[store]:<12} {path_label(path, workload):<20} {cpu['ours']:>8,.0f} "
                f"{cpu['bare2']:>9,.0f} {cpu['bare1']:>9,.0f} {cpu['ours'] - cpu['bare2']:>16,.0f}"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small N, one round (smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 7, quick 1)")
    parser.add_argument(
        "--stores", default=",".join(STORES), help="comma-separated: sqlite,postgres"
    )
    parser.add_argument(
        "--pg-dsn",
        default=os.environ.get("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres"),
        help="PostgreSQL server to create the benchmark databases on",
    )
    args = parser.parse_args(argv)
    workload = QUICK if args.quick else FULL
    rounds = args.rounds or (1 if args.quick else 7)
    stores = [s for s in args.stores.split(",") if s]
    for name in stores:
        if name not in STORES:
            parser.error(f"unknown store {name!r}")
    if "postgres" in stores and not postgres_available(f"{args.pg_dsn} dbname=postgres"):
        stores.remove("postgres")

    sizes = probe_sizes()
    padding = bare_padding(sizes)
    started = time.perf_counter()
    results = Results()
    groups = [(store, path) for path in PATHS for store in stores]
    with tempfile.TemporaryDirectory(prefix="bench_ledger_") as workdir:
        backends = {
            kind: Store(kind, f"{args.pg_dsn} dbname=postgres", Path(workdir)) for kind in stores
        }
        for number in range(rounds):
            for store, path in rotated(groups, number):
                measured = measure_group(backends[store], path, workload, sizes, padding, number)
                for kind, measurement in measured.items():
                    results.add(store, path, kind, measurement)
            print(
                f"round {number + 1}/{rounds} done ({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
            )
    elapsed = time.perf_counter() - started
    cache_size = AssessmentLedger.env.get("AGGREGATE_CACHE_MAXSIZE", "unset")

    print(
        f"Append benchmark: medians of {rounds} round(s); per round a fresh store per "
        f"configuration, configurations timed in {workload.slices} alternating slices "
        f"({elapsed:.0f} s)."
    )
    print(
        f"Workload: record_deduction = {EVENTS_PER_COMMAND} events per command (DeductionRecorded "
        f"{sizes.deduction} B on the staff stream + incident index {sizes.incident} B, a new "
        f"stream); {workload.staff} staff members, commands round-robin, each with 2 prior "
        f"events ({sizes.registered} B, {sizes.assigned} B) plus earlier deductions; the "
        f"catalogue has {sizes.catalogue_events} events, the organisation "
        f"{sizes.organisation_events}. Ours: AGGREGATE_CACHE_MAXSIZE={cache_size}; bare: "
        "library defaults."
    )
    print(
        "Timed per round: "
        + "; ".join(
            f"{STORE_NAMES[s]} {workload.single[s]} single commands, {workload.batches[s]} "
            f"batches of {workload.batch}, {workload.raw_rows[s]} raw one-row commits"
            for s in stores
        )
        + "."
    )
    print()
    for line in report(results, stores, workload):
        print(line)
    print()
    print(
        "ours/bare = median of per-round ratios of events/s against bare-2ev (the bare command "
        "also creates the index aggregate: 2 events per command, the same work). bare-1ev = "
        "the bare command appending only the one event; its 'cmd ratio' compares commands/s "
        "(ours/bare-1ev). raw = rows of the same sizes, one row per commit (single) or one "
        f"executemany of {workload.batch * EVENTS_PER_COMMAND} rows per commit (batch)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
