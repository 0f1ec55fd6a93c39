"""`ledger project` on PostgreSQL: a separate worker process, woken by LISTEN/NOTIFY, that can be
killed at any point and resumes without losing or double counting anything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from projection_support import recomputed_checksum

from builders import COLLEAGUE, STAFF, record, seed_organisation
from ledger.application import AssessmentLedger
from ledger.clock import SettableClock
from ledger.projections.figures import open_figures_view
from ledger.projections.rebuild import rebuild
from ledger.settings import Settings

LEDGER = Path(sys.executable).parent / "ledger"
WRITES = 60
WARM_UP = 5
LAST_PART = 40
"""The writes from here on wait for the restarted worker."""


def _worker(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    return subprocess.Popen(
        [str(LEDGER), "project", "--batch", "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.postgres
@pytest.mark.timeout(60)
def test_given_a_worker_killed_while_events_are_written_when_it_is_restarted_then_the_view_equals_a_rebuild(  # noqa: E501
    postgres_url: str, clock: SettableClock
) -> None:
    ledger = AssessmentLedger(
        env=Settings(database_url=postgres_url).eventsourcing_env(), clock=clock
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        seed_organisation(ledger)
        view = open_figures_view(ledger.factory)
        started, go, restarted = threading.Event(), threading.Event(), threading.Event()
        positions: list[int] = []

        def write() -> None:
            for n in range(WRITES):
                day = date(2025, 1, 2) + timedelta(days=n % 60)
                who = STAFF if n % 2 else COLLEAGUE
                positions.append(
                    record(ledger, f"INC-W-{n}", staff_number=who, occurred_on=day).position
                )
                if n == WARM_UP:
                    # The rest is written while the worker runs, is killed and restarts.
                    started.set()
                    go.wait(timeout=20)
                if n == LAST_PART:
                    restarted.wait(timeout=20)

        workers.append(_worker(postgres_url))
        writer = threading.Thread(target=write)
        writer.start()
        assert started.wait(timeout=20)
        view.wait_for(positions[WARM_UP], timeout=20)
        go.set()
        view.wait_for(positions[WARM_UP] + 1, timeout=20)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        killed_at = view.position()
        written_at_kill = len(positions)

        workers.append(_worker(postgres_url))
        restarted.set()
        writer.join(timeout=30)
        head = ledger.head_position()
        reached = view.wait_for(head, timeout=20)
        workers[1].send_signal(signal.SIGTERM)
        status = workers[1].wait(timeout=10)
        live = view.checksum()
        rebuild(ledger, view)

        assert workers[0].returncode == -signal.SIGKILL
        assert status == 0, workers[1].stderr.read() if workers[1].stderr else ""
        assert killed_at < head == reached
        assert written_at_kill < WRITES
        assert live == view.checksum() == recomputed_checksum(ledger)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            for stream in (worker.stdout, worker.stderr):
                if stream is not None:
                    stream.close()
        ledger.close()
