"""The annual assessment (SPEC 4.6, R-12–R-19, R-25; D-17, D-20–D-22): forms, evaluations and
countersignatures, mutual evaluation and recommendations, joint branch meetings, the preliminary
grades and their quota, the excellent windows, publicity and objections, approval, the year's
results, notification, signatures and filings.

Who takes part in a year: every staff member assigned to a unit at some time in the year, in the
unit of their membership on 31 December or, if it ended earlier, their last membership in the
year (the *reference day* is that membership's last day in the year); their party branch is
that unit's. Every step needs the year's round to be open. A step out of order, repeated or by
the wrong person is refused with the rule of the step it attempts (R-xx, D-xx) or ROLES.

Decisions taken here where SPEC leaves a choice:
- D-17 and R-14: a leader in charge's proposal for a head follows the split by the head's unit
  kind: a window head's is countersigned by the supervision office; an office head's would fall
  to the leader in charge of the office, who made it, so a leading-group member (not the
  proposer) countersigns it. Nobody countersigns their own proposal or one about themselves.
- R-15: the excellent-staff recommendation form is filled by the head of every unit with staff
  in the year (window or office head, as the roles table allows); the mutual-evaluation form
  rates every other participant of the branch on the colleague's own grade scheme; it is open
  (it carries its actor).
- R-16: a branch's meeting needs every mutual-evaluation form of its participants and every
  recommendation form of its units; it recommends staff of the branch and windows of the branch.
- R-17: the leading group's list may differ from the countersigned proposals; the event records
  both and names who differs. Every proposal must be countersigned and every branch must have
  met first. Recommending or grading someone excellent who is not eligible is refused (R-22,
  R-35), naming the events; so is recommending or choosing a disqualified window (R-25).
- D-20: n is the category's participants graded that year (ungraded ones are left out); the
  quota figures (and any warning) are recorded in the preliminary list, the results and the
  filing. The policy version in force on 31 December of the year gives the percentages and the
  publicity's working days (SPEC 4.8).
- R-18: objections are raised by staff members from the day publicity starts to its last day
  (later ones are refused); an upheld one may lower a staff member's grade from excellent or
  withdraw a window's title. The Party Working Committee approves after the last day, with every
  objection resolved (D-22).
- R-19: the filing with the home unit needs the person's signature; the filing with the higher
  authority needs the results. A signature that disagrees is recorded; it does not stop anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from ledger.aggregates.annual_assessment import AnnualAssessment, ObjectionOutcome
from ledger.aggregates.assessment_round import AssessmentRound
from ledger.aggregates.base import member_of
from ledger.aggregates.staff import Staff
from ledger.aggregates.window import Window
from ledger.application.core import Changes, LedgerCore, Outcome
from ledger.errors import RecordNotFound, RoleRequired, RuleViolation
from ledger.policy import annual_excellent_window, excellent_grade
from ledger.policy.grades import Grade, grade_scheme, quota_check
from ledger.procedure_status import ProcedureStatus, Step
from ledger.values import Actor, Period, PeriodKind, Role, StaffCategory, UnitKind, format_points

__all__ = ["AnnualCommands", "Participant", "YearRoster"]


@dataclass(frozen=True)
class Participant:
    """A staff member taking part in a year's assessment."""

    staff_number: str
    category: StaffCategory
    unit_code: str
    on: date
    """The reference day: 31 December, or the last day of their last membership in the year."""


@dataclass
class YearRoster:
    """Who takes part in a year's assessment, their units and branches."""

    year: int
    participants: dict[str, Participant]
    units: dict[str, Window] = field(default_factory=dict)
    """The participants' units (shared records: read them, do not change them)."""

    def participant(self, staff_number: str, rule: str) -> Participant:
        """A participant, or the refusal naming the step's rule."""
        participant = self.participants.get(staff_number)
        if participant is None:
            raise RuleViolation(
                rule,
                f"{staff_number} takes no part in the {self.year} assessment (not assigned to "
                f"any unit in {self.year})",
                fields={"staff_number": staff_number},
            )
        return participant

    def unit_of(self, staff_number: str) -> Window:
        """The unit a participant is assessed in."""
        return self.units[self.participants[staff_number].unit_code]

    def branch_of(self, staff_number: str) -> str:
        """The party branch a participant belongs to (their unit's)."""
        return self.unit_of(staff_number).party_branch

    @property
    def branches(self) -> tuple[str, ...]:
        """The branches with participants."""
        return tuple(sorted({unit.party_branch for unit in self.units.values()}))

    def branch_members(self, branch: str) -> tuple[str, ...]:
        """The participants of a branch."""
        return tuple(n for n in sorted(self.participants) if self.branch_of(n) == branch)

    def branch_units(self, branch: str) -> tuple[str, ...]:
        """The units of a branch with participants."""
        return tuple(c for c, unit in sorted(self.units.items()) if unit.party_branch == branch)

    def is_head(self, staff_number: str) -> bool:
        """Whether the participant headed their unit on their reference day."""
        participant = self.participants[staff_number]
        return self.units[participant.unit_code].head_on(participant.on) == staff_number

    def evaluator_role(self, staff_number: str) -> Role:
        """Who evaluates the participant: their unit's head, or its leader in charge for the
        head (D-17)."""
        if self.is_head(staff_number):
            return Role.LEADER_IN_CHARGE
        return self.unit_of(staff_number).head_role

    def countersigner(self, staff_number: str) -> tuple[Role, str]:
        """Who countersigns the proposal about a participant, and the unit whose leader in
        charge it is (empty for the other roles)."""
        return countersigner(self.evaluator_role(staff_number), self.unit_of(staff_number))


EVALUATORS = (Role.WINDOW_HEAD, Role.OFFICE_HEAD, Role.LEADER_IN_CHARGE)
"""The roles that evaluate (R-13, D-17)."""
COUNTERSIGNERS = (Role.SUPERVISION_CLERK, Role.LEADER_IN_CHARGE, Role.LEADING_GROUP)
"""The roles that countersign (R-14, D-17)."""


def countersigner(evaluator_role: Role, unit: Window) -> tuple[Role, str]:
    """R-14 with D-17: a window head's proposals go to the supervision office, an office head's
    to the office's leader in charge; a leader in charge's proposal for a head follows the head's
    unit kind, and for an office head (where it would be their own) to the leading group."""
    if evaluator_role is Role.WINDOW_HEAD:
        return Role.SUPERVISION_CLERK, ""
    if evaluator_role is Role.OFFICE_HEAD:
        return Role.LEADER_IN_CHARGE, unit.code
    if unit.kind is UnitKind.WINDOW:
        return Role.SUPERVISION_CLERK, ""
    return Role.LEADING_GROUP, ""


def _listing(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


class AnnualCommands(LedgerCore):
    """The annual assessment of a year, from the forms to the filings (R-12–R-19, R-25)."""

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

    # Reading what the steps rest on

    def year_roster(self, year: int) -> YearRoster:
        """Who takes part in a year's assessment, as the log stands now."""
        first, last = date(year, 1, 1), date(year, 12, 31)
        participants: dict[str, Participant] = {}
        with self.policy_state() as state:
            for record in state.staff.values():
                chosen = None
                for membership in record.memberships:
                    if membership.start <= last and (
                        membership.end is None or membership.end > first
                    ):
                        chosen = membership
                if chosen is None:
                    continue
                on = last
                if chosen.end is not None and chosen.end <= last:
                    on = chosen.end - timedelta(days=1)
                participants[record.staff_number] = Participant(
                    record.staff_number, record.category, chosen.unit_code, on
                )
        units = {
            code: cast(Window, self._load(Window.create_id(code), for_update=False))
            for code in sorted({p.unit_code for p in participants.values()})
        }
        return YearRoster(year, dict(sorted(participants.items())), units)

    def annual_assessment(self, year: int) -> AnnualAssessment | None:
        """A year's annual assessment record as it stands (shared: read it), or None."""
        record_id = AnnualAssessment.create_id(year)
        if not self._exists(record_id):
            return None
        return cast(AnnualAssessment, self._load(record_id, for_update=False))

    def _read_staff(self, staff_number: str) -> Staff:
        if not self._exists(Staff.create_id(staff_number)):
            raise RecordNotFound(f"staff member {staff_number} is not registered")
        return cast(Staff, self._load(Staff.create_id(staff_number), for_update=False))

    def _annual_for_update(self, actor: Actor, year: int, effective_on: date) -> AnnualAssessment:
        record_id = AnnualAssessment.create_id(year)
        if self._exists(record_id):
            return cast(AnnualAssessment, self._load(record_id))
        return AnnualAssessment(
            actor_id=actor.person_id, actor_role=actor.role, year=year, effective_on=effective_on
        )

    def _annual_started(self, year: int, rule: str, what: str) -> AnnualAssessment:
        record_id = AnnualAssessment.create_id(year)
        if not self._exists(record_id):
            raise RuleViolation(rule, f"nothing of the {year} assessment is recorded yet: {what}")
        return cast(AnnualAssessment, self._load(record_id))

    def _open_year(self, year: int, effective_on: date, today: date, rule: str) -> None:
        """Refuse an act dated in the future, or before the year's round was opened."""
        self._not_in_future(effective_on, today, "effective_on")
        round_id = AssessmentRound.create_id(str(year))
        if not self._exists(round_id):
            raise RuleViolation(
                rule,
                f"the {year} annual assessment is not open: the supervision office opens the "
                f"round {year} first",
                fields={"year": year},
            )
        opened = cast(AssessmentRound, self._load(round_id, for_update=False)).opened_on
        if effective_on < opened:
            raise RuleViolation(
                "DATED_RECORDS",
                f"the round {year} was opened on {opened}",
                fields={"effective_on": effective_on.isoformat()},
            )

    @staticmethod
    def _grade(value: Grade | str, rule: str, field_name: str) -> Grade:
        return member_of(Grade, value, rule=rule, field=field_name)

    @staticmethod
    def _in_scheme(participant: Participant, grade: Grade, year: int) -> None:
        scheme = grade_scheme(participant.category, year)
        if not scheme.allows(grade):
            raise RuleViolation(
                "R-12",
                f"{grade.value} is not a grade of {participant.category.value} staff in {year} "
                f"({scheme.describe()}, or ungraded)",
                fields={"staff_number": participant.staff_number, "grade": grade.value},
            )

    def _refuse_ineligible_staff(self, year: int, numbers: Iterable[str], what: str) -> None:
        """Refuse when any of these people may not be graded excellent (R-22, R-35), naming the
        rule and the events that bar them."""
        period = Period(PeriodKind.YEAR, str(year))
        barred = []
        with self.policy_state() as state:
            for number in sorted(set(numbers)):
                figure = excellent_grade(state, number, period)
                if figure.eligible:
                    continue
                reasons = []
                for rule in figure.barred_by:
                    vetoes = rule == "R-35"
                    events = [
                        str(c.ref) for c in figure.trace.counted if (c.what == "veto") == vetoes
                    ]
                    detail = (
                        "a one-vote veto case of the year"
                        if vetoes
                        else f"{format_points(figure.total)} points in {year}, at least "
                        f"{format_points(cast(Any, figure.threshold))}"
                    )
                    reasons.append(f"{rule} ({detail}: events {_listing(events)})")
                barred.append((number, figure, "; ".join(reasons)))
        if barred:
            number, figure, _ = barred[0]
            raise RuleViolation(
                figure.rule,
                f"{what} as excellent refused: "
                + "; ".join(
                    f"{n} may not be graded excellent in {year}: {r}" for n, _, r in barred
                ),
                fields={
                    "staff_number": number,
                    "barred_by": list(figure.barred_by),
                    "events": [str(c.ref) for c in figure.trace.counted],
                },
            )

    def _refuse_disqualified_windows(self, year: int, codes: Iterable[str], what: str) -> None:
        """Refuse when any of these windows was disqualified in a quarter of the year (R-25),
        naming the quarters and the events."""
        period = Period(PeriodKind.YEAR, str(year))
        barred = []
        with self.policy_state() as state:
            for code in sorted(set(codes)):
                figure = annual_excellent_window(state, code, period)
                if not figure.eligible:
                    barred.append((code, figure))
        if barred:
            code, figure = barred[0]
            raise RuleViolation(
                "R-25",
                f"{what} refused: "
                + "; ".join(
                    f"{c} was disqualified under R-23/R-24 in {', '.join(f.disqualified_in)} "
                    f"(events {_listing(str(x.ref) for x in f.trace.counted)})"
                    for c, f in barred
                ),
                fields={
                    "unit_code": code,
                    "disqualified_in": list(figure.disqualified_in),
                    "events": [str(c.ref) for c in figure.trace.counted],
                },
            )

    def _quota(
        self, year: int, grades: Mapping[str, Grade], roster: YearRoster
    ) -> tuple[dict[str, dict[str, Any]], tuple[str, ...], str]:
        """The excellent quota of every category (D-20): the figures, the warnings, and the
        policy version; refused above the limit, naming the arithmetic."""
        with self.policy_state() as state:
            policy = state.policy.in_force(date(year, 12, 31))
        figures: dict[str, dict[str, Any]] = {}
        warnings = []
        refused = []
        categories = sorted({roster.participants[n].category for n in grades})
        for category in categories:
            graded = [
                g
                for n, g in grades.items()
                if roster.participants[n].category is category and g is not Grade.UNGRADED
            ]
            check = quota_check(
                category,
                len(graded),
                sum(1 for g in graded if g is Grade.EXCELLENT),
                policy.excellent_quota_warning_percent,
                policy.excellent_quota_limit_percent,
            )
            figures[category.value] = {
                "graded": check.graded,
                "excellent": check.excellent,
                "warning_percent": str(policy.excellent_quota_warning_percent),
                "limit_percent": str(policy.excellent_quota_limit_percent),
                "warn_above": str(check.warn_above),
                "limit": check.limit,
                "warns": check.warns,
            }
            if check.refused:
                refused.append(check)
            elif check.warns:
                warnings.append(
                    f"D-20 warning: {check.describe()} (more than "
                    f"{policy.excellent_quota_warning_percent}% of {check.graded})"
                )
        if refused:
            raise RuleViolation(
                "D-20",
                "the excellent quota is exceeded: "
                + "; ".join(
                    f"{c.describe()}: more than max(1, floor("
                    f"{policy.excellent_quota_limit_percent}% x {c.graded})) = {c.limit}"
                    for c in refused
                ),
                fields={"category": refused[0].category.value, "limit": refused[0].limit},
            )
        return figures, tuple(warnings), policy.version

    # the self-summary and the registration form (the person's own records)

    def submit_self_summary(
        self,
        actor: Actor,
        year: int,
        text: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's self-summary of a year (R-12)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                Role.STAFF,
                effective_on,
                command="submit_self_summary",
                scope=actor.person_id,
            )
            self._open_year(year, effective_on, today, "R-12")
            self.year_roster(year).participant(actor.person_id, "R-12")
            staff = self.staff(actor.person_id)
            staff.submit_self_summary(actor, year=year, text=text, effective_on=effective_on)
            return Changes([staff])

        return self._execute(
            "submit_self_summary",
            actor,
            idempotency_key,
            {"year": year, "text": text, "effective_on": effective_on},
            decide,
        )

    def submit_registration_form(
        self,
        actor: Actor,
        year: int,
        category: StaffCategory,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's registration form of a year, on their category's form (R-12)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                Role.STAFF,
                effective_on,
                command="submit_registration_form",
                scope=actor.person_id,
            )
            self._open_year(year, effective_on, today, "R-12")
            participant = self.year_roster(year).participant(actor.person_id, "R-12")
            staff = self.staff(actor.person_id)
            staff.submit_registration_form(
                actor,
                year=year,
                category=category,
                grade_scheme=grade_scheme(participant.category, year).describe(),
                effective_on=effective_on,
            )
            return Changes([staff])

        return self._execute(
            "submit_registration_form",
            actor,
            idempotency_key,
            {"year": year, "category": category, "effective_on": effective_on},
            decide,
        )

    # R-13, D-17: evaluations; R-14: countersignatures

    def evaluate(
        self,
        actor: Actor,
        year: int,
        subject: str,
        evaluation: str,
        proposed_grade: Grade | str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a head's evaluation of a staff member of their unit, or a leader in charge's
        of a head (D-17), with the proposed grade from the subject's scheme (R-13)."""

        def decide(today: date) -> Changes:
            roster = self.year_roster(year)
            participant = self._evaluated_by(actor, roster, subject, effective_on)
            unit = roster.unit_of(subject)
            role = roster.evaluator_role(subject)
            self._open_year(year, effective_on, today, "R-13")
            if actor.person_id == subject:
                raise RuleViolation("R-13", f"{subject} cannot evaluate themselves")
            grade = self._grade(proposed_grade, "R-12", "proposed_grade")
            self._in_scheme(participant, grade, year)
            forms = self._read_staff(subject).annual_forms(year)
            missing = [
                what
                for what, on in (
                    ("self-summary", forms.self_summary_on),
                    ("registration form", forms.registration_form_on),
                )
                if on is None
            ]
            if missing:
                raise RuleViolation(
                    "R-13",
                    f"{subject} has not handed in the {year} {' and '.join(missing)} (R-12)",
                    fields={"subject": subject},
                )
            signer, signer_unit = countersigner(role, unit)
            annual = self._annual_for_update(actor, year, effective_on)
            annual.evaluate(
                actor,
                subject=subject,
                unit_code=unit.code,
                evaluation=evaluation,
                proposed_grade=grade,
                grade_scheme=grade_scheme(participant.category, year).describe(),
                countersigner_role=signer,
                countersign_unit=signer_unit,
                effective_on=effective_on,
            )
            return Changes([annual])

        return self._execute(
            "evaluate",
            actor,
            idempotency_key,
            {
                "year": year,
                "subject": subject,
                "evaluation": evaluation,
                "proposed_grade": proposed_grade,
                "effective_on": effective_on,
            },
            decide,
        )

    def countersign(
        self,
        actor: Actor,
        year: int,
        subject: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Countersign the proposal about a staff member (R-14): the supervision office for
        window heads', the leader in charge for office heads' (and see D-17 above)."""

        def decide(today: date) -> Changes:
            self._require_acting_as(actor, COUNTERSIGNERS, command="countersign")
            # That the year's assessment has not started says nothing of anyone.
            annual = self._annual_started(year, "R-14", f"{subject} has not been evaluated")
            try:
                proposal = annual.proposal(subject)
                unit = (
                    self.unit(proposal.countersign_unit)
                    if proposal.countersigner_role is Role.LEADER_IN_CHARGE
                    else None
                )
                self._authorise(
                    actor,
                    proposal.countersigner_role,
                    effective_on,
                    command="countersign",
                    unit=unit,
                )
            except RuleViolation:
                if actor.role is not Role.LEADER_IN_CHARGE or self._reads_people_of(
                    actor, self.year_roster(year), subject, effective_on
                ):
                    raise  # a center-wide role, or the subject's own leader in charge: say why
                # Any other leader in charge learns no more than that it is not theirs: not
                # whether the person was evaluated, nor in which unit (SPEC section 5).
                raise RoleRequired(
                    Role.LEADER_IN_CHARGE.value,
                    f"countersign: {actor.person_id} does not countersign a proposal about "
                    f"{subject} for {year} as of {effective_on} (R-14, D-17)",
                ) from None
            self._open_year(year, effective_on, today, "R-14")
            annual.countersign(actor, subject=subject, effective_on=effective_on)
            return Changes([annual])

        return self._execute(
            "countersign",
            actor,
            idempotency_key,
            {"year": year, "subject": subject, "effective_on": effective_on},
            decide,
        )

    def _evaluated_by(
        self, actor: Actor, roster: YearRoster, subject: str, on: date
    ) -> Participant:
        """The participant the actor evaluates (R-13, D-17), or the role refusal. Whether a
        person takes part in the year, and in which unit, is for those who read that unit's
        people (SPEC section 5): anyone else is told only that they do not evaluate them."""
        self._require_acting_as(actor, EVALUATORS, command="evaluate")
        participant = roster.participants.get(subject)
        if participant is not None:
            try:
                self._authorise(
                    actor,
                    roster.evaluator_role(subject),
                    on,
                    command="evaluate",
                    unit=roster.unit_of(subject),
                )
                return participant
            except RoleRequired:
                if self._reads_people_of(actor, roster, subject, on):
                    raise  # their own unit's person: say who evaluates them
        # The role the actor acts in, whoever the person is: the role a participant's evaluator
        # needs would tell a head from a member.
        raise RoleRequired(
            actor.role.value,
            f"evaluate: {actor.person_id} does not evaluate {subject} in {roster.year} as of "
            f"{on} (R-13: a unit's head evaluates its staff; D-17: the leader in charge, its "
            "head)",
        ) from None

    @staticmethod
    def _reads_people_of(actor: Actor, roster: YearRoster, subject: str, on: date) -> bool:
        """Whether the actor heads, or is the leader in charge of, the unit the participant is
        assessed in, on the day (and so reads that person's records)."""
        if subject not in roster.participants:
            return False
        unit = roster.unit_of(subject)
        return actor.person_id in (unit.head_on(on), unit.leader_in_charge_on(on))

    # the forms; R-16: joint branch meetings

    def submit_mutual_evaluation_form(
        self,
        actor: Actor,
        year: int,
        ratings: Mapping[str, Grade | str],
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's mutual-evaluation form: a grade for every colleague of the
        branch, on the colleague's scheme (R-15)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                Role.STAFF,
                effective_on,
                command="submit_mutual_evaluation_form",
                scope=actor.person_id,
            )
            self._open_year(year, effective_on, today, "R-15")
            roster = self.year_roster(year)
            roster.participant(actor.person_id, "R-15")
            branch = roster.branch_of(actor.person_id)
            colleagues = set(roster.branch_members(branch)) - {actor.person_id}
            missing, unknown = colleagues - set(ratings), set(ratings) - colleagues
            if missing or unknown:
                raise RuleViolation(
                    "R-15",
                    f"the form rates every colleague of branch {branch} and nobody else: "
                    f"missing {_listing(sorted(missing))}; not colleagues "
                    f"{_listing(sorted(unknown))}",
                    fields={"missing": sorted(missing), "not_colleagues": sorted(unknown)},
                )
            checked: dict[str, Grade] = {}
            for colleague, value in sorted(ratings.items()):
                grade = self._grade(value, "R-15", "rating")
                scheme = grade_scheme(roster.participants[colleague].category, year)
                if grade not in scheme.grades:
                    raise RuleViolation(
                        "R-15",
                        f"{colleague} is rated on the scale {scheme.describe()}, not {grade.value}",
                        fields={"colleague": colleague, "rating": grade.value},
                    )
                checked[colleague] = grade
            annual = self._annual_for_update(actor, year, effective_on)
            annual.submit_mutual_evaluation_form(
                actor, branch=branch, ratings=checked, effective_on=effective_on
            )
            return Changes([annual])

        return self._execute(
            "submit_mutual_evaluation_form",
            actor,
            idempotency_key,
            {"year": year, "ratings": dict(ratings), "effective_on": effective_on},
            decide,
        )

    def submit_recommendation_form(
        self,
        actor: Actor,
        year: int,
        unit_code: str,
        recommended: Sequence[str],
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a head's excellent-staff recommendation form for their unit (R-15); an
        ineligible person is refused (R-22, R-35)."""

        def decide(today: date) -> Changes:
            unit = self.unit(unit_code)
            self._authorise(
                actor,
                (Role.WINDOW_HEAD, Role.OFFICE_HEAD),
                effective_on,
                command="submit_recommendation_form",
                unit=unit,
            )
            self._open_year(year, effective_on, today, "R-15")
            roster = self.year_roster(year)
            chosen = tuple(sorted(set(recommended)))
            strangers = [
                n
                for n in chosen
                if n not in roster.participants or roster.participants[n].unit_code != unit_code
            ]
            if strangers:
                raise RuleViolation(
                    "R-15",
                    f"{_listing(strangers)} are not assessed in {unit_code} for {year}",
                    fields={"recommended": strangers},
                )
            self._refuse_ineligible_staff(year, chosen, f"recommending {_listing(chosen)}")
            annual = self._annual_for_update(actor, year, effective_on)
            annual.submit_recommendation_form(
                actor, unit_code=unit_code, recommended=chosen, effective_on=effective_on
            )
            return Changes([annual])

        return self._execute(
            "submit_recommendation_form",
            actor,
            idempotency_key,
            {
                "year": year,
                "unit_code": unit_code,
                "recommended": tuple(recommended),
                "effective_on": effective_on,
            },
            decide,
        )

    def hold_joint_branch_meeting(
        self,
        actor: Actor,
        year: int,
        branch: str,
        recommended_staff: Sequence[str],
        recommended_windows: Sequence[str],
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a party branch's joint meeting and the staff and windows it recommends (R-16),
        once every form of the branch is in (R-15)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                Role.BRANCH_SECRETARY,
                effective_on,
                command="hold_joint_branch_meeting",
                scope=branch,
            )
            self._open_year(year, effective_on, today, "R-16")
            roster = self.year_roster(year)
            members, units = roster.branch_members(branch), roster.branch_units(branch)
            if not members:
                raise RuleViolation("R-16", f"branch {branch} has nobody in the {year} assessment")
            annual = self._annual_started(year, "R-16", "the branch's forms are not in (R-15)")
            no_form = [n for n in members if n not in annual.mutual_forms]
            no_recommendation = [u for u in units if u not in annual.recommendation_forms]
            if no_form or no_recommendation:
                raise RuleViolation(
                    "R-16",
                    f"the forms of branch {branch} are not all in (R-15): mutual-evaluation "
                    f"forms of {_listing(no_form)}; recommendation forms of "
                    f"{_listing(no_recommendation)}",
                    fields={"mutual_forms": no_form, "recommendation_forms": no_recommendation},
                )
            staff = tuple(sorted(set(recommended_staff)))
            windows = tuple(sorted(set(recommended_windows)))
            outsiders = [n for n in staff if n not in members]
            not_windows = [
                c for c in windows if c not in units or roster.units[c].kind is not UnitKind.WINDOW
            ]
            if outsiders or not_windows:
                raise RuleViolation(
                    "R-16",
                    f"branch {branch} recommends its own staff and windows: not its staff "
                    f"{_listing(outsiders)}; not its windows {_listing(not_windows)}",
                    fields={"staff": outsiders, "windows": not_windows},
                )
            self._refuse_ineligible_staff(year, staff, f"branch {branch} recommending")
            self._refuse_disqualified_windows(
                year, windows, f"branch {branch} recommending {_listing(windows)}"
            )
            tally: dict[str, dict[str, int]] = {n: {} for n in members}
            for rater in members:
                for colleague, grade in annual.mutual_forms[rater].items():
                    counts = tally[colleague]
                    counts[grade.value] = counts.get(grade.value, 0) + 1
            annual.hold_joint_branch_meeting(
                actor,
                branch=branch,
                recommended_staff=staff,
                recommended_windows=windows,
                ratings_tally=tally,
                effective_on=effective_on,
            )
            return Changes([annual])

        return self._execute(
            "hold_joint_branch_meeting",
            actor,
            idempotency_key,
            {
                "year": year,
                "branch": branch,
                "recommended_staff": tuple(recommended_staff),
                "recommended_windows": tuple(recommended_windows),
                "effective_on": effective_on,
            },
            decide,
        )

    # R-17, D-20: the preliminary grades; R-25: the annual excellent windows

    def fix_preliminary_grades(
        self,
        actor: Actor,
        year: int,
        grades: Mapping[str, Grade | str],
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the leading group's preliminary grade of every participant (R-17): each from
        the scheme, excellent only where eligible (R-22, R-35) and within the quota (D-20)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.LEADING_GROUP, effective_on, command="fix_preliminary_grades"
            )
            self._open_year(year, effective_on, today, "R-17")
            roster = self.year_roster(year)
            annual = self._annual_started(year, "R-17", "no proposal is countersigned (R-14)")
            not_evaluated = [n for n in roster.participants if n not in annual.proposals]
            unsigned = [
                n
                for n, p in sorted(annual.proposals.items())
                if n in roster.participants and p.countersigned_on is None
            ]
            no_meeting = [b for b in roster.branches if b not in annual.meetings]
            if not_evaluated or unsigned or no_meeting:
                raise RuleViolation(
                    "R-17",
                    "only countersigned proposals, after every branch's meeting, can be fixed: "
                    f"not evaluated {_listing(not_evaluated)} (R-13); not countersigned "
                    f"{_listing(unsigned)} (R-14); no joint meeting {_listing(no_meeting)} "
                    "(R-16)",
                    fields={
                        "not_evaluated": not_evaluated,
                        "not_countersigned": unsigned,
                        "no_meeting": no_meeting,
                    },
                )
            missing = [n for n in roster.participants if n not in grades]
            unknown = [n for n in sorted(grades) if n not in roster.participants]
            if missing or unknown:
                raise RuleViolation(
                    "R-17",
                    f"the list grades every participant of {year} (or leaves them ungraded), "
                    f"nobody else: missing {_listing(missing)}; not participants "
                    f"{_listing(unknown)}",
                    fields={"missing": missing, "not_participants": unknown},
                )
            checked = {n: self._grade(grades[n], "R-12", "grade") for n in roster.participants}
            for number, grade in checked.items():
                self._in_scheme(roster.participants[number], grade, year)
            excellent = [n for n, g in checked.items() if g is Grade.EXCELLENT]
            self._refuse_ineligible_staff(year, excellent, f"grading {_listing(excellent)}")
            quota, warnings, policy_version = self._quota(year, checked, roster)
            annual.fix_preliminary_grades(
                actor,
                grades=checked,
                quota=quota,
                warnings=warnings,
                policy_version=policy_version,
                effective_on=effective_on,
            )
            return Changes([annual])

        return self._execute(
            "fix_preliminary_grades",
            actor,
            idempotency_key,
            {"year": year, "grades": dict(grades), "effective_on": effective_on},
            decide,
        )

    def decide_annual_excellent_windows(
        self,
        actor: Actor,
        year: int,
        windows: Sequence[str],
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the year's excellent windows, chosen among the branches' recommendations
        (R-17); a window disqualified in any quarter of the year is refused (R-25)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.LEADING_GROUP, effective_on, command="decide_annual_excellent_windows"
            )
            self._open_year(year, effective_on, today, "R-17")
            roster = self.year_roster(year)
            annual = self._annual_started(year, "R-17", "no branch has met (R-16)")
            no_meeting = [b for b in roster.branches if b not in annual.meetings]
            if no_meeting:
                raise RuleViolation(
                    "R-17",
                    f"the excellent windows are decided on every branch's recommendations: no "
                    f"joint meeting yet in {_listing(no_meeting)} (R-16)",
                    fields={"no_meeting": no_meeting},
                )
            recommended = tuple(
                sorted({w for m in annual.meetings.values() for w in m.recommended_windows})
            )
            chosen = tuple(sorted(set(windows)))
            unrecommended = [w for w in chosen if w not in recommended]
            if unrecommended:
                raise RuleViolation(
                    "R-17",
                    f"{_listing(unrecommended)} not recommended by their branch "
                    f"(recommended: {_listing(recommended)})",
                    fields={"windows": unrecommended},
                )
            self._refuse_disqualified_windows(
                year, chosen, f"choosing {_listing(chosen)} as excellent windows"
            )
            annual.decide_excellent_windows(
                actor, windows=chosen, recommended=recommended, effective_on=effective_on
            )
            return Changes([annual])

        return self._execute(
            "decide_annual_excellent_windows",
            actor,
            idempotency_key,
            {"year": year, "windows": tuple(windows), "effective_on": effective_on},
            decide,
        )

    # R-18, D-21, D-22: publicity, objections, approval

    def start_publicity(
        self,
        actor: Actor,
        year: int,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Publicise the excellent staff and windows for N working days (R-18, D-21); the last
        day is stored with the calendar versions it was counted on."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.SUPERVISION_CLERK, effective_on, command="start_publicity")
            self._open_year(year, effective_on, today, "R-18")
            annual = self._annual_started(year, "R-18", "the preliminary grades are not fixed")
            with self.policy_state() as state:
                policy = state.policy.in_force(date(year, 12, 31))
            deadline = self.working_days_after(effective_on, policy.publicity_working_days)
            annual.start_publicity(
                actor,
                working_days=policy.publicity_working_days,
                due_on=deadline.due_on,
                calendar_versions=deadline.calendar_versions,
                policy_version=policy.version,
                effective_on=effective_on,
            )
            return Changes([annual])

        return self._execute(
            "start_publicity",
            actor,
            idempotency_key,
            {"year": year, "effective_on": effective_on},
            decide,
        )

    def raise_publicity_objection(
        self,
        actor: Actor,
        year: int,
        subject: str,
        text: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's objection to a publicised excellent staff member or window,
        during publicity only (R-18); the outcome's number is the objection's."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor,
                Role.STAFF,
                effective_on,
                command="raise_publicity_objection",
                scope=actor.person_id,
            )
            self._open_year(year, effective_on, today, "R-18")
            annual = self._annual_started(year, "R-18", "publicity has not started")
            number = annual.raise_objection(
                actor, subject=subject, text=text, effective_on=effective_on
            )
            return Changes([annual], number=number)

        return self._execute(
            "raise_publicity_objection",
            actor,
            idempotency_key,
            {"year": year, "subject": subject, "text": text, "effective_on": effective_on},
            decide,
        )

    def resolve_publicity_objection(
        self,
        actor: Actor,
        year: int,
        number: int,
        outcome: ObjectionOutcome | str,
        reason: str,
        effective_on: date,
        *,
        new_grade: Grade | str | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the leading group's resolution of an objection (R-18): dismissed, or upheld,
        which may lower the subject's grade from excellent (`new_grade`) or withdraw a window's
        title."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.LEADING_GROUP, effective_on, command="resolve_publicity_objection"
            )
            self._open_year(year, effective_on, today, "R-18")
            annual = self._annual_started(year, "R-18", "publicity has not started")
            resolved = member_of(ObjectionOutcome, outcome, rule="R-18", field="outcome")
            grade = None if new_grade is None else self._grade(new_grade, "R-12", "new_grade")
            subject = annual.objection(number).subject
            if grade is not None and subject in annual.grades:
                roster = self.year_roster(year)
                self._in_scheme(roster.participant(subject, "R-18"), grade, year)
            annual.resolve_objection(
                actor,
                number=number,
                outcome=resolved,
                reason=reason,
                new_grade=grade,
                effective_on=effective_on,
            )
            return Changes([annual], number=number)

        return self._execute(
            "resolve_publicity_objection",
            actor,
            idempotency_key,
            {
                "year": year,
                "number": number,
                "outcome": outcome,
                "reason": reason,
                "new_grade": new_grade,
                "effective_on": effective_on,
            },
            decide,
        )

    def approve_excellent_list(
        self,
        actor: Actor,
        year: int,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the Party Working Committee's approval of the excellent list (D-22), after
        publicity has ended with every objection resolved (R-18)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.PARTY_WORKING_COMMITTEE, effective_on, command="approve_excellent_list"
            )
            self._open_year(year, effective_on, today, "D-22")
            annual = self._annual_started(year, "R-18", "publicity has not started")
            annual.approve_excellent_list(actor, effective_on=effective_on)
            return Changes([annual])

        return self._execute(
            "approve_excellent_list",
            actor,
            idempotency_key,
            {"year": year, "effective_on": effective_on},
            decide,
        )

    # the results (the year's period decision), notification, signature, filings

    def decide_year_results(
        self,
        actor: Actor,
        year: int,
        decision_ref: str,
        effective_on: date,
        decided_at_position: int | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the year's results as approved, and with them the year's period decision, in
        one transaction (R-19)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.LEADING_GROUP, effective_on, command="decide_year_results")
            self._open_year(year, effective_on, today, "R-19")
            annual = self._annual_started(year, "R-19", "the excellent list is not approved")
            if annual.approved_on is None:
                raise RuleViolation(
                    "R-19",
                    f"the {year} excellent list is not approved by the Party Working Committee "
                    "(D-22)",
                )
            if annual.decided_on is not None:
                reopened = self.round(str(year)).reopened
                raise RuleViolation(
                    "R-19",
                    f"the {year} results were decided on {annual.decided_on}"
                    + (
                        "; the year is reopened: the leading group amends them (amend_year_results)"
                        if reopened
                        else ""
                    ),
                )
            quota, _, policy_version = self._quota(year, annual.grades, self.year_roster(year))
            assessment_round = self._record_period_decision(
                actor, str(year), decision_ref, effective_on, decided_at_position, today
            )
            assert assessment_round.decision is not None
            annual.decide_results(
                actor,
                quota=quota,
                decision_ref=decision_ref,
                decided_at_position=assessment_round.decision.decided_at_position,
                policy_version=policy_version,
                effective_on=effective_on,
            )
            return Changes([annual, assessment_round])

        return self._execute(
            "decide_year_results",
            actor,
            idempotency_key,
            {
                "year": year,
                "decision_ref": decision_ref,
                "effective_on": effective_on,
                "decided_at_position": decided_at_position,
            },
            decide,
        )

    def amend_year_results(
        self,
        actor: Actor,
        year: int,
        grades: Mapping[str, Grade | str],
        excellent_windows: Sequence[str] | None,
        decision_ref: str,
        effective_on: date,
        decided_at_position: int | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """After a reopening (SPEC section 3, D-13), record the year's amended results and the
        year's amended decision in one transaction: the grades that change (each of the
        person's scheme, R-12), the excellent windows kept (None: as decided). Every excellent
        grade must be eligible now (R-22, R-35) within the quota (D-20), every window not
        disqualified (R-25)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.LEADING_GROUP, effective_on, command="amend_year_results")
            self._open_year(year, effective_on, today, "R-19")
            assessment_round = self._reopened_round(str(year), f"the {year} results")
            annual = self._annual_started(year, "R-19", "the results are not decided")
            roster = self.year_roster(year)
            changes: dict[str, Grade] = {}
            for subject, value in grades.items():
                if subject not in annual.grades or subject not in roster.participants:
                    raise RuleViolation(
                        "R-19",
                        f"{subject} has no {year} grade to amend",
                        fields={"subject": subject},
                    )
                grade = self._grade(value, "R-12", "grades")
                self._in_scheme(roster.participants[subject], grade, year)
                changes[subject] = grade
            amended = {**annual.grades, **changes}
            excellent = sorted(n for n, g in amended.items() if g is Grade.EXCELLENT)
            self._refuse_ineligible_staff(year, excellent, "the amended results")
            windows = tuple(
                annual.excellent_windows or () if excellent_windows is None else excellent_windows
            )
            self._refuse_disqualified_windows(year, windows, "the amended results")
            quota, _, policy_version = self._quota(year, amended, roster)
            previous = assessment_round.decision
            assert previous is not None  # a reopened round is decided
            amended_round = self._record_period_decision(
                actor, str(year), decision_ref, effective_on, decided_at_position, today
            )
            assert amended_round.decision is not None
            annual.amend_results(
                actor,
                grades=changes,
                excellent_windows=windows,
                quota=quota,
                decision_ref=decision_ref,
                supersedes=previous.decision_ref,
                decided_at_position=amended_round.decision.decided_at_position,
                policy_version=policy_version,
                effective_on=effective_on,
            )
            return Changes([annual, amended_round])

        return self._execute(
            "amend_year_results",
            actor,
            idempotency_key,
            {
                "year": year,
                "grades": {subject: str(grade) for subject, grade in sorted(grades.items())},
                "excellent_windows": None if excellent_windows is None else list(excellent_windows),
                "decision_ref": decision_ref,
                "effective_on": effective_on,
                "decided_at_position": decided_at_position,
            },
            decide,
        )

    def notify_result(
        self,
        actor: Actor,
        year: int,
        staff_number: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that the supervision office told a staff member their grade (R-19; the day
        starts the R-41 clock)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.SUPERVISION_CLERK, effective_on, command="notify_result")
            self._open_year(year, effective_on, today, "R-19")
            annual = self._annual_started(year, "R-19", "the results are not decided")
            annual.notify(actor, subject=staff_number, effective_on=effective_on)
            return Changes([annual])

        return self._execute(
            "notify_result",
            actor,
            idempotency_key,
            {"year": year, "staff_number": staff_number, "effective_on": effective_on},
            decide,
        )

    def sign_result(
        self,
        actor: Actor,
        year: int,
        opinion: str,
        agrees: bool,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's signature and opinion on the registration form, after they
        were told the result (R-19)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.STAFF, effective_on, command="sign_result", scope=actor.person_id
            )
            self._open_year(year, effective_on, today, "R-19")
            annual = self._annual_started(year, "R-19", "the results are not decided")
            notified_on = annual.notified.get(actor.person_id)
            if notified_on is None:
                raise RuleViolation(
                    "R-19",
                    f"{actor.person_id} has not been told the {year} result yet",
                    fields={"staff_number": actor.person_id},
                )
            staff = self.staff(actor.person_id)
            staff.sign_registration_form(
                actor,
                year=year,
                grade=annual.grades[actor.person_id].value,
                opinion=opinion,
                agrees=agrees,
                notified_on=notified_on,
                effective_on=effective_on,
            )
            return Changes([staff])

        return self._execute(
            "sign_result",
            actor,
            idempotency_key,
            {"year": year, "opinion": opinion, "agrees": agrees, "effective_on": effective_on},
            decide,
        )

    def file_with_home_unit(
        self,
        actor: Actor,
        year: int,
        staff_number: str,
        home_unit: str,
        reference: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a staff member's signed registration form was filed with their home unit
        (R-19)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.SUPERVISION_CLERK, effective_on, command="file_with_home_unit"
            )
            self._open_year(year, effective_on, today, "R-19")
            annual = self._annual_started(year, "R-19", "the results are not decided")
            staff = self._read_staff(staff_number)
            forms = staff.annual_forms(year)
            signed_on = forms.signed_on
            if signed_on is None:
                raise RuleViolation(
                    "R-19",
                    f"{staff_number} has not signed the {year} registration form",
                    fields={"staff_number": staff_number},
                )
            grade = annual.grades.get(staff_number)
            if grade is not None and forms.signed_grade not in (None, grade.value):
                raise RuleViolation(
                    "R-19",
                    f"{staff_number} signed the {year} form for {forms.signed_grade}; the "
                    f"amended grade is {grade.value}: told and signed again first (D-13)",
                    fields={"staff_number": staff_number},
                )
            if home_unit != staff.home_unit:
                raise RuleViolation(
                    "R-19",
                    f"the home unit of {staff_number} is {staff.home_unit!r}, not {home_unit!r}",
                    fields={"home_unit": home_unit},
                )
            annual.file_with_home_unit(
                actor,
                subject=staff_number,
                home_unit=home_unit,
                reference=reference,
                signed_on=signed_on,
                effective_on=effective_on,
            )
            return Changes([annual])

        return self._execute(
            "file_with_home_unit",
            actor,
            idempotency_key,
            {
                "year": year,
                "staff_number": staff_number,
                "home_unit": home_unit,
                "reference": reference,
                "effective_on": effective_on,
            },
            decide,
        )

    def file_with_higher_authority(
        self,
        actor: Actor,
        year: int,
        reference: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that the year's results (grades, titles, quota figures) were filed with the
        higher authority under a reference, e.g. the checkpoint and the filing's hash (R-19)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.SUPERVISION_CLERK, effective_on, command="file_with_higher_authority"
            )
            self._open_year(year, effective_on, today, "R-19")
            annual = self._annual_started(year, "R-19", "the results are not decided")
            decision = self.round(str(year)).decision
            if annual.decided_on is None or decision is None:
                raise RuleViolation("R-19", f"the {year} results are not decided")
            quota, _, _ = self._quota(year, annual.grades, self.year_roster(year))
            annual.file_with_higher_authority(
                actor,
                reference=reference,
                quota=quota,
                decision_ref=decision.decision_ref,
                effective_on=effective_on,
            )
            return Changes([annual])

        return self._execute(
            "file_with_higher_authority",
            actor,
            idempotency_key,
            {"year": year, "reference": reference, "effective_on": effective_on},
            decide,
        )

    def record_filing_receipt(
        self,
        actor: Actor,
        year: int,
        reference: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the higher authority's receipt of the year's filing (R-19)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.HIGHER_AUTHORITY, effective_on, command="record_filing_receipt"
            )
            self._open_year(year, effective_on, today, "R-19")
            annual = self._annual_started(year, "R-19", "nothing is filed")
            annual.record_filing_receipt(actor, reference=reference, effective_on=effective_on)
            return Changes([annual])

        return self._execute(
            "record_filing_receipt",
            actor,
            idempotency_key,
            {"year": year, "reference": reference, "effective_on": effective_on},
            decide,
        )

    # For the grade challenge and the status

    def _decided_grade(self, staff_number: str, year: int) -> tuple[Grade, date] | None:
        """The final grade of a year and the day the person was told it (None until then)."""
        annual = self.annual_assessment(year)
        if annual is None or annual.decided_on is None:
            return None
        notified_on = annual.notified.get(staff_number)
        if notified_on is None:
            return None
        return annual.grades[staff_number], notified_on

    def _year_status(self, period: Period, today: date) -> ProcedureStatus | None:
        """Where the year's annual assessment stands: every step, who acts, what is missing."""
        return _YearStatus(self, int(period.key), today).status()


class _YearStatus:
    """Builds the status of one year's annual assessment from its records."""

    def __init__(self, ledger: AnnualCommands, year: int, today: date) -> None:
        self.ledger = ledger
        self.year = year
        self.today = today
        self.roster = ledger.year_roster(year)
        self.annual = ledger.annual_assessment(year)
        round_id = AssessmentRound.create_id(str(year))
        self.round = (
            cast(AssessmentRound, ledger._load(round_id, for_update=False))
            if ledger._exists(round_id)
            else None
        )
        self.forms = {n: ledger._read_staff(n).annual_forms(year) for n in self.roster.participants}

    def _units(self, codes: Iterable[str]) -> str:
        return ", ".join(sorted(set(codes)))

    def status(self) -> ProcedureStatus:
        """Every step in order."""
        annual, roster = self.annual, self.roster
        steps: list[Step] = [
            Step(
                "open_round",
                "The supervision office opens the year's round",
                "R-12",
                Role.SUPERVISION_CLERK,
                done=self.round is not None,
                done_on=self.round.opened_on if self.round else None,
            ),
            self._forms_step("self_summary_on", "submit_self_summary", "Self-summaries"),
            self._forms_step(
                "registration_form_on", "submit_registration_form", "Registration forms"
            ),
        ]
        proposals = annual.proposals if annual else {}
        for role, key, title, rule in (
            (
                Role.WINDOW_HEAD,
                "evaluate_window_staff",
                "Window heads evaluate their staff",
                "R-13",
            ),
            (
                Role.OFFICE_HEAD,
                "evaluate_office_staff",
                "Office heads evaluate their staff",
                "R-13",
            ),
            (Role.LEADER_IN_CHARGE, "evaluate_heads", "Leaders in charge evaluate heads", "D-17"),
        ):
            subjects = [n for n in roster.participants if roster.evaluator_role(n) is role]
            missing = tuple(
                f"{n} ({roster.participants[n].unit_code})" for n in subjects if n not in proposals
            )
            steps.append(
                Step(
                    key,
                    title,
                    rule,
                    role,
                    scope=self._units(roster.participants[n].unit_code for n in subjects),
                    done=not missing,
                    done_on=self._last(
                        proposals[n].effective_on for n in subjects if n in proposals
                    ),
                    missing=missing,
                )
            )
        for role, key, title in (
            (
                Role.SUPERVISION_CLERK,
                "countersign_supervision",
                "The supervision office countersigns",
            ),
            (Role.LEADER_IN_CHARGE, "countersign_leaders", "Leaders in charge countersign"),
            (Role.LEADING_GROUP, "countersign_leading_group", "The leading group countersigns"),
        ):
            subjects = [n for n in roster.participants if roster.countersigner(n)[0] is role]
            missing = tuple(
                n + ("" if n in proposals else " (not evaluated yet)")
                for n in subjects
                if n not in proposals or proposals[n].countersigned_on is None
            )
            scope = (
                self._units(roster.countersigner(n)[1] for n in subjects)
                if role is Role.LEADER_IN_CHARGE
                else ""
            )
            steps.append(
                Step(
                    key,
                    title + " the proposals",
                    "R-14",
                    role,
                    scope=scope,
                    done=not missing,
                    done_on=self._last(
                        proposals[n].countersigned_on for n in subjects if n in proposals
                    ),
                    missing=missing,
                )
            )
        mutual = annual.mutual_forms if annual else {}
        missing_forms = tuple(n for n in roster.participants if n not in mutual)
        steps.append(
            Step(
                "submit_mutual_evaluation_form",
                "Mutual-evaluation forms",
                "R-15",
                Role.STAFF,
                scope="each staff member",
                done=not missing_forms,
                missing=missing_forms,
            )
        )
        recommendations = annual.recommendation_forms if annual else {}
        for role in (Role.WINDOW_HEAD, Role.OFFICE_HEAD):
            units = [c for c, u in roster.units.items() if u.head_role is role]
            missing = tuple(
                f"{c} (head {roster.units[c].head_on(self.today) or 'vacant'})"
                for c in units
                if c not in recommendations
            )
            steps.append(
                Step(
                    f"recommend_{role.value}",
                    f"Excellent-staff recommendation forms ({role.value.replace('_', ' ')}s)",
                    "R-15",
                    role,
                    scope=self._units(units),
                    done=not missing,
                    missing=missing,
                )
            )
        meetings = annual.meetings if annual else {}
        missing_meetings = tuple(b for b in roster.branches if b not in meetings)
        steps.append(
            Step(
                "hold_joint_branch_meeting",
                "Joint branch meetings",
                "R-16",
                Role.BRANCH_SECRETARY,
                scope="branches " + ", ".join(roster.branches),
                done=not missing_meetings,
                done_on=self._last(m.effective_on for m in meetings.values()),
                missing=missing_meetings,
            )
        )
        steps.extend(self._decisions())
        return ProcedureStatus(
            "the annual assessment of",
            str(self.year),
            tuple(steps),
            self.round is not None and self.round.decision is not None,
        )

    def _forms_step(self, attribute: str, key: str, title: str) -> Step:
        days = {n: getattr(forms, attribute) for n, forms in self.forms.items()}
        missing = tuple(n for n, on in days.items() if on is None)
        return Step(
            key,
            title,
            "R-12",
            Role.STAFF,
            scope="each staff member",
            done=not missing,
            done_on=self._last(days.values()),
            missing=missing,
        )

    @staticmethod
    def _last(days: Iterable[date | None]) -> date | None:
        known = [day for day in days if day is not None]
        return max(known) if known else None

    def _amendment_steps(self) -> list[Step]:
        """After a reopening (D-13): the leading group's amended results, due or done."""
        assessment_round = self.round
        if assessment_round is None or not (
            assessment_round.reopened or assessment_round.superseded
        ):
            return []
        reopened = assessment_round.reopened
        count = len(assessment_round.reopenings)
        amended_on = self.annual.amended_on if self.annual else None
        return [
            Step(
                "amend_year_results",
                "The leading group decides the amended results (the amended decision)",
                "D-13",
                Role.LEADING_GROUP,
                done=not reopened,
                done_on=None if reopened else amended_on,
                missing=(
                    f"the amended results: the year was reopened for {count} late "
                    f"entr{'y' if count == 1 else 'ies'}",
                )
                if reopened
                else (),
            )
        ]

    def _decisions(self) -> list[Step]:
        annual, roster = self.annual, self.roster
        publicity = annual.publicity if annual else None
        open_objections = annual.open_objections if annual else ()
        ended = publicity is not None and self.today > publicity.due_on
        objections_missing: tuple[str, ...] = ()
        if publicity is not None and not ended:
            objections_missing = (f"publicity runs until {publicity.due_on}",)
        if annual is not None:
            objections_missing += tuple(
                f"objection {n} about {annual.objections[n].subject}" for n in open_objections
            )
        notified = annual.notified if annual else {}
        filed = annual.filed_with_home_unit if annual else {}
        grades = annual.grades if annual and annual.decided_on else {}
        # A signature counts for the grade signed: after amended results, a changed grade's
        # form is signed again (D-13).
        signed = {
            n: f.signed_on
            for n, f in self.forms.items()
            if n not in grades or f.signed_grade in (None, grades[n].value)
        }
        graded = (
            sorted(annual.grades) if annual and annual.decided_on else list(roster.participants)
        )
        refiling = annual is not None and annual.refiling_due
        return [
            Step(
                "fix_preliminary_grades",
                "The leading group fixes the preliminary grades",
                "R-17",
                Role.LEADING_GROUP,
                done=annual is not None and annual.preliminary_on is not None,
                done_on=annual.preliminary_on if annual else None,
            ),
            Step(
                "decide_annual_excellent_windows",
                "The leading group decides the annual excellent windows",
                "R-25",
                Role.LEADING_GROUP,
                done=annual is not None and annual.windows_decided_on is not None,
                done_on=annual.windows_decided_on if annual else None,
            ),
            Step(
                "start_publicity",
                "The supervision office publicises the excellent list",
                "D-21",
                Role.SUPERVISION_CLERK,
                done=publicity is not None,
                done_on=publicity.started_on if publicity else None,
                due_on=publicity.due_on if publicity else None,
            ),
            Step(
                "resolve_publicity_objections",
                "Publicity ends and its objections are resolved",
                "R-18",
                Role.LEADING_GROUP,
                done=ended and not open_objections,
                due_on=publicity.due_on if publicity else None,
                missing=objections_missing,
            ),
            Step(
                "approve_excellent_list",
                "The Party Working Committee approves the excellent list",
                "D-22",
                Role.PARTY_WORKING_COMMITTEE,
                done=annual is not None and annual.approved_on is not None,
                done_on=annual.approved_on if annual else None,
            ),
            Step(
                "decide_year_results",
                "The leading group decides the year's results",
                "R-19",
                Role.LEADING_GROUP,
                done=annual is not None and annual.decided_on is not None,
                done_on=annual.decided_on if annual else None,
            ),
            *self._amendment_steps(),
            Step(
                "notify_result",
                "The supervision office tells each staff member the result",
                "R-19",
                Role.SUPERVISION_CLERK,
                done=bool(notified) and all(n in notified for n in graded),
                done_on=self._last(notified.values()),
                missing=tuple(n for n in graded if n not in notified),
            ),
            Step(
                "sign_result",
                "Each staff member signs the registration form with an opinion",
                "R-19",
                Role.STAFF,
                scope="each staff member",
                done=all(signed.get(n) for n in graded),
                done_on=self._last(signed.values()),
                missing=tuple(n for n in graded if not signed.get(n)),
            ),
            Step(
                "file_with_home_unit",
                "The supervision office files each form with the home unit",
                "R-19",
                Role.SUPERVISION_CLERK,
                done=bool(filed) and all(n in filed for n in graded),
                done_on=self._last(filed.values()),
                missing=tuple(n for n in graded if n not in filed),
            ),
            Step(
                "file_with_higher_authority",
                "The supervision office files the results with the higher authority"
                + (" again (the amended filing, D-13)" if annual and annual.refiling_due else ""),
                "R-19",
                Role.SUPERVISION_CLERK,
                done=annual is not None and annual.filed_on is not None and not refiling,
                done_on=annual.filed_on if annual and not refiling else None,
                missing=("the amended results, filed again",) if refiling else (),
            ),
            Step(
                "record_filing_receipt",
                "The higher authority records its receipt of the filing",
                "R-19",
                Role.HIGHER_AUTHORITY,
                done=annual is not None and annual.receipt_on is not None,
                done_on=annual.receipt_on if annual else None,
            ),
        ]
