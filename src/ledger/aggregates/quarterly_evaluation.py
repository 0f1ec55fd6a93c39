"""One quarter's evaluation (月考季评, SPEC 4.5, R-08–R-11): the functional offices' opinions,
their compilation for the party branches, each branch's mutual evaluation among windows (open or
unlinkable ballots) and its recommendations, the leading group's preliminary examination, and
the published results. The period decision itself lives on the quarter's `AssessmentRound`.

Checks that need other records (roles held on the day, membership, eligibility figures) sit in
`ledger.application.quarterly`; the checks here need only this record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from ledger.aggregates.ballot_box import Ratings
from ledger.aggregates.base import LedgerAggregate, member_of, stream_id
from ledger.errors import RuleViolation
from ledger.policy.working_days import Deadline
from ledger.values import Actor, Period, PeriodKind, Role


class BallotMode(StrEnum):
    """投票方式 / How a branch's mutual evaluation is run (SPEC section 5): `open` 记名 (each
    ballot is an event naming its voter), `unlinkable` 不可关联 (only participation is an
    event; the ballots are committed, shuffled, at the tally)."""

    OPEN = "open"
    """Each ballot is an event naming its voter."""
    UNLINKABLE = "unlinkable"
    """Only participation is an event; the ballots are committed, shuffled, at the tally."""


class Rating(StrEnum):
    """互评等次 / The four marks of R-10: `excellent` 优秀, `good` 良好, `fair` 一般,
    `poor` 差."""

    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


@dataclass(frozen=True)
class Opinion:
    """A functional office's written opinion on a staff member or a unit (R-08)."""

    number: int
    """The version of the event that recorded it."""
    office: str
    subject: str
    effective_on: date


@dataclass(frozen=True)
class Compilation:
    """The opinions compiled and sent to the party branches (R-09), with the D-16 deadline."""

    effective_on: date
    due_on: date
    late: bool
    opinions: tuple[int, ...]
    sent_to: tuple[str, ...]


@dataclass
class MutualEvaluation:
    """One branch's mutual evaluation among its windows (R-10)."""

    branch: str
    mode: BallotMode
    windows: tuple[str, ...]
    opened_on: date
    voters: set[str] = field(default_factory=set)
    last_ballot_on: date | None = None
    open_ballots: list[Ratings] = field(default_factory=list)
    """Open mode only; unlinkable ballots never enter this record."""
    tallies: tuple[tuple[str, str, int], ...] | None = None
    ballot_count: int = 0
    tallied_on: date | None = None


@dataclass(frozen=True)
class Recommendation:
    """A branch's proposed excellent individuals and windows (R-10)."""

    branch: str
    individuals: tuple[str, ...]
    windows: tuple[str, ...]
    effective_on: date


@dataclass(frozen=True)
class Selection:
    """The excellent individuals and windows examined (R-10) or published (R-11)."""

    individuals: tuple[str, ...]
    windows: tuple[str, ...]
    effective_on: date
    decision_ref: str = ""


def _distinct(values: Iterable[str], what: str, rule: str) -> tuple[str, ...]:
    items = tuple(values)
    if len(set(items)) != len(items):
        raise RuleViolation(rule, f"{what} names someone twice", fields={what: list(items)})
    return tuple(sorted(items))


class QuarterlyEvaluation(LedgerAggregate):
    """One quarter's evaluation, from the first opinion to the published results."""

    TOPIC = "ledger.quarterly"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.quarterly.Created"

    @staticmethod
    def create_id(period_key: str) -> UUID:
        """Quarterly evaluations are keyed by quarter (2025-Q1)."""
        return stream_id("quarterly", period_key)

    @event("Started", topic="ledger.quarterly.Started.v1")
    def __init__(
        self, actor_id: str, actor_role: Role, period_key: str, effective_on: date
    ) -> None:
        self.period = Period(PeriodKind.QUARTER, period_key)
        self.started_on = effective_on
        self.opinions: list[Opinion] = []
        self.compilation: Compilation | None = None
        self.evaluations: dict[str, MutualEvaluation] = {}
        self.recommendations: dict[str, Recommendation] = {}
        self.examination: Selection | None = None
        self.results: Selection | None = None
        """The results in force: the first published, or the last amended after a reopening."""
        self.superseded_results: list[Selection] = []

    # Guards shared by the steps

    def _undecided(self) -> None:
        if self.results is not None:
            raise RuleViolation(
                "DECIDED_ONCE",
                f"the results of {self.period.key} were decided on {self.results.effective_on}; "
                "a reopening is a late-entry resolution",
            )

    @staticmethod
    def _not_before(effective_on: date, earliest: date, what: str) -> None:
        if effective_on < earliest:
            raise RuleViolation(
                "DATED_RECORDS",
                f"effective_on {effective_on} is before {what} ({earliest})",
                fields={"effective_on": effective_on.isoformat()},
            )

    def evaluation_of(self, branch: str, rule: str = "R-10") -> MutualEvaluation:
        """The branch's mutual evaluation, or the refusal: it has not been opened."""
        found = self.evaluations.get(branch)
        if found is None:
            raise RuleViolation(
                rule,
                f"branch {branch} has not opened its mutual evaluation for {self.period.key}",
                fields={"branch": branch},
            )
        return found

    # R-08 opinions

    def submit_opinion(
        self, actor: Actor, office: str, subject: str, opinion: str, effective_on: date
    ) -> int:
        """Record an office's written opinion on a staff member or unit; returns its number."""
        self._undecided()
        if self.compilation is not None:
            raise RuleViolation(
                "R-08",
                f"the opinions of {self.period.key} were compiled on "
                f"{self.compilation.effective_on}; a later opinion cannot join them",
            )
        if not opinion.strip():
            raise RuleViolation("R-08", "an opinion must be written", fields={"opinion": ""})
        self._not_before(effective_on, self.period.first_day, "the quarter's first day")
        for given in self.opinions:
            if given.office == office and given.subject == subject:
                raise RuleViolation(
                    "R-08",
                    f"office {office} already gave its opinion on {subject} "
                    f"(event {given.number}, {given.effective_on})",
                    fields={"subject": subject},
                )
        self._submit_opinion(actor.person_id, actor.role, office, subject, opinion, effective_on)
        return self.version

    @event("OpinionSubmitted", topic="ledger.quarterly.OpinionSubmitted.v1")
    def _submit_opinion(
        self,
        actor_id: str,
        actor_role: Role,
        office: str,
        subject: str,
        opinion: str,
        effective_on: date,
    ) -> None:
        number = self.version + 1  # the version this event is about to get
        self.opinions.append(Opinion(number, office, subject, effective_on))

    # R-09 compilation, D-16 deadline

    def compile_opinions(
        self, actor: Actor, sent_to: Sequence[str], deadline: Deadline, effective_on: date
    ) -> bool:
        """Record that the opinions were compiled and sent to the branches; returns whether it
        was late (flagged, not refused: R-09, D-16)."""
        self._undecided()
        if self.compilation is not None:
            raise RuleViolation(
                "R-09",
                f"the opinions of {self.period.key} were already compiled on "
                f"{self.compilation.effective_on}",
            )
        if not self.opinions:
            raise RuleViolation(
                "R-09", f"no functional office has submitted an opinion on {self.period.key}"
            )
        self._not_before(effective_on, self.period.last_day, "the quarter's last day")
        latest = max(opinion.effective_on for opinion in self.opinions)
        self._not_before(effective_on, latest, "the last opinion")
        late = not deadline.met_by(effective_on)
        self._compile_opinions(
            actor.person_id,
            actor.role,
            tuple(opinion.number for opinion in self.opinions),
            tuple(sorted({opinion.office for opinion in self.opinions})),
            tuple(sorted(sent_to)),
            deadline.due_on,
            deadline.counted_from,
            deadline.days,
            deadline.calendar_versions,
            late,
            effective_on,
        )
        return late

    @event("OpinionsCompiled", topic="ledger.quarterly.OpinionsCompiled.v1")
    def _compile_opinions(
        self,
        actor_id: str,
        actor_role: Role,
        opinions: tuple[int, ...],
        offices: tuple[str, ...],
        sent_to: tuple[str, ...],
        due_on: date,
        counted_from: date,
        working_days: int,
        calendar_versions: tuple[str, ...],
        late: bool,
        effective_on: date,
    ) -> None:
        self.compilation = Compilation(effective_on, due_on, late, opinions, sent_to)

    # R-10 mutual evaluation

    def open_mutual_evaluation(
        self,
        actor: Actor,
        branch: str,
        mode: BallotMode,
        windows: Sequence[str],
        effective_on: date,
    ) -> None:
        """Record that a branch opened its mutual evaluation among `windows`."""
        self._undecided()
        mode = member_of(BallotMode, mode, rule="R-10", field="mode")
        if self.compilation is None:
            raise RuleViolation(
                "R-10",
                f"the opinions of {self.period.key} have not been compiled and sent to the "
                "branches yet (R-09)",
            )
        if branch not in self.compilation.sent_to:
            raise RuleViolation(
                "R-10",
                f"the compiled opinions were not sent to branch {branch}",
                fields={"branch": branch},
            )
        if branch in self.evaluations:
            opened = self.evaluations[branch]
            raise RuleViolation(
                "R-10",
                f"branch {branch} opened its mutual evaluation on {opened.opened_on}",
                fields={"branch": branch},
            )
        if not windows:
            raise RuleViolation(
                "R-10", f"branch {branch} has no windows to evaluate", fields={"branch": branch}
            )
        self._not_before(effective_on, self.compilation.effective_on, "the compilation")
        self._open_mutual_evaluation(
            actor.person_id, actor.role, branch, mode, tuple(sorted(windows)), effective_on
        )

    @event("MutualEvaluationOpened", topic="ledger.quarterly.MutualEvaluationOpened.v1")
    def _open_mutual_evaluation(
        self,
        actor_id: str,
        actor_role: Role,
        branch: str,
        mode: BallotMode,
        windows: tuple[str, ...],
        effective_on: date,
    ) -> None:
        self.evaluations[branch] = MutualEvaluation(branch, mode, windows, effective_on)

    def checked_ballot(
        self,
        voter: str,
        branch: str,
        own_window: str | None,
        ratings: Mapping[str, str],
        effective_on: date,
    ) -> Ratings:
        """A ballot as R-10 requires it (every other window of the branch rated exactly once,
        not the voter's own, one ballot per voter), normalised; or the refusal."""
        self._undecided()
        evaluation = self.evaluation_of(branch)
        if evaluation.tallied_on is not None:
            raise RuleViolation(
                "R-10",
                f"the mutual evaluation of branch {branch} was tallied on {evaluation.tallied_on}",
                fields={"branch": branch},
            )
        if voter in evaluation.voters:
            raise RuleViolation(
                "R-10", f"{voter} has already voted in branch {branch}", fields={"voter": voter}
            )
        self._not_before(effective_on, evaluation.opened_on, "the opening of the evaluation")
        if own_window is not None and own_window in ratings:
            raise RuleViolation(
                "R-10",
                f"a ballot does not rate the voter's own window ({own_window})",
                fields={"window": own_window},
            )
        expected = {code for code in evaluation.windows if code != own_window}
        missing = sorted(expected - set(ratings))
        extra = sorted(set(ratings) - expected)
        if missing or extra:
            problems = []
            if missing:
                problems.append(f"missing {', '.join(missing)}")
            if extra:
                problems.append(f"not windows of branch {branch}: {', '.join(extra)}")
            raise RuleViolation(
                "R-10",
                "a ballot rates every other window of the branch exactly once: "
                + "; ".join(problems),
                fields={"missing": missing, "extra": extra},
            )
        return tuple(
            (code, member_of(Rating, ratings[code], rule="R-10", field=code).value)
            for code in sorted(ratings)
        )

    def cast_open_ballot(
        self, actor: Actor, branch: str, ratings: Ratings, effective_on: date
    ) -> None:
        """Record a checked ballot of an open evaluation, with its voter."""
        if self.evaluation_of(branch).mode is not BallotMode.OPEN:
            raise RuleViolation("R-10", f"branch {branch} votes with unlinkable ballots")
        self._cast_ballot(actor.person_id, actor.role, branch, ratings, effective_on)

    @event("BallotCast", topic="ledger.quarterly.BallotCast.v1")
    def _cast_ballot(
        self,
        actor_id: str,
        actor_role: Role,
        branch: str,
        ratings: Ratings,
        effective_on: date,
    ) -> None:
        evaluation = self.evaluations[branch]
        evaluation.voters.add(actor_id)
        evaluation.open_ballots.append(ratings)
        evaluation.last_ballot_on = effective_on

    def record_participation(self, actor: Actor, branch: str, effective_on: date) -> None:
        """Record that a voter took part in an unlinkable evaluation (the ballot is staged
        apart, without the voter)."""
        if self.evaluation_of(branch).mode is not BallotMode.UNLINKABLE:
            raise RuleViolation("R-10", f"branch {branch} votes with open ballots")
        self._record_participation(actor.person_id, actor.role, branch, effective_on)

    @event("ParticipationRecorded", topic="ledger.quarterly.ParticipationRecorded.v1")
    def _record_participation(
        self, actor_id: str, actor_role: Role, branch: str, effective_on: date
    ) -> None:
        evaluation = self.evaluations[branch]
        evaluation.voters.add(actor_id)
        evaluation.last_ballot_on = effective_on

    def tally(
        self,
        actor: Actor,
        branch: str,
        effective_on: date,
        unlinkable_ballots: Sequence[Ratings] = (),
    ) -> None:
        """Record the counts per window and rating of the branch's ballots: its own (open mode)
        or those committed to the ballot box (unlinkable mode, one per participant)."""
        self._undecided()
        evaluation = self.evaluation_of(branch)
        if evaluation.tallied_on is not None:
            raise RuleViolation(
                "R-10",
                f"the mutual evaluation of branch {branch} was tallied on {evaluation.tallied_on}",
                fields={"branch": branch},
            )
        if evaluation.mode is BallotMode.OPEN:
            ballots: Sequence[Ratings] = evaluation.open_ballots
        else:
            ballots = unlinkable_ballots
            if len(ballots) != len(evaluation.voters):
                raise RuleViolation(
                    "R-10",
                    f"{len(ballots)} staged ballots for {len(evaluation.voters)} participants in "
                    f"branch {branch}: a ballot is still being saved; retry",
                    fields={"branch": branch},
                )
        if not ballots:
            raise RuleViolation(
                "R-10", f"nobody has voted in branch {branch} yet", fields={"branch": branch}
            )
        self._not_before(
            effective_on, evaluation.last_ballot_on or evaluation.opened_on, "the last ballot"
        )
        counts = {(code, rating): 0 for code in evaluation.windows for rating in Rating}
        for ratings in ballots:
            for code, rating in ratings:
                counts[(code, Rating(rating))] += 1
        tallies = tuple(
            (code, rating.value, counts[(code, rating)])
            for code in evaluation.windows
            for rating in Rating
        )
        self._tally(actor.person_id, actor.role, branch, len(ballots), tallies, effective_on)

    @event("MutualEvaluationTallied", topic="ledger.quarterly.MutualEvaluationTallied.v1")
    def _tally(
        self,
        actor_id: str,
        actor_role: Role,
        branch: str,
        ballots: int,
        tallies: tuple[tuple[str, str, int], ...],
        effective_on: date,
    ) -> None:
        evaluation = self.evaluations[branch]
        evaluation.tallies = tallies
        evaluation.ballot_count = ballots
        evaluation.tallied_on = effective_on
        # Open ballots stay in the log; the record keeps only what later steps read.
        evaluation.open_ballots = []

    # R-10 recommendations and preliminary examination

    def recommend(
        self,
        actor: Actor,
        branch: str,
        individuals: Iterable[str],
        windows: Iterable[str],
        effective_on: date,
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Record a branch's recommendations after its tally; returns them normalised."""
        self._undecided()
        evaluation = self.evaluation_of(branch)
        if evaluation.tallied_on is None:
            raise RuleViolation(
                "R-10",
                f"branch {branch} recommends after its mutual evaluation is tallied",
                fields={"branch": branch},
            )
        if branch in self.recommendations:
            raise RuleViolation(
                "R-10",
                f"branch {branch} already recommended on "
                f"{self.recommendations[branch].effective_on}",
                fields={"branch": branch},
            )
        people = _distinct(individuals, "excellent_individuals", "R-10")
        units = _distinct(windows, "excellent_windows", "R-10")
        foreign = [code for code in units if code not in evaluation.windows]
        if foreign:
            raise RuleViolation(
                "R-10",
                f"{', '.join(foreign)} are not windows of branch {branch}",
                fields={"excellent_windows": foreign},
            )
        self._not_before(effective_on, evaluation.tallied_on, "the tally")
        self._recommend(actor.person_id, actor.role, branch, people, units, effective_on)
        return people, units

    @event("RecommendationsProposed", topic="ledger.quarterly.RecommendationsProposed.v1")
    def _recommend(
        self,
        actor_id: str,
        actor_role: Role,
        branch: str,
        individuals: tuple[str, ...],
        windows: tuple[str, ...],
        effective_on: date,
    ) -> None:
        self.recommendations[branch] = Recommendation(branch, individuals, windows, effective_on)

    def examine(
        self,
        actor: Actor,
        individuals: Iterable[str],
        windows: Iterable[str],
        branches: Iterable[str],
        effective_on: date,
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Record the leading group's preliminary examination: the recommendations it accepts,
        once every branch in `branches` has recommended; returns the accepted subjects."""
        self._undecided()
        if self.examination is not None:
            raise RuleViolation(
                "R-10",
                f"the recommendations of {self.period.key} were examined on "
                f"{self.examination.effective_on}",
            )
        waiting = sorted(set(branches) - set(self.recommendations))
        if waiting:
            raise RuleViolation(
                "R-10",
                f"branches {', '.join(waiting)} have not recommended yet",
                fields={"branches": waiting},
            )
        people = _distinct(individuals, "accepted_individuals", "R-10")
        units = _distinct(windows, "accepted_windows", "R-10")
        proposed_people = {p for r in self.recommendations.values() for p in r.individuals}
        proposed_units = {w for r in self.recommendations.values() for w in r.windows}
        unproposed = [p for p in people if p not in proposed_people]
        unproposed += [w for w in units if w not in proposed_units]
        if unproposed:
            raise RuleViolation(
                "R-10",
                f"{', '.join(unproposed)} were not recommended by any branch",
                fields={"not_recommended": unproposed},
            )
        latest = max(r.effective_on for r in self.recommendations.values())
        self._not_before(effective_on, latest, "the last recommendation")
        self._examine(actor.person_id, actor.role, people, units, effective_on)
        return people, units

    @event("RecommendationsExamined", topic="ledger.quarterly.RecommendationsExamined.v1")
    def _examine(
        self,
        actor_id: str,
        actor_role: Role,
        individuals: tuple[str, ...],
        windows: tuple[str, ...],
        effective_on: date,
    ) -> None:
        self.examination = Selection(individuals, windows, effective_on)

    # R-11, D-15 results

    def examined(self) -> Selection:
        """The examined selection, or the refusal: the decision comes after the examination."""
        self._undecided()
        if self.examination is None:
            raise RuleViolation(
                "R-11",
                f"the leading group decides the results of {self.period.key} after its "
                "preliminary examination of the recommendations",
            )
        return self.examination

    def publish_results(self, actor: Actor, decision_ref: str, effective_on: date) -> None:
        """Record the leading group's decision and publication of the examined results."""
        examination = self.examined()
        if not decision_ref.strip():
            raise RuleViolation(
                "R-11", "a decision names its reference", fields={"decision_ref": ""}
            )
        self._not_before(effective_on, examination.effective_on, "the examination")
        self._publish_results(
            actor.person_id,
            actor.role,
            examination.individuals,
            examination.windows,
            decision_ref,
            effective_on,
        )

    @event("ResultsPublished", topic="ledger.quarterly.ResultsPublished.v1")
    def _publish_results(
        self,
        actor_id: str,
        actor_role: Role,
        individuals: tuple[str, ...],
        windows: tuple[str, ...],
        decision_ref: str,
        effective_on: date,
    ) -> None:
        self.results = Selection(individuals, windows, effective_on, decision_ref)

    def amend_results(
        self,
        actor: Actor,
        individuals: Iterable[str],
        windows: Iterable[str],
        decision_ref: str,
        effective_on: date,
    ) -> None:
        """Record the leading group's amended results after a reopening (SPEC section 3, D-13):
        chosen among the examined recommendations (nobody is added who was not recommended and
        examined), dated on or after the results they replace."""
        current = self.results
        examination = self.examination
        if current is None or examination is None:
            raise RuleViolation(
                "STEP_ORDER",
                f"the results of {self.period.key} are not decided yet: nothing to amend",
            )
        people = _distinct(individuals, "individuals", "R-11")
        units = _distinct(windows, "windows", "R-11")
        for chosen, examined, what in (
            (people, examination.individuals, "individual"),
            (units, examination.windows, "window"),
        ):
            strangers = [subject for subject in chosen if subject not in examined]
            if strangers:
                raise RuleViolation(
                    "R-11",
                    f"the amended results of {self.period.key} may only name the examined "
                    f"recommendations: {', '.join(strangers)} was not examined as excellent "
                    f"{what}",
                    fields={"subject": strangers[0]},
                )
        if not decision_ref.strip():
            raise RuleViolation(
                "R-11", "a decision names its reference", fields={"decision_ref": ""}
            )
        self._not_before(effective_on, current.effective_on, "the results it replaces")
        self._amend_results(
            actor.person_id,
            actor.role,
            people,
            units,
            decision_ref,
            effective_on,
            current.decision_ref,
        )

    @event("ResultsAmended", topic="ledger.quarterly.ResultsAmended.v1")
    def _amend_results(
        self,
        actor_id: str,
        actor_role: Role,
        individuals: tuple[str, ...],
        windows: tuple[str, ...],
        decision_ref: str,
        effective_on: date,
        supersedes: str,
    ) -> None:
        if self.results is not None:
            self.superseded_results.append(self.results)
        self.results = Selection(tuple(individuals), tuple(windows), effective_on, decision_ref)
