"""What the procedure routers share (rounds, bonus sheets, quarters, years, objections,
integrity): the answer of a step, If-Match on the record a step decides, and who reads a
procedure's records.

A step's answer names the log position it wrote and the version of the record the resource is
about (its ETag); the actor comes from the token in the role the endpoint needs, as for
deductions (`api.commands`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path, Response
from pydantic import BaseModel, Field

from api.auth import CurrentAccount
from api.commands import answer, required_version
from api.deps import LedgerDep
from api.permissions import reads_center, reads_unit
from api.schemas import MAX_INT
from ledger.application import AssessmentLedger, Outcome
from ledger.clock import local_date
from ledger.errors import RoleRequired
from ledger.values import Role

PeriodKey = Annotated[
    str,
    Path(
        description="期间 / period: 2025-03, 2025-Q1, 2025-H1 or 2025",
        examples=["2025-Q1"],
        min_length=4,
        max_length=10,
    ),
]
QuarterKey = Annotated[
    str,
    Path(description="季度 / the quarter", examples=["2025-Q1"], min_length=7, max_length=7),
]
SheetPeriod = Annotated[
    str,
    Path(description="月份或半年 / a month or a half-year", examples=["2025-03"], max_length=7),
]
Year = Annotated[int, Path(ge=2009, le=9999, description="考核年度 / the year", examples=[2025])]
BranchCode = Annotated[
    str, Path(max_length=40, description="党支部 / the party branch", examples=["B1"])
]

CENTER_READERS = "supervision_clerk, leading_group or party_working_committee"
ROUND_READERS = (
    "supervision_clerk, leading_group or party_working_committee; or a unit's head, leader in "
    "charge or branch secretary (their unit's people)"
)


class StepResult(BaseModel):
    """步骤记录的结果 / What a procedure step recorded."""

    position: int = Field(
        description="日志位置 / the log position it wrote (read-your-writes)", examples=[3120]
    )
    number: int | None = Field(
        default=None,
        description="编号 / the number of what it created (an objection, an opinion), if any",
        examples=[4],
    )
    record_version: int | None = Field(
        description="记录版本 / the version of the record it changed now (its ETag)",
        examples=[7],
    )
    replayed: bool = Field(
        description="重放 / true when an idempotent retry replayed it", examples=[False]
    )


def step_result(response: Response, outcome: Outcome, record: UUID) -> StepResult:
    """The answer of a step that changed `record`; its ETag is that record's new version."""
    version = dict(outcome.records).get(str(record))
    if version is not None:
        answer(response, outcome, version)
    elif outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return StepResult(
        position=outcome.position,
        number=outcome.number,
        record_version=version,
        replayed=outcome.replayed,
    )


def created(response: Response, location: str) -> None:
    """The Location of what a step created (or of the record it added to)."""
    response.headers["Location"] = location


@contextmanager
def if_matched(
    ledger: AssessmentLedger, record: UUID, if_match: str | None, what: str
) -> Iterator[None]:
    """Run the block only if the record is still at the If-Match version: 428 without the
    header; from the command, after its role check, 404 when the record does not exist and 412
    when it moved on."""
    version = required_version(if_match)
    # The application answers whether the record exists, once the actor's role is checked: a
    # refused role learns nothing about it (SPEC section 5).
    with ledger.expecting(record, version, what):
        yield


def etag(response: Response, version: int) -> None:
    """The ETag of a record as read."""
    response.headers["ETag"] = f'"{version}"'


def _today(ledger: AssessmentLedger) -> date:
    return local_date(ledger.clock())


def center_reader(account: CurrentAccount, ledger: LedgerDep) -> str:
    """The person, if they hold a center-wide reading role today (403 otherwise)."""
    if not reads_center(ledger, account.person_id, _today(ledger)):
        raise RoleRequired(CENTER_READERS, f"{account.person_id} may not read the center's records")
    return account.person_id


CenterReader = Annotated[str, Depends(center_reader)]


class Visibility:
    """What a procedure reader may see: everything (center-wide roles), or the people, units
    and branches of the units they head, lead or are the secretary of."""

    def __init__(self, everything: bool, own: frozenset[str], known: frozenset[str]) -> None:
        self.everything = everything
        self.hidden = frozenset() if everything else known - own

    def shows(self, text: str) -> bool:
        """Whether a line of a status names nobody the reader may not see."""
        if self.everything:
            return True
        return not any(word in self.hidden for word in re.findall(r"[\w-]+", text))


def procedure_reader(account: CurrentAccount, ledger: LedgerDep) -> Visibility:
    """Center-wide roles see every step; a unit's head, leader in charge or branch secretary
    sees the steps with what concerns other people and units left out (403 for anyone else)."""
    person = account.person_id
    today = _today(ledger)
    if reads_center(ledger, person, today):
        return Visibility(True, frozenset(), frozenset())
    with ledger.policy_state() as state:
        units = {code: unit.opened_on for code, unit in state.units.items()}
        memberships = {
            number: {m.unit_code for m in staff.memberships}
            for number, staff in state.staff.items()
        }
    organisation = ledger.organisation()
    branches = set(organisation.branches) if organisation is not None else set()
    readable = [code for code in units if reads_unit(ledger, person, ledger.unit(code), today)]
    if not readable:
        raise RoleRequired(ROUND_READERS, f"{person} may not read the procedures")
    own = {person, *readable}
    own.update(n for n, codes in memberships.items() if codes & set(readable))
    own.update(ledger.unit(code).party_branch for code in readable)
    known = frozenset({*units, *memberships, *branches})
    return Visibility(False, frozenset(own), known)


ProcedureReader = Annotated[Visibility, Depends(procedure_reader)]


def integrity_reader(account: CurrentAccount, ledger: LedgerDep) -> str:
    """The person, if they read checkpoints and filings today: the supervision clerk, the
    leading group or the higher authority (SPEC section 5)."""
    roles: Sequence[Role] = (Role.SUPERVISION_CLERK, Role.LEADING_GROUP, Role.HIGHER_AUTHORITY)
    organisation = ledger.organisation()
    today = _today(ledger)
    if organisation is None or not any(
        organisation.holds(account.person_id, role, today) for role in roles
    ):
        needed = ", ".join(role.value for role in roles)
        raise RoleRequired(needed, f"{account.person_id} may not read checkpoints or filings")
    return account.person_id


IntegrityReader = Annotated[str, Depends(integrity_reader)]

__all__ = [
    "MAX_INT",
    "BranchCode",
    "CenterReader",
    "IntegrityReader",
    "PeriodKey",
    "ProcedureReader",
    "QuarterKey",
    "SheetPeriod",
    "StepResult",
    "Visibility",
    "Year",
    "created",
    "etag",
    "if_matched",
    "step_result",
]
