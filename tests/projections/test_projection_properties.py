"""Property: for random but valid command histories, the figures view kept live from the log
equals a recomputation from scratch with the pure policy (`fold` + `all_figures` over every
active year), and a rebuild gives the same checksum as live processing.

The histories register a few staff, assign, transfer and release them among two or three windows
in date order, record deductions within their memberships (random catalogue items and incident
dates in 2025), amend and revoke some, record and revoke veto cases and window deductions,
appoint heads, sometimes adopt a second policy version, and decide a month. They run on the
memory store and on a SQLite file; the projection catches up every few commands.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from projection_support import recomputed_checksum

from builders import BRANCH, CLERK, LEADER, OFFICE, SOURCE, START, at, prepare_sheet
from ledger.application import AssessmentLedger
from ledger.catalogue_file import shipped_catalogue
from ledger.clock import SettableClock
from ledger.errors import RuleViolation
from ledger.projections.projector import InProcessProjection
from ledger.projections.rebuild import rebuild
from ledger.settings import Settings
from ledger.values import OPERATOR, Role, StaffCategory, UnitKind, VetoCase

WINDOWS = ("W01", "W02", "W03")
PERSON_ITEMS = ("ATT-01", "ATT-02", "SRV-01", "DSC-07", "REC-02", "FEE-01")
"""Per-incident catalogue items worth 0.5, 1, 2, 3, 4 and 5 points."""
WINDOW_ITEMS = ("APP-05", "REC-04", "ATT-07")
YEAR_END = date(2025, 12, 31)
TODAY = date(2026, 1, 5)
"""The clock starts here and moves forward a minute per command: all of 2025 is in the past."""


@dataclass(frozen=True)
class Command:
    """One command of a history: a name and its arguments (plain data, so Hypothesis shows and
    shrinks it)."""

    name: str
    args: tuple[Any, ...]


def _day(offset: int) -> date:
    return START + timedelta(days=offset)


@st.composite
def memberships(
    draw: st.DrawFn, number: str, registered: date, windows: tuple[str, ...]
) -> tuple[list[Command], list[tuple[date, date, int]]]:
    """A person's assignment commands in date order, and the spans they cover (first and last
    day, and how many of the person's ordered commands, registration included, must be recorded
    before an entry in the span can be)."""
    commands: list[Command] = []
    spans: list[tuple[date, date, int]] = []
    day = registered + timedelta(days=draw(st.integers(0, 40)))
    unit: str | None = None
    start = day
    for _ in range(draw(st.integers(1, 4))):
        if day > YEAR_END:
            break
        if unit is None:
            unit = draw(st.sampled_from(windows))
            commands.append(Command("assign", (number, unit, day)))
            start = day
        elif draw(st.booleans()):
            new = draw(st.sampled_from([w for w in windows if w != unit]))
            spans.append((start, day - timedelta(days=1), len(commands) + 1))
            commands.append(Command("transfer", (number, new, day)))
            unit, start = new, day
        else:
            spans.append((start, day - timedelta(days=1), len(commands) + 1))
            commands.append(Command("release", (number, day)))
            unit = None
        day += timedelta(days=draw(st.integers(1, 120)))
    if unit is not None:
        spans.append((start, YEAR_END, len(commands) + 1))
    return commands, spans


@st.composite
def histories(draw: st.DrawFn) -> tuple[tuple[str, ...], list[Command]]:
    """The windows opened, and a history of commands in log order."""
    windows = WINDOWS[: draw(st.integers(2, 3))]
    people = [f"S{i:03d}" for i in range(1, draw(st.integers(2, 4)) + 1)]
    # Per person, the commands whose order is fixed (registration, then assignments in date
    # order). Every other command waits for (person, n): n of that person's fixed commands
    # recorded; person -1 means every person registered, n = 0 means no wait.
    fixed: list[list[Command]] = []
    free: list[tuple[tuple[int, int], Command]] = []
    incidents = iter(range(1, 1000))
    everyone = (-1, 1)
    for index, number in enumerate(people):
        registered = _day(draw(st.integers(0, 60)))
        moves, spans = draw(memberships(number, registered, windows))
        fixed.append([Command("register", (number, registered)), *moves])
        entries = draw(st.integers(0, 6)) if spans else 0
        vetoes = 1 if spans and draw(st.integers(0, 4)) == 0 else 0
        for count in range(entries + vetoes):
            first, last, needs = draw(st.sampled_from(spans))
            occurred = first + timedelta(days=draw(st.integers(0, (last - first).days)))
            incident = next(incidents)
            if count < entries:
                item = draw(st.sampled_from(PERSON_ITEMS))
                command = Command("deduct", (number, item, occurred, incident))
            else:
                case = draw(st.sampled_from(list(VetoCase)))
                command = Command("veto", (number, case, occurred, incident))
            free.append(((index, needs), command))
    for _ in range(draw(st.integers(0, 4))):
        pick, points = draw(st.integers(0, 99)), draw(st.sampled_from(["1", "2.5"]))
        free.append((everyone, Command("amend", (pick, points))))
    for _ in range(draw(st.integers(0, 3))):
        free.append((everyone, Command("revoke", (draw(st.integers(0, 99)),))))
    if draw(st.booleans()):
        free.append((everyone, Command("revoke_veto", (draw(st.integers(0, 99)),))))
    for _ in range(draw(st.integers(0, 2))):
        occurred = _day(draw(st.integers(0, 364)))
        unit, item = draw(st.sampled_from(windows)), draw(st.sampled_from(WINDOW_ITEMS))
        free.append(((0, 0), Command("window_deduct", (unit, item, occurred, next(incidents)))))
    if draw(st.booleans()):
        unit, person = draw(st.sampled_from(windows)), draw(st.sampled_from(people))
        free.append((everyone, Command("head", (unit, person, _day(draw(st.integers(0, 300)))))))
    if draw(st.booleans()):
        month, halved = draw(st.integers(2, 12)), draw(st.sampled_from(["2", "2.5", "4"]))
        free.append(((0, 0), Command("policy", (date(2025, month, 1), halved))))
    if draw(st.booleans()):
        free.append((everyone, Command("decide", (f"2025-{draw(st.integers(1, 12)):02d}",))))

    # Interleave at random, keeping each person's fixed commands in order and every other
    # command after what it waits for.
    commands: list[Command] = []
    queues = [list(q) for q in fixed]
    done = [0] * len(people)
    pending = list(free)
    while any(queues) or pending:

        def ready(wait: tuple[int, int]) -> bool:
            person, needs = wait
            if person < 0:
                return min(done) >= needs
            return done[person] >= needs

        choices = [("fixed", i) for i, q in enumerate(queues) if q]
        choices += [("free", i) for i, (wait, _) in enumerate(pending) if ready(wait)]
        kind, i = draw(st.sampled_from(choices))
        if kind == "fixed":
            commands.append(queues[i].pop(0))
            done[i] += 1
        else:
            commands.append(pending.pop(i)[1])
    return windows, commands


class Runner:
    """Runs a history against a ledger, remembering the entries it may amend or revoke."""

    def __init__(self, ledger: AssessmentLedger, clock: SettableClock) -> None:
        self.ledger = ledger
        self.clock = clock
        self.moment = at(TODAY, 8, 0)
        self.deductions: list[tuple[str, int]] = []
        self.vetoes: list[tuple[str, int]] = []
        self.refused = 0
        self.refusals: list[tuple[str, str | None]] = []

    def tick(self) -> None:
        self.moment += timedelta(minutes=1)
        self.clock.set(self.moment)

    def seed(self, windows: tuple[str, ...]) -> None:
        self.tick()
        ledger = self.ledger
        ledger.publish_catalogue(OPERATOR, shipped_catalogue(), date(2009, 2, 1), "initial")
        ledger.form_party_branch(OPERATOR, BRANCH, "First branch", START)
        for code in windows:
            ledger.open_unit(OPERATOR, code, code, UnitKind.WINDOW, "Bureau", BRANCH, START)
        ledger.open_unit(OPERATOR, OFFICE, "Supervision", UnitKind.OFFICE, "Center", BRANCH, START)
        for actor in (CLERK, LEADER):
            ledger.register_staff(
                OPERATOR, actor.person_id, "staff", StaffCategory.CIVIL_SERVANT, "Center", START
            )
            ledger.assign_staff(OPERATOR, actor.person_id, OFFICE, START)
        ledger.grant_role(OPERATOR, CLERK.person_id, Role.SUPERVISION_CLERK, START)
        ledger.appoint_leading_group_member(OPERATOR, LEADER.person_id, START)

    def run(self, command: Command) -> None:
        self.tick()
        try:
            getattr(self, f"_{command.name}")(*command.args)
        except RuleViolation as refusal:
            self.refused += 1
            self.refusals.append((command.name, refusal.rule))

    def _register(self, number: str, day: date) -> None:
        self.ledger.register_staff(
            OPERATOR, number, f"name {number}", StaffCategory.CIVIL_SERVANT, "Bureau", day
        )

    def _assign(self, number: str, unit: str, day: date) -> None:
        self.ledger.assign_staff(OPERATOR, number, unit, day)

    def _transfer(self, number: str, unit: str, day: date) -> None:
        self.ledger.transfer_staff(OPERATOR, number, unit, day)

    def _release(self, number: str, day: date) -> None:
        self.ledger.release_staff(OPERATOR, number, day)

    def _deduct(self, number: str, item: str, occurred: date, incident: int) -> None:
        outcome = self.ledger.record_deduction(
            CLERK, number, item, occurred, f"INC-{incident}", "evidence", SOURCE
        )
        assert outcome.number is not None
        self.deductions.append((number, outcome.number))

    def _veto(self, number: str, case: VetoCase, occurred: date, incident: int) -> None:
        outcome = self.ledger.record_veto_case(
            CLERK, number, case, occurred, f"INC-{incident}", "evidence", "verified", SOURCE
        )
        assert outcome.number is not None
        self.vetoes.append((number, outcome.number))

    def _amend(self, pick: int, points: str) -> None:
        if self.deductions:
            number, deduction = self.deductions[pick % len(self.deductions)]
            self.ledger.amend_deduction(
                LEADER, number, deduction, TODAY, "review", points=points, decision_ref="LG-1"
            )

    def _revoke(self, pick: int) -> None:
        if self.deductions:
            number, deduction = self.deductions[pick % len(self.deductions)]
            self.ledger.revoke_deduction(CLERK, number, deduction, TODAY, "wrong person")

    def _revoke_veto(self, pick: int) -> None:
        if self.vetoes:
            number, veto = self.vetoes[pick % len(self.vetoes)]
            self.ledger.revoke_veto_case(CLERK, number, veto, TODAY, "not proven")

    def _window_deduct(self, unit: str, item: str, occurred: date, incident: int) -> None:
        self.ledger.record_window_deduction(
            CLERK, unit, item, occurred, f"INC-{incident}", "evidence", SOURCE
        )

    def _head(self, unit: str, person: str, day: date) -> None:
        self.ledger.appoint_head(OPERATOR, unit, person, day)

    def _policy(self, effective_from: date, halved: str) -> None:
        self.ledger.adopt_policy(
            OPERATOR, "second-2025", effective_from, {"month_bonus_halved_at": halved}
        )

    def _decide(self, month: str) -> None:
        self.ledger.open_round(CLERK, month, date(2026, 1, 2))
        prepare_sheet(self.ledger, month, date(2026, 1, 5))
        self.ledger.decide_period(LEADER, month, "LG-2026-01", date(2026, 1, 5))


def check(url: str, windows: tuple[str, ...], commands: list[Command], every: int) -> Runner:
    clock = SettableClock(at(TODAY, 8, 0))
    ledger = AssessmentLedger(env=Settings(database_url=url).eventsourcing_env(), clock=clock)
    try:
        runner = Runner(ledger, clock)
        runner.seed(windows)
        projection = InProcessProjection(ledger)
        for index, command in enumerate(commands, 1):
            runner.run(command)
            if index % every == 0:
                projection.catch_up()
        projection.catch_up()

        live = projection.view.checksum()
        assert projection.view.position() == ledger.head_position()
        assert live == recomputed_checksum(ledger), "live view differs from the pure policy"
        rebuild(ledger, projection.view)
        assert projection.view.checksum() == live, "rebuild differs from live processing"
        return runner
    finally:
        ledger.close()


@pytest.mark.parametrize("store", ["memory", "sqlite"])
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=histories(), every=st.integers(1, 4))
def test_the_live_view_equals_a_recomputation_and_a_rebuild_for_random_histories(
    store: str, history: tuple[tuple[str, ...], list[Command]], every: int
) -> None:
    windows, commands = history
    if store == "memory":
        runner = check("memory://", windows, commands, every)
    else:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / 'ledger.sqlite3'}"
            runner = check(url, windows, commands, every)
    # The generator produces valid histories: refusals are the exception, not the rule.
    assert runner.refused <= max(3, len(commands) // 3), runner.refusals
