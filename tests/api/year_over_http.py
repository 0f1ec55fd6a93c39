"""The steps of a year over HTTP, for `test_api_whole_year.py`: what the builders' `record`,
`prepare_sheet`, `examine_quarter` and `evaluate_year` do with direct calls, done here through
the test client, every act by the person whose role it is with their own bearer token, and every
deciding step under If-Match with the ETag of a GET of the record, as a client would.

Who holds which post (the branch secretary, the functional office) is the organisation the
operator recorded, taken from the test's constants; the year's participants, their units and
who evaluates and countersigns them are read over HTTP (GET /api/v1/years/{year}/participants),
as a client would. Every act goes over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import httpx
from fastapi.testclient import TestClient

from builders import CLERK, LEADER, SOURCE, at, default_grade
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.policy.grades import Grade
from ledger.values import Role, StaffCategory

SignIn = Callable[[str], dict[str, str]]
Json = dict[str, Any]


class YearOverHttp:
    """A client of the served ledger acting as each person in turn."""

    def __init__(
        self,
        client: TestClient,
        sign_in: SignIn,
        ledger: AssessmentLedger,
        clock: SettableClock,
    ) -> None:
        self.client = client
        self.sign_in = sign_in
        self.ledger = ledger
        self.clock = clock

    # Requests

    def get(self, person: str, url: str) -> httpx.Response:
        """A read by `person`, which must succeed."""
        response = self.client.get(url, headers=self.sign_in(person))
        assert response.status_code == 200, (url, response.text)
        return response

    def read(self, person: str, url: str) -> Json:
        """The JSON of a read by `person`."""
        body: Json = self.get(person, url).json()
        return body

    def etag(self, person: str, url: str) -> str:
        """The ETag of the record at `url` as `person` reads it."""
        return self.get(person, url).headers["etag"]

    def post(
        self,
        person: str,
        url: str,
        body: Json,
        *,
        if_match: str | None = None,
        expect: int | None = None,
    ) -> httpx.Response:
        """A command by `person`, which must succeed (200 or 201, or `expect`)."""
        headers = dict(self.sign_in(person))
        if if_match is not None:
            headers["If-Match"] = if_match
        response = self.client.post(url, json=body, headers=headers)
        allowed = (expect,) if expect is not None else (200, 201)
        assert response.status_code in allowed, (person, url, response.status_code, response.text)
        return response

    def step(self, person: str, url: str, body: Json, *, if_match: str | None = None) -> Json:
        """The answer of a successful command (its position, number, record version)."""
        answer: Json = self.post(person, url, body, if_match=if_match).json()
        return answer

    def refused(
        self, person: str, url: str, body: Json, rule: str, *, if_match: str | None = None
    ) -> Json:
        """A command refused with a 422 naming `rule` that recorded nothing; the problem."""
        head = self.ledger.head_position()
        problem: Json = self.post(person, url, body, if_match=if_match, expect=422).json()
        assert problem["rule"] == rule, problem
        assert self.ledger.head_position() == head, "a refused command recorded something"
        return problem

    # Deductions

    def record(
        self,
        incident_ref: str,
        *,
        staff_number: str,
        item_code: str,
        occurred_on: date,
        source: str = SOURCE.value,
        quantity: int = 1,
        evidence_ref: str | None = None,
    ) -> int:
        """The clerk records a deduction; its number (the builders' `record`)."""
        answer = self.step(
            CLERK.person_id,
            f"/api/v1/staff/{staff_number}/deductions",
            {
                "item_code": item_code,
                "occurred_on": str(occurred_on),
                "incident_ref": incident_ref,
                "evidence_ref": evidence_ref or f"evidence of {incident_ref}",
                "source": source,
                "quantity": quantity,
            },
        )
        number: int = answer["number"]
        return number

    # Rounds and bonus sheets (R-07, R-26–R-31, D-08)

    def open_round(self, period_key: str, on: date) -> None:
        """The clerk opens the period's round."""
        self.post(
            CLERK.person_id,
            "/api/v1/rounds",
            {"period": period_key, "effective_on": str(on)},
            expect=201,
        )

    def prepare_sheet(self, period_key: str, on: date) -> None:
        """The clerk prepares the sheet and the leading group decides each head-liability item
        (no reduction) on the sheet's ETag: the sheet awaits its approval (`prepare_sheet`)."""
        sheet = f"/api/v1/bonus-sheets/{period_key}"
        self.post(CLERK.person_id, f"{sheet}/preparations", {"effective_on": str(on)}, expect=201)
        leader = LEADER.person_id
        read = self.get(leader, sheet)
        etag = read.headers["etag"]
        for item in read.json()["head_liability"]:
            if item["reduction"] is not None:
                continue
            decided = self.post(
                leader,
                f"{sheet}/head-liability/{item['staff_number']}/decision",
                {
                    "reduction": "none",
                    "reason": "the head's share",
                    "decision_ref": "LG-HL",
                    "effective_on": str(on),
                },
                if_match=etag,
            )
            etag = decided.headers["etag"]

    def approve_sheet(self, period_key: str, on: date) -> None:
        """The leading group approves the sheet on the ETag it reads: the period's decision."""
        sheet = f"/api/v1/bonus-sheets/{period_key}"
        self.post(
            LEADER.person_id,
            f"{sheet}/approval",
            {"decision_ref": f"LG-{period_key}", "effective_on": str(on)},
            if_match=self.etag(LEADER.person_id, sheet),
        )

    def decide_sheet(self, period_key: str, on: date) -> None:
        """A month or half-year from its round to its approval, on `on` (16:00 that day)."""
        self.clock.set(at(on, 16))
        self.open_round(period_key, on)
        self.prepare_sheet(period_key, on)
        self.approve_sheet(period_key, on)
        assert self.status(period_key)["decided"] is True

    def status(self, period_key: str) -> Json:
        """Where the period's procedure stands, as the leading group reads it."""
        return self.read(LEADER.person_id, f"/api/v1/rounds/{period_key}/status")

    # Quarters (R-08–R-11, D-15, D-16)

    def opinion_and_compilation(self, quarter: str, officer: str, subject: str, on: date) -> None:
        """A functional office's opinion and the clerk's compilation (R-08, R-09)."""
        url = f"/api/v1/quarters/{quarter}"
        self.post(
            officer,
            f"{url}/opinions",
            {"subject": subject, "opinion": "diligent", "effective_on": str(on)},
            expect=201,
        )
        self.step(CLERK.person_id, f"{url}/compilation", {"effective_on": str(on)})

    def mutual_evaluation(
        self,
        quarter: str,
        branch: str,
        secretary: str,
        mode: str,
        voters: Mapping[str, str],
        on: date,
    ) -> None:
        """The branch's mutual evaluation opened by its secretary, a ballot from each voter
        (rating every evaluated window but their own `good`) and the tally (R-10)."""
        url = f"/api/v1/quarters/{quarter}"
        branch_url = f"{url}/branches/{branch}"
        self.step(
            secretary, f"{branch_url}/mutual-evaluation", {"mode": mode, "effective_on": str(on)}
        )
        evaluations = self.read(CLERK.person_id, url)["mutual_evaluations"]
        (evaluated,) = [e["windows"] for e in evaluations if e["branch"] == branch]
        for voter, own in voters.items():
            ratings = {window: "good" for window in evaluated if window != own}
            receipt = self.step(
                voter, f"{branch_url}/ballots", {"ratings": ratings, "effective_on": str(on)}
            )
            assert receipt["accepted"] is True and receipt["mode"] == mode
        self.step(secretary, f"{branch_url}/tally", {"effective_on": str(on)})

    def recommendations(
        self,
        quarter: str,
        branch: str,
        secretary: str,
        individuals: Sequence[str],
        windows: Sequence[str],
        on: date,
    ) -> str:
        """The branch's recommendations; their URL (R-10)."""
        url = f"/api/v1/quarters/{quarter}/branches/{branch}/recommendations"
        self.step(
            secretary,
            url,
            {
                "excellent_individuals": list(individuals),
                "excellent_windows": list(windows),
                "effective_on": str(on),
            },
        )
        return url

    def examine(
        self, quarter: str, individuals: Sequence[str], windows: Sequence[str], on: date
    ) -> None:
        """The leading group's preliminary examination on the evaluation's ETag (R-10)."""
        url = f"/api/v1/quarters/{quarter}"
        self.post(
            LEADER.person_id,
            f"{url}/examination",
            {
                "accepted_individuals": list(individuals),
                "accepted_windows": list(windows),
                "effective_on": str(on),
            },
            if_match=self.etag(LEADER.person_id, url),
        )

    def examine_quarter(
        self,
        quarter: str,
        on: date,
        *,
        officer: str,
        subject: str,
        branch: str,
        secretary: str,
        members: Mapping[str, str],
        mode: str = "open",
        individuals: Sequence[str] = (),
        windows: Sequence[str] = (),
    ) -> None:
        """The quarter up to its preliminary examination, every step on `on` (the builders'
        `examine_quarter` for a center of one branch): the opinion and compilation, every
        member's ballot, the tally, the recommendations, all accepted: the results await their
        decision (R-11)."""
        self.opinion_and_compilation(quarter, officer, subject, on)
        self.mutual_evaluation(quarter, branch, secretary, mode, members, on)
        self.recommendations(quarter, branch, secretary, individuals, windows, on)
        self.examine(quarter, individuals, windows, on)

    def decide_quarter(self, quarter: str, on: date) -> Json:
        """The leading group publishes the results on the evaluation's ETag; the results."""
        url = f"/api/v1/quarters/{quarter}"
        self.post(
            LEADER.person_id,
            f"{url}/results",
            {"decision_ref": f"LG-{quarter}", "effective_on": str(on)},
            if_match=self.etag(LEADER.person_id, url),
        )
        assert self.status(quarter)["decided"] is True
        results: Json = self.read(LEADER.person_id, url)["results"]
        return results

    # The annual assessment (R-12–R-16, D-17)

    def participants(self, year: int) -> list[Json]:
        """The year's participants as the supervision clerk reads them (every one of them)."""
        body = self.read(CLERK.person_id, f"/api/v1/years/{year}/participants")
        assert body["partial"] is False
        rows: list[Json] = body["participants"]
        return rows

    def evaluate_year(
        self,
        year: int,
        on: date,
        *,
        secretaries: Mapping[str, str],
        grades: Mapping[str, Grade],
    ) -> dict[str, Grade]:
        """The year up to the joint branch meetings, every step on `on` (the builders'
        `evaluate_year`): each participant's self-summary and registration form, the heads' or
        leaders in charge's evaluations proposing `grades` (the scheme's second grade for the
        others), the countersignatures, the mutual-evaluation and recommendation forms, and the
        meetings recommending the excellent staff. Returns every participant's proposed grade."""
        url = f"/api/v1/years/{year}"
        clerk, leader = CLERK.person_id, LEADER.person_id
        rows = {row["staff_number"]: row for row in self.participants(year)}
        categories = {number: StaffCategory(row["category"]) for number, row in rows.items()}
        codes = sorted({row["unit_code"] for row in rows.values()})
        units = {code: self.read(clerk, f"/api/v1/units/{code}") for code in codes}
        chosen = {n: default_grade(c, year) for n, c in categories.items()} | dict(grades)
        excellent = sorted(n for n, grade in chosen.items() if grade is Grade.EXCELLENT)
        for number, category in categories.items():
            self.step(number, f"{url}/self-summary", {"text": f"the year of {number}", **_on(on)})
            self.step(number, f"{url}/registration-form", {"category": category, **_on(on)})
        for number, row in rows.items():
            unit = units[row["unit_code"]]
            role = Role(row["evaluator_role"])
            person = unit["leader_in_charge"] if role is Role.LEADER_IN_CHARGE else unit["head"]
            self.post(
                person,
                f"{url}/evaluations?acting_as={role.value}",
                {
                    "subject": number,
                    "evaluation": "did the job",
                    "proposed_grade": chosen[number],
                    **_on(on),
                },
                expect=201,
            )
        for number, row in rows.items():
            role = Role(row["countersigner_role"])
            signer = {Role.SUPERVISION_CLERK: clerk, Role.LEADING_GROUP: leader}.get(role)
            if role is Role.LEADER_IN_CHARGE:
                signer = units[row["unit_code"]]["leader_in_charge"]
            assert signer is not None
            self.step(
                signer,
                f"{url}/evaluations/{number}/countersignature?acting_as={role.value}",
                _on(on),
            )
        for number, row in rows.items():
            colleagues = sorted(
                n for n, other in rows.items() if other["branch"] == row["branch"] and n != number
            )
            ratings = {n: default_grade(categories[n], year) for n in colleagues}
            self.post(
                number,
                f"{url}/mutual-evaluation-forms",
                {"ratings": ratings, **_on(on)},
                expect=201,
            )
        for code, unit in units.items():
            role = "window_head" if unit["kind"] == "window" else "office_head"
            mine = [n for n in excellent if rows[n]["unit_code"] == code]
            self.step(
                unit["head"],
                f"{url}/units/{code}/recommendation-form?acting_as={role}",
                {"recommended": mine, **_on(on)},
            )
        for branch in sorted({row["branch"] for row in rows.values()}):
            staff = [n for n in excellent if rows[n]["branch"] == branch]
            self.step(
                secretaries[branch],
                f"{url}/branches/{branch}/joint-meeting",
                {"recommended_staff": staff, "recommended_windows": [], **_on(on)},
            )
        return chosen

    # Late entries (SPEC section 3, D-13)

    def resolve_conflicts(self, periods: Sequence[str], on: date) -> list[str]:
        """The leading group resolves (no change) every conflict the periods list, each on the
        round's ETag; the periods that had one."""
        leader = LEADER.person_id
        listed = []
        for period_key in periods:
            conflicts = self.read(leader, f"/api/v1/rounds/{period_key}/conflicts")
            for conflict in conflicts:
                listed.append(period_key)
                self.post(
                    leader,
                    f"/api/v1/rounds/{period_key}/late-entry-resolutions",
                    {
                        "entry_stream": conflict["stream_id"],
                        "entry_version": conflict["version"],
                        "resolution": "no_change",
                        "reason": "the decision stands",
                        "effective_on": str(on),
                    },
                    if_match=self.etag(leader, f"/api/v1/rounds/{period_key}"),
                )
            assert self.read(leader, f"/api/v1/rounds/{period_key}/conflicts") == []
        return listed


def _on(day: date) -> Json:
    return {"effective_on": str(day)}
