"""A review and an appeal of one staff member's incompetent or unqualified annual grade (R-41).

The clocks are calendar days per staff category (`ledger.policy.grades.challenge_clocks`),
counted by the application on the loaded calendar and handed in as deadlines: a request or an
appeal after its deadline is refused; a late decision is recorded and flagged. Neither stage
suspends the grade, and neither can make it worse (Civil Servant Law 2018 arts. 95-96).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, ValueRecord, member_of, stream_id
from ledger.errors import RuleViolation
from ledger.policy.grades import CHALLENGEABLE, Grade, grade_scheme
from ledger.policy.working_days import Deadline
from ledger.values import Actor, Role, StaffCategory


class ChallengeStage(StrEnum):
    """The two stages of a challenge; each is its own case for an appeal reviewer."""

    REVIEW = "review"
    APPEAL = "appeal"


class ChallengeOutcome(StrEnum):
    """How a review or appeal was decided: the grade stands, or a better one replaces it."""

    UPHELD = "upheld"
    CHANGED = "changed"


@dataclass
class Stage(ValueRecord):
    """A review or an appeal as it stands now."""

    lodged_on: date
    decision_due_on: date
    extended: bool = False
    decided_on: date | None = None
    outcome: ChallengeOutcome | None = None
    late: bool = False


def _refuse_late(what: str, deadline: Deadline, effective_on: date) -> None:
    if not deadline.met_by(effective_on):
        raise RuleViolation(
            "R-41",
            f"{what} on {effective_on} is too late: {deadline.describe()}",
            fields={
                "deadline": deadline.due_on.isoformat(),
                "calendar_versions": list(deadline.calendar_versions),
            },
        )


class GradeChallenge(LedgerAggregate):
    """The review and appeal of one person's grade of one year (SPEC 4.7, R-41)."""

    TOPIC = "ledger.challenge"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.challenge.Created"

    @staticmethod
    def create_id(staff_number: str, year: int) -> UUID:
        """Challenge streams are keyed by staff number and year."""
        return stream_id("challenge", f"{staff_number}/{year}")

    @staticmethod
    def case_id(staff_number: str, year: int, stage: ChallengeStage) -> str:
        """The appeal case an appeal reviewer is assigned for one stage (`review/S001/2025`)."""
        return f"{ChallengeStage(stage).value}/{staff_number}/{year}"

    @classmethod
    def open(
        cls,
        actor: Actor,
        *,
        staff_number: str,
        year: int,
        category: StaffCategory,
        grade: Grade,
        notified_on: date,
        effective_on: date,
    ) -> GradeChallenge:
        """Start the challenge of a grade; only an incompetent or unqualified one (R-41)."""
        if grade not in CHALLENGEABLE:
            raise RuleViolation(
                "R-41",
                f"{staff_number}'s {year} grade is {grade.value}: only an "
                f"{' or '.join(sorted(g.value for g in CHALLENGEABLE))} grade is challenged",
                fields={"grade": grade.value},
            )
        if effective_on < notified_on:
            raise RuleViolation(
                "R-41",
                f"{staff_number} learned of the {year} grade on {notified_on}, "
                f"after {effective_on}",
                fields={"effective_on": effective_on.isoformat()},
            )
        return cls(
            actor_id=actor.person_id,
            actor_role=actor.role,
            staff_number=staff_number,
            year=year,
            category=category,
            grade=grade,
            notified_on=notified_on,
        )

    @event("Opened", topic="ledger.challenge.Opened.v1")
    def __init__(
        self,
        actor_id: str,
        actor_role: Role,
        staff_number: str,
        year: int,
        category: StaffCategory,
        grade: Grade,
        notified_on: date,
    ) -> None:
        self.staff_number = staff_number
        self.year = year
        self.category = category
        self.grade = grade
        """The grade as decided; it stands (is not suspended) while challenged."""
        self.standing_grade = grade
        """The grade after the last changing outcome."""
        self.notified_on = notified_on
        self.review: Stage | None = None
        self.appeal: Stage | None = None

    def _check_grade(self, stage: ChallengeStage, grade: Grade) -> ChallengeOutcome:
        """UPHELD for the standing grade, CHANGED for a better one of the scheme; refused if
        worse or not of the scheme (R-41: a challenge never makes the grade worse)."""
        grade = member_of(Grade, grade, rule="R-41", field="grade")
        scheme = grade_scheme(self.category, self.year)
        if grade is Grade.UNGRADED or not scheme.allows(grade):
            raise RuleViolation(
                "R-41",
                f"{grade.value} is not a grade of the scheme {scheme.describe()}",
                fields={"grade": grade.value},
            )
        if grade == self.standing_grade:
            return ChallengeOutcome.UPHELD
        if scheme.rank(grade) > scheme.rank(self.standing_grade):
            raise RuleViolation(
                "R-41",
                f"the {stage.value} cannot make the grade worse: {grade.value} is below the "
                f"standing {self.standing_grade.value}",
                fields={"grade": grade.value},
            )
        return ChallengeOutcome.CHANGED

    # The review (复核)

    def request_review(
        self, actor: Actor, effective_on: date, deadline: Deadline, decision: Deadline
    ) -> None:
        """Record the request for a review within `deadline`; `decision` is the review's clock."""
        if self.review is not None:
            raise RuleViolation(
                "R-41", f"a review was already requested on {self.review.lodged_on}"
            )
        if self.appeal is not None:
            raise RuleViolation(
                "R-41", f"an appeal was lodged directly on {self.appeal.lodged_on}; no review"
            )
        _refuse_late("a review request", deadline, effective_on)
        self._request_review(
            actor.person_id,
            actor.role,
            effective_on,
            deadline.due_on,
            decision.due_on,
            tuple(sorted({*deadline.calendar_versions, *decision.calendar_versions})),
        )

    @event("ReviewRequested", topic="ledger.challenge.ReviewRequested.v1")
    def _request_review(
        self,
        actor_id: str,
        actor_role: Role,
        effective_on: date,
        request_due_on: date,
        decision_due_on: date,
        calendar_versions: tuple[str, ...],
    ) -> None:
        self.review = Stage(effective_on, decision_due_on)

    def decide_review(
        self, actor: Actor, grade: Grade, decision_ref: str, reason: str, effective_on: date
    ) -> None:
        """Record the review's decision: the standing grade upheld or a better one; a decision
        after its clock is recorded and flagged late."""
        review = self.review
        if review is None:
            raise RuleViolation("R-41", f"no review of {self.staff_number}'s {self.year} grade")
        self._check_open(ChallengeStage.REVIEW, review, effective_on, decision_ref, reason)
        outcome = self._check_grade(ChallengeStage.REVIEW, grade)
        self._decide_review(
            actor.person_id,
            actor.role,
            outcome,
            grade,
            decision_ref,
            reason,
            effective_on,
            review.decision_due_on,
            effective_on > review.decision_due_on,
        )

    @event("ReviewDecided", topic="ledger.challenge.ReviewDecided.v1")
    def _decide_review(
        self,
        actor_id: str,
        actor_role: Role,
        outcome: ChallengeOutcome,
        grade: Grade,
        decision_ref: str,
        reason: str,
        effective_on: date,
        due_on: date,
        late: bool,
    ) -> None:
        assert self.review is not None
        self._decided(self.review, outcome, grade, effective_on, late)

    # The appeal (申诉)

    def lodge_appeal(
        self, actor: Actor, effective_on: date, deadline: Deadline, decision: Deadline
    ) -> None:
        """Record an appeal within `deadline` (after the review's decision, or directly);
        `decision` is the appeal's clock."""
        if self.appeal is not None:
            raise RuleViolation("R-41", f"an appeal was already lodged on {self.appeal.lodged_on}")
        if self.review is not None and self.review.decided_on is None:
            raise RuleViolation(
                "R-41",
                f"the review requested on {self.review.lodged_on} is not decided yet; the "
                "appeal follows its decision",
            )
        _refuse_late("an appeal", deadline, effective_on)
        self._lodge_appeal(
            actor.person_id,
            actor.role,
            effective_on,
            self.review is not None,
            deadline.due_on,
            decision.due_on,
            tuple(sorted({*deadline.calendar_versions, *decision.calendar_versions})),
        )

    @event("AppealLodged", topic="ledger.challenge.AppealLodged.v1")
    def _lodge_appeal(
        self,
        actor_id: str,
        actor_role: Role,
        effective_on: date,
        after_review: bool,
        lodge_due_on: date,
        decision_due_on: date,
        calendar_versions: tuple[str, ...],
    ) -> None:
        self.appeal = Stage(effective_on, decision_due_on)

    def extend_appeal(
        self, actor: Actor, reason: str, effective_on: date, extended: Deadline
    ) -> None:
        """Record the one extension of the appeal's decision clock, made before it runs out."""
        appeal = self.appeal
        if appeal is None:
            raise RuleViolation("R-41", f"no appeal of {self.staff_number}'s {self.year} grade")
        self._check_open(ChallengeStage.APPEAL, appeal, effective_on, "-", reason)
        if appeal.extended:
            raise RuleViolation(
                "R-41",
                f"the appeal's decision clock was already extended (to {appeal.decision_due_on}); "
                "it is extendable once",
            )
        if effective_on > appeal.decision_due_on:
            raise RuleViolation(
                "R-41",
                f"the appeal's decision clock ran out on {appeal.decision_due_on}; it can no "
                "longer be extended",
                fields={"deadline": appeal.decision_due_on.isoformat()},
            )
        self._extend_appeal(
            actor.person_id,
            actor.role,
            reason,
            effective_on,
            extended.due_on,
            extended.calendar_versions,
        )

    @event("AppealExtended", topic="ledger.challenge.AppealExtended.v1")
    def _extend_appeal(
        self,
        actor_id: str,
        actor_role: Role,
        reason: str,
        effective_on: date,
        decision_due_on: date,
        calendar_versions: tuple[str, ...],
    ) -> None:
        assert self.appeal is not None
        self.appeal.extended = True
        self.appeal.decision_due_on = decision_due_on

    def decide_appeal(
        self, actor: Actor, grade: Grade, decision_ref: str, reason: str, effective_on: date
    ) -> None:
        """Record the appeal's decision: the standing grade upheld or a better one; a decision
        after its (possibly extended) clock is recorded and flagged late."""
        appeal = self.appeal
        if appeal is None:
            raise RuleViolation("R-41", f"no appeal of {self.staff_number}'s {self.year} grade")
        self._check_open(ChallengeStage.APPEAL, appeal, effective_on, decision_ref, reason)
        outcome = self._check_grade(ChallengeStage.APPEAL, grade)
        self._decide_appeal(
            actor.person_id,
            actor.role,
            outcome,
            grade,
            decision_ref,
            reason,
            effective_on,
            appeal.decision_due_on,
            effective_on > appeal.decision_due_on,
        )

    @event("AppealDecided", topic="ledger.challenge.AppealDecided.v1")
    def _decide_appeal(
        self,
        actor_id: str,
        actor_role: Role,
        outcome: ChallengeOutcome,
        grade: Grade,
        decision_ref: str,
        reason: str,
        effective_on: date,
        due_on: date,
        late: bool,
    ) -> None:
        assert self.appeal is not None
        self._decided(self.appeal, outcome, grade, effective_on, late)

    # Shared by both stages

    def _check_open(
        self,
        stage: ChallengeStage,
        record: Stage,
        effective_on: date,
        decision_ref: str,
        reason: str,
    ) -> None:
        if record.decided_on is not None:
            raise RuleViolation("R-41", f"the {stage.value} was decided on {record.decided_on}")
        if effective_on < record.lodged_on:
            raise RuleViolation(
                "DATED_RECORDS",
                f"the {stage.value} was lodged on {record.lodged_on}",
                fields={"effective_on": effective_on.isoformat()},
            )
        if not reason.strip() or not decision_ref.strip():
            raise RuleViolation("R-42", f"the {stage.value}'s act needs its reason and reference")

    def _decided(
        self,
        record: Stage,
        outcome: ChallengeOutcome,
        grade: Grade,
        effective_on: date,
        late: bool,
    ) -> None:
        record.decided_on = effective_on
        record.outcome = outcome
        record.late = late
        self.standing_grade = grade
