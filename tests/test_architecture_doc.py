"""docs/architecture.md stays true: its table of module-level caches lists exactly the caches in
``aimctl/`` (memoising decorators, and module-level containers created empty)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

_MEMO_DECORATORS = frozenset({"lru_cache", "cache"})
_EMPTY_FACTORIES = frozenset({"dict", "set", "list", "defaultdict", "OrderedDict"})


def _module(path: Path, package: Path) -> str:
    return ".".join(path.relative_to(package.parent).with_suffix("").parts)


def _is_empty_container(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, (ast.List, ast.Set)):
        return not value.elts
    if isinstance(value, ast.Call):
        name = ast.unparse(value.func).rsplit(".", 1)[-1]
        empty_call = not value.args and not value.keywords
        return name in _EMPTY_FACTORIES and (name == "defaultdict" or empty_call)
    return False


def module_caches(package: Path) -> set[str]:
    found: set[str] = set()
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _module(path, package)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    func = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if ast.unparse(func).rsplit(".", 1)[-1] in _MEMO_DECORATORS:
                        found.add(f"{module}.{node.name}")
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and _is_empty_container(stmt.value):
                found.update(f"{module}.{ast.unparse(t)}" for t in stmt.targets)
            elif isinstance(stmt, ast.AnnAssign) and _is_empty_container(stmt.value):
                found.add(f"{module}.{ast.unparse(stmt.target)}")
    return found


def documented_caches(text: str) -> set[str]:
    section = text.split("## Allowed module-level caches", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(aimctl\.[\w.]+)` \|", section, re.MULTILINE))


def test_architecture_doc_lists_exactly_the_module_level_caches() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    found, listed = module_caches(ROOT / "aimctl"), documented_caches(doc)
    assert found - listed == set(), "caches missing from docs/architecture.md"
    assert listed - found == set(), "docs/architecture.md lists caches that are gone"


def test_cache_scan_finds_decorated_functions_and_empty_containers(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "import functools\n"
        "A: dict[str, int] = {}\n"
        "B = set()\n"
        "C = dict(x=1)\n"
        "D = {'k': 1}\n"
        "@functools.lru_cache(maxsize=8)\n"
        "def f(x): return x\n"
        "def g(x): return x\n",
        encoding="utf-8",
    )
    names = {name.rsplit(".", 1)[-1] for name in module_caches(package)}
    assert names == {"A", "B", "f"}
