"""The quarterly evaluation (月考季评, SPEC 4.5, R-07–R-11, D-15, D-16): functional offices'
opinions, their compilation for the party branches, each branch's mutual evaluation among windows
(open or unlinkable ballots, SPEC section 5) and recommendations, the leading group's preliminary
examination, and its decision publishing the results, which is the quarter's period decision.

The quarter's figures (R-21, R-23, R-24, R-35) are computed from the entries of its months by
incident date (R-07): the recommendations and the decision read them through the policy state.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, MutableSequence, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, cast
from uuid import UUID

from eventsourcing.persistence import Recording

from ledger.aggregates.assessment_round import AssessmentRound
from ledger.aggregates.ballot_box import BallotBox, Ratings
from ledger.aggregates.quarterly_evaluation import (
    BallotMode,
    MutualEvaluation,
    QuarterlyEvaluation,
)
from ledger.aggregates.staff import Staff
from ledger.aggregates.window import Window
from ledger.application.core import Changes, LedgerCore, Outcome
from ledger.errors import RuleViolation
from ledger.policy import Deadline, excellent_individual, excellent_window
from ledger.procedure_status import ProcedureStatus, Step
from ledger.serialisation import canonical_json
from ledger.stores import STAGE_BALLOTS, TAKE_BALLOTS, StagedBallot, TakenBallots
from ledger.values import Actor, Period, PeriodKind, Role, UnitKind

_BARRING_EVENTS = {"R-21": ("deduction",), "R-35": ("veto",)}
"""Which counted events make a person ineligible under each rule that bars them."""


class ShuffleSource(Protocol):
    """Where the tally's shuffle of unlinkable ballots takes its randomness from."""

    def shuffle(self, x: MutableSequence[Any], /) -> None:
        """Shuffle the sequence in place."""


class QuarterlyCommands(LedgerCore):
    """The quarterly evaluation: opinions, compilation, mutual evaluation, recommendations,
    preliminary examination and the decision publishing the results."""

    ballot_random: ShuffleSource = random.SystemRandom()
    """The shuffle of unlinkable ballots at the tally; tests inject a seeded one."""

    if TYPE_CHECKING:  # provided by RoundCommands, which AssessmentLedger combines with this

        def _record_period_decision(
            self,
            actor: Actor,
            period_key: str,
            decision_ref: str,
            effective_on: date,
            decided_at_position: int | None,
            today: date,
        ) -> AssessmentRound: ...

    # Unlinkable ballots travel beside the events of the command's save (SPEC section 5)

    def _ballot_io(self) -> threading.local:
        local = self.__dict__.get("_quarterly_ballot_io")
        if local is None:
            local = self.__dict__.setdefault("_quarterly_ballot_io", threading.local())
        return cast(threading.local, local)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save as the library does, adding the staging or removal of unlinkable ballots that
        the command being saved decided, so they share the events' transaction."""
        pending: dict[str, object] | None = getattr(self._ballot_io(), "options", None)
        if pending:
            kwargs = {**kwargs, **pending}
        return super().save(*objs, **kwargs)

    def _with_ballot_options(self, run: Callable[[], Outcome]) -> Outcome:
        """Run a command whose decision may leave ballot options for its save; clear them."""
        io = self._ballot_io()
        io.options = None
        try:
            return run()
        finally:
            io.options = None

    # Queries

    def quarterly_evaluation(self, period_key: str) -> QuarterlyEvaluation:
        """A quarter's evaluation record."""
        return cast(
            QuarterlyEvaluation,
            self._get(
                QuarterlyEvaluation.create_id(period_key),
                f"the quarterly evaluation of {period_key}",
            ),
        )

    def ballot_box(self, period_key: str, branch: str) -> BallotBox:
        """The committed ballots of a branch's unlinkable mutual evaluation."""
        return cast(
            BallotBox,
            self._get(
                BallotBox.create_id(period_key, branch),
                f"the ballot box of branch {branch} for {period_key}",
            ),
        )

    # Records and the shared checks

    @staticmethod
    def _quarter(period_key: str) -> Period:
        try:
            period = Period.parse(period_key)
        except ValueError as error:
            raise RuleViolation("R-20", str(error), fields={"period": period_key}) from None
        if period.kind is not PeriodKind.QUARTER:
            raise RuleViolation(
                "R-20", f"{period_key} is not a quarter (2025-Q1)", fields={"period": period_key}
            )
        return period

    def _evaluation(self, period: Period, rule: str, step: str) -> QuarterlyEvaluation:
        """The quarter's evaluation for update, or the refusal: `step` comes later."""
        record_id = QuarterlyEvaluation.create_id(period.key)
        if not self._exists(record_id):
            raise RuleViolation(
                rule,
                f"{step} comes later: no functional office has submitted an opinion on "
                f"{period.key} yet",
            )
        return cast(QuarterlyEvaluation, self._load(record_id))

    def _evaluation_or_start(
        self, actor: Actor, period: Period, effective_on: date
    ) -> QuarterlyEvaluation:
        """The quarter's evaluation, started by this first act if need be; the round must be
        open and not decided."""
        round_id = AssessmentRound.create_id(period.key)
        if not self._exists(round_id):
            raise RuleViolation(
                "R-08",
                f"the round of {period.key} is not open; a supervision clerk opens it first",
                fields={"period": period.key},
            )
        assessment_round = cast(AssessmentRound, self._load(round_id, for_update=False))
        if assessment_round.decision is not None:
            raise RuleViolation(
                "DECIDED_ONCE",
                f"the results of {period.key} were decided on "
                f"{assessment_round.decision.effective_on}",
            )
        record_id = QuarterlyEvaluation.create_id(period.key)
        if self._exists(record_id):
            return cast(QuarterlyEvaluation, self._load(record_id))
        return QuarterlyEvaluation(
            actor_id=actor.person_id,
            actor_role=actor.role,
            period_key=period.key,
            effective_on=effective_on,
        )

    def _functional_offices(self, person_id: str | None, day: date) -> list[str]:
        """The offices whose functional_office grant someone (or `person_id`) held that day."""
        organisation = self.organisation()
        if organisation is None:
            return []
        return sorted(
            {
                scope
                for (person, role, scope), tenures in organisation.holdings.items()
                if role is Role.FUNCTIONAL_OFFICE
                and (person_id is None or person == person_id)
                and any(tenure.covers(day) for tenure in tenures)
            }
        )

    def _branches(self, day: date) -> list[str]:
        """The party branches formed by the day."""
        organisation = self.organisation()
        if organisation is None:
            return []
        return sorted(code for code, b in organisation.branches.items() if b.formed_on <= day)

    def _units_by_branch(self, day: date, *, windows_only: bool) -> dict[str, list[str]]:
        """The units open on the day (only windows, or every unit) of each party branch."""
        with self.policy_state() as state:
            codes = sorted(
                code
                for code, unit in state.units.items()
                if unit.opened_on <= day and (unit.kind is UnitKind.WINDOW or not windows_only)
            )
        by_branch: dict[str, list[str]] = {}
        for code in codes:
            unit = cast(Window, self._load(Window.create_id(code), for_update=False))
            by_branch.setdefault(unit.party_branch, []).append(code)
        return by_branch

    def _refuse_ineligible(
        self, period: Period, individuals: Iterable[str], windows: Iterable[str], step: str
    ) -> None:
        """Refuse a subject that is not eligible now (R-21, R-35/D-14; R-23, R-24), naming the
        rule and the events that make it so."""
        with self.policy_state() as state:
            for number in individuals:
                if number not in state.staff:
                    raise RuleViolation(
                        "R-10",
                        f"{number} is not a registered staff member",
                        fields={"subject": number},
                    )
                person = excellent_individual(state, number, period)
                if not person.eligible:
                    kinds = {kind for rule in person.barred_by for kind in _BARRING_EVENTS[rule]}
                    refs = [str(c.ref) for c in person.trace.counted if c.what in kinds]
                    self._ineligible(step, "individual", number, period, person.rule, refs, person)
            for code in windows:
                unit = state.units.get(code)
                if unit is None or unit.kind is not UnitKind.WINDOW:
                    raise RuleViolation(
                        "R-23",
                        f"{code} is not a window (R-23–R-25 apply to windows)",
                        fields={"subject": code},
                    )
                window = excellent_window(state, code, period)
                if not window.eligible:
                    refs = [str(c.ref) for c in window.trace.counted]
                    self._ineligible(step, "window", code, period, window.rule, refs, window)

    @staticmethod
    def _ineligible(
        step: str,
        title: str,
        subject: str,
        period: Period,
        rule: str,
        refs: list[str],
        figure: Any,
    ) -> None:
        raise RuleViolation(
            rule,
            f"{step}: {subject} is not eligible for quarterly excellent {title} in {period.key} "
            f"({figure.outcome()}, threshold {figure.threshold}); "
            f"events: {', '.join(refs)}",
            fields={
                "subject": subject,
                "barred_by": list(getattr(figure, "barred_by", (rule,))),
                "events": refs,
            },
        )

    # R-08 opinions

    def submit_opinion(
        self,
        actor: Actor,
        period_key: str,
        subject: str,
        opinion: str,
        effective_on: date,
        *,
        office: str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a functional office's written opinion on a staff member or unit (R-08); the
        office is the actor's own (name it when the actor holds the grant for several)."""

        def decide(today: date) -> Changes:
            offices = (
                [office] if office else self._functional_offices(actor.person_id, effective_on)
            )
            acting_for = offices[0] if len(offices) == 1 else ""
            if len(offices) > 1:
                raise RuleViolation(
                    "R-08",
                    f"{actor.person_id} acts for offices {', '.join(offices)}: name the office",
                    fields={"office": None},
                )
            self._authorise(
                actor,
                Role.FUNCTIONAL_OFFICE,
                effective_on,
                command="submit_opinion",
                scope=acting_for,
            )
            self._not_in_future(effective_on, today, "effective_on")
            period = self._quarter(period_key)
            if not (
                self._exists(Staff.create_id(subject)) or self._exists(Window.create_id(subject))
            ):
                raise RuleViolation(
                    "R-08",
                    f"{subject} is neither a registered staff member nor a unit",
                    fields={"subject": subject},
                )
            evaluation = self._evaluation_or_start(actor, period, effective_on)
            evaluation.submit_opinion(actor, acting_for, subject, opinion, effective_on)
            return Changes([evaluation], number=evaluation.version)

        return self._execute(
            "submit_opinion",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "subject": subject,
                "opinion": opinion,
                "effective_on": effective_on,
                "office": office,
            },
            decide,
        )

    # R-09 compilation (D-16: within 3 working days after the quarter's end)

    def compile_opinions(
        self,
        actor: Actor,
        period_key: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that the supervision office compiled the opinions and sent them to the party
        branches; after the D-16 deadline it is flagged late, not refused (R-09)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.SUPERVISION_CLERK, effective_on, command="compile_opinions")
            self._not_in_future(effective_on, today, "effective_on")
            period = self._quarter(period_key)
            evaluation = self._evaluation(period, "R-09", "compile_opinions")
            deadline = self._compilation_deadline(period)
            evaluation.compile_opinions(actor, self._branches(effective_on), deadline, effective_on)
            return Changes([evaluation])

        return self._execute(
            "compile_opinions",
            actor,
            idempotency_key,
            {"period_key": period_key, "effective_on": effective_on},
            decide,
        )

    def _compilation_deadline(self, period: Period) -> Deadline:
        """D-16: the policy's working days (3) after the quarter's last day, on the calendar."""
        with self.policy_state() as state:
            days = state.policy.in_force(period.last_day).compilation_working_days
        return self.working_days_after(period.last_day, days)

    # R-10 mutual evaluation among the windows of each party branch

    def open_mutual_evaluation(
        self,
        actor: Actor,
        period_key: str,
        branch: str,
        mode: BallotMode,
        effective_on: date | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a branch secretary opened the branch's mutual evaluation among its
        windows, with open or unlinkable ballots (R-10, SPEC section 5)."""

        def decide(today: date) -> Changes:
            day = effective_on or today
            self._authorise(
                actor,
                Role.BRANCH_SECRETARY,
                day,
                command="open_mutual_evaluation",
                scope=branch,
            )
            self._not_in_future(day, today, "effective_on")
            period = self._quarter(period_key)
            evaluation = self._evaluation(period, "R-10", "open_mutual_evaluation")
            # The windows evaluated are those of the quarter: open on its last day.
            windows = self._units_by_branch(period.last_day, windows_only=True).get(branch, [])
            evaluation.open_mutual_evaluation(actor, branch, mode, windows, day)
            return Changes([evaluation])

        return self._execute(
            "open_mutual_evaluation",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "branch": branch,
                "mode": mode,
                "effective_on": effective_on,
            },
            decide,
        )

    def _known_mode(self, period_key: str, branch: str) -> BallotMode | None:
        record_id = QuarterlyEvaluation.create_id(period_key)
        if not self._exists(record_id):
            return None
        evaluation = cast(QuarterlyEvaluation, self._load(record_id, for_update=False))
        found = evaluation.evaluations.get(branch)
        return found.mode if found else None

    def cast_ballot(
        self,
        actor: Actor,
        period_key: str,
        branch: str,
        ratings: Mapping[str, str],
        effective_on: date | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a branch member's ballot rating every other window of the branch (R-10): an
        event naming the voter in an open evaluation; in an unlinkable one only the voter's
        participation is an event, and the ballot is staged apart without the voter."""
        # An unlinkable ballot stays out of the idempotency fingerprint (SPEC section 5); only
        # an open evaluation's ballot, which names its voter anyway, is fingerprinted.
        mode = self._known_mode(period_key, branch)
        arguments: dict[str, object] = {
            "period_key": period_key,
            "branch": branch,
            "effective_on": effective_on,
        }
        if mode is BallotMode.OPEN:
            arguments["ratings"] = dict(ratings)
        io = self._ballot_io()

        def decide(today: date) -> Changes:
            io.options = None
            day = effective_on or today
            self._authorise(actor, Role.STAFF, day, command="cast_ballot", scope=actor.person_id)
            self._not_in_future(day, today, "effective_on")
            period = self._quarter(period_key)
            evaluation = self._evaluation(period, "R-10", "cast_ballot")
            found = evaluation.evaluation_of(branch)
            own_window = self._voter_window(actor.person_id, branch, day)
            ballot = evaluation.checked_ballot(actor.person_id, branch, own_window, ratings, day)
            if found.mode is BallotMode.OPEN:
                evaluation.cast_open_ballot(actor, branch, ballot, day)
                return Changes([evaluation])
            evaluation.record_participation(actor, branch, day)
            staged = StagedBallot(
                key=secrets.token_hex(16),
                period_key=period.key,
                branch=branch,
                ratings=canonical_json(dict(ballot)).decode(),
            )
            batch = self._current_batch()
            if batch is not None:
                # Staged with the batch's other ballots in one save, in random-key order.
                batch.save_options.setdefault(STAGE_BALLOTS, []).append(staged)
            else:
                io.options = {STAGE_BALLOTS: (staged,)}
            return Changes([evaluation])

        return self._with_ballot_options(
            lambda: self._execute("cast_ballot", actor, idempotency_key, arguments, decide)
        )

    def _voter_window(self, staff_number: str, branch: str, day: date) -> str | None:
        """The voter's own window (None for an office), or the refusal: only members of the
        branch on the day vote (R-10)."""
        staff = cast(Staff, self._load(Staff.create_id(staff_number), for_update=False))
        unit_code = staff.unit_on(day)
        unit = (
            cast(Window, self._load(Window.create_id(unit_code), for_update=False))
            if unit_code
            else None
        )
        if unit is None or unit.party_branch != branch:
            where = (
                f"a member of {unit.code} (branch {unit.party_branch})" if unit else "in no unit"
            )
            raise RuleViolation(
                "R-10",
                f"only members of branch {branch} vote in its mutual evaluation; {staff_number} "
                f"was {where} on {day}",
                fields={"voter": staff_number, "branch": branch},
            )
        return unit.code if unit.kind is UnitKind.WINDOW else None

    def tally_mutual_evaluation(
        self,
        actor: Actor,
        period_key: str,
        branch: str,
        effective_on: date | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the count per window and rating of the branch's ballots (R-10); unlinkable
        ballots are committed, shuffled, to the branch's ballot box in the same transaction,
        and their staging rows removed in it."""
        io = self._ballot_io()

        def decide(today: date) -> Changes:
            io.options = None
            day = effective_on or today
            self._authorise(
                actor,
                Role.BRANCH_SECRETARY,
                day,
                command="tally_mutual_evaluation",
                scope=branch,
            )
            self._not_in_future(day, today, "effective_on")
            period = self._quarter(period_key)
            evaluation = self._evaluation(period, "R-10", "tally_mutual_evaluation")
            found = evaluation.evaluation_of(branch)
            if found.mode is BallotMode.OPEN:
                evaluation.tally(actor, branch, day)
                return Changes([evaluation])
            batch = self._current_batch()
            staged = self.ledger_recorder.staged_ballots(period.key, branch)
            if batch is not None:
                # Ballots cast earlier in the batch are staged by its save, then taken by it.
                staged += [
                    ballot
                    for ballot in batch.save_options.get(STAGE_BALLOTS, ())
                    if (ballot.period_key, ballot.branch) == (period.key, branch)
                ]
            ballots = self._shuffled(staged)
            evaluation.tally(actor, branch, day, ballots)
            box = BallotBox.seal(period.key, branch, ballots)
            taken = TakenBallots(period.key, branch, tuple(ballot.key for ballot in staged))
            if batch is not None:
                batch.save_options.setdefault(TAKE_BALLOTS, []).append(taken)
            else:
                io.options = {TAKE_BALLOTS: (taken,)}
            return Changes([evaluation, box])

        return self._with_ballot_options(
            lambda: self._execute(
                "tally_mutual_evaluation",
                actor,
                idempotency_key,
                {"period_key": period_key, "branch": branch, "effective_on": effective_on},
                decide,
            )
        )

    def _shuffled(self, staged: Iterable[StagedBallot]) -> list[Ratings]:
        """The staged ballots in an order that says nothing of their casting: first put in
        the order of their contents (so neither the keys nor the store's order count), then
        shuffled."""
        ballots: list[Ratings] = sorted(
            tuple((str(code), str(rating)) for code, rating in json.loads(row.ratings).items())
            for row in staged
        )
        self.ballot_random.shuffle(ballots)
        return ballots

    # R-10 recommendations and the leading group's preliminary examination

    def recommend(
        self,
        actor: Actor,
        period_key: str,
        branch: str,
        excellent_individuals: Iterable[str],
        excellent_windows: Iterable[str],
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a branch's recommended excellent individuals (members of its windows on the
        quarter's last day) and excellent windows, after its tally; an ineligible subject is
        refused naming the rule and the events (R-10, R-11; R-21, R-35/D-14, R-23, R-24)."""
        individuals = tuple(excellent_individuals)
        windows = tuple(excellent_windows)

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.BRANCH_SECRETARY, effective_on, command="recommend", scope=branch
            )
            self._not_in_future(effective_on, today, "effective_on")
            period = self._quarter(period_key)
            evaluation = self._evaluation(period, "R-10", "recommend")
            people, units = evaluation.recommend(actor, branch, individuals, windows, effective_on)
            self._members_of_windows(people, evaluation.evaluation_of(branch), period)
            self._refuse_ineligible(period, people, units, "recommend")
            return Changes([evaluation])

        return self._execute(
            "recommend",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "branch": branch,
                "excellent_individuals": individuals,
                "excellent_windows": windows,
                "effective_on": effective_on,
            },
            decide,
        )

    def _members_of_windows(
        self, people: Iterable[str], evaluation: MutualEvaluation, period: Period
    ) -> None:
        for number in people:
            unit_code = None
            if self._exists(Staff.create_id(number)):
                staff = cast(Staff, self._load(Staff.create_id(number), for_update=False))
                unit_code = staff.unit_on(period.last_day)
            if unit_code not in evaluation.windows:
                raise RuleViolation(
                    "R-10",
                    f"{number} was not a member of a window of branch {evaluation.branch} on "
                    f"{period.last_day}",
                    fields={"subject": number, "branch": evaluation.branch},
                )

    def _taking_part(self, period: Period) -> list[str]:
        """The branches that hold a mutual evaluation: those with windows at the quarter's end."""
        with_windows = self._units_by_branch(period.last_day, windows_only=True)
        return [branch for branch in self._branches(period.last_day) if branch in with_windows]

    def examine_recommendations(
        self,
        actor: Actor,
        period_key: str,
        accepted_individuals: Iterable[str],
        accepted_windows: Iterable[str],
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the leading group's preliminary examination: which of every branch's
        recommendations it accepts (R-10)."""
        individuals = tuple(accepted_individuals)
        windows = tuple(accepted_windows)

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.LEADING_GROUP, effective_on, command="examine_recommendations"
            )
            self._not_in_future(effective_on, today, "effective_on")
            period = self._quarter(period_key)
            evaluation = self._evaluation(period, "R-10", "examine_recommendations")
            people, units = evaluation.examine(
                actor, individuals, windows, self._taking_part(period), effective_on
            )
            self._refuse_ineligible(period, people, units, "examine_recommendations")
            return Changes([evaluation])

        return self._execute(
            "examine_recommendations",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "accepted_individuals": individuals,
                "accepted_windows": windows,
                "effective_on": effective_on,
            },
            decide,
        )

    # R-11, D-15 the leading group decides and publishes: the quarter's period decision

    def decide_quarter_results(
        self,
        actor: Actor,
        period_key: str,
        decision_ref: str,
        effective_on: date,
        decided_at_position: int | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Publish the examined excellent individuals and windows and record the quarter's
        period decision in the same transaction; refused before the examination, and for a
        subject that has become ineligible since (R-11, D-15)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.LEADING_GROUP, effective_on, command="decide_quarter_results"
            )
            self._not_in_future(effective_on, today, "effective_on")
            period = self._quarter(period_key)
            evaluation = self._evaluation(period, "R-11", "decide_quarter_results")
            if evaluation.results is not None and self.round(period.key).reopened:
                raise RuleViolation(
                    "DECIDED_ONCE",
                    f"the results of {period.key} were decided on "
                    f"{evaluation.results.effective_on} and the quarter is reopened: the "
                    "leading group amends them (amend_quarter_results)",
                )
            examined = evaluation.examined()
            self._refuse_ineligible(
                period, examined.individuals, examined.windows, "decide_quarter_results"
            )
            evaluation.publish_results(actor, decision_ref, effective_on)
            assessment_round = self._record_period_decision(
                actor, period.key, decision_ref, effective_on, decided_at_position, today
            )
            return Changes([evaluation, assessment_round])

        return self._execute(
            "decide_quarter_results",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "decision_ref": decision_ref,
                "effective_on": effective_on,
                "decided_at_position": decided_at_position,
            },
            decide,
        )

    def amend_quarter_results(
        self,
        actor: Actor,
        period_key: str,
        individuals: Sequence[str],
        windows: Sequence[str],
        decision_ref: str,
        effective_on: date,
        decided_at_position: int | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """After a reopening (SPEC section 3, D-13), publish the leading group's amended results
        and record the quarter's amended decision in the same transaction: chosen among the
        examined recommendations and eligible now (R-21, R-23–R-25, R-35/D-14)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.LEADING_GROUP, effective_on, command="amend_quarter_results"
            )
            self._not_in_future(effective_on, today, "effective_on")
            period = self._quarter(period_key)
            self._reopened_round(period.key, f"the results of {period.key}")
            evaluation = self._evaluation(period, "R-11", "amend_quarter_results")
            evaluation.amend_results(actor, individuals, windows, decision_ref, effective_on)
            self._refuse_ineligible(period, individuals, windows, "amend_quarter_results")
            amended_round = self._record_period_decision(
                actor, period.key, decision_ref, effective_on, decided_at_position, today
            )
            return Changes([evaluation, amended_round])

        return self._execute(
            "amend_quarter_results",
            actor,
            idempotency_key,
            {
                "period_key": period_key,
                "individuals": list(individuals),
                "windows": list(windows),
                "decision_ref": decision_ref,
                "effective_on": effective_on,
                "decided_at_position": decided_at_position,
            },
            decide,
        )

    # Where the quarter stands (issue 5 item 7)

    def _quarter_status(self, period: Period, today: date) -> ProcedureStatus | None:
        """Every step of the quarter's evaluation: done (when), who acts, what is missing, by
        when."""
        record_id = QuarterlyEvaluation.create_id(period.key)
        evaluation = (
            cast(QuarterlyEvaluation, self._load(record_id, for_update=False))
            if self._exists(record_id)
            else None
        )
        round_id = AssessmentRound.create_id(period.key)
        assessment_round = (
            cast(AssessmentRound, self._load(round_id, for_update=False))
            if self._exists(round_id)
            else None
        )
        decision = assessment_round.decision if assessment_round else None
        steps = [
            Step(
                "open_round",
                "Open the quarter's round",
                "R-07",
                Role.SUPERVISION_CLERK,
                done=assessment_round is not None,
                done_on=assessment_round.opened_on if assessment_round else None,
                missing=() if assessment_round else (f"the round of {period.key}",),
            ),
            *self._opinion_steps(period, today, evaluation),
            self._compilation_step(period, today, evaluation),
        ]
        branches = self._taking_part(period)
        for branch in branches:
            steps.extend(self._branch_steps(period, today, evaluation, branch))
        examination = evaluation.examination if evaluation else None
        steps.append(
            Step(
                "examine_recommendations",
                "The leading group examines the recommendations",
                "R-10",
                Role.LEADING_GROUP,
                done=examination is not None,
                done_on=examination.effective_on if examination else None,
                missing=()
                if examination
                else tuple(
                    f"the recommendations of branch {b}"
                    for b in branches
                    if evaluation is None or b not in evaluation.recommendations
                )
                or ("the examination",),
            )
        )
        first = (
            assessment_round.superseded[0]
            if assessment_round is not None and assessment_round.superseded
            else decision
        )
        steps.append(
            Step(
                "decide_quarter_results",
                "The leading group decides and publishes the results",
                "R-11",
                Role.LEADING_GROUP,
                done=first is not None,
                done_on=first.effective_on if first else None,
                missing=() if first else ("the decision",),
            )
        )
        if assessment_round is not None and (assessment_round.reopened or first is not decision):
            reopened = assessment_round.reopened
            count = len(assessment_round.reopenings)
            steps.append(
                Step(
                    "amend_quarter_results",
                    "The leading group decides the amended results (the amended decision)",
                    "D-13",
                    Role.LEADING_GROUP,
                    done=not reopened,
                    done_on=None if reopened or decision is None else decision.effective_on,
                    missing=(
                        f"the amended results: the quarter was reopened for {count} late "
                        f"entr{'y' if count == 1 else 'ies'}",
                    )
                    if reopened
                    else (),
                )
            )
        return ProcedureStatus(
            "the quarterly evaluation of", period.key, tuple(steps), decision is not None
        )

    def _opinion_steps(
        self, period: Period, today: date, evaluation: QuarterlyEvaluation | None
    ) -> list[Step]:
        given: dict[str, list[date]] = {}
        for opinion in evaluation.opinions if evaluation else []:
            given.setdefault(opinion.office, []).append(opinion.effective_on)
        offices = sorted({*self._functional_offices(None, min(today, period.last_day)), *given})
        closed = evaluation is not None and evaluation.compilation is not None
        return [
            Step(
                "submit_opinion",
                f"Office {office} submits its written opinions",
                "R-08",
                Role.FUNCTIONAL_OFFICE,
                scope=f"office {office}",
                done=office in given or closed,
                done_on=max(given[office]) if office in given else None,
                missing=() if office in given or closed else (f"opinions of office {office}",),
            )
            for office in offices
        ]

    def _compilation_step(
        self, period: Period, today: date, evaluation: QuarterlyEvaluation | None
    ) -> Step:
        compilation = evaluation.compilation if evaluation else None
        if compilation is not None:
            return Step(
                "compile_opinions",
                "The supervision office compiles the opinions and sends them to the branches",
                "R-09",
                Role.SUPERVISION_CLERK,
                done=True,
                done_on=compilation.effective_on,
                due_on=compilation.due_on,
                late=compilation.late,
            )
        missing = ["the compilation"]
        try:
            due_on: date | None = self._compilation_deadline(period).due_on
        except RuleViolation as refusal:
            due_on = None
            missing.append(f"the deadline: {refusal.message}")
        return Step(
            "compile_opinions",
            "The supervision office compiles the opinions and sends them to the branches",
            "R-09",
            Role.SUPERVISION_CLERK,
            due_on=due_on,
            late=due_on is not None and today > due_on,
            missing=tuple(missing),
        )

    def _branch_steps(
        self,
        period: Period,
        today: date,
        evaluation: QuarterlyEvaluation | None,
        branch: str,
    ) -> list[Step]:
        found = evaluation.evaluations.get(branch) if evaluation else None
        scope = f"branch {branch}"
        recommended = evaluation.recommendations.get(branch) if evaluation else None
        voters: tuple[str, ...] = ()
        if found is not None and found.tallied_on is None:
            members = self._branch_members(branch, max(today, found.opened_on))
            voters = tuple(f"the ballot of {n}" for n in members if n not in found.voters)
        return [
            Step(
                "open_mutual_evaluation",
                f"Branch {branch} opens its mutual evaluation among windows",
                "R-10",
                Role.BRANCH_SECRETARY,
                scope=scope,
                done=found is not None,
                done_on=found.opened_on if found else None,
                missing=() if found else ("the opening (open or unlinkable ballots)",),
            ),
            Step(
                "cast_ballot",
                f"Members of branch {branch} rate every other window"
                + (f" ({found.mode.value} ballots)" if found else ""),
                "R-10",
                Role.STAFF,
                scope=scope,
                done=found is not None and found.tallied_on is not None,
                done_on=found.last_ballot_on if found else None,
                missing=voters if found else ("the opening",),
            ),
            Step(
                "tally_mutual_evaluation",
                f"Branch {branch} tallies the ballots",
                "R-10",
                Role.BRANCH_SECRETARY,
                scope=scope,
                done=found is not None and found.tallied_on is not None,
                done_on=found.tallied_on if found else None,
                missing=() if found and found.tallied_on else ("the tally",),
            ),
            Step(
                "recommend",
                f"Branch {branch} recommends excellent individuals and windows",
                "R-10",
                Role.BRANCH_SECRETARY,
                scope=scope,
                done=recommended is not None,
                done_on=recommended.effective_on if recommended else None,
                missing=() if recommended else ("the recommendations",),
            ),
        ]

    def _branch_members(self, branch: str, day: date) -> list[str]:
        """The staff members of every unit of the branch on the day: its electorate."""
        units = set(self._units_by_branch(day, windows_only=False).get(branch, []))
        with self.policy_state() as state:
            return sorted(
                number for number, staff in state.staff.items() if staff.unit_on(day) in units
            )
