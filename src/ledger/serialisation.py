"""Canonical payloads: the one encoding of event state, equal bytes for equal values on every store.

Points are decimal strings with one decimal place, dates ISO, enums by value, ids strings, keys
sorted, no insignificant whitespace. For payloads without floats (we store none) the bytes are
RFC 8785 JSON, so an outsider can re-derive them with any JCS implementation.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from types import NoneType, UnionType
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from ledger.values import format_points

_LIBRARY_FIELDS = frozenset({"originator_id", "originator_version", "originator_id_type"})


def _encode_value(value: object) -> object:
    if isinstance(value, Decimal):
        return format_points(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"cannot store a {type(value).__name__} in an event payload")


def canonical_json(state: object) -> bytes:
    """Encode a payload canonically (RFC 8785 member order, compact, UTF-8, our value
    conventions)."""
    return json.dumps(
        _canonical_tree(state),
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_encode_value,
    ).encode("utf-8")


MAX_SAFE_INTEGER = 2**53 - 1
"""I-JSON's (RFC 7493) integer range, which RFC 8785 requires: larger ones are not portable."""


def _utf16_order(key: object) -> bytes:
    # RFC 8785 section 3.2.3 orders members by the UTF-16 code units of their names; Python's
    # str order (code points) differs as soon as a name holds a character beyond U+FFFF.
    if not isinstance(key, str):
        raise TypeError(f"payload member names must be strings, not {type(key).__name__}")
    return key.encode("utf-16-be")


def _needs_utf16_order(members: dict[Any, Any]) -> bool:
    # ASCII names (all our field names) sort the same by code point and by UTF-16 code unit.
    try:
        return not "".join(members).isascii()
    except TypeError:
        return True  # a name that is not a string: _utf16_order refuses it


def _canonical_tree(value: object) -> object:
    """The payload with its objects' members in RFC 8785 order; floats and integers outside
    the I-JSON range are refused."""
    if isinstance(value, dict):
        keys = sorted(value, key=_utf16_order) if _needs_utf16_order(value) else sorted(value)
        return {key: _canonical_tree(value[key]) for key in keys}
    if isinstance(value, list | tuple):
        return [_canonical_tree(item) for item in value]
    if isinstance(value, float):
        raise TypeError("floats are not stored: use Decimal points")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"integer {value} is outside the range a payload can hold (I-JSON)")
    return value


Converter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _converter_for(annotation: Any) -> Converter:
    """How to turn a decoded JSON value back into the annotated Python type."""
    if annotation is Decimal:
        return Decimal
    if annotation is datetime:
        return datetime.fromisoformat
    if annotation is date:
        return date.fromisoformat
    if annotation is UUID:
        return UUID
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (UnionType, typing.Union):
        inner = [a for a in arguments if a is not NoneType]
        if len(inner) == 1:
            convert = _converter_for(inner[0])
            return lambda value: None if value is None else convert(value)
        return _identity
    if origin is tuple and arguments:
        convert = _converter_for(arguments[0])
        return lambda values: tuple(convert(v) for v in values)
    return _identity


@cache
def _field_converters(event_class: type) -> tuple[tuple[str, Converter], ...]:
    hints = typing.get_type_hints(event_class)
    converters = []
    for name, annotation in hints.items():
        if name in _LIBRARY_FIELDS:
            continue
        convert = _converter_for(annotation)
        if convert is not _identity:
            converters.append((name, convert))
    return tuple(converters)


@cache
def _closed_fields(event_class: type) -> tuple[tuple[str, type[Enum]], ...]:
    """The fields annotated with an enum (or an optional enum)."""
    closed = []
    for name, annotation in typing.get_type_hints(event_class).items():
        if typing.get_origin(annotation) in (UnionType, typing.Union):
            inner = [a for a in typing.get_args(annotation) if a is not NoneType]
            annotation = inner[0] if len(inner) == 1 else None
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            closed.append((name, annotation))
    return tuple(closed)


class CanonicalMapper(Mapper[UUID]):
    """Maps events to canonical payloads and back, restoring field types from the event class."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Encode an event's state canonically; ids and version travel in their own columns."""
        state = {k: v for k, v in vars(domain_event).items() if k not in _LIBRARY_FIELDS}
        for name, kind in _closed_fields(type(domain_event)):
            value = state.get(name)
            if value is not None and not isinstance(value, kind):
                try:
                    kind(value)
                except ValueError:
                    # Stored, it would make every later replay of the stream fail.
                    raise ValueError(
                        f"{type(domain_event).__qualname__}.{name}: {value!r} is not a "
                        f"{kind.__name__}"
                    ) from None
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=canonical_json(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Decode a payload, upcast old class versions, and rebuild the event object."""
        event_class = resolve_topic(stored_event.topic)
        state: dict[str, Any] = json.loads(stored_event.state)
        class_version = getattr(event_class, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(event_class, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        for name, convert in _field_converters(event_class):
            if name in state:
                state[name] = convert(state[name])
        originator_id = stored_event.originator_id
        state["originator_id"] = (
            originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        )
        state["originator_version"] = stored_event.originator_version
        domain_event: DomainEventProtocol[UUID] = object.__new__(event_class)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event
