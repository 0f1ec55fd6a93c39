"""Objections to deductions and veto cases (SPEC 4.7, R-40, R-42): raised by the staff member
within the policy's working days of the notification, decided by the supervision office or, for
its own inspections, by the leading group; amended and revoked outcomes change the figures and
the replay shows the original, the notification, the objection and the outcome in order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    SOURCE,
    STAFF,
    at,
    refused,
    seed_organisation,
)
from ledger.aggregates.staff import ObjectionOutcome
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.demo import package_calendar
from ledger.errors import RoleRequired
from ledger.policy import Bonus, BonusStatus, DeductionTotal
from ledger.projections.as_of import find_figure
from ledger.values import OPERATOR, Actor, DeductionSource, Role, VetoCase

SELF = Actor(STAFF, Role.STAFF)
"""The staff member acting over their own records."""
MARCH = "2025-03"


def load_calendar(ledger: AssessmentLedger, year: int) -> None:
    statutory = package_calendar(year)
    ledger.load_calendar_year(
        OPERATOR, year, statutory.holidays, statutory.makeup_workdays, statutory.source
    )


@pytest.fixture
def seeded(ledger: AssessmentLedger) -> AssessmentLedger:
    """The minimal organisation and the 2025 statutory calendar."""
    seed_organisation(ledger)
    load_calendar(ledger, 2025)
    return ledger


def entry(
    ledger: AssessmentLedger,
    incident: str,
    *,
    source: DeductionSource = SOURCE,
    occurred_on: date = date(2025, 3, 3),
    quantity: int = 2,
) -> int:
    """Record an absence of `quantity` half days (3 points each) against S001; its number."""
    outcome = ledger.record_deduction(
        CLERK,
        STAFF,
        "ATT-05",
        occurred_on,
        incident,
        f"evidence {incident}",
        source,
        quantity=quantity,
    )
    assert outcome.number is not None
    return outcome.number


def notified_entry(
    ledger: AssessmentLedger,
    incident: str,
    notified_on: date = date(2025, 3, 4),
    *,
    source: DeductionSource = SOURCE,
    occurred_on: date = date(2025, 3, 3),
) -> int:
    number = entry(ledger, incident, source=source, occurred_on=occurred_on)
    ledger.notify_deduction(CLERK, STAFF, number, notified_on)
    return number


def objected(ledger: AssessmentLedger, number: int, effective_on: date = date(2025, 3, 5)) -> int:
    outcome = ledger.raise_objection(SELF, STAFF, number, "I was on approved leave", effective_on)
    assert outcome.number is not None
    return outcome.number


def march_total(ledger: AssessmentLedger) -> tuple[Decimal, BonusStatus]:
    """S001's March deduction total and monthly bonus, from the policy's view of the log."""
    with ledger.policy_state() as state:
        total = find_figure(state, "staff", STAFF, MARCH, "deduction_total")
        bonus = find_figure(state, "staff", STAFF, MARCH, "bonus")
    assert isinstance(total, DeductionTotal) and isinstance(bonus, Bonus)
    return total.total, bonus.status


# the window


def test_r40_the_last_working_day_of_the_window_is_in_time(
    seeded: AssessmentLedger, clock: SettableClock
) -> None:
    # given an entry notified on Monday 3 March (5 working days: 4, 5, 6, 7 and 10 March)
    number = notified_entry(seeded, "INC-1", date(2025, 3, 3))
    # when the staff member objects on Monday 10 March
    outcome = seeded.raise_objection(SELF, STAFF, number, "wrong person", date(2025, 3, 10))
    # then it is recorded, with the deadline and the calendar it was counted on
    (raised,) = [h for h in seeded.history(seeded.staff_stream(STAFF)) if "Objection" in h.event]
    assert raised.event == "ledger.staff.ObjectionRaised.v1"
    assert raised.version == outcome.number
    assert raised.payload["deadline"] == "2025-03-10"
    assert raised.payload["notified_on"] == "2025-03-03"
    assert raised.payload["calendar_versions"] == [f"2025: {package_calendar(2025).source} (v1)"]


def test_r40_the_next_working_day_is_refused_naming_the_deadline(
    seeded: AssessmentLedger, clock: SettableClock
) -> None:
    # given an entry notified on Monday 3 March, and today 11 March
    number = notified_entry(seeded, "INC-1", date(2025, 3, 3))
    clock.set(at(date(2025, 3, 11)))
    # when the staff member objects on Tuesday 11 March
    refusal = refused(
        seeded,
        lambda: seeded.raise_objection(SELF, STAFF, number, "wrong person", date(2025, 3, 11)),
        rule="R-40",
    )
    # then the refusal names the deadline, the notification and the calendar used
    assert "2025-03-10" in refusal.message
    assert refusal.fields["deadline"] == "2025-03-10"
    assert refusal.fields["notified_on"] == "2025-03-03"
    versions = refusal.fields["calendar_versions"]
    assert isinstance(versions, list) and versions[0].startswith("2025: chinese-calendar")


def test_r40_a_window_crossing_the_spring_festival_counts_working_days_and_the_makeup_saturday(
    seeded: AssessmentLedger, clock: SettableClock
) -> None:
    # given entries notified on Monday 27 January 2025, the eve of the Spring Festival holiday
    # (28 January - 4 February off; Saturday 8 February a make-up working day)
    clock.set(at(date(2025, 1, 27)))
    in_time = notified_entry(seeded, "INC-SF-1", date(2025, 1, 27), occurred_on=date(2025, 1, 20))
    too_late = notified_entry(seeded, "INC-SF-2", date(2025, 1, 27), occurred_on=date(2025, 1, 21))
    clock.set(at(date(2025, 2, 11)))
    # when one objection comes on Monday 10 February and one on Tuesday 11 February
    seeded.raise_objection(SELF, STAFF, in_time, "approved leave", date(2025, 2, 10))
    refusal = refused(
        seeded,
        lambda: seeded.raise_objection(SELF, STAFF, too_late, "approved leave", date(2025, 2, 11)),
        rule="R-40",
    )
    # then the window ran 5, 6, 7, 8 (Saturday, made up) and 10 February
    assert refusal.fields["deadline"] == "2025-02-10"


def test_r40_a_window_crossing_national_day_runs_past_the_holiday(
    seeded: AssessmentLedger, clock: SettableClock
) -> None:
    # given an entry notified on Tuesday 30 September 2025 (1-8 October off, 11 October made up)
    clock.set(at(date(2025, 9, 30)))
    number = notified_entry(seeded, "INC-ND", date(2025, 9, 30), occurred_on=date(2025, 9, 29))
    clock.set(at(date(2025, 10, 15)))
    # when the staff member objects on 15 October, then on 14 October
    refusal = refused(
        seeded,
        lambda: seeded.raise_objection(SELF, STAFF, number, "approved leave", date(2025, 10, 15)),
        rule="R-40",
    )
    seeded.raise_objection(SELF, STAFF, number, "approved leave", date(2025, 10, 14))
    # then the window was 9, 10, 11 (Saturday, made up), 13 and 14 October
    assert refusal.fields["deadline"] == "2025-10-14"


def test_r40_the_window_counts_from_the_notification_not_from_the_recording(
    seeded: AssessmentLedger, clock: SettableClock
) -> None:
    # given an entry recorded on 10 March but notified only on Wednesday 12 March
    number = entry(seeded, "INC-1")
    clock.set(at(date(2025, 3, 19)))
    seeded.notify_deduction(CLERK, STAFF, number, date(2025, 3, 12))
    # when the staff member objects on 19 March, seven working days after the recording
    outcome = seeded.raise_objection(SELF, STAFF, number, "approved leave", date(2025, 3, 19))
    # then it is in time: 13, 14, 17, 18 and 19 March after the notification
    assert outcome.number is not None


def test_r40_the_window_is_the_policy_in_force_on_the_notification(
    seeded: AssessmentLedger, clock: SettableClock
) -> None:
    # given a local policy of 3 working days, and an entry notified on Monday 3 March
    seeded.adopt_policy(OPERATOR, "local-2025", date(2025, 1, 1), {"objection_working_days": "3"})
    number = notified_entry(seeded, "INC-1", date(2025, 3, 3))
    # when the staff member objects on Friday 7 March
    refusal = refused(
        seeded,
        lambda: seeded.raise_objection(SELF, STAFF, number, "approved leave", date(2025, 3, 7)),
        rule="R-40",
    )
    # then the window closed on Thursday 6 March
    assert refusal.fields["deadline"] == "2025-03-06"


def test_r40_an_entry_not_notified_is_refused(seeded: AssessmentLedger) -> None:
    number = entry(seeded, "INC-1")

    refusal = refused(
        seeded,
        lambda: seeded.raise_objection(SELF, STAFF, number, "approved leave", date(2025, 3, 5)),
        rule="R-40",
    )

    assert "not notified" in refusal.message


def test_r40_a_veto_case_not_notified_is_refused_and_once_notified_accepted(
    seeded: AssessmentLedger,
) -> None:
    veto = seeded.record_veto_case(
        CLERK,
        STAFF,
        VetoCase.V7,
        date(2025, 3, 3),
        "INC-V",
        "video",
        "seen by two clerks",
        DeductionSource.E_SUPERVISION_SYSTEM,
    )
    assert veto.number is not None
    number = veto.number
    refused(
        seeded,
        lambda: seeded.raise_objection(SELF, STAFF, number, "not me", date(2025, 3, 5)),
        rule="R-40",
    )

    seeded.notify_veto_case(CLERK, STAFF, number, date(2025, 3, 4))
    outcome = seeded.raise_objection(SELF, STAFF, number, "not me", date(2025, 3, 5))

    assert outcome.number == number + 2


def test_r40_an_objection_dated_before_the_notification_is_refused(
    seeded: AssessmentLedger,
) -> None:
    number = notified_entry(seeded, "INC-1", date(2025, 3, 5))

    refused(
        seeded,
        lambda: seeded.raise_objection(SELF, STAFF, number, "approved leave", date(2025, 3, 4)),
        rule="R-40",
    )


def test_r40_only_the_staff_member_objects_to_their_own_entries(
    seeded: AssessmentLedger,
) -> None:
    number = notified_entry(seeded, "INC-1")

    refusal = refused(
        seeded,
        lambda: seeded.raise_objection(
            Actor(COLLEAGUE, Role.STAFF), STAFF, number, "solidarity", date(2025, 3, 5)
        ),
        RoleRequired,
    )

    assert isinstance(refusal, RoleRequired) and refusal.needed == "staff"


def test_r40_an_objection_without_the_calendar_loaded_is_refused_naming_the_year(
    ledger: AssessmentLedger,
) -> None:
    seed_organisation(ledger)
    number = notified_entry(ledger, "INC-1")

    refusal = refused(ledger, lambda: objected(ledger, number), rule="CALENDAR")

    assert refusal.fields["year"] == 2025


def test_r40_one_open_objection_per_entry(seeded: AssessmentLedger) -> None:
    number = notified_entry(seeded, "INC-1")
    first = objected(seeded, number)

    refusal = refused(seeded, lambda: objected(seeded, number, date(2025, 3, 6)), rule="R-40")

    assert f"objection {first}" in refusal.message and "open" in refusal.message


def test_r40_a_revoked_entry_cannot_be_objected_to(seeded: AssessmentLedger) -> None:
    number = notified_entry(seeded, "INC-1")
    seeded.revoke_deduction(CLERK, STAFF, number, date(2025, 3, 5), "recorded in error")

    refused(seeded, lambda: objected(seeded, number), rule="R-40")


# who decides


def test_r40_an_objection_to_a_supervision_inspection_entry_is_decided_by_the_leading_group(
    seeded: AssessmentLedger,
) -> None:
    # given an objection to an entry from the supervision office's own inspection
    objection = objected(seeded, notified_entry(seeded, "INC-1"))
    # when the supervision clerk decides it, it is refused naming the leading group
    refusal = refused(
        seeded,
        lambda: seeded.decide_objection(
            CLERK, STAFF, objection, ObjectionOutcome.UPHELD, "stands", "SO-1", date(2025, 3, 6)
        ),
        RoleRequired,
    )
    assert isinstance(refusal, RoleRequired) and refusal.needed == "leading_group"
    assert "supervision_inspection" in refusal.message
    # then the leading group decides it
    seeded.decide_objection(
        LEADER, STAFF, objection, ObjectionOutcome.UPHELD, "stands", "LG-1", date(2025, 3, 6)
    )


def test_r40_an_objection_to_a_complaint_entry_is_decided_by_the_supervision_office(
    seeded: AssessmentLedger,
) -> None:
    # given an objection to an entry from a complaint
    number = notified_entry(seeded, "INC-1", source=DeductionSource.COMPLAINT)
    objection = objected(seeded, number)
    # when the leading group decides it, it is refused naming the supervision clerk
    refusal = refused(
        seeded,
        lambda: seeded.decide_objection(
            LEADER, STAFF, objection, ObjectionOutcome.UPHELD, "stands", "LG-1", date(2025, 3, 6)
        ),
        RoleRequired,
    )
    assert isinstance(refusal, RoleRequired) and refusal.needed == "supervision_clerk"
    # then the supervision clerk decides it
    seeded.decide_objection(
        CLERK, STAFF, objection, ObjectionOutcome.UPHELD, "stands", "SO-1", date(2025, 3, 6)
    )


def test_r40_a_decided_objection_is_not_decided_again(seeded: AssessmentLedger) -> None:
    objection = objected(seeded, notified_entry(seeded, "INC-1"))
    seeded.decide_objection(
        LEADER, STAFF, objection, ObjectionOutcome.UPHELD, "stands", "LG-1", date(2025, 3, 6)
    )

    refused(
        seeded,
        lambda: seeded.decide_objection(
            LEADER, STAFF, objection, ObjectionOutcome.REVOKED, "gone", "LG-2", date(2025, 3, 7)
        ),
        rule="R-40",
    )


# outcomes and the figures


def test_r40_an_upheld_objection_changes_no_figure(seeded: AssessmentLedger) -> None:
    # given an objection to 6 points in March (the monthly bonus cancelled)
    objection = objected(seeded, notified_entry(seeded, "INC-1"))
    assert march_total(seeded) == (Decimal(6), BonusStatus.CANCELLED)
    # when the leading group upholds the entry
    outcome = seeded.decide_objection(
        LEADER,
        STAFF,
        objection,
        ObjectionOutcome.UPHELD,
        "absence proven",
        "LG-1",
        date(2025, 3, 6),
    )
    # then one event is recorded and the figures stand
    assert len(outcome.records) == 1 and outcome.records[0][1] == objection + 1
    assert march_total(seeded) == (Decimal(6), BonusStatus.CANCELLED)


def test_r40_an_amended_outcome_amends_the_entry_and_the_figures_follow(
    seeded: AssessmentLedger,
) -> None:
    # given an objection to 2 half days of absence (6 points)
    number = notified_entry(seeded, "INC-1")
    objection = objected(seeded, number)
    # when the leading group amends it to one half day
    seeded.decide_objection(
        LEADER,
        STAFF,
        objection,
        ObjectionOutcome.AMENDED,
        "one half day was leave",
        "LG-2",
        date(2025, 3, 6),
        quantity=1,
    )
    # then the entry counts 3 points and the monthly bonus is halved instead of cancelled
    assert march_total(seeded) == (Decimal(3), BonusStatus.HALVED)
    deduction = seeded.staff(STAFF).deduction(number)
    assert (deduction.quantity, deduction.points_applied) == (1, Decimal(3))


def test_r40_a_revoked_outcome_revokes_the_entry_and_the_figures_follow(
    seeded: AssessmentLedger,
) -> None:
    objection = objected(seeded, notified_entry(seeded, "INC-1"))

    seeded.decide_objection(
        LEADER,
        STAFF,
        objection,
        ObjectionOutcome.REVOKED,
        "leave was approved",
        "LG-3",
        date(2025, 3, 6),
    )

    assert march_total(seeded) == (Decimal(0), BonusStatus.FULL)


def test_r40_a_revoked_objection_to_a_veto_case_revokes_the_veto(
    seeded: AssessmentLedger,
) -> None:
    # given an objection to a veto case from a complaint
    veto = seeded.record_veto_case(
        CLERK,
        STAFF,
        VetoCase.V6,
        date(2025, 3, 3),
        "INC-V",
        "complaint",
        "verified",
        DeductionSource.COMPLAINT,
    )
    assert veto.number is not None
    seeded.notify_veto_case(CLERK, STAFF, veto.number, date(2025, 3, 4))
    objection = objected(seeded, veto.number)
    with seeded.policy_state() as state:
        assert not state.staff[STAFF].vetoes[veto.number].revocation
    # when the supervision office revokes it
    seeded.decide_objection(
        CLERK,
        STAFF,
        objection,
        ObjectionOutcome.REVOKED,
        "complaint withdrawn",
        "SO-4",
        date(2025, 3, 6),
    )
    # then the veto case no longer counts
    assert seeded.staff(STAFF).vetoes[veto.number].revoked
    with seeded.policy_state() as state:
        assert state.staff[STAFF].vetoes[veto.number].revocation is not None


def test_r40_a_veto_case_is_not_amended(seeded: AssessmentLedger) -> None:
    veto = seeded.record_veto_case(
        CLERK,
        STAFF,
        VetoCase.V6,
        date(2025, 3, 3),
        "INC-V",
        "complaint",
        "verified",
        DeductionSource.COMPLAINT,
    )
    assert veto.number is not None
    seeded.notify_veto_case(CLERK, STAFF, veto.number, date(2025, 3, 4))
    objection = objected(seeded, veto.number)

    refused(
        seeded,
        lambda: seeded.decide_objection(
            CLERK, STAFF, objection, ObjectionOutcome.AMENDED, "milder", "SO-5", date(2025, 3, 6)
        ),
        rule="R-40",
    )


def test_r40_an_amended_outcome_must_change_the_entry(seeded: AssessmentLedger) -> None:
    objection = objected(seeded, notified_entry(seeded, "INC-1"))

    refused(
        seeded,
        lambda: seeded.decide_objection(
            LEADER,
            STAFF,
            objection,
            ObjectionOutcome.AMENDED,
            "same",
            "LG-6",
            date(2025, 3, 6),
            quantity=2,
        ),
        rule="R-40",
    )
    refused(
        seeded,
        lambda: seeded.decide_objection(
            LEADER,
            STAFF,
            objection,
            ObjectionOutcome.UPHELD,
            "stands",
            "LG-6",
            date(2025, 3, 6),
            quantity=1,
        ),
        rule="R-40",
    )


def test_r40_other_points_on_an_objection_need_the_leading_group(
    seeded: AssessmentLedger,
) -> None:
    # given an objection to a complaint entry, which the supervision office decides
    objection = objected(seeded, notified_entry(seeded, "INC-1", source=DeductionSource.COMPLAINT))
    # when the clerk amends it to points off the catalogue, it is refused
    refusal = refused(
        seeded,
        lambda: seeded.decide_objection(
            CLERK,
            STAFF,
            objection,
            ObjectionOutcome.AMENDED,
            "mitigated",
            "SO-7",
            date(2025, 3, 6),
            points="4.5",
        ),
        RoleRequired,
    )
    assert isinstance(refusal, RoleRequired) and refusal.needed == "leading_group"
    # then a quantity on the catalogue's scale is the clerk's to decide
    seeded.decide_objection(
        CLERK,
        STAFF,
        objection,
        ObjectionOutcome.AMENDED,
        "mitigated",
        "SO-7",
        date(2025, 3, 6),
        quantity=1,
    )
    assert march_total(seeded) == (Decimal(3), BonusStatus.HALVED)


# an amended entry is objected to again only once the amendment is notified


def test_r40_an_amended_entry_is_objected_to_again_only_after_the_amendment_is_notified(
    seeded: AssessmentLedger,
) -> None:
    # given an objection that amended the entry
    number = notified_entry(seeded, "INC-1")
    objection = objected(seeded, number)
    seeded.decide_objection(
        LEADER,
        STAFF,
        objection,
        ObjectionOutcome.AMENDED,
        "one half day",
        "LG-8",
        date(2025, 3, 6),
        quantity=1,
    )
    # when the staff member objects again before the amendment is notified, it is refused
    refusal = refused(seeded, lambda: objected(seeded, number, date(2025, 3, 7)), rule="R-40")
    assert "notified amendment" in refusal.message
    # then, once the amendment is notified, a new window opens from that notification
    seeded.notify_amendment(CLERK, STAFF, number, date(2025, 3, 10))
    again = seeded.raise_objection(SELF, STAFF, number, "no absence at all", date(2025, 3, 10))
    raised = seeded.history(seeded.staff_stream(STAFF), after=again.position - 1)[0]
    assert raised.payload["notice"] == 2 and raised.payload["deadline"] == "2025-03-17"


def test_r40_an_amendment_is_notified_only_once_and_only_if_there_is_one(
    seeded: AssessmentLedger,
) -> None:
    number = notified_entry(seeded, "INC-1")
    refused(
        seeded,
        lambda: seeded.notify_amendment(CLERK, STAFF, number, date(2025, 3, 5)),
        rule="R-40",
    )
    seeded.amend_deduction(CLERK, STAFF, number, date(2025, 3, 5), "one half day", quantity=1)
    seeded.notify_amendment(CLERK, STAFF, number, date(2025, 3, 5))

    refused(
        seeded,
        lambda: seeded.notify_amendment(CLERK, STAFF, number, date(2025, 3, 6)),
        rule="R-40",
    )


def test_r40_an_upheld_entry_is_not_objected_to_again(seeded: AssessmentLedger) -> None:
    number = notified_entry(seeded, "INC-1")
    objection = objected(seeded, number)
    seeded.decide_objection(
        LEADER, STAFF, objection, ObjectionOutcome.UPHELD, "stands", "LG-9", date(2025, 3, 6)
    )

    refused(seeded, lambda: objected(seeded, number, date(2025, 3, 7)), rule="R-40")


# the replay


def test_r42_the_history_shows_entry_notification_objection_decision_and_amendment_in_order(
    seeded: AssessmentLedger,
) -> None:
    # given an entry notified, objected to and amended on the objection's decision
    number = notified_entry(seeded, "INC-1")
    objection = objected(seeded, number)
    seeded.decide_objection(
        LEADER,
        STAFF,
        objection,
        ObjectionOutcome.AMENDED,
        "one half day was leave",
        "LG-10",
        date(2025, 3, 6),
        quantity=1,
    )
    # when the staff member's history is replayed
    history = seeded.history(seeded.staff_stream(STAFF), limit=100)
    # then it shows the five events in log order from the entry on
    from_entry = [h for h in history if h.version >= number]
    assert [h.event.split(".")[2] for h in from_entry] == [
        "DeductionRecorded",
        "DeductionNotified",
        "ObjectionRaised",
        "ObjectionDecided",
        "DeductionAmended",
    ]
    assert [h.position for h in from_entry] == sorted(h.position for h in from_entry)
    _, notified, raised, decided, amended = from_entry
    assert notified.payload["deduction"] == raised.payload["entry"] == number
    assert decided.payload["objection"] == raised.version
    assert decided.payload["outcome"] == "amended"
    # and the amendment names the decision it implements
    assert amended.payload["deduction"] == number
    assert amended.payload["decision_ref"] == decided.payload["decision_ref"] == "LG-10"
    assert f"objection {objection}" in amended.payload["reason"]


def test_r42_a_revocation_on_objection_follows_its_decision_in_the_history(
    seeded: AssessmentLedger,
) -> None:
    number = notified_entry(seeded, "INC-1")
    objection = objected(seeded, number)
    seeded.decide_objection(
        LEADER,
        STAFF,
        objection,
        ObjectionOutcome.REVOKED,
        "leave approved",
        "LG-11",
        date(2025, 3, 6),
    )

    tail = seeded.history(seeded.staff_stream(STAFF), limit=2, newest_first=True)

    assert [h.event for h in tail] == [
        "ledger.staff.DeductionRevoked.v1",
        "ledger.staff.ObjectionDecided.v1",
    ]
    assert tail[0].payload["decision_ref"] == tail[1].payload["decision_ref"] == "LG-11"
