"""Malformed filings are refused by the parser, which names the member at fault."""

from __future__ import annotations

import json
from typing import Any

import pytest
from filing_support import CheckpointedLog, filing

from builders import STAFF
from ledger.filing.bundle import FilingFormatError, Scope, parse


def _document(log: CheckpointedLog) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        filing(log.snapshots[0], Scope.staff(STAFF, 2025)).to_json()
    )
    return document


def _refusal(document: object) -> FilingFormatError:
    with pytest.raises(FilingFormatError) as caught:
        parse(json.dumps(document).encode())
    return caught.value


def test_a_missing_member_is_named(log: CheckpointedLog) -> None:
    # given a filing without its figures' checksum
    document = _document(log)
    del document["figures_checksum"]
    # when it is read, then the parser names the missing member
    assert _refusal(document).member == "figures_checksum"


def test_an_unknown_member_is_named(log: CheckpointedLog) -> None:
    # given a filing with a member the format does not have
    document = _document(log)
    document["events"][2]["note"] = "trust me"
    # when it is read, then the parser names it with its path
    assert _refusal(document).member == "events[2].note"


def test_a_malformed_hash_in_a_proof_is_named(log: CheckpointedLog) -> None:
    # given a filing with an inclusion proof hash that is not 64 lowercase hex digits
    document = _document(log)
    document["events"][0]["inclusion_proof"][1] = "ABCDEF"
    # when it is read, then the parser names that hash
    assert _refusal(document).member == "events[0].inclusion_proof[1]"


def test_another_format_version_is_refused(log: CheckpointedLog) -> None:
    # given a filing of a format this verifier does not know
    document = _document(log)
    document["format"] = "assessment-ledger/filing/v2"
    # when it is read, then the format member is named
    assert _refusal(document).member == "format"


def test_a_checkpoint_that_is_not_a_signed_note_is_named(log: CheckpointedLog) -> None:
    # given a filing whose checkpoint has lost its signature lines
    document = _document(log)
    document["checkpoint"] = document["checkpoint"].split("\n\n")[0] + "\n"
    # when it is read, then the checkpoint member is named
    assert _refusal(document).member == "checkpoint"


def test_a_stream_listed_twice_is_named(log: CheckpointedLog) -> None:
    # given a filing listing its first stream a second time
    document = _document(log)
    document["streams"].append(document["streams"][0])
    # when it is read, then the repeated entry is named
    assert _refusal(document).member == f"streams[{len(document['streams']) - 1}].stream_id"


def test_a_payload_without_its_salt_is_named(log: CheckpointedLog) -> None:
    # given a filing whose event has a payload but no salt
    document = _document(log)
    document["events"][1]["salt"] = None
    # when it is read, then the salt is named
    assert _refusal(document).member == "events[1].salt"


def test_a_fraction_anywhere_is_refused() -> None:
    # given a document holding a number with a fraction (no filing member is one)
    # when it is read, then it is refused as a document
    assert _refusal({"format": 1.5}).member == "(document)"


def test_a_member_appearing_twice_is_refused() -> None:
    # given JSON with the same member twice in one object (readers disagree on which wins)
    with pytest.raises(FilingFormatError) as caught:
        parse(b'{"format": "a", "format": "b"}')
    # then it is refused
    assert "appears twice" in str(caught.value)


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(FilingFormatError, match="is not JSON"):
        parse(b"{not json")
