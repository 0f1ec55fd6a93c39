"""Mutual evaluation among the windows of a party branch (R-10, SPEC section 5): every member of
the branch on the day rates every other window of the branch once, one ballot per voter; open
ballots are events naming their voter; unlinkable ones leave only the voter's participation in the
log, wait in a staging table without actor, time or order, and are committed in one shuffled batch,
with no actor, to a ballot box of their own when the branch tallies."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import rfc8785
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from quarterly_support import (
    B1_SECRETARY,
    B1_VOTERS,
    B2_SECRETARY,
    OFFICER,
    OTHER_BRANCH,
    OWN_WINDOW,
    Q1,
    SECRETARY,
    W03,
    opened,
    ratings_for,
    seed_center,
    staff_actor,
)

from builders import BRANCH, COLLEAGUE, OTHER_WINDOW, STAFF, UNASSIGNED, WINDOW, refused
from ledger.aggregates.quarterly_evaluation import BallotMode
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.errors import RoleRequired, RuleViolation
from ledger.stores import (
    STAGE_BALLOTS,
    TAKE_BALLOTS,
    LedgerPOPOApplicationRecorder,
    LedgerPostgresApplicationRecorder,
    LedgerSQLiteApplicationRecorder,
    StagedBallot,
    TakenBallots,
)
from ledger.values import Actor, Role


@pytest.fixture
def center(ledger: AssessmentLedger, clock: SettableClock) -> AssessmentLedger:
    """The small center of quarterly_support with Q1's opinions compiled, on 2025-04-15."""
    seed_center(ledger, clock)
    return ledger


@pytest.fixture
def open_vote(center: AssessmentLedger) -> AssessmentLedger:
    """Both branches' evaluations opened with open ballots."""
    opened(center, BallotMode.OPEN)
    return center


@pytest.fixture
def secret_vote(center: AssessmentLedger) -> AssessmentLedger:
    """Both branches' evaluations opened with unlinkable ballots."""
    opened(center, BallotMode.UNLINKABLE)
    return center


def cast(ledger: AssessmentLedger, voter: str, ratings: dict[str, str] | None = None) -> Any:
    ballot = ratings if ratings is not None else ratings_for(OWN_WINDOW[voter])
    return ledger.cast_ballot(staff_actor(voter), Q1, BRANCH, ballot)


def all_payloads(ledger: AssessmentLedger) -> list[tuple[str, dict[str, Any]]]:
    """Every event of the log as (topic, payload)."""
    return [
        (stored.topic, json.loads(stored.state))
        for stored in ledger.recorder.select_notifications(1, 1_000_000)
    ]


def staged_columns(ledger: AssessmentLedger) -> list[str]:
    """The columns of the staging table on the ledger's store (the fields on memory)."""
    recorder = ledger.recorder
    if isinstance(recorder, LedgerSQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA table_info(staged_ballots)")
            return sorted(row["name"] for row in c.fetchall())
    if isinstance(recorder, LedgerPostgresApplicationRecorder):
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                ("ledger_staged_ballots",),
            )
            return sorted(row["column_name"] for row in curs.fetchall())
    assert isinstance(recorder, LedgerPOPOApplicationRecorder)
    # The in-memory row is the record itself; its `key` is the tables' `ballot_key`.
    return sorted(
        "ballot_key" if name == "key" else name
        for name in vars(StagedBallot)["__dataclass_fields__"]
    )


# R-10 ballot rules


def test_r10_an_open_ballot_is_an_event_naming_its_voter(open_vote: AssessmentLedger) -> None:
    cast(open_vote, STAFF, {OTHER_WINDOW: "excellent"})
    ballots = [p for t, p in all_payloads(open_vote) if t == "ledger.quarterly.BallotCast.v1"]
    assert len(ballots) == 1
    assert ballots[0]["actor_id"] == STAFF
    assert ballots[0]["ratings"] == [[OTHER_WINDOW, "excellent"]]


def test_r10_a_ballot_rating_the_voters_own_window_is_refused(
    open_vote: AssessmentLedger,
) -> None:
    refusal = refused(
        open_vote,
        lambda: cast(open_vote, STAFF, {WINDOW: "excellent", OTHER_WINDOW: "good"}),
        rule="R-10",
    )
    assert refusal.fields["window"] == WINDOW


def test_r10_a_ballot_missing_a_window_is_refused(open_vote: AssessmentLedger) -> None:
    refusal = refused(open_vote, lambda: cast(open_vote, OFFICER, {WINDOW: "good"}), rule="R-10")
    assert refusal.fields["missing"] == [OTHER_WINDOW]


def test_r10_a_ballot_rating_a_window_of_another_branch_is_refused(
    open_vote: AssessmentLedger,
) -> None:
    refusal = refused(
        open_vote,
        lambda: cast(open_vote, STAFF, {OTHER_WINDOW: "good", W03: "poor"}),
        rule="R-10",
    )
    assert refusal.fields["extra"] == [W03]


def test_r10_a_rating_outside_the_four_marks_is_refused(open_vote: AssessmentLedger) -> None:
    refused(open_vote, lambda: cast(open_vote, STAFF, {OTHER_WINDOW: "superb"}), rule="R-10")


def test_r10_a_second_ballot_of_a_voter_is_refused(open_vote: AssessmentLedger) -> None:
    cast(open_vote, STAFF)
    refused(open_vote, lambda: cast(open_vote, STAFF), rule="R-10")


def test_r10_a_second_unlinkable_ballot_is_refused_and_stages_nothing(
    secret_vote: AssessmentLedger,
) -> None:
    cast(secret_vote, STAFF)
    refused(secret_vote, lambda: cast(secret_vote, STAFF), rule="R-10")
    assert len(secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH)) == 1


def test_r10_someone_in_no_unit_cannot_vote(open_vote: AssessmentLedger) -> None:
    refused(open_vote, lambda: cast(open_vote, UNASSIGNED, {WINDOW: "good"}), rule="R-10")


def test_r10_a_staff_member_cannot_vote_in_another_branch(open_vote: AssessmentLedger) -> None:
    # S005 belongs to B2's W03
    refusal = refused(
        open_vote,
        lambda: cast(open_vote, B2_SECRETARY, ratings_for(None)),
        rule="R-10",
    )
    assert "branch B2" in refusal.message


def test_r10_a_ballot_must_be_cast_in_the_staff_role_over_ones_own_records(
    open_vote: AssessmentLedger,
) -> None:
    refused(
        open_vote,
        lambda: open_vote.cast_ballot(
            Actor(STAFF, Role.BRANCH_SECRETARY), Q1, BRANCH, ratings_for(WINDOW)
        ),
        RoleRequired,
    )


def test_r10_a_ballot_before_the_branch_opens_its_evaluation_is_refused(
    center: AssessmentLedger,
) -> None:
    refused(center, lambda: cast(center, STAFF), rule="R-10")


def test_r10_a_ballot_after_the_tally_is_refused(open_vote: AssessmentLedger) -> None:
    cast(open_vote, STAFF)
    open_vote.tally_mutual_evaluation(SECRETARY, Q1, BRANCH)
    refused(open_vote, lambda: cast(open_vote, COLLEAGUE), rule="R-10")


def test_r10_the_tally_counts_every_window_and_mark(open_vote: AssessmentLedger) -> None:
    cast(open_vote, STAFF, {OTHER_WINDOW: "excellent"})
    cast(open_vote, COLLEAGUE, {WINDOW: "poor"})
    cast(open_vote, OFFICER, {WINDOW: "fair", OTHER_WINDOW: "excellent"})
    open_vote.tally_mutual_evaluation(SECRETARY, Q1, BRANCH)
    evaluation = open_vote.quarterly_evaluation(Q1).evaluations[BRANCH]
    counts = {(w, r): n for w, r, n in evaluation.tallies or ()}
    assert counts[(OTHER_WINDOW, "excellent")] == 2
    assert (counts[(WINDOW, "poor")], counts[(WINDOW, "fair")], counts[(WINDOW, "good")]) == (
        1,
        1,
        0,
    )
    assert evaluation.ballot_count == 3


def test_r10_only_the_secretary_of_the_branch_tallies(open_vote: AssessmentLedger) -> None:
    cast(open_vote, STAFF)
    refused(
        open_vote,
        lambda: open_vote.tally_mutual_evaluation(
            Actor(B2_SECRETARY, Role.BRANCH_SECRETARY), Q1, BRANCH
        ),
        RoleRequired,
    )


# Unlinkable ballots (SPEC section 5)


def test_r10_an_unlinkable_ballot_leaves_only_participation_in_the_log(
    secret_vote: AssessmentLedger,
) -> None:
    # when S001 votes
    cast(secret_vote, STAFF, {OTHER_WINDOW: "excellent"})
    # then the log has their participation, without ratings, and no ballot event
    events = all_payloads(secret_vote)
    participation = [p for t, p in events if t == "ledger.quarterly.ParticipationRecorded.v1"]
    assert [(p["actor_id"], p["branch"]) for p in participation] == [(STAFF, BRANCH)]
    assert "ratings" not in participation[0]
    assert not [t for t, _ in events if "Ballot" in t]
    assert all("excellent" not in str(p) for _, p in events)
    # and the ballot waits in the staging table with its random key
    staged = secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH)
    assert [(s.branch, s.ratings) for s in staged] == [(BRANCH, '{"W02":"excellent"}')]
    assert len(staged[0].key) == 32


def test_r10_staged_ballots_have_no_actor_time_or_order_column(
    secret_vote: AssessmentLedger,
) -> None:
    cast(secret_vote, STAFF)
    assert staged_columns(secret_vote) == ["ballot_key", "branch", "period_key", "ratings"]
    recorder = secret_vote.recorder
    if isinstance(recorder, LedgerSQLiteApplicationRecorder):
        # WITHOUT ROWID: not even SQLite's implicit rowid records the order of staging
        with (
            pytest.raises(OperationalError, match="no such column: rowid"),
            recorder.datastore.transaction(commit=False) as c,
        ):
            c.execute("SELECT rowid FROM staged_ballots")


def test_r10_the_tally_commits_the_ballots_in_one_shuffled_batch_without_actor(
    secret_vote: AssessmentLedger,
) -> None:
    # given the shuffle's random source injected, and every member of B1 voting in turn
    secret_vote.ballot_random = random.Random(2025)
    marks = ("excellent", "good", "fair", "poor", "good", "excellent")
    casting = []
    for voter, mark in zip(B1_VOTERS, marks, strict=True):
        ballot = ratings_for(OWN_WINDOW[voter], mark=mark)
        if OWN_WINDOW[voter] is None:
            ballot[WINDOW] = "poor" if mark != "poor" else "fair"
        cast(secret_vote, voter, ballot)
        casting.append(tuple(sorted(ballot.items())))
    # when the secretary tallies
    head = secret_vote.head_position()
    secret_vote.tally_mutual_evaluation(SECRETARY, Q1, BRANCH)
    # then the ballot box holds them, shuffled from their contents' order, not the casting order
    expected = sorted(casting)
    random.Random(2025).shuffle(expected)
    box = secret_vote.ballot_box(Q1, BRANCH)
    assert box.ballots == expected
    assert box.ballots != casting
    # and no ballot-box event names anyone, all written in the tally's one transaction
    box_events = [
        (t, p) for t, p in all_payloads(secret_vote)[head:] if t.startswith("ledger.ballot_box.")
    ]
    assert [t for t, _ in box_events] == ["ledger.ballot_box.Sealed.v1"] + [
        "ledger.ballot_box.BallotCommitted.v1"
    ] * len(B1_VOTERS)
    assert all(not {"actor_id", "actor_role"} & set(p) for _, p in box_events)
    assert len({p["timestamp"] for _, p in box_events}) == 1
    # and the staging rows are gone
    assert secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH) == []


def test_r10_the_tally_of_unlinkable_ballots_counts_them(secret_vote: AssessmentLedger) -> None:
    cast(secret_vote, STAFF, {OTHER_WINDOW: "excellent"})
    cast(secret_vote, OFFICER, {WINDOW: "fair", OTHER_WINDOW: "excellent"})
    secret_vote.tally_mutual_evaluation(SECRETARY, Q1, BRANCH)
    evaluation = secret_vote.quarterly_evaluation(Q1).evaluations[BRANCH]
    counts = {(w, r): n for w, r, n in evaluation.tallies or ()}
    assert (counts[(OTHER_WINDOW, "excellent")], counts[(WINDOW, "fair")]) == (2, 1)
    assert evaluation.voters == {STAFF, OFFICER}


def test_r10_one_branchs_tally_leaves_the_other_branchs_staged_ballots(
    secret_vote: AssessmentLedger,
) -> None:
    cast(secret_vote, STAFF)
    secret_vote.cast_ballot(staff_actor(B2_SECRETARY), Q1, OTHER_BRANCH, {"W04": "good"})
    secret_vote.tally_mutual_evaluation(SECRETARY, Q1, BRANCH)
    assert len(secret_vote.ledger_recorder.staged_ballots(Q1, OTHER_BRANCH)) == 1


def test_r10_unlinkable_ballots_cast_in_a_batch_are_staged_by_its_one_save(
    secret_vote: AssessmentLedger,
) -> None:
    head = secret_vote.head_position()
    with secret_vote.batch():
        cast(secret_vote, STAFF)
        cast(secret_vote, OFFICER)
        # nothing is staged before the batch's save
        assert secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH) == []

    staged = secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH)
    assert len(staged) == 2
    assert secret_vote.quarterly_evaluation(Q1).evaluations[BRANCH].voters == {STAFF, OFFICER}
    topics = [t for t, _ in all_payloads(secret_vote)[head:]]
    assert topics == ["ledger.quarterly.ParticipationRecorded.v1"] * 2


def test_r10_a_tally_in_the_batch_that_cast_the_ballots_counts_them_and_stages_nothing(
    secret_vote: AssessmentLedger,
) -> None:
    cast(secret_vote, STAFF, {OTHER_WINDOW: "excellent"})  # staged before the batch
    with secret_vote.batch():
        cast(secret_vote, OFFICER, {WINDOW: "fair", OTHER_WINDOW: "excellent"})
        secret_vote.tally_mutual_evaluation(SECRETARY, Q1, BRANCH)

    evaluation = secret_vote.quarterly_evaluation(Q1).evaluations[BRANCH]
    counts = {(w, r): n for w, r, n in evaluation.tallies or ()}
    assert (counts[(OTHER_WINDOW, "excellent")], counts[(WINDOW, "fair")]) == (2, 1)
    assert len(secret_vote.ballot_box(Q1, BRANCH).ballots) == 2
    assert secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH) == []


def test_r10_a_refused_command_in_a_batch_stages_none_of_its_ballots(
    secret_vote: AssessmentLedger,
) -> None:
    head = secret_vote.head_position()
    with pytest.raises(RuntimeError, match="saved nothing"), secret_vote.batch():
        cast(secret_vote, STAFF)
        with pytest.raises(RuleViolation):
            cast(secret_vote, STAFF)  # a second ballot of the same voter

    assert secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH) == []
    assert secret_vote.head_position() == head


def test_r10_an_unlinkable_ballot_is_left_out_of_the_idempotency_fingerprint(
    secret_vote: AssessmentLedger,
) -> None:
    # given a ballot cast with an idempotency key
    first = secret_vote.cast_ballot(
        staff_actor(STAFF), Q1, BRANCH, {OTHER_WINDOW: "good"}, idempotency_key="k-1"
    )
    # when it is retried with other ratings under the same key
    again = secret_vote.cast_ballot(
        staff_actor(STAFF), Q1, BRANCH, {OTHER_WINDOW: "poor"}, idempotency_key="k-1"
    )
    # then the ratings were not part of the request's fingerprint: the first outcome replays,
    # and nothing more is staged or recorded
    assert again.replayed and again.position == first.position
    assert len(secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH)) == 1


def test_r10_a_refused_unlinkable_ballot_stages_nothing(secret_vote: AssessmentLedger) -> None:
    refused(secret_vote, lambda: cast(secret_vote, STAFF, {WINDOW: "good"}), rule="R-10")
    assert secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH) == []


def test_r10_the_secretary_votes_like_any_member(secret_vote: AssessmentLedger) -> None:
    # the secretary (S004, W01) is a member of the branch and votes in the staff role
    cast(secret_vote, B1_SECRETARY)
    assert secret_vote.quarterly_evaluation(Q1).evaluations[BRANCH].voters == {B1_SECRETARY}


# One transaction: the staged rows change only with the events they belong to


def conflicting_event(ledger: AssessmentLedger) -> StoredEvent:
    """A copy of the evaluation's last stored event: inserting it again collides."""
    stream = ledger.quarterly_evaluation(Q1).id
    last = ledger.recorder.select_events(stream, desc=True, limit=1)[0]
    return StoredEvent(last.originator_id, last.originator_version, last.topic, last.state)


def test_r10_a_ballot_is_not_staged_when_its_participation_is_not_recorded(
    secret_vote: AssessmentLedger,
) -> None:
    cast(secret_vote, STAFF)
    staged = StagedBallot("f" * 32, Q1, BRANCH, '{"W01":"good"}')
    with pytest.raises(IntegrityError):
        secret_vote.recorder.insert_events(
            [conflicting_event(secret_vote)], **{STAGE_BALLOTS: (staged,)}
        )
    assert len(secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH)) == 1


def test_r10_staged_ballots_stay_when_the_tally_is_not_recorded(
    secret_vote: AssessmentLedger,
) -> None:
    cast(secret_vote, STAFF)
    keys = tuple(s.key for s in secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH))
    with pytest.raises(IntegrityError):
        secret_vote.recorder.insert_events(
            [conflicting_event(secret_vote)], **{TAKE_BALLOTS: (TakenBallots(Q1, BRANCH, keys),)}
        )
    assert len(secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH)) == 1


# Canonical payloads (SPEC section 5) of every event of the quarter and the ballot box


def test_every_quarterly_and_ballot_box_payload_is_rfc8785_canonical(
    secret_vote: AssessmentLedger,
) -> None:
    # given a branch voting with unlinkable ballots and one with open ballots, both tallied
    for voter in B1_VOTERS:
        cast(secret_vote, voter)
    secret_vote.tally_mutual_evaluation(SECRETARY, Q1, BRANCH)
    stored = [
        s
        for s in secret_vote.recorder.select_notifications(1, 1_000_000)
        if s.topic.startswith(("ledger.quarterly.", "ledger.ballot_box."))
    ]
    # then every stored payload is its own RFC 8785 form and decodes to an equal event
    assert {s.topic.split(".")[2] for s in stored} >= {
        "Started",
        "OpinionSubmitted",
        "OpinionsCompiled",
        "MutualEvaluationOpened",
        "ParticipationRecorded",
        "MutualEvaluationTallied",
        "Sealed",
        "BallotCommitted",
    }
    for s in stored:
        assert s.state == rfc8785.dumps(json.loads(s.state)), s.topic
        event = secret_vote.mapper.to_domain_event(s)
        assert secret_vote.mapper.to_stored_event(event).state == s.state


def test_r10_a_ballot_that_cannot_be_staged_records_no_participation(
    secret_vote: AssessmentLedger,
) -> None:
    recorder = secret_vote.recorder
    if isinstance(recorder, LedgerPOPOApplicationRecorder):
        pytest.skip("the in-memory store stages under its lock after the events, and cannot fail")
    # given a staged ballot, and a next event of the evaluation
    cast(secret_vote, STAFF)
    taken = secret_vote.ledger_recorder.staged_ballots(Q1, BRANCH)[0]
    last = conflicting_event(secret_vote)
    following = StoredEvent(last.originator_id, last.originator_version + 1, last.topic, last.state)
    head = secret_vote.head_position()
    # when the staging beside it fails (the same random key again)
    with pytest.raises(IntegrityError):
        recorder.insert_events([following], **{STAGE_BALLOTS: (taken,)})
    # then the event was not recorded either: one transaction
    assert secret_vote.head_position() == head
