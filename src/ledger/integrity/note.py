"""C2SP signed notes with Ed25519 keys, tlog-checkpoint bodies and tlog-cosignature witnesses.

A signed note (c2sp.org/signed-note) is a text ending in a newline, a blank line, then one or more
lines "— <key name> <base64(4-byte key ID ‖ signature)>". Keys are shared as verifier keys
`<name>+<hex key ID>+<base64(signature type ‖ public key)>`; the key ID is the first four bytes of
SHA-256(name ‖ "\\n" ‖ signature type ‖ public key). Signature type 0x01 is Ed25519 over the note
text; 0x04 is the timestamped Ed25519 witness cosignature of c2sp.org/tlog-cosignature, over
"cosignature/v1\\ntime <unix seconds>\\n" followed by the checkpoint text.

Verification ignores signatures by unknown keys, rejects the note if a signature by a known key
does not verify, and rejects it if no known key signed it. Only the standard library and
`cryptography` are imported: the standalone verifier uses this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "COSIGNATURE_HEADER",
    "ED25519",
    "ED25519_COSIGNATURE",
    "MAX_SIGNATURES",
    "Checkpoint",
    "CheckpointFormatError",
    "Ed25519CosignatureVerifier",
    "Ed25519Cosigner",
    "Ed25519Signer",
    "Ed25519Verifier",
    "KeyFormatError",
    "Note",
    "NoteError",
    "NoteFormatError",
    "NoteSignature",
    "SignatureError",
    "Signer",
    "VerifiedNote",
    "VerifiedSignature",
    "Verifier",
    "add_signatures",
    "check_key_name",
    "cosignature_message",
    "cosignatures",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_note",
    "parse_signer_key",
    "parse_verifier_key",
    "sign_note",
]

ED25519 = 0x01
"""Signature type of plain Ed25519 note signatures (c2sp.org/signed-note)."""

ED25519_COSIGNATURE = 0x04
"""Signature type of timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature)."""

MAX_SIGNATURES = 100
"""Notes with more signature lines are refused (the spec asks for at least 16; Go allows 100)."""

COSIGNATURE_HEADER = "cosignature/v1"
"""The header line of the message a tlog-cosignature v1 signs."""

_SIGNATURE_PREFIX = "— "
_MAX_TIMESTAMP = 2**63 - 1
_HASH_SIZE = 32
_SIZE_LINE = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A note, key or checkpoint was refused; the subclass and message say why."""


class NoteFormatError(NoteError):
    """The text is not a well-formed signed note."""


class KeyFormatError(NoteError):
    """A verifier or signer key text is malformed or inconsistent."""


class SignatureError(NoteError):
    """A signature by a known key failed, or no known key signed the note."""


class CheckpointFormatError(NoteFormatError):
    """The note text is not a well-formed tlog-checkpoint body."""


def check_key_name(name: str) -> str:
    """Return the key name if it is valid: non-empty, no Unicode space, no '+', no control."""
    if not name:
        raise KeyFormatError("a key name must not be empty")
    for char in name:
        if char.isspace() or char == "+" or ord(char) < 0x20 or char == "\x7f":
            raise KeyFormatError(f"key name {name!r} contains a space, '+' or control character")
    return name


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)[:4]."""
    material = name.encode() + b"\n" + bytes([signature_type]) + public_key
    return hashlib.sha256(material).digest()[:4]


def _b64decode(text: str, what: str, error: type[NoteError]) -> bytes:
    """Strict standard base64: alphabet, padding, and canonical (re-encodes to the same text)."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise error(f"{what} is not valid base64") from exc
    if base64.b64encode(data).decode("ascii") != text:
        raise error(f"{what} is not canonical base64")
    return data


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- signatures and notes --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key name, the 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The signature line, newline included."""
        return f"{_SIGNATURE_PREFIX}{self.name} {_b64encode(self.key_id + self.signature)}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed (not yet verified) signed note."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def format(self) -> str:
        """The note as text: the text, a blank line, the signature lines."""
        return self.text + "\n" + "".join(signature.line() for signature in self.signatures)


def _check_text(text: str, what: str) -> None:
    if not text.endswith("\n"):
        raise NoteFormatError(f"{what} must end with a newline")
    for char in text:
        if (ord(char) < 0x20 and char != "\n") or char == "\x7f":
            raise NoteFormatError(f"{what} contains the control character {char!r}")
    # Lone surrogates cannot be encoded: the note must be valid UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteFormatError(f"{what} is not valid UTF-8") from exc


def _check_note_text(text: str) -> None:
    """A text that can be signed: non-empty, newline-terminated, UTF-8, no other controls."""
    if not text:
        raise NoteFormatError("note text must not be empty")
    _check_text(text, "note text")


def parse_note(message: str | bytes) -> Note:
    """Split a signed note into its text and signature lines, checking its syntax only."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteFormatError("note is not valid UTF-8") from exc
    _check_text(message, "note")
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteFormatError("note has no blank line before its signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block:
        raise NoteFormatError("note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteFormatError(f"note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    signatures = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_SIGNATURE_PREFIX):
            raise NoteFormatError(f"signature line {number} does not start with '— '")
        name, space, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        if not space or not encoded:
            raise NoteFormatError(f"signature line {number} has no signature after the key name")
        try:
            check_key_name(name)
        except KeyFormatError as exc:
            raise NoteFormatError(f"signature line {number}: {exc}") from exc
        raw = _b64decode(encoded, f"signature line {number}", NoteFormatError)
        if len(raw) < 5:
            raise NoteFormatError(
                f"signature line {number} is too short for a key ID and signature"
            )
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    return Note(text, tuple(signatures))


class Verifier(Protocol):
    """A known key: its name and key ID select the signature lines it checks."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether `signature` (the bytes after the key ID) is valid over the note text."""
        ...


class Signer(Protocol):
    """A signing key for notes."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def sign(self, text: bytes) -> bytes:
        """The signature (without the key ID) over the note text."""
        ...


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """A signature line that a known key verified; `timestamp` is set for cosignatures."""

    verifier: Verifier
    signature: NoteSignature
    timestamp: int | None


@dataclass(frozen=True, slots=True)
class VerifiedNote:
    """A note whose text at least one known key signed; unknown signatures are kept unread."""

    text: str
    verified: tuple[VerifiedSignature, ...]
    note: Note

    def signed_by(self, name: str) -> bool:
        """Whether a known key of this name verified the note."""
        return any(item.verifier.name == name for item in self.verified)


def sign_note(text: str, signers: Iterable[Signer]) -> str:
    """A signed note over `text` with one signature line per signer, in order."""
    _check_note_text(text)
    signatures = tuple(
        NoteSignature(check_key_name(signer.name), signer.key_id, signer.sign(text.encode()))
        for signer in signers
    )
    if not signatures:
        raise NoteFormatError("a note needs at least one signature")
    return Note(text, signatures).format()


def add_signatures(message: str | bytes, signers: Iterable[Signer]) -> str:
    """The note with a signature line appended per signer (e.g. a witness cosigning); the
    existing signatures are kept as they are and not verified here."""
    note = parse_note(message)
    added = tuple(
        NoteSignature(check_key_name(signer.name), signer.key_id, signer.sign(note.text.encode()))
        for signer in signers
    )
    combined = note.signatures + added
    if len(combined) > MAX_SIGNATURES:
        raise NoteFormatError(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return Note(note.text, combined).format()


def open_note(message: str | bytes, verifiers: Iterable[Verifier]) -> VerifiedNote:
    """Parse a note and check it against the known keys: signatures by unknown keys (name or
    key ID differing) are ignored; a known key's failed signature raises `SignatureError`, and
    so does a note no known key signed."""
    note = parse_note(message)
    known: dict[tuple[str, bytes], list[Verifier]] = {}
    for verifier in verifiers:
        known.setdefault((verifier.name, verifier.key_id), []).append(verifier)
    text = note.text.encode()
    verified: list[VerifiedSignature] = []
    for signature in note.signatures:
        for verifier in known.get((signature.name, signature.key_id), []):
            if not verifier.verify(text, signature.signature):
                raise SignatureError(
                    f"the signature by known key {signature.name}+{signature.key_id.hex()} "
                    "does not verify"
                )
            timestamp = (
                int.from_bytes(signature.signature[:8])
                if isinstance(verifier, Ed25519CosignatureVerifier)
                else None
            )
            verified.append(VerifiedSignature(verifier, signature, timestamp))
    if not verified:
        raise SignatureError("no known key signed the note")
    return VerifiedNote(note.text, tuple(verified), note)


# --- Ed25519 keys ------------------------------------------------------------------------------


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class _Ed25519VerifierBase:
    signature_type = ED25519

    __slots__ = ("_key_id", "_name", "_public_key", "_raw")

    def __init__(self, name: str, public_key: Ed25519PublicKey | bytes) -> None:
        self._name = check_key_name(name)
        if isinstance(public_key, bytes):
            if len(public_key) != 32:
                raise KeyFormatError("an Ed25519 public key is 32 bytes")
            public_key = Ed25519PublicKey.from_public_bytes(public_key)
        self._public_key = public_key
        self._raw = _raw_public(public_key)
        self._key_id = key_id(name, self.signature_type, self._raw)

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._raw

    def vkey(self) -> str:
        """The verifier key text `<name>+<hex key ID>+<base64(type ‖ public key)>`."""
        material = _b64encode(bytes([self.signature_type]) + self._raw)
        return f"{self._name}+{self._key_id.hex()}+{material}"

    def _verify_raw(self, message: bytes, signature: bytes) -> bool:
        try:
            self._public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Ed25519VerifierBase)
        return (self._name, self._raw) == (other._name, other._raw)

    def __hash__(self) -> int:
        return hash((type(self), self._name, self._raw))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey()!r})"


class Ed25519Verifier(_Ed25519VerifierBase):
    """An Ed25519 note verifier key (signature type 0x01)."""

    signature_type = ED25519
    __slots__ = ()

    @classmethod
    def from_vkey(cls, vkey: str) -> Ed25519Verifier:
        """Parse a verifier key text of signature type 0x01."""
        verifier = parse_verifier_key(vkey)
        if not isinstance(verifier, cls):
            raise KeyFormatError("the verifier key is not an Ed25519 note key (type 0x01)")
        return verifier

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether the 64-byte Ed25519 signature is valid over the note text."""
        return len(signature) == 64 and self._verify_raw(text, signature)


def cosignature_message(text: bytes, timestamp: int) -> bytes:
    """The message a tlog-cosignature v1 signs: header, time line, then the checkpoint text."""
    return f"{COSIGNATURE_HEADER}\ntime {timestamp}\n".encode() + text


class Ed25519CosignatureVerifier(_Ed25519VerifierBase):
    """A witness's timestamped Ed25519 cosignature key (signature type 0x04)."""

    signature_type = ED25519_COSIGNATURE
    __slots__ = ()

    @classmethod
    def from_vkey(cls, vkey: str) -> Ed25519CosignatureVerifier:
        """Parse a verifier key text of signature type 0x04."""
        verifier = parse_verifier_key(vkey)
        if not isinstance(verifier, cls):
            raise KeyFormatError("the verifier key is not an Ed25519 cosignature key (type 0x04)")
        return verifier

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether `signature` is timestamp (8 bytes, big-endian, < 2**63) ‖ an Ed25519 signature
        over the cosignature message of the checkpoint text at that time."""
        if len(signature) != 72:
            return False
        timestamp = int.from_bytes(signature[:8])
        if timestamp > _MAX_TIMESTAMP:
            return False
        return self._verify_raw(cosignature_message(text, timestamp), signature[8:])


def parse_verifier_key(vkey: str) -> Ed25519Verifier | Ed25519CosignatureVerifier:
    """Parse `<name>+<hex key ID>+<base64(type ‖ public key)>` for types 0x01 and 0x04; the key
    ID must be the one computed from the name and key."""
    parts = vkey.split("+", 2)  # the base64 key may itself contain '+'
    if len(parts) != 3:
        raise KeyFormatError("a verifier key is <name>+<hex key ID>+<base64 key>")
    name, hex_id, encoded = parts
    check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(hex_id):
        raise KeyFormatError("a verifier key's key ID is 8 lowercase hex digits")
    material = _b64decode(encoded, "verifier key", KeyFormatError)
    if len(material) != 33:
        raise KeyFormatError("an Ed25519 verifier key holds a type byte and 32 key bytes")
    verifier: Ed25519Verifier | Ed25519CosignatureVerifier
    if material[0] == ED25519:
        verifier = Ed25519Verifier(name, material[1:])
    elif material[0] == ED25519_COSIGNATURE:
        verifier = Ed25519CosignatureVerifier(name, material[1:])
    else:
        raise KeyFormatError(f"unsupported signature type 0x{material[0]:02x}")
    if verifier.key_id.hex() != hex_id:
        raise KeyFormatError(f"verifier key ID {hex_id} does not match its name and key")
    return verifier


class Ed25519Signer:
    """An Ed25519 note signing key (signature type 0x01)."""

    signature_type = ED25519
    __slots__ = ("_key_id", "_name", "_private_key", "_public")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._name = check_key_name(name)
        self._private_key = private_key
        self._public = _raw_public(private_key.public_key())
        self._key_id = key_id(name, self.signature_type, self._public)

    @classmethod
    def generate(cls, name: str) -> Ed25519Signer:
        """A new random key with this name."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Ed25519Signer:
        """The key with this 32-byte RFC 8032 private seed."""
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 private seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return self._key_id

    def skey(self) -> str:
        """The signer key text `PRIVATE+KEY+<name>+<hex key ID>+<base64(type ‖ seed)>` (the
        golang.org/x/mod/sumdb/note format). Secret: keep it outside the database."""
        seed = self._private_key.private_bytes_raw()
        material = _b64encode(bytes([self.signature_type]) + seed)
        return f"PRIVATE+KEY+{self._name}+{self._key_id.hex()}+{material}"

    def verifier(self) -> Ed25519Verifier:
        """The matching verifier key."""
        return Ed25519Verifier(self._name, self._private_key.public_key())

    def sign(self, text: bytes) -> bytes:
        """The Ed25519 signature over the note text."""
        return self._private_key.sign(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, key_id={self._key_id.hex()})"


class Ed25519Cosigner(Ed25519Signer):
    """A witness's timestamped Ed25519 cosigning key (signature type 0x04); it signs only
    checkpoint texts, at the time its clock gives (POSIX seconds)."""

    signature_type = ED25519_COSIGNATURE
    __slots__ = ("_clock",)

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        super().__init__(name, private_key)
        self._clock = clock

    def verifier(self) -> Ed25519CosignatureVerifier:  # type: ignore[override]
        """The matching cosignature verifier key."""
        return Ed25519CosignatureVerifier(self._name, self._private_key.public_key())

    def cosign(self, text: bytes, timestamp: int) -> bytes:
        """The timestamped cosignature (8-byte big-endian time ‖ Ed25519 signature) over a
        checkpoint text at `timestamp`."""
        Checkpoint.parse(text.decode("utf-8"))
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise ValueError(f"cosignature timestamp {timestamp} is outside 0..2**63-1")
        signature = self._private_key.sign(cosignature_message(text, timestamp))
        return timestamp.to_bytes(8) + signature

    def sign(self, text: bytes) -> bytes:
        """The cosignature over a checkpoint text at the clock's current time."""
        return self.cosign(text, self._clock())


def parse_signer_key(skey: str) -> Ed25519Signer:
    """Parse `PRIVATE+KEY+<name>+<hex key ID>+<base64(type ‖ seed)>` for types 0x01 (a signer)
    and 0x04 (a cosigner with the system clock); the key ID must match."""
    parts = skey.split("+", 4)  # the base64 key may itself contain '+'
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise KeyFormatError("a signer key is PRIVATE+KEY+<name>+<hex key ID>+<base64 key>")
    name, hex_id, encoded = parts[2:]
    check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(hex_id):
        raise KeyFormatError("a signer key's key ID is 8 lowercase hex digits")
    material = _b64decode(encoded, "signer key", KeyFormatError)
    if len(material) != 33:
        raise KeyFormatError("an Ed25519 signer key holds a type byte and a 32-byte seed")
    private_key = Ed25519PrivateKey.from_private_bytes(material[1:])
    signer: Ed25519Signer
    if material[0] == ED25519:
        signer = Ed25519Signer(name, private_key)
    elif material[0] == ED25519_COSIGNATURE:
        signer = Ed25519Cosigner(name, private_key)
    else:
        raise KeyFormatError(f"unsupported signature type 0x{material[0]:02x}")
    if signer.key_id.hex() != hex_id:
        raise KeyFormatError(f"signer key ID {hex_id} does not match its name and key")
    return signer


# --- checkpoints -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise CheckpointFormatError("checkpoint origin must not be empty")
        for what, line in [("origin", self.origin), *(("extension", e) for e in self.extensions)]:
            if not line:
                raise CheckpointFormatError(f"checkpoint {what} line must not be empty")
            if any((ord(char) < 0x20) or char == "\x7f" for char in line):
                raise CheckpointFormatError(f"checkpoint {what} line contains a control character")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointFormatError("checkpoint size must be an integer")
        if not 0 <= self.size <= 2**64 - 1:
            raise CheckpointFormatError(f"checkpoint size {self.size} is outside 0..2**64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != _HASH_SIZE:
            raise CheckpointFormatError(f"checkpoint root hash must be {_HASH_SIZE} bytes")

    def format(self) -> str:
        """The note text: one line each for origin, size, base64 root and each extension."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a note text as a checkpoint, strictly: newline-terminated, at least three
        non-empty lines, size in decimal without leading zeros, canonical base64 of 32 bytes."""
        if not text.endswith("\n"):
            raise CheckpointFormatError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointFormatError("checkpoint needs origin, size and root hash lines")
        origin, size_line, root_line, *extensions = lines
        if not _SIZE_LINE.fullmatch(size_line):
            raise CheckpointFormatError(
                f"checkpoint size {size_line!r} is not a decimal without leading zeros"
            )
        root_hash = _b64decode(root_line, "checkpoint root hash", CheckpointFormatError)
        return cls(origin, int(size_line), root_hash, tuple(extensions))


def open_checkpoint(
    message: str | bytes, verifiers: Iterable[Verifier], *, origin: str | None = None
) -> tuple[Checkpoint, VerifiedNote]:
    """Verify a signed checkpoint note with the known keys (`open_note` rules) and parse its
    body; with `origin`, the checkpoint's origin must be it and a known key of that name (the
    log's own) must have signed it, not only a cosigner."""
    verified = open_note(message, verifiers)
    checkpoint = Checkpoint.parse(verified.text)
    if origin is not None:
        if checkpoint.origin != origin:
            raise CheckpointFormatError(
                f"checkpoint origin {checkpoint.origin!r} is not the expected {origin!r}"
            )
        if not any(
            item.verifier.name == origin and item.timestamp is None for item in verified.verified
        ):
            raise SignatureError(f"no known key of the log {origin!r} signed the checkpoint")
    return checkpoint, verified


def cosignatures(verified: VerifiedNote) -> Sequence[VerifiedSignature]:
    """The verified witness cosignatures of a note (those with a timestamp)."""
    return [
        item for item in verified.verified if isinstance(item.verifier, Ed25519CosignatureVerifier)
    ]
