"""Splitting a rebuild's subjects into shares that can each be folded and computed alone.

A staff member's figures read their own record, the records of the units they were assigned to
(the head who owes a liability, R-30) and the policy book; a window's figures read its own record,
the records of everyone ever assigned to it (D-03, D-04) and the policy book. So the assignments
link people and units into groups whose figures read nothing outside the group but the policy
(the live projector's `_note` follows the same links). A share is a set of whole groups: a
process that folds only its share's streams and the policy book computes its subjects' figures
exactly as from the whole log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

REGISTERED = "ledger.staff.Registered.v1"
ASSIGNED = "ledger.staff.Assigned.v1"
OPENED = "ledger.window.Opened.v1"

LINK_TOPICS = (REGISTERED, ASSIGNED, OPENED)
"""The events that name every staff and unit stream and every link between them."""

Link = tuple[str, str, str | None]
"""(stream id, topic, unit code): a link event, with the unit it assigns to or opens (none for a
registration)."""


@dataclass(frozen=True)
class Share:
    """Whole groups of linked streams, to be folded and computed by one process."""

    streams: tuple[str, ...]
    """The staff and unit streams of the groups, in order."""
    unit_codes: frozenset[str]
    """The codes of the units opened in the groups."""


def shares(links: Iterable[Link], count: int) -> list[Share]:
    """The groups of streams the links join, dealt into `count` shares of about as many streams
    each (the largest group first, each to the share with the fewest streams so far)."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        top = node
        while (above := parent[top]) != top:
            top = above
        while (above := parent[node]) != top:  # compress the path walked
            parent[node] = top
            node = above
        return top

    def join(first: str, second: str) -> None:
        first_root, second_root = root(first), root(second)
        if first_root != second_root:
            parent[max(first_root, second_root)] = min(first_root, second_root)

    # Nodes are stream ids and unit codes, kept apart by a prefix; a unit's stream joins its code.
    unit_streams: dict[str, str] = {}
    for stream_id, topic, code in links:
        stream = "s:" + stream_id
        parent.setdefault(stream, stream)
        if topic == REGISTERED:
            continue
        if code is None:
            raise ValueError(f"{topic} of stream {stream_id} names no unit")
        unit = "u:" + code
        parent.setdefault(unit, unit)
        join(stream, unit)
        if topic == OPENED:
            unit_streams[stream_id] = code
    groups: dict[str, list[str]] = {}
    for node in parent:
        if node.startswith("s:"):
            groups.setdefault(root(node), []).append(node[2:])
    dealt: list[tuple[list[str], set[str]]] = [([], set()) for _ in range(max(1, count))]
    for group in sorted(groups.values(), key=lambda streams: (-len(streams), streams[0])):
        streams, codes = min(dealt, key=lambda share: len(share[0]))
        streams.extend(group)
        codes.update(unit_streams[stream] for stream in group if stream in unit_streams)
    return [Share(tuple(sorted(streams)), frozenset(codes)) for streams, codes in dealt]
