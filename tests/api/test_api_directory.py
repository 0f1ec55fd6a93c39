"""The lists of people and units over HTTP (issue 6 item 1; SPEC section 5, D-04): the staff
members a reader may read (paged by staff number, filtered by unit), the units with their head
and leader in charge today, and a unit's members on a day; the center-wide roles see everyone,
a head their unit and its people, a staff member who heads nothing none of it (403); unknown
units 404.

The center (builders): W01 (S001), W02 (S002, its head too), OF1 (C001, L001); S003 registered
and assigned nowhere; the clock on 2025-03-10."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from builders import (
    CLERK,
    COLLEAGUE,
    LEADER,
    OFFICE,
    OTHER_WINDOW,
    STAFF,
    START,
    UNASSIGNED,
    WINDOW,
    seed_organisation,
)
from ledger.application import AssessmentLedger
from ledger.values import OPERATOR

SignIn = Callable[[str], dict[str, str]]
EVERYONE = sorted([CLERK.person_id, LEADER.person_id, STAFF, COLLEAGUE, UNASSIGNED])


@pytest.fixture
def seeded(served_ledger: AssessmentLedger) -> AssessmentLedger:
    """The minimal organisation, with S002 the head of W02 (where they are assigned) from
    START."""
    seed_organisation(served_ledger)
    served_ledger.appoint_head(OPERATOR, OTHER_WINDOW, COLLEAGUE, START)
    return served_ledger


# The staff list


def test_the_clerk_lists_every_staff_member_in_number_order_with_where_they_work(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get("/api/v1/staff", headers=sign_in(CLERK.person_id))

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["staff_number"] for item in items] == EVERYONE
    mine = next(item for item in items if item["staff_number"] == STAFF)
    assert (mine["name"], mine["category"], mine["home_unit"]) == (
        "张三",
        "civil_servant",
        "Tax bureau",
    )
    assert mine["assignment"] == {"unit_code": WINDOW, "since": str(START)}
    unassigned = next(item for item in items if item["staff_number"] == UNASSIGNED)
    assert unassigned["assignment"] is None
    assert response.json()["next"] is None


def test_the_staff_list_pages_by_staff_number_with_a_next_link(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    headers = sign_in(CLERK.person_id)
    first = client.get("/api/v1/staff?limit=2", headers=headers)
    assert [item["staff_number"] for item in first.json()["items"]] == EVERYONE[:2]
    assert first.headers["link"] == f'<{first.json()["next"]}>; rel="next"'

    second = client.get(first.json()["next"], headers=headers).json()
    third = client.get(second["next"], headers=headers).json()

    assert [item["staff_number"] for item in second["items"]] == EVERYONE[2:4]
    assert [item["staff_number"] for item in third["items"]] == EVERYONE[4:]
    assert third["next"] is None


def test_the_unit_filter_lists_the_people_assigned_there_now(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    # given S001 moved from W01 to OF1 on 1 March
    seeded.transfer_staff(OPERATOR, STAFF, OFFICE, date(2025, 3, 1))

    office = client.get(f"/api/v1/staff?unit={OFFICE}", headers=sign_in(CLERK.person_id))
    window = client.get(f"/api/v1/staff?unit={WINDOW}", headers=sign_in(CLERK.person_id))

    assert [item["staff_number"] for item in office.json()["items"]] == sorted(
        [CLERK.person_id, LEADER.person_id, STAFF]
    )
    assert window.json()["items"] == []


def test_a_head_lists_the_people_ever_assigned_to_their_unit(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    # given S001 moved from W01 to W02 on 1 March: W02's head reads them from then on
    seeded.transfer_staff(OPERATOR, STAFF, OTHER_WINDOW, date(2025, 3, 1))

    response = client.get("/api/v1/staff", headers=sign_in(COLLEAGUE))

    assert response.status_code == 200, response.text
    assert [item["staff_number"] for item in response.json()["items"]] == [STAFF, COLLEAGUE]


def test_a_head_filtering_by_a_unit_they_do_not_read_is_refused(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get(f"/api/v1/staff?unit={WINDOW}", headers=sign_in(COLLEAGUE))

    assert response.status_code == 403
    assert "head" in response.json()["role_needed"]


def test_filtering_by_an_unknown_unit_is_a_404(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get("/api/v1/staff?unit=W99", headers=sign_in(CLERK.person_id))

    assert response.status_code == 404


def test_a_staff_member_who_heads_nothing_may_not_list_the_staff(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get("/api/v1/staff", headers=sign_in(STAFF))

    assert response.status_code == 403
    assert "branch secretary" in response.json()["role_needed"]


# The unit list


def test_the_clerk_lists_every_unit_with_its_head_and_leader_in_charge_today(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get("/api/v1/units", headers=sign_in(CLERK.person_id))

    assert response.status_code == 200, response.text
    items = {item["code"]: item for item in response.json()["items"]}
    assert list(items) == sorted([OFFICE, WINDOW, OTHER_WINDOW])
    assert (items[OTHER_WINDOW]["kind"], items[OTHER_WINDOW]["name"]) == ("window", "Land")
    assert (items[OTHER_WINDOW]["head"], items[WINDOW]["head"]) == (COLLEAGUE, None)
    assert items[OFFICE]["kind"] == "office"
    assert items[OFFICE]["today"] == "2025-03-10"


def test_a_head_lists_their_own_unit_only(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get("/api/v1/units", headers=sign_in(COLLEAGUE))

    assert response.status_code == 200, response.text
    assert [item["code"] for item in response.json()["items"]] == [OTHER_WINDOW]


def test_a_staff_member_who_heads_nothing_may_not_list_the_units(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    assert client.get("/api/v1/units", headers=sign_in(STAFF)).status_code == 403


# A unit's members on a day (D-04)


def test_a_unit_s_members_on_a_day_follow_their_dated_assignments(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    # given S003 assigned to W01 from 1 February
    seeded.assign_staff(OPERATOR, UNASSIGNED, WINDOW, date(2025, 2, 1))
    url = f"/api/v1/units/{WINDOW}/members"
    headers = sign_in(CLERK.person_id)

    january = client.get(f"{url}?on=2025-01-31", headers=headers).json()
    february = client.get(f"{url}?on=2025-02-01", headers=headers).json()

    assert [m["staff_number"] for m in january["members"]] == [STAFF]
    assert [m["staff_number"] for m in february["members"]] == [STAFF, UNASSIGNED]
    assert (february["on"], february["count"]) == ("2025-02-01", 2)
    newcomer = february["members"][1]
    assert (newcomer["name"], newcomer["since"]) == ("王五", "2025-02-01")


def test_a_unit_s_members_default_to_today_and_name_its_head(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get(f"/api/v1/units/{OTHER_WINDOW}/members", headers=sign_in(COLLEAGUE))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["on"], body["head"], body["count"]) == ("2025-03-10", COLLEAGUE, 1)
    assert [m["staff_number"] for m in body["members"]] == [COLLEAGUE]


def test_a_staff_member_may_not_read_their_unit_s_members(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get(f"/api/v1/units/{WINDOW}/members", headers=sign_in(STAFF))

    assert response.status_code == 403


def test_the_members_of_an_unknown_unit_are_a_404(
    client: TestClient, seeded: AssessmentLedger, sign_in: SignIn
) -> None:
    response = client.get("/api/v1/units/W99/members", headers=sign_in(CLERK.person_id))

    assert response.status_code == 404
