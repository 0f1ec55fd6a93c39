"""Reading the event log as the policy's facts, page by page."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from eventsourcing.persistence import ApplicationRecorder, Notification

from ledger.policy import Fact, LedgerState

PAGE = 1000
"""Notifications per page for live catch-up."""

BULK_PAGE = 10_000
"""Notifications per page for a fold of the whole log (rebuild, as-of)."""


def fact_of(notification: Notification) -> Fact:
    """A stored event as the policy's fact."""
    return Fact.decode(
        notification.originator_id,
        notification.originator_version,
        notification.id,
        notification.topic,
        notification.state,
    )


def pages(
    recorder: ApplicationRecorder, after: int, up_to: int | None, page: int = PAGE
) -> Iterator[Sequence[Notification]]:
    """The notifications after a position (up to one, if given), a page at a time."""
    while up_to is None or after < up_to:
        notifications = recorder.select_notifications(
            after, page, stop=up_to, inclusive_of_start=False
        )
        if not notifications:
            return
        yield notifications
        after = notifications[-1].id


def fold_log(
    recorder: ApplicationRecorder,
    up_to: int,
    state: LedgerState | None = None,
    *,
    on_page: Callable[[int, int], None] | None = None,
) -> LedgerState:
    """Fold the log after the state's position up to a position into the state (a new one if
    none is given); `on_page(position, events)` after each page."""
    state = state if state is not None else LedgerState()
    for notifications in pages(recorder, state.position, up_to, BULK_PAGE):
        for notification in notifications:
            state.apply(fact_of(notification))
        if on_page is not None:
            on_page(notifications[-1].id, len(notifications))
    return state
