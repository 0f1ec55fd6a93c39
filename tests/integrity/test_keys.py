"""The log's signing keys in a directory outside the database (SPEC 7.3): generation, rotation,
export; checkpoints signed before a rotation still verify with the retired key."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.integrity.keys import KeyDirectory, KeyFileError
from ledger.integrity.note import (
    Checkpoint,
    SignatureError,
    open_checkpoint,
    parse_verifier_key,
    sign_note,
)

ORIGIN = "assessment-ledger.test/center"


def test_a_generated_key_is_private_to_its_owner_and_named_after_the_origin(
    tmp_path: Path,
) -> None:
    keys = KeyDirectory(tmp_path / "keys")
    signer = keys.generate(ORIGIN)
    assert signer.name == ORIGIN
    assert stat.S_IMODE(keys.signer_file.stat().st_mode) == 0o600
    assert keys.signer().key_id == signer.key_id
    assert keys.verifier_keys() == [signer.verifier().vkey()]


def test_generating_over_an_existing_key_is_refused_and_keeps_it(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    first = keys.generate(ORIGIN)
    with pytest.raises(KeyFileError, match="rotate"):
        keys.generate(ORIGIN)
    assert keys.signer().key_id == first.key_id


def test_a_missing_key_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="ledger keys generate"):
        KeyDirectory(tmp_path).signer()


def test_a_corrupt_key_file_is_named_in_the_error(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.generate(ORIGIN)
    keys.signer_file.write_text("PRIVATE+KEY+garbage\n", encoding="utf-8")
    with pytest.raises(KeyFileError, match=r"log\.skey is not a signer key"):
        keys.signer()


def test_rotation_makes_a_new_key_of_the_same_name_and_keeps_the_old_verifier(
    tmp_path: Path,
) -> None:
    # given a key that signed a checkpoint
    keys = KeyDirectory(tmp_path)
    old = keys.generate(ORIGIN)
    note = sign_note(Checkpoint(ORIGIN, 5, bytes(32)).format(), [old])
    # when the key is rotated
    new = keys.rotate(datetime(2026, 1, 5, tzinfo=UTC))
    # then the new key signs, the old private key is gone, and the old checkpoint still verifies
    assert new.name == ORIGIN and new.key_id != old.key_id
    assert keys.signer().key_id == new.key_id
    exported = [parse_verifier_key(text) for text in keys.verifier_keys()]
    assert [key.key_id for key in exported] == [new.key_id, old.key_id]
    open_checkpoint(note, exported, origin=ORIGIN)
    with pytest.raises(SignatureError):
        open_checkpoint(note, [new.verifier()], origin=ORIGIN)
    assert old.skey() not in keys.signer_file.read_text(encoding="utf-8")
