"""The light core (issue 2, item 1): `ledger.policy` and the package `__init__` modules import
nothing beyond the standard library, `cryptography` and `rfc8785`, so the standalone verifier
installs with those two alone."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

import ledger

ALLOWED_THIRD_PARTY = {"cryptography", "rfc8785"}
OUR_PACKAGES = {"ledger", "api"}

PROBE = """
import importlib, json, sys
before = set(sys.modules)
module = importlib.import_module(sys.argv[1])
loaded = sorted(set(sys.modules) - before)
print(json.dumps({"file": getattr(module, "__file__", None), "loaded": loaded}))
"""


def modules_loaded_by_importing(name: str) -> tuple[str | None, set[str]]:
    """Import a module in a fresh interpreter; return its file and the top-level names of every
    module the import added to sys.modules.

    The interpreter runs without `site` (-S), so no .pth hook preloads a third-party module
    that the import would then reuse unseen; our sources and site-packages are on its path."""
    path = [str(Path(ledger.__file__).parents[1]), *site.getsitepackages()]
    completed = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, name],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
    )
    report = json.loads(completed.stdout)
    return report["file"], {loaded.split(".")[0] for loaded in report["loaded"]}


def foreign(loaded: set[str]) -> list[str]:
    """The modules outside the standard library (its platform-specific `_sysconfigdata_*` data
    module included), cryptography, rfc8785 and our own packages."""
    allowed = set(sys.stdlib_module_names) | ALLOWED_THIRD_PARTY | OUR_PACKAGES
    return sorted(
        name for name in loaded if name not in allowed and not name.startswith("_sysconfigdata")
    )


@pytest.mark.parametrize(
    "module", ["ledger", "ledger.aggregates", "ledger.projections", "ledger.policy", "api"]
)
def test_light_modules_import_only_the_standard_library_cryptography_and_rfc8785(
    module: str,
) -> None:
    """Given a fresh interpreter, when the module is imported, then every module it pulls in
    is in the standard library, cryptography, rfc8785 or our own packages."""
    _, loaded = modules_loaded_by_importing(module)

    assert foreign(loaded) == []


@pytest.mark.parametrize(
    "module", ["ledger", "ledger.aggregates", "ledger.projections", "ledger.policy", "api"]
)
def test_packages_are_regular_packages_with_an_init_module(module: str) -> None:
    """Each package has an `__init__.py`: a namespace package would make the purity check above
    vacuous (nothing to import) and is easily left out of a wheel."""
    file, _ = modules_loaded_by_importing(module)

    assert file is not None
    assert file.endswith("__init__.py")


def test_policy_modules_import_only_the_standard_library_cryptography_and_rfc8785() -> None:
    """Every module inside `ledger.policy` stays light too (the verifier imports them)."""
    from importlib import resources

    names = sorted(
        f"ledger.policy.{entry.name.removesuffix('.py')}"
        for entry in resources.files("ledger.policy").iterdir()
        if entry.name.endswith(".py") and entry.name != "__init__.py"
    )
    for name in names:
        _, loaded = modules_loaded_by_importing(name)
        assert foreign(loaded) == [], name
