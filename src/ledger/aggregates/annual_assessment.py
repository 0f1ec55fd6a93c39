"""One year's annual assessment (SPEC 4.6): head evaluations and proposed grades (R-13, D-17),
countersignatures (R-14), mutual-evaluation and recommendation forms (R-15), joint branch
meetings (R-16), the preliminary grade list and its quota (R-17, D-20), the annual excellent
windows (R-25), publicity and its objections (R-18, D-21), the Party Working Committee's approval
(D-22), the year's results, notifications and filings (R-19).

What one person does (self-summary, registration form, signature) lives on their Staff stream;
the year's period decision on its AssessmentRound. The application checks roles and the rules
that need other records; the methods here check what this record alone can tell: order, repeats
and dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, ValueRecord, stream_id
from ledger.errors import RecordNotFound, RuleViolation
from ledger.policy.grades import Grade
from ledger.values import Actor, Role


class ObjectionOutcome(StrEnum):
    """公示异议的处理 / How the leading group resolved an objection raised during publicity
    (R-18): `upheld` 异议成立 (the person's grade is lowered, or the window's title
    withdrawn), `dismissed` 异议不成立 (the publicised list stands)."""

    UPHELD = "upheld"
    DISMISSED = "dismissed"


@dataclass
class Proposal(ValueRecord):
    """A head's (or, for a head, the leader in charge's) evaluation and proposed grade."""

    subject: str
    unit_code: str
    evaluator: str
    evaluator_role: Role
    proposed_grade: Grade
    countersigner_role: Role
    """Who countersigns it (R-14): supervision_clerk, leader_in_charge or leading_group."""
    countersign_unit: str
    """The unit whose leader in charge countersigns (empty for the other roles)."""
    effective_on: date
    countersigned_by: str | None = None
    countersigned_on: date | None = None


@dataclass
class Meeting(ValueRecord):
    """A party branch's joint meeting and what it recommended (R-16)."""

    branch: str
    recommended_staff: tuple[str, ...]
    recommended_windows: tuple[str, ...]
    effective_on: date


@dataclass
class Publicity(ValueRecord):
    """The excellent list as publicised, and the last day of publicity (R-18, D-21)."""

    started_on: date
    due_on: date
    excellent_staff: tuple[str, ...]
    excellent_windows: tuple[str, ...]


@dataclass
class Objection(ValueRecord):
    """An objection raised during publicity and, once resolved, its outcome."""

    number: int
    subject: str
    raised_by: str
    raised_on: date
    outcome: ObjectionOutcome | None = None
    resolved_on: date | None = None


def _not_before(day: date, earlier: date, what: str) -> None:
    if day < earlier:
        raise RuleViolation(
            "DATED_RECORDS",
            f"this act cannot be dated {day}, before {what} ({earlier})",
            fields={"effective_on": day.isoformat()},
        )


class AnnualAssessment(LedgerAggregate):
    """The annual assessment of one year: every step between the forms and the filings."""

    TOPIC = "ledger.annual"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.annual.Created"

    @staticmethod
    def create_id(year: int) -> UUID:
        """Annual assessment streams are keyed by year."""
        return stream_id("annual", str(year))

    @event("Begun", topic="ledger.annual.Begun.v1")
    def __init__(self, actor_id: str, actor_role: Role, year: int, effective_on: date) -> None:
        self.year = year
        self.begun_on = effective_on
        self.proposals: dict[str, Proposal] = {}
        self.mutual_forms: dict[str, dict[str, Grade]] = {}
        """By the rater's staff number: the grade given to each colleague of the branch."""
        self.recommendation_forms: dict[str, tuple[str, ...]] = {}
        """By unit code: the staff its head recommended as excellent."""
        self.meetings: dict[str, Meeting] = {}
        self.grades: dict[str, Grade] = {}
        """The preliminary grades, as changed by upheld objections (R-17, R-18)."""
        self.preliminary_on: date | None = None
        self.excellent_windows: tuple[str, ...] | None = None
        self.windows_decided_on: date | None = None
        self.publicity: Publicity | None = None
        self.objections: dict[int, Objection] = {}
        self.approved_on: date | None = None
        self.decided_on: date | None = None
        self.notified: dict[str, date] = {}
        self.filed_with_home_unit: dict[str, date] = {}
        self.filing_reference: str | None = None
        self.filed_on: date | None = None
        self.receipt_on: date | None = None
        self.amended_on: date | None = None
        """The day of the last amended results after a reopening (D-13), if any."""
        self.refiling_due = False
        """The results were amended after they were filed with the higher authority."""
        self.superseded_filings: list[tuple[str, date]] = []
        """Earlier filings with the higher authority (reference, day), each replaced by the
        amended filing of amended results."""

    # D-17: evaluations and countersignatures

    def proposal(self, subject: str) -> Proposal:
        """The proposal about a staff member, or the R-14 refusal when there is none."""
        proposal = self.proposals.get(subject)
        if proposal is None:
            raise RuleViolation(
                "R-14",
                f"{subject} has not been evaluated for {self.year}: nothing to countersign",
                fields={"subject": subject},
            )
        return proposal

    def evaluate(
        self,
        actor: Actor,
        *,
        subject: str,
        unit_code: str,
        evaluation: str,
        proposed_grade: Grade,
        grade_scheme: str,
        countersigner_role: Role,
        countersign_unit: str,
        effective_on: date,
    ) -> None:
        """Record an evaluation with its proposed grade, once per staff member and year."""
        if subject in self.proposals:
            done = self.proposals[subject]
            raise RuleViolation(
                "R-13",
                f"{subject} was already evaluated for {self.year} by {done.evaluator} on "
                f"{done.effective_on}",
                fields={"subject": subject},
            )
        if not evaluation.strip():
            raise RuleViolation("R-13", "an evaluation needs its text", fields={"evaluation": ""})
        self._evaluate(
            actor.person_id,
            actor.role,
            subject,
            unit_code,
            evaluation,
            proposed_grade,
            grade_scheme,
            countersigner_role,
            countersign_unit,
            effective_on,
        )

    @event("StaffEvaluated", topic="ledger.annual.StaffEvaluated.v1")
    def _evaluate(
        self,
        actor_id: str,
        actor_role: Role,
        subject: str,
        unit_code: str,
        evaluation: str,
        proposed_grade: Grade,
        grade_scheme: str,
        countersigner_role: Role,
        countersign_unit: str,
        effective_on: date,
    ) -> None:
        self.proposals[subject] = Proposal(
            subject,
            unit_code,
            actor_id,
            actor_role,
            proposed_grade,
            countersigner_role,
            countersign_unit,
            effective_on,
        )

    def countersign(self, actor: Actor, *, subject: str, effective_on: date) -> None:
        """Record the countersignature of a proposal (R-14), once."""
        proposal = self.proposal(subject)
        if proposal.countersigned_on is not None:
            raise RuleViolation(
                "R-14",
                f"the proposal about {subject} was already countersigned by "
                f"{proposal.countersigned_by} on {proposal.countersigned_on}",
                fields={"subject": subject},
            )
        if actor.person_id in (proposal.evaluator, subject):
            raise RuleViolation(
                "R-14",
                f"{actor.person_id} cannot countersign a proposal they made or that is about them",
                fields={"subject": subject},
            )
        _not_before(effective_on, proposal.effective_on, "the evaluation")
        self._countersign(
            actor.person_id, actor.role, subject, proposal.proposed_grade, effective_on
        )

    @event("ProposalCountersigned", topic="ledger.annual.ProposalCountersigned.v1")
    def _countersign(
        self,
        actor_id: str,
        actor_role: Role,
        subject: str,
        proposed_grade: Grade,
        effective_on: date,
    ) -> None:
        proposal = self.proposals[subject]
        proposal.countersigned_by = actor_id
        proposal.countersigned_on = effective_on

    # forms; R-16: joint branch meetings

    def submit_mutual_evaluation_form(
        self, actor: Actor, *, branch: str, ratings: Mapping[str, Grade], effective_on: date
    ) -> None:
        """Record a staff member's mutual-evaluation form, once per year."""
        if actor.person_id in self.mutual_forms:
            raise RuleViolation(
                "R-15",
                f"{actor.person_id} already submitted the {self.year} mutual-evaluation form",
            )
        self._submit_mutual_evaluation_form(
            actor.person_id,
            actor.role,
            branch,
            {colleague: Grade(grade).value for colleague, grade in sorted(ratings.items())},
            effective_on,
        )

    @event("MutualEvaluationFormSubmitted", topic="ledger.annual.MutualEvaluationFormSubmitted.v1")
    def _submit_mutual_evaluation_form(
        self,
        actor_id: str,
        actor_role: Role,
        branch: str,
        ratings: dict[str, str],
        effective_on: date,
    ) -> None:
        self.mutual_forms[actor_id] = {colleague: Grade(g) for colleague, g in ratings.items()}

    def submit_recommendation_form(
        self, actor: Actor, *, unit_code: str, recommended: tuple[str, ...], effective_on: date
    ) -> None:
        """Record a head's excellent-staff recommendation form for the unit, once per year."""
        if unit_code in self.recommendation_forms:
            raise RuleViolation(
                "R-15",
                f"the {self.year} recommendation form of {unit_code} was already submitted",
                fields={"unit_code": unit_code},
            )
        self._submit_recommendation_form(
            actor.person_id, actor.role, unit_code, recommended, effective_on
        )

    @event("RecommendationFormSubmitted", topic="ledger.annual.RecommendationFormSubmitted.v1")
    def _submit_recommendation_form(
        self,
        actor_id: str,
        actor_role: Role,
        unit_code: str,
        recommended: tuple[str, ...],
        effective_on: date,
    ) -> None:
        self.recommendation_forms[unit_code] = recommended

    def hold_joint_branch_meeting(
        self,
        actor: Actor,
        *,
        branch: str,
        recommended_staff: tuple[str, ...],
        recommended_windows: tuple[str, ...],
        ratings_tally: Mapping[str, Mapping[str, int]],
        effective_on: date,
    ) -> None:
        """Record a branch's joint meeting and its recommendations, once per branch and year."""
        if branch in self.meetings:
            raise RuleViolation(
                "R-16",
                f"branch {branch} already held its {self.year} joint meeting on "
                f"{self.meetings[branch].effective_on}",
                fields={"branch": branch},
            )
        self._hold_joint_branch_meeting(
            actor.person_id,
            actor.role,
            branch,
            recommended_staff,
            recommended_windows,
            {subject: dict(counts) for subject, counts in ratings_tally.items()},
            effective_on,
        )

    @event("JointBranchMeetingHeld", topic="ledger.annual.JointBranchMeetingHeld.v1")
    def _hold_joint_branch_meeting(
        self,
        actor_id: str,
        actor_role: Role,
        branch: str,
        recommended_staff: tuple[str, ...],
        recommended_windows: tuple[str, ...],
        ratings_tally: dict[str, dict[str, int]],
        effective_on: date,
    ) -> None:
        self.meetings[branch] = Meeting(
            branch, recommended_staff, recommended_windows, effective_on
        )

    # R-17, D-20: the preliminary grade list; R-25: the annual excellent windows

    def fix_preliminary_grades(
        self,
        actor: Actor,
        *,
        grades: Mapping[str, Grade],
        quota: Mapping[str, Mapping[str, Any]],
        warnings: tuple[str, ...],
        policy_version: str,
        effective_on: date,
    ) -> None:
        """Record the leading group's preliminary grade list, once; it names where it differs
        from the countersigned proposals."""
        if self.preliminary_on is not None:
            raise RuleViolation(
                "R-17", f"the {self.year} preliminary grades were fixed on {self.preliminary_on}"
            )
        for proposal in self.proposals.values():
            if proposal.countersigned_on is not None:
                _not_before(effective_on, proposal.countersigned_on, "a countersignature")
        proposed = {s: self.proposals[s].proposed_grade.value for s in sorted(grades)}
        fixed = {s: Grade(grades[s]).value for s in sorted(grades)}
        self._fix_preliminary_grades(
            actor.person_id,
            actor.role,
            fixed,
            proposed,
            tuple(s for s in fixed if fixed[s] != proposed[s]),
            {category: dict(figures) for category, figures in quota.items()},
            warnings,
            policy_version,
            effective_on,
        )

    @event("PreliminaryGradesFixed", topic="ledger.annual.PreliminaryGradesFixed.v1")
    def _fix_preliminary_grades(
        self,
        actor_id: str,
        actor_role: Role,
        grades: dict[str, str],
        proposed: dict[str, str],
        differing_from_proposals: tuple[str, ...],
        quota: dict[str, dict[str, Any]],
        quota_warnings: tuple[str, ...],
        policy_version: str,
        effective_on: date,
    ) -> None:
        self.grades = {subject: Grade(grade) for subject, grade in grades.items()}
        self.preliminary_on = effective_on

    def decide_excellent_windows(
        self,
        actor: Actor,
        *,
        windows: tuple[str, ...],
        recommended: tuple[str, ...],
        effective_on: date,
    ) -> None:
        """Record the year's excellent windows, once."""
        if self.windows_decided_on is not None:
            raise RuleViolation(
                "R-17",
                f"the {self.year} excellent windows were decided on {self.windows_decided_on}",
            )
        for meeting in self.meetings.values():
            _not_before(effective_on, meeting.effective_on, "a joint branch meeting")
        self._decide_excellent_windows(
            actor.person_id, actor.role, windows, recommended, effective_on
        )

    @event("ExcellentWindowsDecided", topic="ledger.annual.ExcellentWindowsDecided.v1")
    def _decide_excellent_windows(
        self,
        actor_id: str,
        actor_role: Role,
        windows: tuple[str, ...],
        recommended: tuple[str, ...],
        effective_on: date,
    ) -> None:
        self.excellent_windows = windows
        self.windows_decided_on = effective_on

    # R-18, D-21, D-22: publicity, objections, approval

    @property
    def excellent_staff(self) -> tuple[str, ...]:
        """The staff graded excellent now, in staff-number order."""
        return tuple(sorted(s for s, g in self.grades.items() if g is Grade.EXCELLENT))

    def start_publicity(
        self,
        actor: Actor,
        *,
        working_days: int,
        due_on: date,
        calendar_versions: tuple[str, ...],
        policy_version: str,
        effective_on: date,
    ) -> None:
        """Record the start of publicity of the excellent list, with its last day (D-21)."""
        missing = []
        if self.preliminary_on is None:
            missing.append("the preliminary grades (R-17)")
        if self.windows_decided_on is None:
            missing.append("the annual excellent windows (R-25)")
        if missing:
            raise RuleViolation(
                "R-18", f"nothing to publicise yet: missing {' and '.join(missing)}"
            )
        if self.publicity is not None:
            raise RuleViolation(
                "R-18", f"publicity of {self.year} started on {self.publicity.started_on}"
            )
        assert self.preliminary_on is not None and self.windows_decided_on is not None
        _not_before(effective_on, self.preliminary_on, "the preliminary grades")
        _not_before(effective_on, self.windows_decided_on, "the excellent windows")
        self._start_publicity(
            actor.person_id,
            actor.role,
            self.excellent_staff,
            self.excellent_windows or (),
            working_days,
            due_on,
            calendar_versions,
            policy_version,
            effective_on,
        )

    @event("PublicityStarted", topic="ledger.annual.PublicityStarted.v1")
    def _start_publicity(
        self,
        actor_id: str,
        actor_role: Role,
        excellent_staff: tuple[str, ...],
        excellent_windows: tuple[str, ...],
        working_days: int,
        due_on: date,
        calendar_versions: tuple[str, ...],
        policy_version: str,
        effective_on: date,
    ) -> None:
        self.publicity = Publicity(effective_on, due_on, excellent_staff, excellent_windows)

    def _publicity(self) -> Publicity:
        if self.publicity is None:
            raise RuleViolation("R-18", f"publicity of {self.year} has not started")
        return self.publicity

    def raise_objection(self, actor: Actor, *, subject: str, text: str, effective_on: date) -> int:
        """Record an objection raised during publicity and return its number; refused before
        publicity starts and after its last day (R-18)."""
        publicity = self._publicity()
        if not publicity.started_on <= effective_on <= publicity.due_on:
            raise RuleViolation(
                "R-18",
                f"objections are raised during publicity, {publicity.started_on} to "
                f"{publicity.due_on}; not on {effective_on}",
                fields={"effective_on": effective_on.isoformat()},
            )
        if subject not in (*publicity.excellent_staff, *publicity.excellent_windows):
            raise RuleViolation(
                "R-18",
                f"{subject} is not on the publicised excellent list of {self.year}",
                fields={"subject": subject},
            )
        if not text.strip():
            raise RuleViolation("R-18", "an objection needs its text", fields={"text": ""})
        number = len(self.objections) + 1
        self._raise_objection(actor.person_id, actor.role, number, subject, text, effective_on)
        return number

    @event("PublicityObjectionRaised", topic="ledger.annual.PublicityObjectionRaised.v1")
    def _raise_objection(
        self,
        actor_id: str,
        actor_role: Role,
        number: int,
        subject: str,
        text: str,
        effective_on: date,
    ) -> None:
        self.objections[number] = Objection(number, subject, actor_id, effective_on)

    def objection(self, number: int) -> Objection:
        """An objection raised during publicity, or RecordNotFound."""
        try:
            return self.objections[number]
        except KeyError:
            raise RecordNotFound(f"{self.year} has no publicity objection {number}") from None

    @property
    def open_objections(self) -> tuple[int, ...]:
        """The numbers of the objections not yet resolved."""
        return tuple(n for n, o in sorted(self.objections.items()) if o.outcome is None)

    def resolve_objection(
        self,
        actor: Actor,
        *,
        number: int,
        outcome: ObjectionOutcome,
        reason: str,
        new_grade: Grade | None,
        effective_on: date,
    ) -> None:
        """Record how an objection was resolved; an upheld one may lower the subject's grade
        from excellent (a staff member) or withdraw the title (a window)."""
        objection = self.objection(number)
        if objection.outcome is not None:
            raise RuleViolation(
                "R-18",
                f"objection {number} was resolved on {objection.resolved_on} "
                f"({objection.outcome.value})",
                fields={"number": number},
            )
        if not reason.strip():
            raise RuleViolation("R-18", "a resolution needs its reason", fields={"reason": ""})
        _not_before(effective_on, objection.raised_on, "the objection")
        window = objection.subject in (self.excellent_windows or ())
        if new_grade is not None and (outcome is not ObjectionOutcome.UPHELD or window):
            raise RuleViolation(
                "R-18",
                "only an upheld objection about a staff member changes a grade",
                fields={"new_grade": new_grade.value},
            )
        if new_grade is Grade.EXCELLENT:
            raise RuleViolation(
                "R-18", "an upheld objection lowers the grade from excellent; give the new one"
            )
        withdrawn = window and outcome is ObjectionOutcome.UPHELD
        self._resolve_objection(
            actor.person_id,
            actor.role,
            number,
            objection.subject,
            outcome,
            reason,
            new_grade,
            withdrawn,
            effective_on,
        )

    @event("PublicityObjectionResolved", topic="ledger.annual.PublicityObjectionResolved.v1")
    def _resolve_objection(
        self,
        actor_id: str,
        actor_role: Role,
        number: int,
        subject: str,
        outcome: ObjectionOutcome,
        reason: str,
        grade_changed_to: Grade | None,
        window_title_withdrawn: bool,
        effective_on: date,
    ) -> None:
        objection = self.objections[number]
        objection.outcome = outcome
        objection.resolved_on = effective_on
        if grade_changed_to is not None:
            self.grades[subject] = grade_changed_to
        if window_title_withdrawn and self.excellent_windows is not None:
            self.excellent_windows = tuple(w for w in self.excellent_windows if w != subject)

    def approve_excellent_list(self, actor: Actor, *, effective_on: date) -> None:
        """Record the Party Working Committee's approval of the excellent list (D-22): after
        publicity has ended and every objection is resolved."""
        if self.approved_on is not None:
            raise RuleViolation(
                "D-22", f"the {self.year} excellent list was approved on {self.approved_on}"
            )
        publicity = self._publicity()
        if effective_on <= publicity.due_on:
            raise RuleViolation(
                "R-18",
                f"publicity runs until {publicity.due_on}: the list can be approved after it",
                fields={"effective_on": effective_on.isoformat()},
            )
        if self.open_objections:
            raise RuleViolation(
                "R-18",
                "objections raised during publicity are not resolved: "
                + ", ".join(str(n) for n in self.open_objections),
                fields={"objections": list(self.open_objections)},
            )
        for objection in self.objections.values():
            assert objection.resolved_on is not None
            _not_before(effective_on, objection.resolved_on, "an objection's resolution")
        self._approve_excellent_list(
            actor.person_id,
            actor.role,
            self.excellent_staff,
            self.excellent_windows or (),
            effective_on,
        )

    @event("ExcellentListApproved", topic="ledger.annual.ExcellentListApproved.v1")
    def _approve_excellent_list(
        self,
        actor_id: str,
        actor_role: Role,
        excellent_staff: tuple[str, ...],
        excellent_windows: tuple[str, ...],
        effective_on: date,
    ) -> None:
        self.approved_on = effective_on

    # results, notification, filings

    def decide_results(
        self,
        actor: Actor,
        *,
        quota: Mapping[str, Mapping[str, Any]],
        decision_ref: str,
        decided_at_position: int,
        policy_version: str,
        effective_on: date,
    ) -> None:
        """Record the year's results (the grades and titles as approved), once."""
        if self.approved_on is None:
            raise RuleViolation(
                "R-19",
                f"the {self.year} excellent list is not approved by the Party Working "
                "Committee (D-22)",
            )
        if self.decided_on is not None:
            raise RuleViolation(
                "R-19", f"the {self.year} results were decided on {self.decided_on}"
            )
        _not_before(effective_on, self.approved_on, "the approval of the excellent list")
        self._decide_results(
            actor.person_id,
            actor.role,
            {subject: self.grades[subject].value for subject in sorted(self.grades)},
            self.excellent_windows or (),
            {category: dict(figures) for category, figures in quota.items()},
            decision_ref,
            decided_at_position,
            policy_version,
            effective_on,
        )

    @event("ResultsDecided", topic="ledger.annual.ResultsDecided.v1")
    def _decide_results(
        self,
        actor_id: str,
        actor_role: Role,
        grades: dict[str, str],
        excellent_windows: tuple[str, ...],
        quota: dict[str, dict[str, Any]],
        decision_ref: str,
        decided_at_position: int,
        policy_version: str,
        effective_on: date,
    ) -> None:
        self.decided_on = effective_on

    def amend_results(
        self,
        actor: Actor,
        *,
        grades: Mapping[str, Grade],
        excellent_windows: tuple[str, ...],
        quota: Mapping[str, Mapping[str, Any]],
        decision_ref: str,
        supersedes: str,
        decided_at_position: int,
        policy_version: str,
        effective_on: date,
    ) -> None:
        """Record the year's amended results after a reopening (SPEC section 3, D-13): the grades
        changed (of people graded in the results), the excellent windows kept (none is added),
        dated on or after the results they replace. Whoever's grade changed is told and signs
        again, and their form is filed with the home unit again; results already filed with the
        higher authority are filed again."""
        decided_on = self._decided()
        for subject in grades:
            if subject not in self.grades:
                raise RuleViolation(
                    "R-19",
                    f"{subject} has no {self.year} grade to amend",
                    fields={"subject": subject},
                )
        added = [w for w in excellent_windows if w not in (self.excellent_windows or ())]
        if added:
            raise RuleViolation(
                "R-17",
                f"the amended results may not add an excellent window: {', '.join(added)} was "
                "not among the year's excellent windows",
                fields={"windows": added},
            )
        if not decision_ref.strip():
            raise RuleViolation(
                "R-19", "a decision names its reference", fields={"decision_ref": ""}
            )
        _not_before(effective_on, self.amended_on or decided_on, "the results it replaces")
        amended = {**self.grades, **grades}
        self._amend_results(
            actor.person_id,
            actor.role,
            {subject: amended[subject].value for subject in sorted(amended)},
            tuple(sorted(set(excellent_windows))),
            {category: dict(figures) for category, figures in quota.items()},
            decision_ref,
            supersedes,
            tuple(sorted(n for n, g in grades.items() if g != self.grades[n])),
            decided_at_position,
            policy_version,
            effective_on,
        )

    @event("ResultsAmended", topic="ledger.annual.ResultsAmended.v1")
    def _amend_results(
        self,
        actor_id: str,
        actor_role: Role,
        grades: dict[str, str],
        excellent_windows: tuple[str, ...],
        quota: dict[str, dict[str, Any]],
        decision_ref: str,
        supersedes: str,
        changed: tuple[str, ...],
        decided_at_position: int,
        policy_version: str,
        effective_on: date,
    ) -> None:
        self.grades = {subject: Grade(grade) for subject, grade in grades.items()}
        self.excellent_windows = tuple(excellent_windows)
        self.amended_on = effective_on
        for subject in changed:
            # Told, signed and filed with the grade it had: all of it again for the new one.
            self.notified.pop(subject, None)
            self.filed_with_home_unit.pop(subject, None)
        self.refiling_due = self.filed_on is not None

    def _decided(self) -> date:
        if self.decided_on is None:
            raise RuleViolation("R-19", f"the {self.year} results are not decided")
        return self.decided_on

    def notify(self, actor: Actor, *, subject: str, effective_on: date) -> None:
        """Record that a staff member was told their grade, once (starts the R-41 clock)."""
        decided_on = self._decided()
        if subject not in self.grades:
            raise RuleViolation(
                "R-19", f"{subject} has no {self.year} grade", fields={"subject": subject}
            )
        if subject in self.notified:
            raise RuleViolation(
                "R-19",
                f"{subject} was notified of the {self.year} result on {self.notified[subject]}",
                fields={"subject": subject},
            )
        _not_before(effective_on, decided_on, "the results")
        self._notify(actor.person_id, actor.role, subject, self.grades[subject], effective_on)

    @event("ResultNotified", topic="ledger.annual.ResultNotified.v1")
    def _notify(
        self, actor_id: str, actor_role: Role, subject: str, grade: Grade, effective_on: date
    ) -> None:
        self.notified[subject] = effective_on

    def file_with_home_unit(
        self,
        actor: Actor,
        *,
        subject: str,
        home_unit: str,
        reference: str,
        signed_on: date,
        effective_on: date,
    ) -> None:
        """Record that a staff member's signed registration form went to their home unit."""
        if subject in self.filed_with_home_unit:
            raise RuleViolation(
                "R-19",
                f"the {self.year} form of {subject} was filed with the home unit on "
                f"{self.filed_with_home_unit[subject]}",
                fields={"subject": subject},
            )
        if not reference.strip():
            raise RuleViolation("R-19", "a filing needs its reference", fields={"reference": ""})
        _not_before(effective_on, signed_on, "the signature")
        self._file_with_home_unit(
            actor.person_id,
            actor.role,
            subject,
            self.grades[subject],
            home_unit,
            reference,
            effective_on,
        )

    @event("FiledWithHomeUnit", topic="ledger.annual.FiledWithHomeUnit.v1")
    def _file_with_home_unit(
        self,
        actor_id: str,
        actor_role: Role,
        subject: str,
        grade: Grade,
        home_unit: str,
        reference: str,
        effective_on: date,
    ) -> None:
        self.filed_with_home_unit[subject] = effective_on

    def file_with_higher_authority(
        self,
        actor: Actor,
        *,
        reference: str,
        quota: Mapping[str, Mapping[str, Any]],
        decision_ref: str,
        effective_on: date,
    ) -> None:
        """Record what was filed with the higher authority (the results), once; and again, as
        the amended filing, after the results were amended (D-13)."""
        decided_on = self._decided()
        if self.filed_on is not None and not self.refiling_due:
            raise RuleViolation(
                "R-19",
                f"the {self.year} results were filed with the higher authority on "
                f"{self.filed_on} ({self.filing_reference})",
            )
        if not reference.strip():
            raise RuleViolation("R-19", "a filing needs its reference", fields={"reference": ""})
        _not_before(effective_on, self.amended_on or decided_on, "the results")
        if self.filed_on is not None and self.filing_reference is not None:
            if reference == self.filing_reference:
                raise RuleViolation(
                    "R-19",
                    f"the amended filing needs a reference of its own, not {reference!r}",
                    fields={"reference": reference},
                )
            _not_before(effective_on, self.filed_on, "the filing it replaces")
            self._amend_filing(
                actor.person_id,
                actor.role,
                reference,
                self.filing_reference,
                {subject: self.grades[subject].value for subject in sorted(self.grades)},
                self.excellent_windows or (),
                {category: dict(figures) for category, figures in quota.items()},
                decision_ref,
                effective_on,
            )
            return
        self._file_with_higher_authority(
            actor.person_id,
            actor.role,
            reference,
            {subject: self.grades[subject].value for subject in sorted(self.grades)},
            self.excellent_windows or (),
            {category: dict(figures) for category, figures in quota.items()},
            decision_ref,
            effective_on,
        )

    @event("FiledWithHigherAuthority", topic="ledger.annual.FiledWithHigherAuthority.v1")
    def _file_with_higher_authority(
        self,
        actor_id: str,
        actor_role: Role,
        reference: str,
        grades: dict[str, str],
        excellent_windows: tuple[str, ...],
        quota: dict[str, dict[str, Any]],
        decision_ref: str,
        effective_on: date,
    ) -> None:
        self.filing_reference = reference
        self.filed_on = effective_on

    @event("FilingAmended", topic="ledger.annual.FilingAmended.v1")
    def _amend_filing(
        self,
        actor_id: str,
        actor_role: Role,
        reference: str,
        supersedes: str,
        grades: dict[str, str],
        excellent_windows: tuple[str, ...],
        quota: dict[str, dict[str, Any]],
        decision_ref: str,
        effective_on: date,
    ) -> None:
        if self.filing_reference is not None and self.filed_on is not None:
            self.superseded_filings.append((self.filing_reference, self.filed_on))
        self.filing_reference = reference
        self.filed_on = effective_on
        self.receipt_on = None
        self.refiling_due = False

    def record_filing_receipt(self, actor: Actor, *, reference: str, effective_on: date) -> None:
        """Record the higher authority's receipt of the filing, once."""
        if self.filed_on is None:
            raise RuleViolation(
                "R-19", f"the {self.year} results are not filed with the higher authority"
            )
        if reference != self.filing_reference:
            raise RuleViolation(
                "R-19",
                f"the {self.year} filing's reference is {self.filing_reference!r}, not "
                f"{reference!r}",
                fields={"reference": reference},
            )
        if self.receipt_on is not None:
            raise RuleViolation(
                "R-19", f"the receipt of the {self.year} filing was recorded on {self.receipt_on}"
            )
        _not_before(effective_on, self.filed_on, "the filing")
        self._record_filing_receipt(actor.person_id, actor.role, reference, effective_on)

    @event("FilingReceiptRecorded", topic="ledger.annual.FilingReceiptRecorded.v1")
    def _record_filing_receipt(
        self, actor_id: str, actor_role: Role, reference: str, effective_on: date
    ) -> None:
        self.receipt_on = effective_on
