"""A rebuild's shares: whole groups of the streams that assignments link (no I/O). A person's
figures read the units they were assigned to (R-30: the head who owes a liability), a window's
read everyone ever assigned to it (D-03, D-04), so a share holds them together."""

from __future__ import annotations

import pytest

from ledger.projections.partition import ASSIGNED, OPENED, REGISTERED, Link, shares


def _window(stream: str, code: str) -> Link:
    return (stream, OPENED, code)


def _person(stream: str, *codes: str) -> list[Link]:
    return [(stream, REGISTERED, None), *((stream, ASSIGNED, code) for code in codes)]


def _share_of(stream: str, dealt: list[tuple[str, ...]]) -> int:
    (index,) = [index for index, streams in enumerate(dealt) if stream in streams]
    return index


def test_given_people_assigned_to_one_window_when_dealt_then_the_window_and_they_share_a_share() -> (  # noqa: E501
    None
):
    links = [
        _window("w1", "W01"),
        *_person("s1", "W01"),
        *_person("s2", "W01"),
        _window("w2", "W02"),
    ]
    links += _person("s3", "W02")

    dealt = [share.streams for share in shares(links, 2)]

    assert _share_of("s1", dealt) == _share_of("s2", dealt) == _share_of("w1", dealt)
    assert _share_of("s3", dealt) == _share_of("w2", dealt) != _share_of("w1", dealt)


def test_given_a_transfer_between_windows_when_dealt_then_both_windows_and_all_their_members_share_a_share() -> (  # noqa: E501
    None
):
    links = [_window("w1", "W01"), _window("w2", "W02"), _window("w3", "W03")]
    links += _person("s1", "W01") + _person("s2", "W01", "W02") + _person("s3", "W02")
    links += _person("s4", "W03")

    dealt = [share.streams for share in shares(links, 2)]

    together = {_share_of(stream, dealt) for stream in ("w1", "w2", "s1", "s2", "s3")}
    assert len(together) == 1
    assert _share_of("w3", dealt) == _share_of("s4", dealt) not in together


def test_given_many_groups_when_dealt_into_three_shares_then_every_stream_is_in_exactly_one_and_they_are_balanced() -> (  # noqa: E501
    None
):
    links: list[Link] = []
    for window in range(30):
        links.append(_window(f"w{window}", f"W{window:02}"))
        for person in range(window % 5 + 1):
            links += _person(f"s{window}-{person}", f"W{window:02}")
    links += _person("unassigned")
    streams = {stream for stream, _, _ in links}

    dealt = shares(links, 3)

    assert sorted(s for share in dealt for s in share.streams) == sorted(streams)
    sizes = [len(share.streams) for share in dealt]
    assert max(sizes) - min(sizes) <= 6  # at most the largest group (a window and 5 people)
    assert {code for share in dealt for code in share.unit_codes} == {
        f"W{window:02}" for window in range(30)
    }


def test_given_an_assignment_that_names_no_unit_when_dealt_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="names no unit"):
        shares([("s1", REGISTERED, None), ("s1", ASSIGNED, None)], 2)
