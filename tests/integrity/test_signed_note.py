"""C2SP signed notes with Ed25519: the published examples verify with their keys, mutated ones
are refused, unknown keys are ignored, and a known key's bad signature rejects the note."""

from __future__ import annotations

from typing import Any

import pytest
from integrity_support import VECTORS, load

from ledger.integrity.note import (
    Ed25519Signer,
    Ed25519Verifier,
    KeyFormatError,
    NoteFormatError,
    SignatureError,
    add_signatures,
    key_id,
    open_note,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
)

EXAMPLES: list[dict[str, Any]] = load(VECTORS / "signed-note.json")["cases"]
IDS = [case["vkey"].split("+")[0] for case in EXAMPLES]


def test_the_copied_signed_note_examples_are_all_valid_cases() -> None:
    """The copy holds the two published examples, both marked valid (no mutated ones are
    published; the tests below derive them)."""
    assert len(EXAMPLES) == 2
    assert all(case["valid"] for case in EXAMPLES)


@pytest.mark.parametrize("case", EXAMPLES, ids=IDS)
def test_published_note_verifies_with_its_published_key(case: dict[str, Any]) -> None:
    """Given the published verifier key, the published note opens to the published text."""
    verifier = parse_verifier_key(case["vkey"])

    opened = open_note(case["note"], [verifier])

    assert opened.text == case["text"]
    assert opened.signed_by(verifier.name)


@pytest.mark.parametrize("case", EXAMPLES, ids=IDS)
def test_published_verifier_key_round_trips_and_its_key_id_is_recomputed(
    case: dict[str, Any],
) -> None:
    """The vkey text re-encodes identically, and its hex key ID is SHA-256(name ‖ 0x0A ‖ 0x01 ‖
    public key)[:4]."""
    verifier = Ed25519Verifier.from_vkey(case["vkey"])

    assert verifier.vkey() == case["vkey"]
    assert verifier.key_id == key_id(verifier.name, 0x01, verifier.public_key)


@pytest.mark.parametrize("case", EXAMPLES, ids=IDS)
def test_published_note_with_a_changed_text_is_rejected(case: dict[str, Any]) -> None:
    """One changed character of the signed text makes the known key's signature fail."""
    note = case["note"].replace("is", "iz", 1)

    with pytest.raises(SignatureError, match="does not verify"):
        open_note(note, [parse_verifier_key(case["vkey"])])


@pytest.mark.parametrize("case", EXAMPLES, ids=IDS)
def test_published_note_with_a_changed_signature_is_rejected(case: dict[str, Any]) -> None:
    """Swapping one base64 character of the signature (keeping the key ID) is refused."""
    text, signature_line = case["note"].rsplit("\n\n", 1)
    prefix, encoded = signature_line.rsplit(" ", 1)
    changed = encoded[:20] + ("A" if encoded[20] != "A" else "B") + encoded[21:]
    note = f"{text}\n\n{prefix} {changed}"

    with pytest.raises(SignatureError, match="does not verify"):
        open_note(note, [parse_verifier_key(case["vkey"])])


@pytest.mark.parametrize("case", EXAMPLES, ids=IDS)
def test_published_note_with_only_an_unknown_key_is_rejected(case: dict[str, Any]) -> None:
    """Checked with another example's key only, the note has no known signature: refused."""
    other = next(c for c in EXAMPLES if c is not case)

    with pytest.raises(SignatureError, match="no known key"):
        open_note(case["note"], [parse_verifier_key(other["vkey"])])


def test_a_key_sharing_only_the_name_or_only_the_key_id_is_ignored() -> None:
    """A signature whose name matches a known key but not its key ID (or the reverse) is an
    unknown key's: ignored, so it neither verifies nor fails the note."""
    log = Ed25519Signer.generate("example.com/log")
    impostor = Ed25519Signer.generate("example.com/log")
    note = sign_note("hello\n", [impostor, log])

    opened = open_note(note, [log.verifier()])

    assert [item.verifier for item in opened.verified] == [log.verifier()]


def test_several_signatures_verify_and_unknown_ones_are_skipped() -> None:
    """A note signed by three keys, two of them known, reports both known verifications."""
    first, second, third = (Ed25519Signer.generate(f"k{n}.example") for n in range(3))
    note = sign_note("text\nover two lines\n", [first, second, third])

    opened = open_note(note, [first.verifier(), third.verifier()])

    assert [item.verifier.name for item in opened.verified] == ["k0.example", "k2.example"]


def test_a_failing_known_signature_rejects_the_note_even_if_another_verifies() -> None:
    """A valid signature by one known key does not excuse a failed one by another."""
    good, bad = Ed25519Signer.generate("good.example"), Ed25519Signer.generate("bad.example")
    note = sign_note("text\n", [good])
    forged = parse_note(sign_note("other\n", [bad])).signatures[0]
    with_forgery = note + forged.line()

    with pytest.raises(SignatureError, match=r"bad\.example"):
        open_note(with_forgery, [good.verifier(), bad.verifier()])


def test_adding_a_signature_keeps_the_existing_ones() -> None:
    """A second signer appended later leaves the first line byte-identical and both verify."""
    first, second = Ed25519Signer.generate("a.example"), Ed25519Signer.generate("b.example")
    note = sign_note("text\n", [first])

    both = add_signatures(note, [second])

    assert both.startswith(note)
    assert len(open_note(both, [first.verifier(), second.verifier()]).verified) == 2


def test_note_text_may_contain_blank_lines() -> None:
    """The last blank line separates text from signatures, so blank lines inside survive."""
    signer = Ed25519Signer.generate("poem.example")
    text = "first\n\nsecond\n"

    assert open_note(sign_note(text, [signer]), [signer.verifier()]).text == text


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no signatures\n", "no blank line"),
        ("text\n\n", "no signature lines"),
        ("text\n\n— name AAAA", "end with a newline"),
        ("text\n\n-- name AAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "does not start with"),
        ("text\n\n— name\n", "no signature after the key name"),
        ("text\n\n— na+me AAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "contains a space"),
        ("text\n\n— name AAAA\n", "too short"),
        ("text\n\n— name AAAA!AAA\n", "not valid base64"),
        ("text\n\n— name AAAAAAB=\n", "not canonical base64"),
        ("te\txt\n\n— name AAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "control character"),
    ],
)
def test_malformed_notes_are_refused_with_the_reason(note: str, message: str) -> None:
    """Syntax errors raise `NoteFormatError` naming what is wrong."""
    with pytest.raises(NoteFormatError, match=message):
        parse_note(note)


def test_a_note_with_more_than_100_signatures_is_refused() -> None:
    """The signature count is bounded (the spec asks for at least 16)."""
    line = "— name AAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"

    parse_note("text\n\n" + line * 100)
    with pytest.raises(NoteFormatError, match="more than 100"):
        parse_note("text\n\n" + line * 101)


def test_a_note_that_is_not_utf8_is_refused() -> None:
    """Bytes that do not decode as UTF-8 are refused before anything else."""
    with pytest.raises(NoteFormatError, match="UTF-8"):
        parse_note(b"\xff\n\n\xe2\x80\x94 name AAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
        ("example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "8 lowercase"),
        ("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "type 0x02"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv", "32 key bytes"),
        ("example.com/foo+530d903a", "is <name>"),
        ("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "must not be empty"),
    ],
)
def test_malformed_verifier_keys_are_refused_with_the_reason(vkey: str, message: str) -> None:
    """A wrong key ID, upper-case hex, another type byte, a short key or missing parts are
    refused with `KeyFormatError`."""
    with pytest.raises(KeyFormatError, match=message):
        parse_verifier_key(vkey)


def test_signer_key_text_round_trips_to_the_same_key() -> None:
    """A generated signer's PRIVATE+KEY text parses back to a signer with the same verifier."""
    signer = Ed25519Signer.generate("records.example/ledger/v1")

    again = parse_signer_key(signer.skey())

    assert again.verifier() == signer.verifier()
    assert again.skey() == signer.skey()


def test_a_signer_key_with_a_wrong_key_id_is_refused() -> None:
    """An edited key ID in a signer key text is refused, not silently recomputed."""
    skey = Ed25519Signer.generate("log.example").skey()
    private, key, name, hex_id, material = skey.split("+", 4)  # the base64 may hold '+'
    wrong_id = "0" * 8 if hex_id != "0" * 8 else "1" * 8
    wrong = "+".join([private, key, name, wrong_id, material])

    with pytest.raises(KeyFormatError, match="does not match"):
        parse_signer_key(wrong)
