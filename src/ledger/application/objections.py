"""Objections to entries (R-40, R-42) and the review and appeal of a grade (R-41).

R-40: a staff member objects to a notified deduction or veto case within the policy's
`objection_working_days` working days of the notification's `effective_on` (after it, refused).
Each notice of an entry opens one window and allows one objection: the entry's own
notification, then each notified amendment (`notify_amendment`); an amended entry may thus be
objected to again only once its amendment was notified, and never while an objection to it is
open. The supervision office decides, the leading group for entries from the supervision
office's own inspections. An amended or revoked outcome records the entry's amendment or
revocation in the same transaction, after the decision and naming it (R-42).

R-41: see `ledger.aggregates.grade_challenge`. The grade and the day the person learned of it
come from the annual assessment (`_decided_grade`); each stage is an appeal case assigned to an
appeal reviewer under `GradeChallenge.case_id`.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import cast
from uuid import UUID

from ledger.aggregates.grade_challenge import ChallengeStage, GradeChallenge
from ledger.aggregates.policy_book import PolicyBook
from ledger.aggregates.staff import ObjectionOutcome, Staff
from ledger.application.core import Changes, LedgerCore, Outcome
from ledger.errors import RoleRequired, RuleViolation
from ledger.policy.grades import ChallengeClocks, Grade, challenge_clocks
from ledger.policy.parameters import MEASURES_2009, PolicyParameters
from ledger.policy.parameters import PolicyBook as ParameterBook
from ledger.values import Actor, DeductionSource, Role

_AMENDMENT_TOPICS = {
    "ledger.staff.DeductionAmended.v1": "amended",
    "ledger.staff.DeductionNotified.v1": "notified",
    "ledger.staff.DeductionAmendmentNotified.v1": "notified",
}


class ObjectionCommands(LedgerCore):
    """Objections to entries (R-40, R-42) and the review and appeal of a grade (R-41)."""

    # Notices and objections

    def notify_veto_case(
        self,
        actor: Actor,
        staff_number: str,
        veto: int,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a staff member was notified of a veto case (R-40's clock starts)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.SUPERVISION_CLERK, effective_on, command="notify_veto_case")
            self._not_in_future(effective_on, today, "effective_on")
            staff = self.staff(staff_number)
            staff.notify_veto_case(actor, veto, effective_on)
            return Changes([staff])

        return self._execute(
            "notify_veto_case",
            actor,
            idempotency_key,
            {"staff_number": staff_number, "veto": veto, "effective_on": effective_on},
            decide,
        )

    def notify_amendment(
        self,
        actor: Actor,
        staff_number: str,
        deduction: int,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record that a staff member was notified of the latest amendment of a deduction they
        were notified of (a new R-40 window opens)."""

        def decide(today: date) -> Changes:
            self._authorise(actor, Role.SUPERVISION_CLERK, effective_on, command="notify_amendment")
            self._not_in_future(effective_on, today, "effective_on")
            staff = self.staff(staff_number)
            amendment = self._unnotified_amendment(staff_number, deduction)
            staff.notify_amendment(actor, deduction, amendment, effective_on)
            return Changes([staff])

        return self._execute(
            "notify_amendment",
            actor,
            idempotency_key,
            {"staff_number": staff_number, "deduction": deduction, "effective_on": effective_on},
            decide,
        )

    def _unnotified_amendment(self, staff_number: str, deduction: int) -> int:
        """The version of the deduction's latest amendment if it came after its last notice,
        else the R-40 refusal."""
        # The record keeps a deduction's current figures, not its amendments: read the stream.
        amended = notified = 0
        for logged in self.ledger_recorder.select_stream(
            self.staff_stream(staff_number), limit=1_000_000
        ):
            change = _AMENDMENT_TOPICS.get(logged.topic)
            if change is None or json.loads(logged.state).get("deduction") != deduction:
                continue
            if change == "amended":
                amended = logged.originator_version
            else:
                notified = logged.originator_version
        if amended <= notified:
            raise RuleViolation(
                "R-40",
                f"deduction {deduction} of {staff_number} has no amendment since its last notice",
                fields={"deduction": deduction},
            )
        return amended

    def _policy_in_force(self, day: date) -> PolicyParameters:
        """The policy version in force on a day (the 2009 Measures when none is adopted)."""
        if not self._exists(PolicyBook.create_id()):
            return MEASURES_2009
        book = self.policy_book()
        return ParameterBook.of(
            PolicyParameters.from_record(version, effective_from, parameters)
            for version, (effective_from, parameters) in book.adopted.items()
        ).in_force(day)

    def raise_objection(
        self,
        actor: Actor,
        staff_number: str,
        entry: int,
        grounds: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's objection to a notified deduction or veto case, within the
        policy's working days of the notification (R-40); returns the objection's number."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.STAFF, effective_on, command="raise_objection", scope=staff_number
            )
            self._not_in_future(effective_on, today, "effective_on")
            staff = self.staff(staff_number)
            kind = staff.entry_kind(entry)
            notice = staff.entry_notice(entry)
            if notice is None:
                raise RuleViolation(
                    "R-40",
                    f"{kind} {entry} of {staff_number} was not notified: the objection window "
                    "opens with the notification",
                    fields={"entry": entry},
                )
            notified_on = notice[1]
            days = self._policy_in_force(notified_on).objection_working_days
            deadline = self.working_days_after(notified_on, days)
            veto_source: DeductionSource | None = None
            if kind == "veto":
                recorded = json.loads(self._logged_event(staff.id, entry).state)
                veto_source = DeductionSource(recorded["source"])
            number = staff.raise_objection(
                actor, entry, grounds, deadline, effective_on, veto_source=veto_source
            )
            return Changes([staff], number)

        return self._execute(
            "raise_objection",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "entry": entry,
                "grounds": grounds,
                "effective_on": effective_on,
            },
            decide,
        )

    def decide_objection(
        self,
        actor: Actor,
        staff_number: str,
        objection: int,
        outcome: ObjectionOutcome,
        reason: str,
        decision_ref: str,
        effective_on: date,
        *,
        quantity: int | None = None,
        points: str | Decimal | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the decision on an objection: upheld, amended (new quantity or points) or
        revoked; the amendment or revocation follows in the same transaction (R-40, R-42).
        The supervision office decides; the leading group for `supervision_inspection` entries."""

        def decide(today: date) -> Changes:
            # Either deciding role first, before the objection is looked up (SPEC section 5);
            # which of the two it must be depends on the entry objected to.
            deciders = (Role.SUPERVISION_CLERK, Role.LEADING_GROUP)
            self._authorise(actor, deciders, effective_on, command="decide_objection")
            staff = self.staff(staff_number)
            raised = staff.objection(objection)
            needed = (
                Role.LEADING_GROUP
                if raised.source is DeductionSource.SUPERVISION_INSPECTION
                else Role.SUPERVISION_CLERK
            )
            if actor.role is not needed:
                raise RoleRequired(
                    needed.value,
                    f"decide_objection needs the role {needed.value}: objection {objection} is "
                    f"to a {raised.source.value} entry (R-40); the actor acts as "
                    f"{actor.role.value}",
                )
            self._authorise(actor, needed, effective_on, command="decide_objection")
            self._not_in_future(effective_on, today, "effective_on")
            new_quantity: int | None = None
            applied: Decimal | None = None
            if outcome == ObjectionOutcome.AMENDED and raised.entry_kind == "deduction":
                new_quantity, applied = self._amended(
                    actor, staff, raised.entry, quantity, points, reason
                )
            elif quantity is not None or points is not None:
                raise RuleViolation(
                    "R-40",
                    f"only an amended outcome of a deduction takes new quantity or points, "
                    f"not {outcome}",
                    fields={"outcome": str(outcome)},
                )
            staff.decide_objection(
                actor,
                objection,
                outcome=outcome,
                reason=reason,
                decision_ref=decision_ref,
                effective_on=effective_on,
                quantity=new_quantity,
                points_applied=applied,
            )
            return Changes([staff])

        return self._execute(
            "decide_objection",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "objection": objection,
                "outcome": outcome,
                "reason": reason,
                "decision_ref": decision_ref,
                "effective_on": effective_on,
                "quantity": quantity,
                "points": str(points) if points is not None else None,
            },
            decide,
        )

    def _amended(
        self,
        actor: Actor,
        staff: Staff,
        deduction: int,
        quantity: int | None,
        points: str | Decimal | None,
        reason: str,
    ) -> tuple[int, Decimal]:
        """The amended quantity and points; points other than the catalogue's need the leading
        group, as for any amendment (R-01)."""
        if quantity is None and points is None:
            raise RuleViolation("R-40", "an amended outcome needs a new quantity or new points")
        current = staff.deduction(deduction)
        item = self.catalogue().item(current.item_code, current.catalogue_version)
        assert item is not None, "a recorded deduction names an item of its catalogue version"
        new_quantity = current.quantity if quantity is None else quantity
        applied, _ = self._checked_points(
            actor, item, new_quantity, points, reason if points is not None else None
        )
        return new_quantity, applied

    # The review and appeal of a grade

    def _challenge_for_update(self, staff_number: str, year: int) -> GradeChallenge:
        return cast(
            GradeChallenge,
            self._get(
                GradeChallenge.create_id(staff_number, year),
                f"the challenge of {staff_number}'s {year} grade",
            ),
        )

    def _clocks(self, staff_number: str) -> ChallengeClocks:
        return challenge_clocks(self.staff(staff_number).category)

    def _authorise_reviewer(
        self,
        actor: Actor,
        staff_number: str,
        year: int,
        stage: ChallengeStage,
        on: date,
        command: str,
    ) -> None:
        """Refuse unless the actor was the appeal reviewer assigned to this stage's case."""
        case_id = GradeChallenge.case_id(staff_number, year, stage)
        self._authorise(actor, Role.APPEAL_REVIEWER, on, command=command, scope=case_id)
        organisation = self.organisation()
        assert organisation is not None  # _authorise found the holding there
        assigned = organisation.appeal_cases.get(case_id)
        if assigned is None or assigned[0] != staff_number:
            raise RoleRequired(
                Role.APPEAL_REVIEWER.value,
                f"appeal case {case_id} is not assigned for {staff_number}",
            )

    def request_review(
        self,
        actor: Actor,
        staff_number: str,
        year: int,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's request for a review of an incompetent or unqualified grade,
        within the category's calendar days of learning of it (R-41)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.STAFF, effective_on, command="request_review", scope=staff_number
            )
            self._not_in_future(effective_on, today, "effective_on")
            clocks = self._clocks(staff_number)
            challenge = self._challenge(actor, staff_number, year, effective_on)
            deadline = self.calendar_days_after(challenge.notified_on, clocks.review_request_days)
            decision = self.calendar_days_after(effective_on, clocks.review_decision_days)
            challenge.request_review(actor, effective_on, deadline, decision)
            return Changes([challenge])

        return self._execute(
            "request_review",
            actor,
            idempotency_key,
            {"staff_number": staff_number, "year": year, "effective_on": effective_on},
            decide,
        )

    def _challenge(
        self, actor: Actor, staff_number: str, year: int, effective_on: date
    ) -> GradeChallenge:
        """The grade's challenge, opened from the decided grade if it is the first request."""
        record_id = GradeChallenge.create_id(staff_number, year)
        if self._exists(record_id):
            return self._challenge_for_update(staff_number, year)
        decided = self._decided_grade(staff_number, year)
        if decided is None:
            raise RuleViolation(
                "R-41",
                f"{staff_number} has no {year} grade decided and notified to challenge",
                fields={"year": year},
            )
        grade, notified_on = decided
        return GradeChallenge.open(
            actor,
            staff_number=staff_number,
            year=year,
            category=self.staff(staff_number).category,
            grade=grade,
            notified_on=notified_on,
            effective_on=effective_on,
        )

    def decide_review(
        self,
        actor: Actor,
        staff_number: str,
        year: int,
        decision_ref: str,
        reason: str,
        effective_on: date,
        *,
        grade: Grade | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the review's decision by the assigned reviewer: the grade upheld (`grade`
        None or the same) or a better one; late decisions are flagged (R-41)."""

        def decide(today: date) -> Changes:
            self._authorise_reviewer(
                actor, staff_number, year, ChallengeStage.REVIEW, effective_on, "decide_review"
            )
            self._not_in_future(effective_on, today, "effective_on")
            challenge = self._challenge_for_update(staff_number, year)
            challenge.decide_review(
                actor, grade or challenge.standing_grade, decision_ref, reason, effective_on
            )
            return Changes([challenge])

        return self._execute(
            "decide_review",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "year": year,
                "decision_ref": decision_ref,
                "reason": reason,
                "effective_on": effective_on,
                "grade": grade,
            },
            decide,
        )

    def lodge_appeal(
        self,
        actor: Actor,
        staff_number: str,
        year: int,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record a staff member's appeal: within the category's days of the review's decision,
        or directly within its days of learning of the grade (R-41)."""

        def decide(today: date) -> Changes:
            self._authorise(
                actor, Role.STAFF, effective_on, command="lodge_appeal", scope=staff_number
            )
            self._not_in_future(effective_on, today, "effective_on")
            clocks = self._clocks(staff_number)
            challenge = self._challenge(actor, staff_number, year, effective_on)
            review = challenge.review
            if review is not None and review.decided_on is not None:
                deadline = self.calendar_days_after(
                    review.decided_on, clocks.appeal_after_review_days
                )
            else:
                deadline = self.calendar_days_after(
                    challenge.notified_on, clocks.appeal_direct_days
                )
            decision = self.calendar_days_after(effective_on, clocks.appeal_decision_days)
            challenge.lodge_appeal(actor, effective_on, deadline, decision)
            return Changes([challenge])

        return self._execute(
            "lodge_appeal",
            actor,
            idempotency_key,
            {"staff_number": staff_number, "year": year, "effective_on": effective_on},
            decide,
        )

    def extend_appeal(
        self,
        actor: Actor,
        staff_number: str,
        year: int,
        reason: str,
        effective_on: date,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the one extension of the appeal's decision clock by the category's extension
        days, by the assigned reviewer before the clock runs out (R-41)."""

        def decide(today: date) -> Changes:
            self._authorise_reviewer(
                actor, staff_number, year, ChallengeStage.APPEAL, effective_on, "extend_appeal"
            )
            self._not_in_future(effective_on, today, "effective_on")
            clocks = self._clocks(staff_number)
            challenge = self._challenge_for_update(staff_number, year)
            appeal = challenge.appeal
            if appeal is None:
                raise RuleViolation("R-41", f"no appeal of {staff_number}'s {year} grade")
            # The extension lengthens the decision period itself: counted from the lodging.
            extended = self.calendar_days_after(
                appeal.lodged_on, clocks.appeal_decision_days + clocks.appeal_extension_days
            )
            challenge.extend_appeal(actor, reason, effective_on, extended)
            return Changes([challenge])

        return self._execute(
            "extend_appeal",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "year": year,
                "reason": reason,
                "effective_on": effective_on,
            },
            decide,
        )

    def decide_appeal(
        self,
        actor: Actor,
        staff_number: str,
        year: int,
        decision_ref: str,
        reason: str,
        effective_on: date,
        *,
        grade: Grade | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Record the appeal's decision by the assigned reviewer: the standing grade upheld
        or a better one; late decisions are flagged (R-41)."""

        def decide(today: date) -> Changes:
            self._authorise_reviewer(
                actor, staff_number, year, ChallengeStage.APPEAL, effective_on, "decide_appeal"
            )
            self._not_in_future(effective_on, today, "effective_on")
            challenge = self._challenge_for_update(staff_number, year)
            challenge.decide_appeal(
                actor, grade or challenge.standing_grade, decision_ref, reason, effective_on
            )
            return Changes([challenge])

        return self._execute(
            "decide_appeal",
            actor,
            idempotency_key,
            {
                "staff_number": staff_number,
                "year": year,
                "decision_ref": decision_ref,
                "reason": reason,
                "effective_on": effective_on,
                "grade": grade,
            },
            decide,
        )

    def grade_challenge(self, staff_number: str, year: int) -> GradeChallenge:
        """The review and appeal of a person's grade of a year."""
        return self._challenge_for_update(staff_number, year)

    @staticmethod
    def challenge_stream(staff_number: str, year: int) -> UUID:
        """The stream id of a grade's challenge."""
        return GradeChallenge.create_id(staff_number, year)
