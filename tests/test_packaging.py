"""What the package declares is what it uses; the lock covers it; the licence ships."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

from tests.conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# distribution name (normalised) -> the module it is imported as, where the two differ
IMPORT_NAME = {"pyyaml": "yaml", "annotated-types": "annotated_types"}


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.\-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "aimctl").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found.update(n.split(".")[0] for n in names)
    return {m for m in found if m not in sys.stdlib_module_names and m != "aimctl"}


def test_runtime_dependencies_are_exactly_what_aimctl_imports() -> None:
    declared = {IMPORT_NAME.get(_name(r), _name(r)) for r in PROJECT["dependencies"]}
    assert declared == _third_party_imports()


def test_every_runtime_dependency_has_a_floor_and_a_major_bound() -> None:
    for requirement in PROJECT["dependencies"]:
        assert re.search(r">=\s*[0-9]", requirement), requirement
        assert re.search(r"<\s*[0-9]", requirement), requirement


def test_the_lock_pins_every_declared_dependency_exactly() -> None:
    lines = (ROOT / "requirements-lock.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(
        (_name(name), version)
        for name, _, version in (ln.partition("==") for ln in lines if ln and ln[0] != "#")
    )
    assert all(version for version in pins.values())
    wanted = PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]
    assert {_name(r) for r in wanted} <= set(pins)


def test_the_licence_is_in_the_repository_and_declared_for_the_wheel() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
