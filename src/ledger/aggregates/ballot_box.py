"""The ballots of one branch's unlinkable mutual evaluation (R-10, SPEC section 5), committed when
the branch's evaluation is tallied.

The one exception to "every event carries its actor": no event of this stream names who cast a
ballot, when, or in which order. The ballots arrive in one shuffled batch, in the tally's
transaction; who took part is recorded on the quarter's evaluation, one event per voter.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.base import LedgerAggregate, stream_id

Ratings = tuple[tuple[str, str], ...]
"""A ballot: (window code, rating) pairs in window-code order."""


class BallotBox(LedgerAggregate):
    """One branch's ballots for one quarter, without their voters."""

    TOPIC = "ledger.ballot_box"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.ballot_box.Created"

    @staticmethod
    def create_id(period_key: str, branch: str) -> UUID:
        """Ballot boxes are keyed by quarter and party branch."""
        return stream_id("ballot_box", f"{period_key}/{branch}")

    @classmethod
    def seal(cls, period_key: str, branch: str, ballots: Sequence[Ratings]) -> BallotBox:
        """The box holding `ballots` in the order given (already shuffled by the caller)."""
        box = cls(period_key=period_key, branch=branch, ballot_count=len(ballots))
        for ratings in ballots:
            box._commit_ballot(ratings)
        return box

    @event("Sealed", topic="ledger.ballot_box.Sealed.v1")
    def __init__(self, period_key: str, branch: str, ballot_count: int) -> None:
        self.period_key = period_key
        self.branch = branch
        self.ballot_count = ballot_count
        self.ballots: list[Ratings] = []

    @event("BallotCommitted", topic="ledger.ballot_box.BallotCommitted.v1")
    def _commit_ballot(self, ratings: Ratings) -> None:
        self.ballots.append(ratings)
