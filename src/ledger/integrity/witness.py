"""A C2SP tlog-witness for the higher authority, independent of HTTP.

The witness keeps, per log it trusts (origin -> the log's Ed25519 verifier keys), the latest
checkpoint it cosigned, and cosigns a new one only if it is consistent with that one
(c2sp.org/tlog-witness, "add-checkpoint"; C2SP/C2SP tlog-witness.md). Its checks, in the order
the spec states them, each refusal a `WitnessRefusal` carrying the spec's status code:

1. the request is well formed: an `old <size>` line, at most 63 base64 consistency proof hashes,
   a blank line, a signed checkpoint note (`Malformed`, 400);
2. the checkpoint's origin is a log the witness knows ("If the checkpoint origin is unknown, the
   witness MUST respond with a 404 Not Found", `UnknownLog`);
3. one of that log's keys signed it, and no signature by one of its keys fails ("If none of the
   signatures verify against a trusted public key, the witness MUST respond with a 403
   Forbidden"; signed-note: a failing known-key signature rejects the note; `BadSignature`);
4. "The old size MUST be equal to or lower than the checkpoint size. Otherwise, the witness MUST
   respond with a 400 Bad Request" (`Malformed`);
5. the old size is the size of the latest checkpoint it cosigned for the origin, or zero if none
   ("If it doesn't match, the witness MUST respond with a 409 Conflict" whose body is that size
   in decimal and a newline, as `text/x.tlog.size`; `OldSizeMismatch`);
6. "If the old size matches the checkpoint size, the witness MUST check that the root hashes are
   also identical. If they don't match, the witness MUST respond with a 409 Conflict"
   (`Equivocation`);
7. the proof is an RFC 6962 consistency proof from the old size to the checkpoint's size, empty
   if the old size is zero ("If the Merkle Consistency Proof doesn't verify, the witness MUST
   respond with a 422 Unprocessable Entity"; `InconsistentProof`). A size-0 checkpoint must
   carry the empty tree's root, and equal sizes need an empty proof.

Steps 5 to 7 and the update run in one SQLite transaction that takes the write lock first
(`BEGIN IMMEDIATE`), and the update is a compare-and-swap on the old size: "checking the old size
against the latest checkpoint and persisting the new checkpoint must be performed atomically",
so two submissions can never both advance from the same size. Any refusal changes nothing.
A refusal at step 6 or 7 of a checkpoint the log validly signed may prove that the log
misbehaved ("the witness MAY log the request even if the consistency proof doesn't verify"):
the witness writes an evidence file (both notes, the old size, the proof, the time and why),
like Go's sumdb client does on a fork, and the refusal names the file.

Resubmitting the latest checkpoint (old size = size, same root) passes every check and is
cosigned again, as the spec requires (a log retrying after a lost answer); an older checkpoint
replayed is refused at step 4 or 5. Cosignatures are C2SP tlog-cosignature v1 (timestamped
Ed25519, type 0x04) at the time the injected clock gives, never zero and never earlier than the
witness's previous cosignature for that log.

On disk (`WitnessDirectory`): the cosigner key in `witness.key` (mode 0600, outside any
database), the trusted logs in `logs.json`, the state in `state.sqlite3`, evidence in
`evidence/`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from ledger.integrity.merkle import EMPTY_ROOT, HASH_SIZE, ProofError, verify_consistency
from ledger.integrity.note import (
    Checkpoint,
    CheckpointFormatError,
    Ed25519CosignatureVerifier,
    Ed25519Cosigner,
    Ed25519Verifier,
    KeyFormatError,
    NoteError,
    NoteSignature,
    SignatureError,
    check_key_name,
    open_checkpoint,
    parse_note,
    parse_signer_key,
)

__all__ = [
    "MAX_PROOF_LINES",
    "SIZE_MEDIA_TYPE",
    "AcceptedCheckpoint",
    "AddCheckpointRequest",
    "BadSignature",
    "ClockError",
    "Equivocation",
    "InconsistentProof",
    "Malformed",
    "OldSizeMismatch",
    "UnknownLog",
    "Witness",
    "WitnessDirectory",
    "WitnessError",
    "WitnessRefusal",
    "parse_add_checkpoint_body",
]

MAX_PROOF_LINES = 63
"""tlog-witness: "The client MUST NOT send more than 63 consistency proof lines"."""

SIZE_MEDIA_TYPE = "text/x.tlog.size"
"""tlog-witness: the 409 response "MUST have a Content-Type of text/x.tlog.size"."""

_MAX_SIZE = 2**64 - 1
_MAX_TIMESTAMP = 2**63 - 1
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]*)")
_EVIDENCE_SCHEMA = "ledger.witness.evidence/v1"

Clock = Callable[[], int]
"""Returns the current POSIX time in whole seconds."""


def system_seconds() -> int:
    """The machine's POSIX time in whole seconds."""
    return int(time.time())


# --- refusals --------------------------------------------------------------------------------


class WitnessError(Exception):
    """The witness could not answer; `status` is the HTTP status code that says so."""

    status: ClassVar[int] = 500


class ClockError(WitnessError):
    """The clock gave a time the witness must not cosign at (zero, too large, or earlier than
    its previous cosignature of the log); nothing was changed."""


class WitnessRefusal(WitnessError):
    """The witness refused the checkpoint, as the C2SP tlog-witness status code `status` says;
    nothing was changed."""


class Malformed(WitnessRefusal):
    """The request is malformed, or its old size is larger than the checkpoint's (400)."""

    status = 400


class BadSignature(WitnessRefusal):
    """No trusted key of the log signed the checkpoint, or a trusted key's signature fails (403)."""

    status = 403


class UnknownLog(WitnessRefusal):
    """The checkpoint's origin is not a log the witness trusts (404)."""

    status = 404


class OldSizeMismatch(WitnessRefusal):
    """The old size is not the size of the latest checkpoint cosigned for the log (409); the
    client retries from `latest_size`."""

    status = 409

    def __init__(self, origin: str, old_size: int, latest_size: int) -> None:
        super().__init__(
            f"old size {old_size} is not the size {latest_size} of the latest checkpoint "
            f"cosigned for {origin}"
        )
        self.origin = origin
        self.latest_size = latest_size


class _Misbehaviour(WitnessRefusal):
    """A validly signed checkpoint that contradicts what the witness holds; `evidence` is the
    file the witness wrote about it (None if it could not be written)."""

    def __init__(self, origin: str, reason: str, evidence: Path | None) -> None:
        where = f"evidence in {evidence}" if evidence else "the evidence file could not be written"
        super().__init__(f"{reason}; {where}")
        self.origin = origin
        self.reason = reason
        self.evidence = evidence


class Equivocation(_Misbehaviour):
    """A checkpoint of the size already cosigned, with another root hash (409)."""

    status = 409


class InconsistentProof(_Misbehaviour):
    """The consistency proof does not lead from the latest cosigned checkpoint to this one (422)."""

    status = 422


# --- the request body ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddCheckpointRequest:
    """An add-checkpoint request: the old size, the consistency proof, the checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str


def _proof_hash(line: str, number: int) -> bytes:
    try:
        value = base64.b64decode(line.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise Malformed(f"consistency proof line {number} is not base64") from None
    if base64.b64encode(value).decode("ascii") != line:
        raise Malformed(f"consistency proof line {number} is not canonical base64")
    if len(value) != HASH_SIZE:
        raise Malformed(f"consistency proof line {number} is {len(value)} bytes, not {HASH_SIZE}")
    return value


def parse_add_checkpoint_body(body: bytes) -> AddCheckpointRequest:
    """Parse an add-checkpoint request body (tlog-witness: "an old size line, zero or more
    consistency proof lines, and an empty line, followed by a checkpoint"); `Malformed` if not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the request body is not UTF-8") from None
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise Malformed("the request body has no empty line before the checkpoint")
    lines = head.split("\n")
    match = _OLD_LINE.fullmatch(lines[0])
    if match is None:
        raise Malformed("the first line must be 'old <size>' in decimal without leading zeros")
    old_size = int(match.group(1))
    if old_size > _MAX_SIZE:
        raise Malformed(f"old size {old_size} is outside 0..2**64-1")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise Malformed(f"{len(proof_lines)} consistency proof lines, more than {MAX_PROOF_LINES}")
    proof = tuple(_proof_hash(line, number) for number, line in enumerate(proof_lines, start=1))
    return AddCheckpointRequest(old_size, proof, note)


# --- state -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AcceptedCheckpoint:
    """The latest checkpoint the witness cosigned for a log, with its cosignature line."""

    origin: str
    size: int
    root_hash: bytes
    note: str
    cosignature: str
    cosigned_at: int


_SCHEMA = """
CREATE TABLE IF NOT EXISTS latest_checkpoint (
    origin      TEXT PRIMARY KEY,
    size        TEXT NOT NULL,     -- decimal: sizes reach 2**64-1, beyond SQLite's INTEGER
    root_hash   BLOB NOT NULL,
    note        TEXT NOT NULL,     -- the checkpoint note as submitted
    cosignature TEXT NOT NULL,     -- the witness's own signature line over it
    cosigned_at INTEGER NOT NULL   -- POSIX seconds, the cosignature's timestamp
) STRICT
"""


class _State:
    """The SQLite file of latest checkpoints; one connection per operation, so threads share
    nothing but the file, and SQLite's write lock orders them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with closing(self._connect()) as connection:
            connection.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: transactions are begun explicitly, with the lock we choose.
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds SQLite's write lock from its first statement, so that
        what it reads cannot change before it commits; rolled back if the body raises."""
        with closing(self._connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @staticmethod
    def read(connection: sqlite3.Connection, origin: str) -> AcceptedCheckpoint | None:
        row = connection.execute(
            "SELECT origin, size, root_hash, note, cosignature, cosigned_at "
            "FROM latest_checkpoint WHERE origin = ?",
            (origin,),
        ).fetchone()
        if row is None:
            return None
        return AcceptedCheckpoint(row[0], int(row[1]), row[2], row[3], row[4], row[5])

    def all(self) -> list[AcceptedCheckpoint]:
        with closing(self._connect()) as connection:
            origins = [
                row[0]
                for row in connection.execute(
                    "SELECT origin FROM latest_checkpoint ORDER BY origin"
                )
            ]
            found = [self.read(connection, origin) for origin in origins]
        return [item for item in found if item is not None]

    def get(self, origin: str) -> AcceptedCheckpoint | None:
        with closing(self._connect()) as connection:
            return self.read(connection, origin)


# --- the witness -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Refused:
    """A misbehaviour refusal decided inside the transaction, raised after it ended unchanged."""

    kind: type[_Misbehaviour]
    reason: str
    previous: AcceptedCheckpoint | None


class Witness:
    """A tlog-witness: its cosigner key, the logs it trusts, its state file and evidence folder,
    and a clock for cosignature timestamps (POSIX seconds)."""

    def __init__(
        self,
        cosigner: Ed25519Cosigner,
        logs: Mapping[str, Iterable[Ed25519Verifier]],
        state_path: Path,
        evidence_dir: Path,
        clock: Clock = system_seconds,
    ) -> None:
        if not isinstance(cosigner, Ed25519Cosigner):
            raise TypeError("a witness cosigns with an Ed25519Cosigner (signature type 0x04)")
        self._cosigner = cosigner
        self._logs = {origin: tuple(keys) for origin, keys in logs.items()}
        for origin, keys in self._logs.items():
            if not keys or not all(isinstance(key, Ed25519Verifier) for key in keys):
                raise TypeError(f"log {origin!r} needs one or more Ed25519 verifier keys")
        self._state = _State(state_path)
        self._evidence_dir = evidence_dir
        self._clock = clock

    @property
    def name(self) -> str:
        """The witness's key name."""
        return self._cosigner.name

    @property
    def verifier(self) -> Ed25519CosignatureVerifier:
        """The verifier key of the witness's cosignatures, to publish."""
        return self._cosigner.verifier()

    @property
    def logs(self) -> Mapping[str, tuple[Ed25519Verifier, ...]]:
        """The logs the witness trusts: origin -> the log's verifier keys."""
        return dict(self._logs)

    @property
    def evidence_dir(self) -> Path:
        """Where evidence of log misbehaviour is written."""
        return self._evidence_dir

    def latest(self, origin: str) -> AcceptedCheckpoint | None:
        """The latest checkpoint cosigned for the log, or None."""
        return self._state.get(origin)

    def accepted(self) -> list[AcceptedCheckpoint]:
        """The latest checkpoint cosigned for every log that has one, by origin."""
        return self._state.all()

    def add_checkpoint_body(self, body: bytes) -> list[str]:
        """`add_checkpoint` for a request body in the tlog-witness format."""
        request = parse_add_checkpoint_body(body)
        return self.add_checkpoint(request.old_size, request.proof, request.note)

    def add_checkpoint(self, old_size: int, proof: Sequence[bytes], note: str | bytes) -> list[str]:
        """Check a signed checkpoint against the latest one cosigned for its log and, if it is
        consistent, record it and return the witness's cosignature lines (each ending in a
        newline); otherwise raise the `WitnessRefusal` the spec's status code names."""
        proof = self._check_inputs(old_size, proof)
        try:
            parsed = parse_note(note)
            checkpoint = Checkpoint.parse(parsed.text)
        except NoteError as error:
            raise Malformed(f"the checkpoint note is malformed: {error}") from None
        note_text = parsed.format()
        keys = self._logs.get(checkpoint.origin)
        if keys is None:
            raise UnknownLog(f"unknown log {checkpoint.origin!r}")
        try:
            open_checkpoint(note_text, keys)
        except SignatureError as error:
            raise BadSignature(f"checkpoint of {checkpoint.origin}: {error}") from None
        except CheckpointFormatError as error:  # pragma: no cover - parsed above
            raise Malformed(str(error)) from None
        if old_size > checkpoint.size:
            raise Malformed(f"old size {old_size} is larger than the checkpoint size")

        with self._state.transaction() as connection:
            previous = self._state.read(connection, checkpoint.origin)
            latest_size = previous.size if previous else 0
            if old_size != latest_size:
                raise OldSizeMismatch(checkpoint.origin, old_size, latest_size)
            problem = self._check_consistency(previous, old_size, proof, checkpoint)
            if problem is None:
                # Returning commits: the record is persisted before anyone sees the line.
                return [self._cosign(connection, previous, checkpoint, note_text)]
        # The transaction changed nothing; the evidence is written outside it.
        refused = _Refused(problem[0], problem[1], previous)
        evidence = self._write_evidence(checkpoint.origin, refused, old_size, proof, note_text)
        raise refused.kind(checkpoint.origin, refused.reason, evidence)

    # The steps of add_checkpoint --------------------------------------------------------------

    @staticmethod
    def _check_inputs(old_size: int, proof: Sequence[bytes]) -> tuple[bytes, ...]:
        if isinstance(old_size, bool) or not isinstance(old_size, int):
            raise Malformed("the old size must be an integer")
        if not 0 <= old_size <= _MAX_SIZE:
            raise Malformed(f"old size {old_size} is outside 0..2**64-1")
        if len(proof) > MAX_PROOF_LINES:
            raise Malformed(f"{len(proof)} consistency proof hashes, more than {MAX_PROOF_LINES}")
        for number, value in enumerate(proof, start=1):
            if not isinstance(value, bytes) or len(value) != HASH_SIZE:
                raise Malformed(f"consistency proof hash {number} is not {HASH_SIZE} bytes")
        return tuple(proof)

    @staticmethod
    def _check_consistency(
        previous: AcceptedCheckpoint | None,
        old_size: int,
        proof: tuple[bytes, ...],
        checkpoint: Checkpoint,
    ) -> tuple[type[_Misbehaviour], str] | None:
        """Steps 6 and 7: None if the checkpoint extends the latest one, else why not."""
        if old_size == 0:
            # "The proof MUST be empty if the old size is zero"; a size-0 checkpoint must carry
            # the empty tree's root (what verify_consistency checks for the "old 0" case).
            old_root = EMPTY_ROOT
        else:
            assert previous is not None  # old_size == latest size > 0
            old_root = previous.root_hash
            if old_size == checkpoint.size and old_root != checkpoint.root_hash:
                return (
                    Equivocation,
                    f"equivocation: {checkpoint.origin} has two checkpoints of size "
                    f"{old_size} with different root hashes",
                )
        try:
            verify_consistency(
                old_size,
                checkpoint.size,
                proof,
                old_root,
                checkpoint.root_hash,
                allow_empty_old=True,
            )
        except ProofError as error:
            return (
                InconsistentProof,
                f"checkpoint of size {checkpoint.size} is not proven consistent with size "
                f"{old_size} of {checkpoint.origin}: {error}",
            )
        return None

    def _timestamp(self, previous: AcceptedCheckpoint | None) -> int:
        timestamp = self._clock()
        if isinstance(timestamp, bool) or not isinstance(timestamp, int):
            raise ClockError("the witness clock must give whole POSIX seconds")
        if not 0 < timestamp <= _MAX_TIMESTAMP:
            # tlog-witness: "The cosignature MUST NOT omit the timestamp, i.e. the timestamp
            # MUST NOT be zero"; tlog-cosignature: it "MUST NOT exceed 2^63 - 1".
            raise ClockError(f"the witness clock gave {timestamp}, outside 1..2**63-1")
        if previous is not None and timestamp < previous.cosigned_at:
            # A cosignature says "as of this time, this is the largest consistent tree": one
            # dated before an earlier statement about a smaller tree would contradict it.
            raise ClockError(
                f"the witness clock gave {timestamp}, before its previous cosignature of "
                f"{previous.origin} at {previous.cosigned_at}"
            )
        return timestamp

    def _cosign(
        self,
        connection: sqlite3.Connection,
        previous: AcceptedCheckpoint | None,
        checkpoint: Checkpoint,
        note_text: str,
    ) -> str:
        """Sign the checkpoint text and record it in place of `previous` (compare-and-swap on
        its size, inside the caller's transaction); the cosignature line."""
        timestamp = self._timestamp(previous)
        text = checkpoint.format().encode()
        signature = self._cosigner.cosign(text, timestamp)
        line = NoteSignature(self._cosigner.name, self._cosigner.key_id, signature).line()
        values = (str(checkpoint.size), checkpoint.root_hash, note_text, line, timestamp)
        if previous is None:
            connection.execute(
                "INSERT INTO latest_checkpoint "
                "(size, root_hash, note, cosignature, cosigned_at, origin) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (*values, checkpoint.origin),
            )
        else:
            cursor = connection.execute(
                "UPDATE latest_checkpoint SET size = ?, root_hash = ?, note = ?, "
                "cosignature = ?, cosigned_at = ? WHERE origin = ? AND size = ?",
                (*values, checkpoint.origin, str(previous.size)),
            )
            if cursor.rowcount != 1:  # pragma: no cover - the write lock is held
                raise WitnessError(f"the state of {checkpoint.origin} changed during the check")
        return line

    def _write_evidence(
        self,
        origin: str,
        refused: _Refused,
        old_size: int,
        proof: tuple[bytes, ...],
        note_text: str,
    ) -> Path | None:
        """Write a self-contained record of a refused, validly signed checkpoint that may prove
        the log misbehaved (both notes, the proof, the time, why); its path, or None."""
        now = self._clock()
        previous = refused.previous
        document = {
            "schema": _EVIDENCE_SCHEMA,
            "origin": origin,
            "refusal": refused.kind.__name__,
            "status": refused.kind.status,
            "reason": refused.reason,
            "time": now,
            "time_utc": datetime.fromtimestamp(now, UTC).isoformat(),
            "witness": self.verifier.vkey(),
            "log_keys": [key.vkey() for key in self._logs[origin]],
            "old_size": old_size,
            "proof": [base64.b64encode(value).decode("ascii") for value in proof],
            "previous_checkpoint": previous.note if previous else None,
            "previous_cosignature": previous.cosignature if previous else None,
            "submitted_checkpoint": note_text,
        }
        content = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        digest = hashlib.sha256(content.encode()).hexdigest()[:16]
        origin_digest = hashlib.sha256(origin.encode()).hexdigest()[:12]
        path = self._evidence_dir / f"{now}-{origin_digest}-{digest}.json"
        try:
            self._evidence_dir.mkdir(parents=True, exist_ok=True)
            _write_new_file(path, content, mode=0o644)
        except FileExistsError:
            pass  # the same content hash: this very evidence is already there
        except OSError:
            return None
        return path


# --- the witness's directory -----------------------------------------------------------------


def _write_new_file(path: Path, content: str, *, mode: int) -> None:
    """Create `path` with `content` and permissions `mode`; `FileExistsError` if it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())


class WitnessDirectory:
    """A witness's files: `witness.key` (the cosigner key, mode 0600), `logs.json` (origin ->
    the log's verifier keys), `state.sqlite3` (the latest checkpoints), `evidence/`."""

    KEY_FILE = "witness.key"
    LOGS_FILE = "logs.json"
    STATE_FILE = "state.sqlite3"
    EVIDENCE_DIR = "evidence"

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def key_path(self) -> Path:
        """The cosigner key file."""
        return self.path / self.KEY_FILE

    @property
    def logs_path(self) -> Path:
        """The trusted logs file."""
        return self.path / self.LOGS_FILE

    @property
    def state_path(self) -> Path:
        """The SQLite state file."""
        return self.path / self.STATE_FILE

    @property
    def evidence_dir(self) -> Path:
        """The evidence folder."""
        return self.path / self.EVIDENCE_DIR

    def init(self, name: str) -> Ed25519CosignatureVerifier:
        """Generate the cosigner key (refusing to overwrite one: `FileExistsError`), an empty
        list of logs and an empty state; the witness's verifier key."""
        check_key_name(name)
        self.path.mkdir(parents=True, exist_ok=True)
        cosigner = Ed25519Cosigner.generate(name)
        assert isinstance(cosigner, Ed25519Cosigner)
        _write_new_file(self.key_path, cosigner.skey() + "\n", mode=0o600)
        if not self.logs_path.exists():
            self._write_logs({})
        self.evidence_dir.mkdir(exist_ok=True)
        _State(self.state_path)
        return cosigner.verifier()

    def cosigner(self) -> Ed25519Cosigner:
        """The cosigner key from the key file (`OSError`, or `NoteError` if it is not one)."""
        signer = parse_signer_key(self.key_path.read_text("utf-8").strip())
        if not isinstance(signer, Ed25519Cosigner):
            raise KeyFormatError(f"{self.key_path} holds a note signing key, not a cosigner key")
        return signer

    def logs(self) -> dict[str, list[Ed25519Verifier]]:
        """The trusted logs: origin -> the log's verifier keys (`ValueError` if malformed)."""
        data = json.loads(self.logs_path.read_text("utf-8"))
        if not isinstance(data, dict) or not all(
            isinstance(keys, list) and all(isinstance(key, str) for key in keys)
            for keys in data.values()
        ):
            raise ValueError(f"{self.logs_path} must map each origin to a list of verifier keys")
        return {
            origin: [Ed25519Verifier.from_vkey(key) for key in keys]
            for origin, keys in data.items()
        }

    def trust(self, origin: str, key: Ed25519Verifier) -> bool:
        """Add a verifier key for a log (its origin); False if it was already trusted."""
        Checkpoint(origin, 0, EMPTY_ROOT)  # the origin must be a valid origin line
        logs = {name: [item.vkey() for item in keys] for name, keys in self.logs().items()}
        keys = logs.setdefault(origin, [])
        if key.vkey() in keys:
            return False
        keys.append(key.vkey())
        self._write_logs(logs)
        return True

    def _write_logs(self, logs: Mapping[str, list[str]]) -> None:
        # Written aside and renamed, so a crash leaves the old list or the new one.
        temporary = self.logs_path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(logs, indent=2, sort_keys=True) + "\n", "utf-8")
        os.replace(temporary, self.logs_path)

    def open(self, clock: Clock = system_seconds) -> Witness:
        """The witness these files describe (the logs as they are now)."""
        return Witness(self.cosigner(), self.logs(), self.state_path, self.evidence_dir, clock)
