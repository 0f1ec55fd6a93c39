"""C2SP tlog-checkpoint bodies (strict parse and format), signed checkpoints, and
C2SP tlog-cosignature witness cosignatures (timestamped Ed25519, type 0x04)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.integrity.merkle import EMPTY_ROOT
from ledger.integrity.note import (
    Checkpoint,
    CheckpointFormatError,
    Ed25519CosignatureVerifier,
    Ed25519Cosigner,
    Ed25519Signer,
    SignatureError,
    add_signatures,
    cosignatures,
    key_id,
    open_checkpoint,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

ORIGIN = "records.example/ledger/v1"
ROOT = bytes(range(32))
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_the_spec_example_body_parses_and_formats_back_identically() -> None:
    """The tlog-checkpoint spec's example text parses to its three fields and re-formats."""
    checkpoint = Checkpoint.parse(SPEC_BODY)

    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.format() == SPEC_BODY


def test_extension_lines_round_trip() -> None:
    """Optional extension lines follow the root line and survive parse and format."""
    checkpoint = Checkpoint(ORIGIN, 7, ROOT, ("ext one", "ext two"))

    assert Checkpoint.parse(checkpoint.format()) == checkpoint


def test_the_empty_tree_checkpoint_has_size_zero_and_the_empty_root() -> None:
    """Size 0 is written as "0" and its root is SHA-256 of the empty string."""
    text = Checkpoint(ORIGIN, 0, EMPTY_ROOT).format()

    assert text.splitlines()[1:] == ["0", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{ORIGIN}\n5\n", "origin, size and root hash"),
        (f"{ORIGIN}\n05\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n-5\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n 5\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n{2**64}\n{base64.b64encode(ROOT).decode()}\n", "outside 0..2"),
        (f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode().rstrip('=')}\n", "base64"),
        (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}", "end with a newline"),
        (f"\n5\n{base64.b64encode(ROOT).decode()}\n", "origin must not be empty"),
        (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()}\n\n", "extension line must not be"),
    ],
)
def test_malformed_checkpoint_bodies_are_refused_with_the_reason(text: str, message: str) -> None:
    """Missing lines, a non-canonical size, a short or non-canonical root, no final newline, an
    empty origin or an empty extension line raise `CheckpointFormatError`."""
    with pytest.raises(CheckpointFormatError, match=message):
        Checkpoint.parse(text)


def test_a_signed_checkpoint_opens_with_the_log_key_and_origin() -> None:
    """A checkpoint signed by the log's key opens to the same fields with that origin."""
    log = Ed25519Signer.generate(ORIGIN)
    checkpoint = Checkpoint(ORIGIN, 42, ROOT)

    opened, verified = open_checkpoint(
        sign_note(checkpoint.format(), [log]), [log.verifier()], origin=ORIGIN
    )

    assert opened == checkpoint
    assert verified.signed_by(ORIGIN)


def test_a_checkpoint_from_another_origin_is_refused() -> None:
    """A valid signature does not make another log's checkpoint acceptable."""
    log = Ed25519Signer.generate("other.example/log")
    note = sign_note(Checkpoint("other.example/log", 1, ROOT).format(), [log])

    with pytest.raises(CheckpointFormatError, match="not the expected"):
        open_checkpoint(note, [log.verifier()], origin=ORIGIN)


def test_a_checkpoint_signed_only_by_a_witness_is_refused() -> None:
    """When the origin is required, a cosignature alone does not stand in for the log's key."""
    log = Ed25519Signer.generate(ORIGIN)
    witness = Ed25519Cosigner(ORIGIN, Ed25519PrivateKey.generate(), clock=lambda: 1)
    note = add_signatures(sign_note(Checkpoint(ORIGIN, 3, ROOT).format(), [log]), [witness])

    with pytest.raises(SignatureError, match="no known key of the log"):
        open_checkpoint(note, [witness.verifier()], origin=ORIGIN)


def test_a_wrong_log_key_is_refused() -> None:
    """A checkpoint signed by another key of the same name is not verified by the real key."""
    real, other = Ed25519Signer.generate(ORIGIN), Ed25519Signer.generate(ORIGIN)
    note = sign_note(Checkpoint(ORIGIN, 3, ROOT).format(), [other])

    with pytest.raises(SignatureError, match="no known key"):
        open_checkpoint(note, [real.verifier()], origin=ORIGIN)


def test_a_witness_cosignature_verifies_and_reports_its_time() -> None:
    """A cosignature over the checkpoint verifies with the witness key and carries the time."""
    log = Ed25519Signer.generate(ORIGIN)
    witness = Ed25519Cosigner(
        "authority.example/witness", Ed25519PrivateKey.generate(), clock=lambda: 1679315147
    )
    note = sign_note(Checkpoint(ORIGIN, 9, ROOT).format(), [log])

    cosigned = add_signatures(note, [witness])
    _, verified = open_checkpoint(cosigned, [log.verifier(), witness.verifier()], origin=ORIGIN)

    assert [(c.verifier.name, c.timestamp) for c in cosignatures(verified)] == [
        ("authority.example/witness", 1679315147)
    ]


def test_a_cosignature_signs_the_header_time_and_checkpoint_text() -> None:
    """The signed message is "cosignature/v1\\ntime <t>\\n" + the checkpoint text, and the
    signature bytes are the big-endian time followed by the Ed25519 signature."""
    private = Ed25519PrivateKey.generate()
    witness = Ed25519Cosigner("w.example", private)
    text = Checkpoint(ORIGIN, 9, ROOT).format().encode()

    signature = witness.cosign(text, 1679315147)

    assert signature[:8] == (1679315147).to_bytes(8)
    message = b"cosignature/v1\ntime 1679315147\n" + text
    private.public_key().verify(signature[8:], message)


def test_a_cosignature_with_an_altered_timestamp_is_rejected() -> None:
    """Changing the timestamp inside the cosignature breaks the signature over it."""
    log = Ed25519Signer.generate(ORIGIN)
    witness = Ed25519Cosigner("w.example", Ed25519PrivateKey.generate(), clock=lambda: 100)
    note = add_signatures(sign_note(Checkpoint(ORIGIN, 9, ROOT).format(), [log]), [witness])
    head, line = note.rstrip("\n").rsplit("\n", 1)
    prefix, encoded = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[11] ^= 1  # the last byte of the 8-byte timestamp after the 4-byte key ID
    tampered = f"{head}\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n"

    with pytest.raises(SignatureError, match=r"w\.example"):
        open_checkpoint(tampered, [log.verifier(), witness.verifier()], origin=ORIGIN)


def test_the_cosigner_key_id_uses_signature_type_4() -> None:
    """The witness key ID is SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4] and its vkey says type 4, so
    the same key as a plain note key has another ID."""
    private = Ed25519PrivateKey.generate()
    witness = Ed25519Cosigner("w.example", private)
    verifier = witness.verifier()

    assert verifier.key_id == key_id("w.example", 0x04, verifier.public_key)
    assert base64.b64decode(verifier.vkey().split("+", 2)[2])[0] == 0x04
    assert isinstance(parse_verifier_key(verifier.vkey()), Ed25519CosignatureVerifier)
    assert Ed25519Signer("w.example", private).key_id != witness.key_id
    assert isinstance(parse_signer_key(witness.skey()), Ed25519Cosigner)


def test_a_cosigner_refuses_to_sign_a_text_that_is_not_a_checkpoint() -> None:
    """A witness only cosigns checkpoint bodies."""
    witness = Ed25519Cosigner("w.example", Ed25519PrivateKey.generate())

    with pytest.raises(CheckpointFormatError):
        witness.cosign(b"just some text\n", 1)
