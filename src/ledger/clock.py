"""The injected clock, and the one instant each command stamps on all its events."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""

CENTER_TIMEZONE = ZoneInfo("Asia/Shanghai")

_command_time: ContextVar[datetime] = ContextVar("command_time")


def system_clock() -> datetime:
    """The machine's clock, in UTC."""
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    """The calendar date at the center (Asia/Shanghai) of a moment."""
    return moment.astimezone(CENTER_TIMEZONE).date()


_MANGLED_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ][\d:.]+) (\d{2}(?::?\d{2})?)$")


def parse_as_of(text: str, *, largest_position: int) -> int | datetime:
    """A point of the log's transaction time as people write it: a log position (digits, at most
    `largest_position`), a moment (ISO 8601; without an offset, the center's time), or a day
    (as known at its end, the center's time). Moments come back in UTC; ValueError says what
    was wrong in one line."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        position = int(text)
        if position > largest_position:
            raise ValueError(f"a log position is at most {largest_position}")
        return position
    # In a URL's query a "+" not written as %2B arrives as a space: "17:30:00 08:00".
    text = _MANGLED_OFFSET.sub(r"\1+\2", text)
    try:
        if len(text) == 10:
            # A day: everything recorded that day, up to its last microsecond at the center.
            moment = datetime.combine(date.fromisoformat(text), time.max, CENTER_TIMEZONE)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=CENTER_TIMEZONE)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a log position, a time (2025-04-10T17:30:00+08:00; without "
            "an offset, the center's time) nor a day (2025-04-10: as known at its end)"
        ) from None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} lies outside the years 1 to 9999 in UTC") from None


@contextmanager
def command_time(moment: datetime) -> Iterator[datetime]:
    """Within the block, every new event is timestamped with `moment` (the library's timestamp)."""
    if moment.tzinfo is None:
        raise ValueError("the clock must return timezone-aware times")
    token = _command_time.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _command_time.reset(token)


def current_command_time() -> datetime:
    """The instant of the command being decided; an event outside a command is a bug."""
    try:
        return _command_time.get()
    except LookupError:
        raise RuntimeError("events may only be created inside an application command") from None


class SettableClock:
    """A clock that reads whatever time it was last set to: for the demo's past year and tests."""

    def __init__(self, moment: datetime) -> None:
        self.set(moment)

    def set(self, moment: datetime) -> None:
        """Make the clock read `moment` (timezone-aware) from now on."""
        if moment.tzinfo is None:
            raise ValueError("the clock must be set to a timezone-aware time")
        self._moment = moment

    def __call__(self) -> datetime:
        return self._moment
