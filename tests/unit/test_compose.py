"""docker-compose.yml is valid Compose and runs PostgreSQL with a health check beside the API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

COMPOSE_FILE = Path(__file__).parents[2] / "docker-compose.yml"


def load_compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return document


def test_compose_file_validates_against_the_compose_specification() -> None:
    checker = shutil.which("check-jsonschema") or str(
        Path(sys.executable).with_name("check-jsonschema")
    )
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_postgres_service_has_a_pg_isready_health_check_and_a_named_volume() -> None:
    compose = load_compose()
    postgres = compose["services"]["postgres"]
    assert postgres["healthcheck"]["test"][:3] == ["CMD", "pg_isready", "-h"]
    volume_name = postgres["volumes"][0].split(":")[0]
    assert volume_name in compose["volumes"]


def test_api_service_waits_for_a_healthy_postgres_and_points_at_it() -> None:
    api = load_compose()["services"]["api"]
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["environment"]["LEDGER_DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in api["environment"]["LEDGER_DATABASE_URL"]


def test_projection_worker_runs_as_its_own_service_against_postgres() -> None:
    worker = load_compose()["services"]["projections"]
    assert worker["command"] == ["ledger", "project"]
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert worker["environment"]["LEDGER_DATABASE_URL"].startswith("postgresql://")
