"""The log's integrity over HTTP (SPEC section 7): the kept checkpoints, the latest one as a
C2SP signed note, RFC 9162 inclusion and consistency proofs, and verifiable filings of the
center's year or a staff member's year (docs/filing-format.md), for the supervision clerk, the
leading group and the higher authority."""

from __future__ import annotations

from typing import Annotated, Protocol, cast

from fastapi import Query, Response
from pydantic import BaseModel, Field

from api.deps import LedgerDep, SettingsDep
from api.problems import problem_responses
from api.procedures import MAX_INT, IntegrityReader, Year
from api.routing import resource_router
from api.schemas import StaffNumber
from ledger.application import AssessmentLedger
from ledger.errors import RecordNotFound, RuleViolation
from ledger.filing.bundle import Scope
from ledger.filing.export import FilingUnavailable, export_filing
from ledger.integrity.checkpoints import (
    CheckpointRecorder,
    StoredCheckpoint,
    consistency_proof,
    inclusion_proof,
)
from ledger.integrity.keys import KeyDirectory, KeyFileError
from ledger.integrity.merkle import ProofError
from ledger.integrity.note import NoteError, parse_note
from ledger.settings import Settings

router = resource_router(
    prefix="/api/v1",
    tags=["integrity"],
    responses=problem_responses(401, 403, 404, 422, 503),
)

NOTE_MEDIA_TYPE = "text/plain; charset=utf-8"
FILING_MEDIA_TYPE = "application/json"


class _Log(CheckpointRecorder, Protocol):
    def tree_size(self) -> int:
        """The number of leaves."""


class CheckpointOut(BaseModel):
    """检查点 / A kept checkpoint."""

    size: int = Field(description="树大小 / the tree size (leaves)", examples=[2962])
    root: str = Field(
        description="根哈希 / the root hash, hex",
        examples=["130cd873895f5311840cadd45c382a994fc96d0b854139543151b67359ea5186"],
    )
    signers: list[str] = Field(
        description="签名者 / the key names that signed it (the log, witnesses)",
        examples=[["assessment-ledger.local/center"]],
    )
    note: str = Field(
        description="签名记录 / the C2SP signed note",
        examples=[
            "assessment-ledger.local/center\n2962\nEwzYc4lfUxGEDK3UXDgqmU/JbQuFQTlUMVG2c1nqUYY=\n\n"
            "— assessment-ledger.local/center ldsI+F/mD3mJFzHI2bRqdyOUsihiNLVUKdWY4R1mA0pO3Fuls"
            "KjTTJHVIm829CNlh8a4jMzJFjroy1gt2BrK/pgRLQ4=\n"
        ],
    )


class InclusionProofOut(BaseModel):
    """包含证明 / An RFC 9162 inclusion proof."""

    index: int = Field(description="叶序号 / the leaf's index", examples=[41])
    size: int = Field(description="树大小 / the tree size", examples=[2962])
    proof: list[str] = Field(
        description="证明 / the audit path, bottom first, hex",
        examples=[
            [
                "169b5b823c62b64ca7e5f8456a13c8d5d06f4ece522a58bc2b8a784dcf3609b0",
                "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a",
                "3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693",
            ]
        ],
    )


class ConsistencyProofOut(BaseModel):
    """一致性证明 / An RFC 9162 consistency proof."""

    old: int = Field(description="旧树大小 / the older tree size", examples=[1200])
    new: int = Field(description="新树大小 / the newer tree size", examples=[2962])
    proof: list[str] = Field(
        description="证明 / the proof, hex",
        examples=[
            [
                "169b5b823c62b64ca7e5f8456a13c8d5d06f4ece522a58bc2b8a784dcf3609b0",
                "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a",
                "3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693",
            ]
        ],
    )


def _log(ledger: AssessmentLedger) -> _Log:
    return cast(_Log, ledger.recorder)


def _signers(checkpoint: StoredCheckpoint) -> list[str]:
    try:
        return [signature.name for signature in parse_note(checkpoint.note).signatures]
    except NoteError:
        return []


def _latest(ledger: AssessmentLedger) -> StoredCheckpoint:
    kept = _log(ledger).checkpoints()
    if not kept:
        raise RecordNotFound("no checkpoint is published yet")
    return kept[-1]


@router.get("/checkpoints", summary="检查点 / the kept checkpoints")
def list_checkpoints(reader: IntegrityReader, ledger: LedgerDep) -> list[CheckpointOut]:
    """Every kept checkpoint, oldest first, with its signed note."""
    return [
        CheckpointOut(size=c.size, root=c.root.hex(), signers=_signers(c), note=c.note)
        for c in _log(ledger).checkpoints()
    ]


@router.get(
    "/checkpoints/latest",
    summary="最新检查点 / the latest checkpoint as a signed note",
    response_class=Response,
    responses={
        200: {
            "description": "C2SP 签名记录 / the C2SP tlog-checkpoint signed note",
            "content": {NOTE_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
def read_latest_checkpoint(reader: IntegrityReader, ledger: LedgerDep) -> Response:
    """The latest checkpoint's signed note, as witnesses and verifiers read it."""
    return Response(_latest(ledger).note, media_type=NOTE_MEDIA_TYPE)


@router.get("/proofs/inclusion", summary="包含证明 / an inclusion proof")
def read_inclusion_proof(
    reader: IntegrityReader,
    ledger: LedgerDep,
    index: Annotated[
        int, Query(ge=0, le=MAX_INT, description="叶序号 / the leaf's index", examples=[41])
    ],
    size: Annotated[
        int, Query(ge=1, le=MAX_INT, description="树大小 / the tree size", examples=[2962])
    ],
) -> InclusionProofOut:
    """The audit path of leaf `index` in the tree of the first `size` leaves."""
    log = _log(ledger)
    _within(log, size, "size")
    try:
        proof = inclusion_proof(log, index, size)
    except (ProofError, ValueError) as error:
        raise RuleViolation("PROOF", str(error), fields={"index": index, "size": size}) from None
    return InclusionProofOut(index=index, size=size, proof=[node.hex() for node in proof])


@router.get("/proofs/consistency", summary="一致性证明 / a consistency proof")
def read_consistency_proof(
    reader: IntegrityReader,
    ledger: LedgerDep,
    old: Annotated[
        int, Query(ge=1, le=MAX_INT, description="旧树大小 / the older tree size", examples=[1200])
    ],
    new: Annotated[
        int, Query(ge=1, le=MAX_INT, description="新树大小 / the newer tree size", examples=[2962])
    ],
) -> ConsistencyProofOut:
    """The proof that the tree of `new` leaves extends the tree of `old` leaves."""
    log = _log(ledger)
    _within(log, new, "new")
    try:
        proof = consistency_proof(log, old, new)
    except (ProofError, ValueError) as error:
        raise RuleViolation("PROOF", str(error), fields={"old": old, "new": new}) from None
    return ConsistencyProofOut(old=old, new=new, proof=[node.hex() for node in proof])


def _within(log: _Log, size: int, name: str) -> None:
    leaves = log.tree_size()
    if size > leaves:
        raise RuleViolation(
            "PROOF", f"the log has {leaves} leaves, fewer than {name}={size}", fields={name: size}
        )


def _filing(ledger: AssessmentLedger, settings: Settings, scope: Scope) -> Response:
    _latest(ledger)  # RecordNotFound (404) when nothing is checkpointed yet
    try:
        log_keys = KeyDirectory(settings.key_dir).verifier_keys()
    except KeyFileError:
        log_keys = []  # the verifier is then given the log's key separately
    try:
        bundle = export_filing(ledger.recorder, scope, log_verifier_keys=log_keys)
    except FilingUnavailable as error:
        raise RuleViolation("FILING", str(error), fields={"year": scope.year}) from None
    return Response(bundle.to_json(), media_type=FILING_MEDIA_TYPE)


_FILING_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "备案文件 / the filing (RFC 8785 JSON), checked offline by ledger-verify",
        "content": {FILING_MEDIA_TYPE: {"schema": {"type": "object"}}},
    }
}


@router.get(
    "/filings/{year}",
    summary="中心年度备案 / the center's filing of a year",
    response_class=Response,
    responses=_FILING_RESPONSES,
)
def export_center_filing(
    year: Year, reader: IntegrityReader, ledger: LedgerDep, settings: SettingsDep
) -> Response:
    """The whole center's year at the last published checkpoint."""
    return _filing(ledger, settings, Scope.center(year))


@router.get(
    "/staff/{staff_number}/filings/{year}",
    summary="个人年度备案 / a staff member's filing of a year",
    response_class=Response,
    responses=_FILING_RESPONSES,
)
def export_staff_filing(
    staff_number: StaffNumber,
    year: Year,
    reader: IntegrityReader,
    ledger: LedgerDep,
    settings: SettingsDep,
) -> Response:
    """A staff member's year at the last published checkpoint."""
    ledger.staff(staff_number)  # RecordNotFound (404) for an unregistered number
    return _filing(ledger, settings, Scope.staff(staff_number, year))
