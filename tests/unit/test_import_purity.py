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


def full_names_loaded_by_importing(name: str) -> tuple[str | None, list[str]]:
    """Import a module in a fresh interpreter; return its file and the full names of every
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
    return report["file"], report["loaded"]


def modules_loaded_by_importing(name: str) -> tuple[str | None, set[str]]:
    """Import a module in a fresh interpreter; return its file and the top-level names of every
    module the import added to sys.modules."""
    file, loaded = full_names_loaded_by_importing(name)
    return file, {module.split(".")[0] for module in loaded}


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


POLICY_MODULES = [
    "ledger.policy.facts",
    "ledger.policy.figures",
    "ledger.policy.grades",
    "ledger.policy.parameters",
    "ledger.policy.rules",
    "ledger.policy.working_days",
]
"""The policy's modules by name, so that one dropped from the package is noticed too."""

VERIFIER_SHARES = {"ledger", "ledger.values"}
"""Of our own modules, the policy may use only these besides itself: the standalone verifier
ships them with `ledger.policy` and nothing else of the ledger."""


@pytest.mark.parametrize("module", ["ledger.policy", *POLICY_MODULES])
def test_the_policy_imports_only_the_standard_library_and_ledger_values(module: str) -> None:
    """Given a fresh interpreter, when the policy (or one of its modules) is imported, then it
    pulls in nothing outside the standard library, and of our own modules only `ledger`,
    `ledger.values` and `ledger.policy` itself."""
    _, loaded = full_names_loaded_by_importing(module)

    outside = foreign({name.split(".")[0] for name in loaded})
    ours = sorted(
        name
        for name in loaded
        if name.split(".")[0] in OUR_PACKAGES
        and name not in VERIFIER_SHARES
        and name != "ledger.policy"
        and not name.startswith("ledger.policy.")
    )
    assert outside == []
    assert ours == []
    assert not {name.split(".")[0] for name in loaded} & ALLOWED_THIRD_PARTY


def test_the_policy_package_imports_every_policy_module() -> None:
    """Given a fresh interpreter, when `ledger.policy` is imported, then every one of its
    modules is loaded with it (so the package-level purity check covers them all), and the list
    above names every module of the package."""
    from importlib import resources

    _, loaded = full_names_loaded_by_importing("ledger.policy")
    on_disk = sorted(
        f"ledger.policy.{entry.name.removesuffix('.py')}"
        for entry in resources.files("ledger.policy").iterdir()
        if entry.name.endswith(".py") and entry.name != "__init__.py"
    )

    assert on_disk == POLICY_MODULES
    assert set(POLICY_MODULES) <= set(loaded)


CRYPTOGRAPHY_CARRIES = {"_cffi_backend", "_openssl"}
"""Top-level modules that importing `cryptography`'s Ed25519 loads besides its own package:
cffi's compiled `_cffi_backend` (cffi is a requirement of `cryptography`, installed with it) and
`_openssl`, the module object its bindings register for the OpenSSL FFI (no file of its own)."""


def outside_the_verifier_install(loaded: set[str]) -> list[str]:
    """`foreign`, less what `cryptography` itself brings along (`CRYPTOGRAPHY_CARRIES`)."""
    return [name for name in foreign(loaded) if name not in CRYPTOGRAPHY_CARRIES]


INTEGRITY_MODULES = [
    "ledger.integrity.checkpoints",
    "ledger.integrity.keys",
    "ledger.integrity.leaf",
    "ledger.integrity.merkle",
    "ledger.integrity.note",
    "ledger.integrity.store_audit",
    "ledger.integrity.stream_heads",
    "ledger.integrity.witness",
    "ledger.integrity.witness_client",
]
"""The integrity package's modules by name, so that one dropped from the package is noticed."""


@pytest.mark.parametrize("module", ["ledger.integrity", *INTEGRITY_MODULES])
def test_integrity_modules_import_only_the_standard_library_cryptography_and_rfc8785(
    module: str,
) -> None:
    """Given a fresh interpreter, when the integrity package (or one of its modules) is
    imported, then it pulls in nothing outside the standard library, cryptography and rfc8785,
    and of our own modules only `ledger` and `ledger.integrity` itself (the standalone verifier
    ships it alone)."""
    file, loaded = full_names_loaded_by_importing(module)

    ours = sorted(
        name
        for name in loaded
        if name.split(".")[0] in OUR_PACKAGES
        and name != "ledger"
        and name != "ledger.integrity"
        and not name.startswith("ledger.integrity.")
    )
    assert file is not None
    assert outside_the_verifier_install({name.split(".")[0] for name in loaded}) == []
    assert ours == []


def test_the_integrity_package_is_regular_and_its_module_list_is_complete() -> None:
    """`ledger.integrity` has an `__init__.py` (a namespace package would make the check above
    vacuous) and the list above names every module in it."""
    from importlib import resources

    file, _ = modules_loaded_by_importing("ledger.integrity")
    on_disk = sorted(
        f"ledger.integrity.{entry.name.removesuffix('.py')}"
        for entry in resources.files("ledger.integrity").iterdir()
        if entry.name.endswith(".py") and entry.name != "__init__.py"
    )

    assert file is not None
    assert file.endswith("__init__.py")
    assert on_disk == INTEGRITY_MODULES


FILING_VERIFIER_MODULES = [
    "ledger.filing",
    "ledger.filing.bundle",
    "ledger.filing.verify",
    "ledger.filing.verify_cli",
]
"""What `ledger-verify` imports (the exporter, `ledger.filing.export`, is server-side)."""

VERIFIER_INTEGRITY = {
    "ledger.integrity",
    "ledger.integrity.leaf",
    "ledger.integrity.merkle",
    "ledger.integrity.note",
    "ledger.integrity.stream_heads",
}
"""The integrity modules the verifier may load: proofs, leaves, notes and stream heads."""


@pytest.mark.parametrize("module", FILING_VERIFIER_MODULES)
def test_the_standalone_verifier_imports_only_what_the_light_install_has(module: str) -> None:
    """Given a fresh interpreter, when the verifier (or one of its modules) is imported, then it
    pulls in nothing outside the standard library, cryptography and rfc8785, and of our own
    modules only `ledger`, `ledger.values`, the policy, the pure integrity modules and the
    filing's own (never the aggregates, the stores, the application or the server)."""
    file, loaded = full_names_loaded_by_importing(module)

    ours = sorted(
        name
        for name in loaded
        if name.split(".")[0] in OUR_PACKAGES
        and name not in VERIFIER_SHARES
        and name not in VERIFIER_INTEGRITY
        and name != "ledger.policy"
        and not name.startswith(("ledger.policy.", "ledger.filing"))
    )
    assert file is not None
    assert outside_the_verifier_install({name.split(".")[0] for name in loaded}) == []
    assert ours == []
