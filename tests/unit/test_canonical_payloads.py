"""Canonical payloads (SPEC section 5): one encoding, RFC 8785 bytes, types restored on reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import pytest
import rfc8785
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import TODAY, Names, at, full_scenario, memory_ledger
from ledger.aggregates.annual_assessment import AnnualAssessment
from ledger.aggregates.assessment_round import AssessmentRound
from ledger.aggregates.ballot_box import BallotBox
from ledger.aggregates.base import LedgerAggregate
from ledger.aggregates.bonus_sheet import BonusSheet
from ledger.aggregates.calendar_year import CalendarYear
from ledger.aggregates.catalogue import Catalogue
from ledger.aggregates.grade_challenge import GradeChallenge
from ledger.aggregates.incident import Incident
from ledger.aggregates.organisation import Organisation
from ledger.aggregates.policy_book import PolicyBook
from ledger.aggregates.quarterly_evaluation import QuarterlyEvaluation
from ledger.aggregates.staff import Staff
from ledger.aggregates.window import Window
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.serialisation import CanonicalMapper, canonical_json
from ledger.values import Role, VetoCase

RECORDS = (
    Staff,
    Window,
    AssessmentRound,
    Organisation,
    Catalogue,
    CalendarYear,
    PolicyBook,
    Incident,
    BonusSheet,
    QuarterlyEvaluation,
    BallotBox,
    AnnualAssessment,
    GradeChallenge,
)


def event_classes() -> set[type]:
    """Every event class the records define (the unused `Created` bases aside)."""
    return {
        value
        for record in RECORDS
        for name, value in vars(record).items()
        if isinstance(value, type)
        and issubclass(value, LedgerAggregate.Event)
        and name not in ("Event", "Created")
    }


def stored_events(ledger: AssessmentLedger) -> list[StoredEvent]:
    return list(ledger.recorder.select_notifications(1, 1_000_000))


def run_scenario(
    names: Names | None = None,
) -> tuple[AssessmentLedger, list[DomainEventProtocol[UUID]]]:
    """Run the realistic sequence on memory, capturing each event object as it is stored."""
    clock = SettableClock(at(TODAY))
    ledger = memory_ledger(clock)
    captured: list[DomainEventProtocol[UUID]] = []
    encode = ledger.mapper.to_stored_event

    def capture(domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        captured.append(domain_event)
        return encode(domain_event)

    ledger.mapper.to_stored_event = capture  # type: ignore[method-assign]
    try:
        full_scenario(ledger, clock, names or Names())
    finally:
        del ledger.mapper.to_stored_event  # the class's method again
    return ledger, captured


@pytest.fixture(scope="module")
def scenario() -> Iterator[tuple[AssessmentLedger, list[DomainEventProtocol[UUID]]]]:
    ledger, captured = run_scenario()
    yield ledger, captured
    ledger.close()


# The encoding of values


def test_payload_members_are_ordered_by_utf16_code_units_as_rfc8785_says() -> None:
    """Given member names beyond U+FFFF, when encoded, then they sort by UTF-16 code units
    (U+1F600 is D83D DE00, so it precedes U+FF61), exactly as RFC 8785 section 3.2.3 orders."""
    state = {"\uff61": "a", "\U0001f600": "b", "z": {"\uffff": 1, "\U00010000": 2}}

    encoded = canonical_json(state)

    assert encoded == rfc8785.dumps(state)
    assert encoded.decode().index("\U0001f600") < encoded.decode().index("\uff61")


def test_floats_are_never_stored() -> None:
    """Points are Decimal; a float anywhere in a payload is refused."""
    with pytest.raises(TypeError, match="floats"):
        canonical_json({"points": [1, {"x": 0.5}]})


def test_integers_outside_the_ijson_range_are_refused() -> None:
    """RFC 8785 needs I-JSON integers (|n| < 2**53); larger ones would not re-canonicalise."""
    canonical_json({"quantity": 2**53 - 1})
    with pytest.raises(ValueError, match="I-JSON"):
        canonical_json({"quantity": 2**53})


def test_values_follow_the_stored_conventions() -> None:
    """Points with one decimal place, ISO dates and times, enums by value, ids as strings."""
    state = {
        "points": Decimal("3"),
        "on": date(2025, 3, 3),
        "at": datetime(2025, 3, 10, 1, 30, tzinfo=UTC),
        "role": Role.LEADING_GROUP,
        "case": VetoCase.V6,
        "id": UUID("6f1c7a52-2b5e-4c35-9a8e-0b7d5d1e2c40"),
        "days": (date(2025, 1, 1), date(2025, 1, 2)),
        "none": None,
        "flag": True,
    }

    assert json.loads(canonical_json(state)) == {
        "points": "3.0",
        "on": "2025-03-03",
        "at": "2025-03-10T01:30:00+00:00",
        "role": "leading_group",
        "case": "V6",
        "id": "6f1c7a52-2b5e-4c35-9a8e-0b7d5d1e2c40",
        "days": ["2025-01-01", "2025-01-02"],
        "none": None,
        "flag": True,
    }


# Every stored payload of a realistic run


def test_realistic_run_produces_every_event_class_of_every_record(
    scenario: tuple[AssessmentLedger, list[DomainEventProtocol[UUID]]],
) -> None:
    """The scenario the payload tests run over covers each event class, so none goes untested."""
    _, captured = scenario

    assert event_classes() - {type(event) for event in captured} == set()


def test_every_stored_payload_is_its_own_rfc8785_canonical_form(
    scenario: tuple[AssessmentLedger, list[DomainEventProtocol[UUID]]],
) -> None:
    """SPEC section 5: the stored bytes equal rfc8785.dumps(json.loads(bytes)) for every event."""
    ledger, _ = scenario

    stored = stored_events(ledger)

    assert stored
    assert [s.topic for s in stored if s.state != rfc8785.dumps(json.loads(s.state))] == []


TRICKY = ['"', "\\", "\x00", "\x1f", "\x7f", "\b", "\n", "\t", "\u2028", "\ufeff", "\uff61"]
TRICKY += ["😀", "\U0010ffff", "e\u0301", "张", "</script>", "\\u0000", "'"]

tricky_text = st.lists(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from(TRICKY)), min_size=1, max_size=8
).map("".join)
"""Unicode of every plane, quotes, backslashes and control characters (no lone surrogates:
they are not text and cannot be stored as UTF-8)."""

present_text = tricky_text.filter(lambda text: text.strip() != "")

member_names = st.text(
    st.sampled_from(["a", "Z", "\uff61", "\ue000", "😀", "\U00010000", '"']), max_size=3
)
member_names |= tricky_text
"""Names whose code-point and UTF-16 orders differ (BMP above U+E000 against other planes)."""


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | tricky_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(member_names, children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(json_values)
def test_any_float_free_json_value_encodes_to_its_rfc8785_bytes(value: object) -> None:
    """For every JSON value without floats (we store none), canonical_json is RFC 8785."""
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.builds(
        Names,
        staff_name=present_text,
        unit_name=tricky_text,
        branch_name=tricky_text,
        department=present_text,
        reason=present_text,
        evidence_ref=tricky_text,
        incident_ref=present_text.map(lambda text: f"H-{text}"),
        item_name=tricky_text,
        policy_version=tricky_text,
        policy_parameters=st.dictionaries(member_names, tricky_text, max_size=5),
    )
)
def test_payloads_with_any_text_are_rfc8785_canonical(names: Names) -> None:
    """Given names, reasons, references and policy parameters with any Unicode, quotes and
    control characters, when the realistic run stores them, then every payload is canonical."""
    ledger, _ = run_scenario(names)
    try:
        stored = stored_events(ledger)
    finally:
        ledger.close()

    assert [s.topic for s in stored if s.state != rfc8785.dumps(json.loads(s.state))] == []


# Reading payloads back


def field_types(event: object) -> dict[str, Any]:
    """Each field's type, and for a tuple the types of its items."""
    types: dict[str, Any] = {}
    for name, value in vars(event).items():
        if isinstance(value, tuple):
            types[name] = (tuple, tuple(type(item) for item in value))
        else:
            types[name] = type(value)
    return types


def test_mapper_restores_every_event_class_with_its_field_types(
    scenario: tuple[AssessmentLedger, list[DomainEventProtocol[UUID]]],
) -> None:
    """Given every event of the realistic run, when encoded and decoded, then the event has its
    class, equal fields and the same types (Decimal, date, datetime, enums, tuples)."""
    ledger, captured = scenario
    mapper = ledger.mapper
    assert isinstance(mapper, CanonicalMapper)

    for original in captured:
        decoded = mapper.to_domain_event(mapper.to_stored_event(original))

        assert type(decoded) is type(original)
        assert vars(decoded) == vars(original), type(original).__qualname__
        assert field_types(decoded) == field_types(original), type(original).__qualname__


def test_decoded_events_re_encode_to_the_stored_bytes(
    scenario: tuple[AssessmentLedger, list[DomainEventProtocol[UUID]]],
) -> None:
    """Reading a payload and writing it again gives the same bytes (no drift on replay)."""
    ledger, _ = scenario
    mapper = ledger.mapper

    for stored in stored_events(ledger):
        again = mapper.to_stored_event(mapper.to_domain_event(stored))

        assert (again.topic, again.state) == (stored.topic, stored.state)


def test_decoded_field_types_cover_the_stored_conventions(
    scenario: tuple[AssessmentLedger, list[DomainEventProtocol[UUID]]],
) -> None:
    """The run exercises each restored type: Decimal points, dates, aware datetimes, enums and
    tuples of dates."""
    ledger, _ = scenario
    mapper = ledger.mapper
    seen: set[type] = set()
    for stored in stored_events(ledger):
        for value in vars(mapper.to_domain_event(stored)).values():
            items = value if isinstance(value, tuple) else (value,)
            seen.update(type(item) for item in items)
            if isinstance(value, tuple):
                seen.add(tuple)
            if isinstance(value, datetime):
                assert value.utcoffset() is not None

    assert {Decimal, date, datetime, tuple, UUID} <= seen
    assert any(issubclass(kind, Enum) for kind in seen)


def test_mapper_refuses_to_store_an_enum_field_outside_its_closed_list(
    scenario: tuple[AssessmentLedger, list[DomainEventProtocol[UUID]]],
) -> None:
    """Given a DeductionRecorded whose source is no DeductionSource, when encoded, then
    ValueError: stored, it would fail every later replay of its stream."""
    ledger, captured = scenario
    original = next(e for e in captured if type(e) is Staff.DeductionRecorded)
    bad = object.__new__(type(original))
    object.__setattr__(bad, "__dict__", {**vars(original), "source": "gossip"})

    with pytest.raises(ValueError, match="source"):
        ledger.mapper.to_stored_event(bad)
