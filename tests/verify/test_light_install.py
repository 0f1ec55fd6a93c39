"""The light install (issue 4, item 5): `pip install` of the project without extras, in a clean
virtualenv, brings in nothing but `cryptography` and `rfc8785` (and what they need), and its
`ledger-verify` verifies a filing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from filing_support import CheckpointedLog, filing

from builders import STAFF
from ledger.filing.bundle import Scope
from ledger.integrity.note import Ed25519Signer

PROJECT = Path(__file__).resolve().parents[2]

EXPECTED = {"assessment-ledger", "cryptography", "rfc8785", "cffi", "pycparser"}
"""The project and its core requirements; cffi (and its pycparser) are cryptography's own."""

VENV_TOOLS = {"pip", "setuptools"}
"""What `venv` itself puts in a new environment to install with."""

LISTING = (
    "import importlib.metadata as m, json; "
    "print(json.dumps(sorted({d.metadata['Name'] for d in m.distributions()})))"
)


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _copy_sources(target: Path) -> Path:
    """The project's build inputs in a scratch directory, so the build writes nothing into the
    shared working tree (a local directory is built in place)."""
    target.mkdir()
    shutil.copy2(PROJECT / "pyproject.toml", target / "pyproject.toml")
    shutil.copy2(PROJECT / "README.md", target / "README.md")
    shutil.copytree(
        PROJECT / "src",
        target / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    return target


@pytest.mark.timeout(900)
def test_a_clean_install_without_extras_has_only_the_light_dependencies_and_verifies(
    log: CheckpointedLog, signer: Ed25519Signer, tmp_path: Path
) -> None:
    # given a clean virtualenv and a copy of the project's sources
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(environment)
    python = environment / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    sources = _copy_sources(tmp_path / "project")
    # when the project is installed from it, without extras and not editable
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(sources)],
        capture_output=True,
        text=True,
        timeout=840,
    )
    if installed.returncode != 0:
        pytest.fail(
            "pip could not install the project without extras (is the package index "
            f"reachable?):\n{installed.stderr[-3000:]}"
        )
    listed = subprocess.run(
        [str(python), "-c", LISTING], capture_output=True, text=True, check=True
    )
    names = {_normal(name) for name in json.loads(listed.stdout)} - VENV_TOOLS
    # then only the project, cryptography, rfc8785 and cryptography's own requirements are there
    assert names == EXPECTED
    # and its ledger-verify verifies a filing
    path = tmp_path / "filing.json"
    path.write_bytes(filing(log.snapshots[0], Scope.staff(STAFF, 2025)).to_json())
    script = python.parent / "ledger-verify"
    verified = subprocess.run(
        [
            str(script),
            str(path),
            "--log-key",
            signer.verifier().vkey(),
            "--state",
            str(tmp_path / "state.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.rstrip().splitlines()[-1].startswith("VERIFIED")
