"""The figures read model: every figure of SPEC 4.2–4.4, stored beside the events (SQLite: the
same file; PostgreSQL: the same database, tables prefixed `ledger_`; memory: dicts in the
process).

Each figure is a `FigureRow`, keyed by (subject kind "staff" / "unit", subject id, period key,
figure name), holding the figure's compact record (`policy.compact_bytes`: rule, threshold and
outcome as the canonical record has them, the trace by event ids: counted, amendments counted
at, left out with the reason), its policy version and its year. The whole trace, with each
event's date, points and why it was left out, is the explanation's (`as_of.explain_figure`),
computed from the log.

They are stored one row per subject and year (`YearRow`: the year's figures packed in key
order), the unit in which the projector replaces them: a rebuild writes about 35 times fewer
rows than figures, and a subject's figures are read in one row a year. A row's figures are
stored compressed (`StoredRow`: LZ4, a tenth of the text): the view compresses them, not the
database, so a rebuild's processes send a tenth of the bytes and the server has nothing to
compress.

The view's position (the last log position processed) lives in the library's tracking table
(`ledger_tracking` / `tracking`, row `ledger.figures.by-year.lz4`) and is written in the same
transaction as the rows, only forwards and only from the position the writer started from, so a
batch is applied exactly once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from time import monotonic
from typing import Any, NamedTuple, cast

import lz4.block
from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from eventsourcing.popo import POPOFactory, POPOTrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresFactory, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteFactory, SQLiteTrackingRecorder
from psycopg.sql import SQL, Composable, Identifier

from ledger.policy import (
    Figure,
    LedgerState,
    PolicyParameters,
    compact_bytes,
    compact_text,
    quiet_figures,
    staff_figures_by_period,
)
from ledger.values import Period

VIEW_NAME = "ledger.figures.by-year.lz4"
"""The view's row in the tracking table (one table serves every view of the ledger's log). A
view of an earlier layout, tracked as "ledger.figures" (a row per figure) or
"ledger.figures.by-year" (uncompressed rows), is not read: its table is dropped and the figures
are built anew (by the projector from the start of the log, or at once by `ledger rebuild`)."""

UNIT_FIGURES = frozenset({"excellent_window", "annual_excellent_window"})
"""The figures whose subject is a unit (a window); every other figure's subject is a person."""

Membership = tuple[str, str]
"""(unit code, staff number): someone assigned to a unit at some time."""

Scope = tuple[str, str, int]
"""(subject kind, subject id, year): the unit in which the projector replaces figures (every
figure of one subject and year, one stored row)."""


class FigureRow(NamedTuple):
    """One figure of the view (a tuple: a rebuild makes millions)."""

    subject_kind: str
    """"staff" or "unit"."""
    subject: str
    period: str
    figure: str
    year: int
    policy_version: str
    record: bytes
    """The compact record: the figure with the ids of the events it was computed from."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.subject_kind, self.subject, self.period, self.figure)


class YearRow(NamedTuple):
    """A subject's figures of one year as the view keeps them (compressed: `stored`): one line
    per figure, in key order, each "period TAB figure TAB policy version TAB record" (a compact
    record is JSON, whose strings escape every control character, so neither TAB nor newline
    occurs in it)."""

    subject_kind: str
    subject: str
    year: int
    figures: bytes

    @property
    def scope(self) -> Scope:
        return (self.subject_kind, self.subject, self.year)

    def stored(self) -> StoredRow:
        """The row as the view stores it."""
        return StoredRow(self.subject_kind, self.subject, self.year, compress(self.figures))

    def unpacked(self) -> list[FigureRow]:
        """The figures of the row, in key order."""
        kind, subject, year = self.subject_kind, self.subject, self.year
        rows = []
        for line in self.figures.split(b"\n"):
            period, figure, version, record = line.split(b"\t", 3)
            rows.append(
                FigureRow(
                    kind, subject, period.decode(), figure.decode(), year, version.decode(), record
                )
            )
        return rows


class StoredRow(NamedTuple):
    """A `YearRow` as the view stores it: its figures compressed (`compress`)."""

    subject_kind: str
    subject: str
    year: int
    figures: bytes
    """The row's figures, compressed."""

    @property
    def scope(self) -> Scope:
        return (self.subject_kind, self.subject, self.year)

    def row(self) -> YearRow:
        """The row it stores."""
        return YearRow(self.subject_kind, self.subject, self.year, decompress(self.figures))

    @classmethod
    def from_row(cls, found: Any) -> StoredRow:
        """A row as a database cursor returns it (by column name)."""
        return cls(
            found["subject_kind"], found["subject"], int(found["year"]), bytes(found["figures"])
        )


def compress(figures: bytes) -> bytes:
    """A row's figures as stored: an LZ4 block with the text's size in front (a year's figures,
    about 12 kB of text, take about a tenth of that)."""
    return cast(bytes, lz4.block.compress(figures, store_size=True))


def decompress(stored: bytes) -> bytes:
    """The figures text a stored row holds."""
    return cast(bytes, lz4.block.decompress(stored))


def packed(rows: Sequence[FigureRow]) -> YearRow:
    """The stored row of one subject's figures of one year (at least one)."""
    first = rows[0]
    scope = (first.subject_kind, first.subject, first.year)
    lines = []
    for row in sorted(rows, key=lambda r: (r.period, r.figure)):
        if (row.subject_kind, row.subject, row.year) != scope:
            raise ValueError(f"figure {row.key} is not of {scope}")
        lines.append(_line(row.period, row.figure, row.policy_version, row.record.decode()))
    return YearRow(*scope, "\n".join(lines).encode())


def year_row(figures: Sequence[Figure]) -> YearRow:
    """The stored row of one subject's figures of one year (at least one): what `packed` makes
    of their rows, written straight from the figures (a rebuild writes millions)."""
    first = figures[0]
    kind, subject, year = subject_kind(first), first.subject, first.period.key[:4]
    lines = []
    for figure in figures:
        period = figure.period.key
        if figure.subject != subject or period[:4] != year or subject_kind(figure) != kind:
            raise ValueError(f"figure {figure.key} is not of {(kind, subject, year)}")
        text = _line(period, figure.kind, figure.policy_version, compact_text(figure))
        lines.append((period, figure.kind, text))
    lines.sort()
    return YearRow(kind, subject, int(year), "\n".join([line[2] for line in lines]).encode())


def staff_year_row(state: LedgerState, staff_number: str, year: int) -> YearRow:
    """`year_row(staff_figures(state, staff_number, year))` for a registered staff member, with
    the figures of quiet periods (`staff_figures_by_period`) rendered once per period and
    policy for everyone (a rebuild writes half its figures this way).

    The lines are put in order period by period: a period's lines in figure order, then the
    periods in key order, which is the order of the whole row (the periods of a year have
    distinct keys)."""
    subject = _json_string(staff_number)
    blocks: list[tuple[str, str]] = []
    for period, policy, figures in staff_figures_by_period(state, staff_number, year):
        if figures is None:
            blocks.append((period.key, subject.join(_quiet(period, policy))))
        else:
            key = period.key
            lines = sorted(
                [
                    (
                        figure.kind,
                        _line(key, figure.kind, figure.policy_version, compact_text(figure)),
                    )
                    for figure in figures
                ]
            )
            blocks.append((key, "\n".join([line for _, line in lines])))
    blocks.sort()
    return YearRow("staff", staff_number, year, "\n".join([block for _, block in blocks]).encode())


_json_string: Callable[[str], str] = getattr(json.encoder, "encode_basestring")  # noqa: B009
"""The standard library's JSON string writer, as the policy's records are written with it."""

_PLACEHOLDER = "\x00subject\x00"
"""The staff number the lines of quiet periods are rendered with: a control character is
escaped in JSON text, so the written placeholder occurs nowhere else in a line."""

_quiet_blocks: dict[tuple[str, int], tuple[PolicyParameters, list[str]]] = {}
"""By period key and the policy's identity (the policy is held, so its id is not reused: a
policy's hash reads every parameter)."""


def _quiet(period: Period, policy: PolicyParameters) -> list[str]:
    """The lines of a quiet period's figures under a policy, in figure order, as one text split
    where the staff number goes."""
    found = _quiet_blocks.get((period.key, id(policy)))
    if found is not None and found[0] is policy:
        return found[1]
    key = period.key
    lines = sorted(
        (figure.kind, _line(key, figure.kind, figure.policy_version, compact_text(figure)))
        for figure in quiet_figures(period, policy, _PLACEHOLDER)
    )
    block = "\n".join([line for _, line in lines]).split(_json_string(_PLACEHOLDER))
    if len(_quiet_blocks) >= 4096:
        _quiet_blocks.clear()
    _quiet_blocks[(key, id(policy))] = (policy, block)
    return block


def _line(period: str, figure: str, policy_version: str, record: str) -> str:
    """One figure's line in a stored row (see `YearRow`)."""
    return f"{period}\t{figure}\t{policy_version}\t{record}"


def year_rows(rows: Iterable[FigureRow]) -> list[YearRow]:
    """Figures in any order, packed one row per subject and year."""
    scopes: dict[Scope, list[FigureRow]] = {}
    for row in rows:
        scopes.setdefault((row.subject_kind, row.subject, row.year), []).append(row)
    return [packed(found) for _, found in sorted(scopes.items())]


def subject_kind(figure: Figure) -> str:
    """Whose figure it is: "unit" for the excellent-window figures, "staff" otherwise."""
    return "unit" if figure.kind in UNIT_FIGURES else "staff"


def figure_row(figure: Figure) -> FigureRow:
    """The row of a figure."""
    return FigureRow(
        subject_kind(figure),
        figure.subject,
        figure.period.key,
        figure.kind,
        int(figure.period.key[:4]),
        figure.policy_version,
        compact_bytes(figure),
    )


def rows_checksum(rows: Iterable[FigureRow]) -> str:
    """SHA-256 over every row's key, policy version and canonical bytes, in key order (sorted in
    Python, so no database collation enters): no positions, no times, equal on every store."""
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: r.key):
        head = "\t".join((*row.key, row.policy_version)).encode("utf-8")
        digest.update(head + b"\t" + row.record + b"\n")
    return digest.hexdigest()


def figures_checksum(figures: Iterable[Figure]) -> str:
    """The checksum the view has when it holds exactly these figures."""
    return rows_checksum(figure_row(figure) for figure in figures)


class ProjectionBehind(TimeoutError):
    """The view did not reach a position in time."""

    def __init__(self, wanted: int, position: int) -> None:
        super().__init__(
            f"the figures are at position {position}, {wanted - position} behind {wanted}"
        )
        self.wanted = wanted
        self.position = position
        self.behind = wanted - position


class ProjectionConflict(IntegrityError):
    """The view's position is not the one the writer started from (another projector or a rebuild
    wrote in between): nothing was written; reload from the view's position."""


class FiguresView(TrackingRecorder, ABC):
    """What every store's figures view does."""

    _changed: threading.Condition

    def _init_view(self) -> None:
        self._changed = threading.Condition()

    # Writes

    @abstractmethod
    def _write(
        self,
        scopes: Sequence[Scope],
        rows: Sequence[StoredRow],
        expected: int,
        position: int,
        years: Mapping[int, int],
        members: Mapping[Membership, int],
    ) -> None:
        """In one transaction: check the tracked position is `expected`, move it to `position`,
        delete the rows of the scopes (subject and year), insert `rows` and note the new
        `years` (year -> the position from which it has figures) and `members`."""

    @abstractmethod
    def _reset(
        self,
        rows: Iterable[StoredRow],
        position: int,
        years: Mapping[int, int],
        members: Mapping[Membership, int],
    ) -> None:
        """In one transaction: drop every row, year, member and the tracking, insert `rows`,
        `years` and `members`, track `position`."""

    def replace(
        self,
        scopes: Sequence[Scope],
        rows: Sequence[FigureRow],
        *,
        expected: int,
        position: int,
        years: Mapping[int, int] | None = None,
        members: Mapping[Membership, int] | None = None,
    ) -> None:
        """Replace the figures of the scopes (every figure of a subject and year) by `rows`, note
        the years that have figures from now on (`LedgerState.year_positions`) and the new
        members of units (`LedgerState.member_positions`), and move the position from `expected`
        to `position`, all or nothing; ProjectionConflict if the view is not at `expected`,
        IntegrityError if `position` is not ahead of it, ValueError for a figure of no scope."""
        if position <= expected:
            raise IntegrityError(f"position {position} is not after {expected}")
        stored = year_rows(rows)
        outside = {row.scope for row in stored} - set(scopes)
        if outside:
            raise ValueError(f"figures of {sorted(outside)[0]}, which is not replaced")
        self._write(
            scopes, [row.stored() for row in stored], expected, position, years or {}, members or {}
        )
        self._signal()

    def reset(
        self,
        rows: Iterable[FigureRow],
        position: int,
        years: Mapping[int, int] | None = None,
        members: Mapping[Membership, int] | None = None,
    ) -> None:
        """Replace every figure, year and member and set the position, all or nothing."""
        self.reset_packed(year_rows(rows), position, years, members)

    def reset_packed(
        self,
        rows: Iterable[YearRow],
        position: int,
        years: Mapping[int, int] | None = None,
        members: Mapping[Membership, int] | None = None,
    ) -> None:
        """`reset` from packed rows (rebuild), one per subject and year; `rows` may be a stream,
        taken as the writing goes."""
        self.reset_stored((row.stored() for row in rows), position, years, members)

    def reset_stored(
        self,
        rows: Iterable[StoredRow],
        position: int,
        years: Mapping[int, int] | None = None,
        members: Mapping[Membership, int] | None = None,
    ) -> None:
        """`reset_packed` from rows already compressed as stored (a rebuild's processes compress
        their rows themselves)."""
        self._reset(rows, position, years or {}, members or {})
        self._signal()

    # Reads

    def position(self) -> int:
        """The last log position processed (0: none)."""
        return self.max_tracking_id(VIEW_NAME) or 0

    @abstractmethod
    def stored_rows(self) -> list[YearRow]:
        """Every stored row, in no particular order."""

    @abstractmethod
    def subject_years(self, kind: str, subject: str) -> list[YearRow]:
        """One subject's stored rows, in no particular order."""

    def rows(self) -> list[FigureRow]:
        """Every figure, in no particular order."""
        return [row for stored in self.stored_rows() for row in stored.unpacked()]

    def subject_rows(self, kind: str, subject: str) -> list[FigureRow]:
        """One subject's figures, in key order."""
        found = [row for stored in self.subject_years(kind, subject) for row in stored.unpacked()]
        return sorted(found, key=lambda r: r.key)

    def row(self, kind: str, subject: str, period: str, figure: str) -> FigureRow | None:
        """One figure's row, if any."""
        return next(
            (r for r in self.subject_rows(kind, subject) if r.key[2:] == (period, figure)), None
        )

    def checksum(self) -> str:
        """The checksum of every row (see rows_checksum)."""
        return rows_checksum(self.rows())

    @abstractmethod
    def year_positions(self) -> dict[int, int]:
        """Each year with figures, and the position from which it has them."""

    @abstractmethod
    def add_years(self, years: Mapping[int, int]) -> None:
        """Note years the view lacks (a view written before it kept its years), leaving the
        rows, the position and the years it has as they are."""

    def years_as_of(self, position: int) -> tuple[int, ...]:
        """The years that had figures at a log position the view has reached, in order."""
        return tuple(sorted(y for y, since in self.year_positions().items() if since <= position))

    @abstractmethod
    def unit_members(self, unit_code: str) -> dict[str, int]:
        """Everyone ever assigned to the unit, with the position of their first assignment."""

    @abstractmethod
    def member_positions(self) -> dict[Membership, int]:
        """Every (unit code, staff number) ever assigned, with the position of the first such
        assignment."""

    @abstractmethod
    def add_members(self, members: Mapping[Membership, int]) -> None:
        """Note members the view lacks (a view written before it kept them), leaving everything
        else as it is."""

    def members_as_of(self, unit_code: str, position: int) -> tuple[str, ...]:
        """The staff numbers of everyone assigned to the unit by a log position the view has
        reached, in order."""
        members = self.unit_members(unit_code)
        return tuple(sorted(n for n, since in members.items() if since <= position))

    # Read-your-writes

    def _signal(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, position: int, timeout: float) -> int:
        """Return the view's position once it is at least `position`; ProjectionBehind (with how
        far behind it is) after `timeout` seconds. Woken by the writer in this process."""
        with self._changed:
            current = self.position()
            deadline = monotonic() + timeout
            while current < position:
                remaining = deadline - monotonic()
                if remaining <= 0:
                    raise ProjectionBehind(position, current)
                self._changed.wait(remaining)
                current = self.position()
        return current


# Memory


class POPOFiguresView(POPOTrackingRecorder, FiguresView):
    """The view in dicts of the process (the in-memory store)."""

    def __init__(self) -> None:
        super().__init__()
        self._init_view()
        self._rows: dict[Scope, StoredRow] = {}
        self._years: dict[int, int] = {}
        self._members: dict[Membership, int] = {}

    def _write(
        self,
        scopes: Sequence[Scope],
        rows: Sequence[StoredRow],
        expected: int,
        position: int,
        years: Mapping[int, int],
        members: Mapping[Membership, int],
    ) -> None:
        with self._database_lock:
            current = self._max_tracking_ids[VIEW_NAME] or 0
            if current != expected:
                raise ProjectionConflict(f"the view is at {current}, not {expected}")
            self._assert_tracking_uniqueness(Tracking(VIEW_NAME, position))
            for scope in scopes:
                self._rows.pop(scope, None)
            self._rows.update((r.scope, r) for r in rows)
            for year, since in years.items():
                self._years.setdefault(year, since)
            for member, since in members.items():
                self._members.setdefault(member, since)
            self._insert_tracking(Tracking(VIEW_NAME, position))

    def _reset(
        self,
        rows: Iterable[StoredRow],
        position: int,
        years: Mapping[int, int],
        members: Mapping[Membership, int],
    ) -> None:
        rebuilt = {r.scope: r for r in rows}  # taken before the lock: readers read meanwhile
        with self._database_lock:
            self._rows = rebuilt
            self._years = dict(years)
            self._members = dict(members)
            self._max_tracking_ids[VIEW_NAME] = position

    def year_positions(self) -> dict[int, int]:
        with self._database_lock:
            return dict(self._years)

    def add_years(self, years: Mapping[int, int]) -> None:
        with self._database_lock:
            for year, since in years.items():
                self._years.setdefault(year, since)

    def unit_members(self, unit_code: str) -> dict[str, int]:
        with self._database_lock:
            return {n: since for (code, n), since in self._members.items() if code == unit_code}

    def member_positions(self) -> dict[Membership, int]:
        with self._database_lock:
            return dict(self._members)

    def add_members(self, members: Mapping[Membership, int]) -> None:
        with self._database_lock:
            for member, since in members.items():
                self._members.setdefault(member, since)

    def stored_rows(self) -> list[YearRow]:
        with self._database_lock:
            found = list(self._rows.values())
        return [stored.row() for stored in found]

    def subject_years(self, kind: str, subject: str) -> list[YearRow]:
        with self._database_lock:
            found = [r for k, r in self._rows.items() if k[:2] == (kind, subject)]
        return [stored.row() for stored in found]


# SQLite

_SQLITE_COLUMNS = "subject_kind, subject, year, figures"


class SQLiteFiguresView(SQLiteTrackingRecorder, FiguresView):
    """The view as the table `figures_by_year_lz4` in the events' SQLite file."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._init_view()

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            # The figures of earlier layouts (a row per figure; uncompressed rows), no longer read.
            "DROP TABLE IF EXISTS figures",
            "DROP TABLE IF EXISTS figures_by_year",
            "CREATE TABLE IF NOT EXISTS figures_by_year_lz4 ("
            "subject_kind TEXT NOT NULL, subject TEXT NOT NULL, year INTEGER NOT NULL, "
            "figures BLOB NOT NULL, PRIMARY KEY (subject_kind, subject, year)) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS figure_years ("
            "year INTEGER PRIMARY KEY, since_position INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS unit_members ("
            "unit_code TEXT NOT NULL, staff_number TEXT NOT NULL, "
            "since_position INTEGER NOT NULL, PRIMARY KEY (unit_code, staff_number)) "
            "WITHOUT ROWID",
        ]

    @staticmethod
    def _advance(c: SQLiteCursor, expected: int, position: int) -> None:
        """Move the tracking from `expected` to `position` (the first statement of the
        transaction: it takes the write lock, so nothing can come between the check and the
        rows), or raise ProjectionConflict."""
        c.execute(
            "UPDATE tracking SET notification_id = ? "
            "WHERE application_name = ? AND notification_id = ? RETURNING notification_id",
            [position, VIEW_NAME, expected],
        )
        if c.fetchone() is not None:
            return
        if expected == 0:
            c.execute(
                "INSERT INTO tracking (application_name, notification_id) VALUES (?, ?) "
                "ON CONFLICT (application_name) DO NOTHING RETURNING notification_id",
                [VIEW_NAME, position],
            )
            if c.fetchone() is not None:
                return
        raise ProjectionConflict(f"the view is not at position {expected}")

    @staticmethod
    def _insert_rows(c: SQLiteCursor, rows: Iterable[StoredRow]) -> None:
        c.executemany(
            f"INSERT INTO figures_by_year_lz4 ({_SQLITE_COLUMNS}) VALUES (?, ?, ?, ?)",
            [tuple.__new__(tuple, r) for r in rows],
        )

    @staticmethod
    def _insert_years(c: SQLiteCursor, years: Mapping[int, int]) -> None:
        c.executemany(
            "INSERT INTO figure_years (year, since_position) VALUES (?, ?) "
            "ON CONFLICT (year) DO NOTHING",
            list(years.items()),
        )

    @staticmethod
    def _insert_members(c: SQLiteCursor, members: Mapping[Membership, int]) -> None:
        c.executemany(
            "INSERT INTO unit_members (unit_code, staff_number, since_position) VALUES (?, ?, ?) "
            "ON CONFLICT (unit_code, staff_number) DO NOTHING",
            [(code, number, since) for (code, number), since in members.items()],
        )

    def _write(
        self,
        scopes: Sequence[Scope],
        rows: Sequence[StoredRow],
        expected: int,
        position: int,
        years: Mapping[int, int],
        members: Mapping[Membership, int],
    ) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._advance(c, expected, position)
            c.executemany(
                "DELETE FROM figures_by_year_lz4 "
                "WHERE subject_kind = ? AND subject = ? AND year = ?",
                list(scopes),
            )
            self._insert_rows(c, rows)
            self._insert_years(c, years)
            self._insert_members(c, members)

    def _reset(
        self,
        rows: Iterable[StoredRow],
        position: int,
        years: Mapping[int, int],
        members: Mapping[Membership, int],
    ) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM figures_by_year_lz4")
            c.execute("DELETE FROM figure_years")
            c.execute("DELETE FROM unit_members")
            c.execute("DELETE FROM tracking WHERE application_name = ?", [VIEW_NAME])
            self._insert_rows(c, rows)
            self._insert_years(c, years)
            self._insert_members(c, members)
            self._insert_tracking(c, Tracking(VIEW_NAME, position))

    def add_years(self, years: Mapping[int, int]) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._insert_years(c, years)

    def unit_members(self, unit_code: str) -> dict[str, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT staff_number, since_position FROM unit_members WHERE unit_code = ?",
                [unit_code],
            )
            found = c.fetchall()
        return {str(row["staff_number"]): int(row["since_position"]) for row in found}

    def member_positions(self) -> dict[Membership, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT unit_code, staff_number, since_position FROM unit_members")
            found = c.fetchall()
        return {
            (str(row["unit_code"]), str(row["staff_number"])): int(row["since_position"])
            for row in found
        }

    def add_members(self, members: Mapping[Membership, int]) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._insert_members(c, members)

    def year_positions(self) -> dict[int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT year, since_position FROM figure_years")
            return {int(found["year"]): int(found["since_position"]) for found in c.fetchall()}

    def stored_rows(self) -> list[YearRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {_SQLITE_COLUMNS} FROM figures_by_year_lz4")
            return [StoredRow.from_row(found).row() for found in c.fetchall()]

    def subject_years(self, kind: str, subject: str) -> list[YearRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {_SQLITE_COLUMNS} FROM figures_by_year_lz4 "
                "WHERE subject_kind = ? AND subject = ?",
                [kind, subject],
            )
            return [StoredRow.from_row(row).row() for row in c.fetchall()]


# PostgreSQL

_PG_COLUMNS = SQL("subject_kind, subject, year, figures")
_ASYNC_COMMIT = b"SET LOCAL synchronous_commit = off"
_NOTIFY = b"SELECT pg_notify(%s, %s)"
"""The live writes do not wait for the WAL flush (about 4 ms a commit here): the view is derived
data, its rows and tracking position commit together, so a crash can only lose the last few
commits of both, and the worker then processes those events again from the older position."""
_PG_TYPES = ["text", "text", "int4", "bytea"]


class PostgresFiguresView(PostgresTrackingRecorder, FiguresView):
    """The view as the table `ledger_figures_by_year_lz4` beside `ledger_events`; every write also
    sends a NOTIFY on the channel `ledger_figures` (delivered at COMMIT) that wakes the
    waiters."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        tracking_table_name: str = "ledger_tracking",
        **kwargs: Any,
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        self._init_view()
        prefix = tracking_table_name.removesuffix("_tracking")
        self.figures_table = f"{prefix}_figures_by_year_lz4"
        self.check_identifier_length(self.figures_table)
        self.channel = f"{prefix}_figures"
        schema = Identifier(datastore.schema)
        table = Identifier(self.figures_table)
        tracking = Identifier(tracking_table_name)
        # The figures of earlier layouts (a row per figure; uncompressed rows), no longer read.
        for old in ("figures", "figures_by_year"):
            self.sql_create_statements.append(
                SQL("DROP TABLE IF EXISTS {schema}.{old}").format(
                    schema=schema, old=Identifier(f"{prefix}_{old}")
                )
            )
        # The figures come compressed (`compress`), mostly under the size at which the server
        # would try to compress a row (2 kB); above it, its compressor gives up at once on them.
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "subject_kind text NOT NULL, subject text NOT NULL, year integer NOT NULL, "
                "figures bytea NOT NULL, PRIMARY KEY (subject_kind, subject, year))"
            ).format(schema=schema, table=table)
        )

        self.years_table = f"{prefix}_figure_years"
        years_table = Identifier(self.years_table)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{years} ("
                "year integer PRIMARY KEY, since_position bigint NOT NULL)"
            ).format(schema=schema, years=years_table)
        )
        self.sql_insert_years = SQL(
            "INSERT INTO {schema}.{years} (year, since_position) "
            "SELECT * FROM unnest(%s::int[], %s::bigint[]) ON CONFLICT (year) DO NOTHING"
        ).format(schema=schema, years=years_table)
        self.sql_forget_years = SQL("DELETE FROM {schema}.{years}").format(
            schema=schema, years=years_table
        )
        self.sql_select_years = SQL("SELECT year, since_position FROM {schema}.{years}").format(
            schema=schema, years=years_table
        )
        self.members_table = f"{prefix}_unit_members"
        members_table = Identifier(self.members_table)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{members} ("
                "unit_code text NOT NULL, staff_number text NOT NULL, "
                "since_position bigint NOT NULL, PRIMARY KEY (unit_code, staff_number))"
            ).format(schema=schema, members=members_table)
        )
        self.sql_insert_members = SQL(
            "INSERT INTO {schema}.{members} (unit_code, staff_number, since_position) "
            "SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[]) "
            "ON CONFLICT (unit_code, staff_number) DO NOTHING"
        ).format(schema=schema, members=members_table)
        self.sql_forget_members = SQL("DELETE FROM {schema}.{members}").format(
            schema=schema, members=members_table
        )
        self.sql_select_members = SQL(
            "SELECT staff_number, since_position FROM {schema}.{members} WHERE unit_code = %s"
        ).format(schema=schema, members=members_table)
        self.sql_select_all_members = SQL(
            "SELECT unit_code, staff_number, since_position FROM {schema}.{members}"
        ).format(schema=schema, members=members_table)
        self.sql_advance = SQL(
            "UPDATE {schema}.{tracking} SET notification_id = %s "
            "WHERE application_name = %s AND notification_id = %s RETURNING notification_id"
        ).format(schema=schema, tracking=tracking)
        self.sql_first = SQL(
            "INSERT INTO {schema}.{tracking} (application_name, notification_id) "
            "VALUES (%s, %s) ON CONFLICT (application_name) DO NOTHING RETURNING notification_id"
        ).format(schema=schema, tracking=tracking)
        self.sql_delete_scopes = SQL(
            "DELETE FROM {schema}.{table} f USING unnest(%s::text[], %s::text[], %s::int[]) "
            "AS s(kind, subject, year) "
            "WHERE f.subject_kind = s.kind AND f.subject = s.subject AND f.year = s.year"
        ).format(schema=schema, table=table)
        # The live write's statements, rendered once (psycopg would compose them on every call),
        # their parameters sent in binary (text arrays of bytea are escaped by regex).
        self.sql_insert_rendered = _rendered(
            SQL(
                "INSERT INTO {schema}.{table} ({columns}) SELECT * FROM unnest(%b::text[], "
                "%b::text[], %b::int[], %b::bytea[])"
            ).format(schema=schema, table=table, columns=_PG_COLUMNS)
        )
        self.sql_advance_rendered = _rendered(self.sql_advance)
        self.sql_delete_rendered = _rendered(
            SQL(
                "DELETE FROM {schema}.{table} f USING unnest(%b::text[], %b::text[], %b::int[]) "
                "AS s(kind, subject, year) "
                "WHERE f.subject_kind = s.kind AND f.subject = s.subject AND f.year = s.year"
            ).format(schema=schema, table=table)
        )
        self.sql_copy = SQL("COPY {schema}.{table} ({columns}) FROM STDIN (FORMAT BINARY)").format(
            schema=schema, table=table, columns=_PG_COLUMNS
        )
        # A rebuild writes into a new table and puts it in place of the old one at the end,
        # so readers keep reading the old rows meanwhile (blue/green).
        self.rebuilt_table = f"{self.figures_table}_rebuilt"
        self.check_identifier_length(f"{self.rebuilt_table}_pkey")
        rebuilt = Identifier(self.rebuilt_table)
        self.sql_create_rebuilt = SQL(
            "CREATE TABLE {schema}.{rebuilt} (LIKE {schema}.{table} INCLUDING ALL)"
        ).format(schema=schema, rebuilt=rebuilt, table=table)
        self.sql_copy_rebuilt = SQL(
            "COPY {schema}.{rebuilt} ({columns}) FROM STDIN (FORMAT BINARY)"
        ).format(schema=schema, rebuilt=rebuilt, columns=_PG_COLUMNS)
        self.sql_swap = [
            SQL("DROP TABLE {schema}.{table}").format(schema=schema, table=table),
            SQL("ALTER TABLE {schema}.{rebuilt} RENAME TO {table}").format(
                schema=schema, rebuilt=rebuilt, table=Identifier(self.figures_table)
            ),
            SQL("ALTER INDEX {schema}.{rebuilt_key} RENAME TO {key}").format(
                schema=schema,
                rebuilt_key=Identifier(f"{self.rebuilt_table}_pkey"),
                key=Identifier(f"{self.figures_table}_pkey"),
            ),
        ]
        self.sql_forget = SQL("DELETE FROM {schema}.{tracking} WHERE application_name = %s").format(
            schema=schema, tracking=tracking
        )
        self.sql_select = SQL("SELECT {columns} FROM {schema}.{table}").format(
            columns=_PG_COLUMNS, schema=schema, table=table
        )

    def _copy_rows(self, curs: Any, rows: Iterable[StoredRow], statement: Composable) -> None:
        with curs.copy(statement) as copy:
            copy.set_types(_PG_TYPES)
            write = copy.write_row
            for r in rows:
                write(r)

    def _announce(self, curs: Any, position: int) -> None:
        curs.execute("SELECT pg_notify(%s, %s)", (self.channel, str(position)))

    def _write(
        self,
        scopes: Sequence[Scope],
        rows: Sequence[StoredRow],
        expected: int,
        position: int,
        years: Mapping[int, int],
        members: Mapping[Membership, int],
    ) -> None:
        if expected > 0:
            # The statements in one pipeline (two round trips with the commit): the compare and
            # set of the tracking first (its row lock orders concurrent writers), then the rows
            # and the announcement; if the tracking did not move, all of it is rolled back.
            with self.datastore.get_connection() as conn, conn.transaction():
                with conn.pipeline(), conn.cursor() as advance:
                    conn.execute(_ASYNC_COMMIT)
                    advance.execute(self.sql_advance_rendered, (position, VIEW_NAME, expected))
                    if scopes:
                        conn.execute(self.sql_delete_rendered, _columns(scopes))
                    if rows:
                        conn.execute(self.sql_insert_rendered, _columns(rows))
                    if years:
                        conn.execute(self.sql_insert_years, (list(years), list(years.values())))
                    if members:
                        conn.execute(self.sql_insert_members, _member_columns(members))
                    conn.execute(_NOTIFY, (self.channel, str(position)))
                    moved = advance.fetchone() is not None
                if not moved:
                    raise ProjectionConflict(f"the view is not at position {expected}")
            return
        # The first write: the tracking row may not exist yet.
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(_ASYNC_COMMIT)
            # Compare and set, first: the row lock orders concurrent writers.
            curs.execute(self.sql_advance, (position, VIEW_NAME, expected))
            moved = curs.fetchone() is not None
            if not moved and expected == 0:
                curs.execute(self.sql_first, (VIEW_NAME, position))
                moved = curs.fetchone() is not None
            if not moved:
                raise ProjectionConflict(f"the view is not at position {expected}")
            if scopes:
                curs.execute(self.sql_delete_scopes, _columns(scopes))
            if rows:
                self._copy_rows(curs, rows, self.sql_copy)
            if years:
                curs.execute(self.sql_insert_years, (list(years), list(years.values())))
            if members:
                curs.execute(self.sql_insert_members, _member_columns(members))
            self._announce(curs, position)

    def _reset(
        self,
        rows: Iterable[StoredRow],
        position: int,
        years: Mapping[int, int],
        members: Mapping[Membership, int],
    ) -> None:
        with self.datastore.transaction(commit=True) as curs:
            # The rows may be a stream computed meanwhile: no idle timeout while it comes.
            curs.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            # Into a new table, with its key (building the key afterwards costs about as much,
            # and this way it is done while the rows are still being computed); the old table
            # stays readable until it is swapped out at the end.
            curs.execute(self.sql_create_rebuilt)
            self._copy_rows(curs, rows, self.sql_copy_rebuilt)
            for statement in self.sql_swap:
                curs.execute(statement)
            curs.execute(self.sql_forget_years)
            curs.execute(self.sql_insert_years, (list(years), list(years.values())))
            curs.execute(self.sql_forget_members)
            curs.execute(self.sql_insert_members, _member_columns(members))
            curs.execute(self.sql_forget, (VIEW_NAME,))
            self._insert_tracking(curs, Tracking(VIEW_NAME, position))
            self._announce(curs, position)

    def add_years(self, years: Mapping[int, int]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql_insert_years, (list(years), list(years.values())))

    def year_positions(self) -> dict[int, int]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_years)
            return {int(found["year"]): int(found["since_position"]) for found in curs.fetchall()}

    def unit_members(self, unit_code: str) -> dict[str, int]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_members, (unit_code,))
            found = curs.fetchall()
        return {str(row["staff_number"]): int(row["since_position"]) for row in found}

    def member_positions(self) -> dict[Membership, int]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select_all_members)
            found = curs.fetchall()
        return {
            (str(row["unit_code"]), str(row["staff_number"])): int(row["since_position"])
            for row in found
        }

    def add_members(self, members: Mapping[Membership, int]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.sql_insert_members, _member_columns(members))

    def stored_rows(self) -> list[YearRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_select)
            return [StoredRow.from_row(found).row() for found in curs.fetchall()]

    def subject_years(self, kind: str, subject: str) -> list[YearRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self.sql_select + SQL(" WHERE subject_kind = %s AND subject = %s"),
                (kind, subject),
            )
            return [StoredRow.from_row(row).row() for row in curs.fetchall()]

    def wait_for(self, position: int, timeout: float) -> int:
        """As FiguresView.wait_for, woken by the writer's NOTIFY from any process: LISTEN first,
        then read the position, then wait for notifications until it is far enough."""
        deadline = monotonic() + timeout
        with self.datastore.get_connection() as conn:
            conn.execute(SQL("LISTEN {}").format(Identifier(self.channel)))
            try:
                current = self.position()
                while current < position:
                    remaining = deadline - monotonic()
                    if remaining <= 0:
                        raise ProjectionBehind(position, current)
                    for note in conn.notifies(timeout=remaining, stop_after=1):
                        current = max(current, int(note.payload))
                    current = max(current, self.position())
            finally:
                conn.execute(SQL("UNLISTEN {}").format(Identifier(self.channel)))
        return current


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as the column arrays an unnest takes."""
    return [list(column) for column in zip(*rows, strict=True)]


def _member_columns(members: Mapping[Membership, int]) -> tuple[list[str], list[str], list[int]]:
    """Members as the three arrays the insert unnests."""
    return (
        [code for code, _ in members],
        [number for _, number in members],
        list(members.values()),
    )


def _rendered(statement: Composable) -> bytes:
    """A composed statement as the bytes it stands for (identifiers quoted without a server)."""
    return statement.as_string(None).encode()


def open_figures_view(factory: object) -> FiguresView:
    """The figures view on the store of an application's infrastructure factory
    (`ledger.factory`), its tables created if need be."""
    if isinstance(factory, PostgresFactory):
        return factory.tracking_recorder(PostgresFiguresView)
    if isinstance(factory, SQLiteFactory):
        return cast(SQLiteFiguresView, factory.tracking_recorder(SQLiteFiguresView))
    if isinstance(factory, POPOFactory):
        return cast(POPOFiguresView, factory.tracking_recorder(POPOFiguresView))
    raise TypeError(f"no figures view for {type(factory).__name__}")
