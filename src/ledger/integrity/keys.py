"""The log's signing keys, kept in a directory outside the database (SPEC 7.3).

    <dir>/log.skey            the current signing key (C2SP signed-note private key, mode 0600)
    <dir>/log.vkey            its verifier key (public: give it to verifiers and witnesses)
    <dir>/retired/*.vkey      the verifier keys of rotated-out keys, kept so that checkpoints
                              signed before a rotation still verify

A key is named after the log's origin (C2SP tlog-checkpoint: the log's signature is by a key of
the origin's name); a rotation makes a new key of the same name with a new key ID and deletes the
old private key, keeping only its verifier key.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from ledger.integrity.note import Ed25519Signer, NoteError, parse_signer_key, parse_verifier_key

__all__ = ["KeyDirectory", "KeyFileError"]


class KeyFileError(Exception):
    """A key file is missing, already there, or unreadable; the message says which and where."""


def _write_new(path: Path, text: str, mode: int) -> None:
    """Create a file that must not exist yet, with these permissions from the start."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; it is never overwritten") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")


class KeyDirectory:
    """The key files of one log."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def signer_file(self) -> Path:
        """The current private key."""
        return self.path / "log.skey"

    @property
    def verifier_file(self) -> Path:
        """The current verifier key."""
        return self.path / "log.vkey"

    @property
    def retired_dir(self) -> Path:
        """Verifier keys of rotated-out keys."""
        return self.path / "retired"

    def generate(self, origin: str) -> Ed25519Signer:
        """Make the log's first key; refuse if there is one."""
        if self.signer_file.exists():
            raise KeyFileError(
                f"{self.signer_file} already exists: rotate it with `ledger keys rotate`"
            )
        try:
            signer = Ed25519Signer.generate(origin)
        except NoteError as error:
            raise KeyFileError(f"origin {origin!r} cannot name a key: {error}") from None
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_new(self.signer_file, signer.skey(), 0o600)
        _write_new(self.verifier_file, signer.verifier().vkey(), 0o644)
        return signer

    def signer(self) -> Ed25519Signer:
        """The current signing key."""
        try:
            text = self.signer_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise KeyFileError(
                f"no log key at {self.signer_file}: make one with `ledger keys generate`"
            ) from None
        try:
            return parse_signer_key(text)
        except NoteError as error:
            raise KeyFileError(f"{self.signer_file} is not a signer key: {error}") from None

    def rotate(self, now: datetime | None = None) -> Ed25519Signer:
        """Retire the current key (its verifier key is kept) and make a new one of the same name."""
        old = self.signer()
        moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        self.retired_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_new(
            self.retired_dir / f"{moment}-{old.key_id.hex()}.vkey", old.verifier().vkey(), 0o644
        )
        new = Ed25519Signer.generate(old.name)
        # The new key is written beside the old and moved over it, so a crash leaves one whole key.
        staged = self.path / "log.skey.new"
        staged.unlink(missing_ok=True)
        _write_new(staged, new.skey(), 0o600)
        os.replace(staged, self.signer_file)
        self.verifier_file.unlink(missing_ok=True)
        _write_new(self.verifier_file, new.verifier().vkey(), 0o644)
        return new

    def verifier_keys(self) -> list[str]:
        """Every verifier key of the log: the current one first, then the retired, newest first."""
        keys = [self.verifier_file, *sorted(self.retired_dir.glob("*.vkey"), reverse=True)]
        texts: list[str] = []
        for path in keys:
            try:
                text = path.read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                raise KeyFileError(
                    f"no verifier key at {path}: make one with `ledger keys generate`"
                ) from None
            try:
                parse_verifier_key(text)
            except NoteError as error:
                raise KeyFileError(f"{path} is not a verifier key: {error}") from None
            texts.append(text)
        return texts
