"""The stages only depend on earlier stages (style.md §1): checked on the import graph."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "aimctl"

# module (or package prefix) -> aimctl modules it may import (prefix match)
ALLOWED: dict[str, tuple[str, ...]] = {
    "aimctl.provenance": (),
    "aimctl.libyaml": (),
    "aimctl.goscalars": (),  # go-yaml v2's scalar types (the loader's resolver)
    "aimctl.suggest": (),  # "did you mean", used by every stage that names things
    "aimctl.field_messages": ("aimctl.model", "aimctl.suggest"),
    "aimctl.errors": ("aimctl.provenance",),
    "aimctl.serialize": ("aimctl.provenance",),
    "aimctl.loader": (
        "aimctl.errors",
        "aimctl.provenance",
        "aimctl.parallel",
        "aimctl.libyaml",
        "aimctl.goscalars",
        "aimctl.filesig",
    ),
    "aimctl.filesig": (),  # a file's signature: the loader's inputs, emit's and the cache's output
    "aimctl.k8snames": (),  # Kubernetes name patterns: the project file, models and catalog
    "aimctl.project": ("aimctl.k8snames",),
    "aimctl.confine": ("aimctl.errors",),
    "aimctl.model": ("aimctl.model", "aimctl.k8snames"),
    "aimctl.catalog": (
        "aimctl.errors",
        "aimctl.k8snames",
        "aimctl.provenance",
        "aimctl.loader",
        "aimctl.model",
        "aimctl.suggest",
        "aimctl.field_messages",
    ),
    "aimctl.resolve": (
        "aimctl.resolve",
        "aimctl.k8snames",
        "aimctl.catalog",
        "aimctl.model",
        "aimctl.project",
        "aimctl.errors",
        "aimctl.provenance",
        "aimctl.suggest",
        "aimctl.field_messages",
    ),
    "aimctl.render": (
        "aimctl.render",
        "aimctl.resolve",
        "aimctl.errors",
        "aimctl.provenance",
        "aimctl.loader",
        "aimctl.libyaml",
    ),
    "aimctl.emit": ("aimctl.errors", "aimctl.serialize", "aimctl.filesig"),
    "aimctl.sizes": ("aimctl.emit", "aimctl.errors", "aimctl.provenance", "aimctl.libyaml"),
    "aimctl.gitops": (),
    "aimctl.report": ("aimctl.errors", "aimctl.provenance"),
    "aimctl.explain": (
        "aimctl.tenants",
        "aimctl.errors",
        "aimctl.loader",
        "aimctl.provenance",
        "aimctl.report",
        "aimctl.resolve",
    ),
    # the runs (one per command) and the stages they wire; pipeline.options and
    # pipeline.outcome are leaves (only type-only imports of errors and tenants)
    "aimctl.pipeline.options": ("aimctl.errors", "aimctl.tenants.ownership"),
    "aimctl.pipeline.outcome": ("aimctl.errors",),
    "aimctl.pipeline": (
        "aimctl.pipeline",
        "aimctl.confine",
        "aimctl.catalog",
        "aimctl.model",  # the operator release table (aimctl.model.currency)
        "aimctl.errors",
        "aimctl.loader",
        "aimctl.project",
        "aimctl.resolve",
        "aimctl.render",
        "aimctl.emit",
        "aimctl.tenants",
        "aimctl.provenance",
        "aimctl.parallel",
        "aimctl.serialize",
        "aimctl.gitops",
        "aimctl.kinds",
        "aimctl.sizes",
        "aimctl.suggest",
        "aimctl.explain",
        "aimctl.report",
        "aimctl.incremental",
        "aimctl.render_cache",
        "aimctl.plan",  # the plan run: plan_sources renders both sides, plan compares them
        "aimctl.plan_sources",
        "aimctl.keepalive",
    ),
    "aimctl.parallel": ("aimctl.keepalive",),
    "aimctl.keepalive": (),  # what a process that ends with os._exit need not free
    "aimctl.gitread": ("aimctl.errors",),
    "aimctl.plan": ("aimctl.resolve", "aimctl.tenants"),
    "aimctl.plan_report": ("aimctl.plan", "aimctl.report", "aimctl.tenants"),
    "aimctl.plan_sources": ("aimctl.errors", "aimctl.pipeline", "aimctl.gitread", "aimctl.loader"),
    "aimctl.argocd": (
        "aimctl.report",
        "aimctl.suggest",
    ),  # the plugin's parameters -> render options
    "aimctl.kinds": ("aimctl.emit", "aimctl.model", "aimctl.suggest"),  # kind names --kinds accepts
    "aimctl.tenants": (
        "aimctl.tenants",
        "aimctl.project",
        "aimctl.errors",
        "aimctl.provenance",
        "aimctl.resolve",
        "aimctl.catalog",
        "aimctl.render",
    ),
    # the cache: light on its hot path (no pipeline, no models), the pipeline for partial renders
    "aimctl.render_cache": (
        "aimctl.emit",
        "aimctl.errors",
        "aimctl.provenance",
        "aimctl.loader",
        "aimctl.pipeline",  # Inputs, for annotations only
    ),
    "aimctl.incremental": (
        "aimctl.render_cache",
        "aimctl.emit",
        "aimctl.errors",
        "aimctl.loader",
        "aimctl.confine",
        "aimctl.pipeline",
    ),
    "aimctl.cli": ("aimctl",),
    "aimctl.cli_options": ("aimctl.report", "aimctl.cli_coercion"),
    "aimctl.cli_coercion": (),  # typer only
    "aimctl.__main__": ("aimctl._entry",),
    "aimctl._entry": ("aimctl.cli", "aimctl.keepalive"),
    "aimctl": (),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _rule_for(module: str) -> tuple[str, tuple[str, ...]]:
    best = max((k for k in ALLOWED if module == k or module.startswith(k + ".")), key=len)
    return best, ALLOWED[best]


def test_every_import_points_upstream() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        owner, allowed = _rule_for(module)
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if not (name == "aimctl" or name.startswith("aimctl.")):
                    continue
                if name == "aimctl" and owner != "aimctl.cli":
                    problems.append(f"{module} imports the package root")
                    continue
                if not any(name == a or name.startswith(a + ".") for a in allowed):
                    problems.append(f"{module} imports {name}")
    assert problems == []


def test_resolve_and_render_do_no_io() -> None:
    """resolve/ and render/children are pure: no open(), print(), sys.exit or subprocess."""
    forbidden = {"open", "print", "exit"}
    offenders = []
    for path in [*sorted((PACKAGE / "resolve").rglob("*.py")), PACKAGE / "render" / "children.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in forbidden
            ):
                offenders.append(f"{path.name}:{node.lineno} {node.func.id}()")
    assert offenders == []


def test_render_children_takes_only_types_from_resolve() -> None:
    """render/children.py is pure mapping (issue 18 item 5): every value is chosen in resolve,
    so it may import resolve's types (to read resolved values) but none of its functions or
    constants."""
    import importlib

    path = PACKAGE / "render" / "children.py"
    not_types = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            not_types += [a.name for a in node.names if a.name.startswith("aimctl.resolve")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aimctl.resolve"):
            module = importlib.import_module(node.module or "")
            not_types += [
                f"{node.module}.{a.name}"
                for a in node.names
                if not isinstance(getattr(module, a.name), type)
            ]
    assert not_types == []


def _import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the aimctl modules it imports, every import counted: at the top, inside
    functions, and under ``if TYPE_CHECKING:`` (a cycle through annotations is still a cycle for
    a reader). ``from aimctl.x import y`` points at ``aimctl.x.y`` when that is a module. The
    package a module sits in is not counted as imported (Python runs its ``__init__`` first,
    but that is not a dependency the module chose)."""

    def name(path: Path) -> str:
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name(path): path for path in sorted(package.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in modules else node.module)
        graph[module] = {t for t in targets if t in modules and t != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, or a module importing
    itself (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_in_aimctl() -> None:
    """No circle in aimctl's imports, TYPE_CHECKING imports and function-level imports
    included: each module can be understood from the ones it imports (issue 18)."""
    assert _cycles(_import_graph()) == []


def test_cycle_check_finds_a_circle_through_type_checking_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub.b import B\n")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import C\nB = 1\n"
    )
    (package / "c.py").write_text("import pkg.a\nC = 1\n")
    (package / "d.py").write_text("from pkg.sub.b import B\n")
    graph = _import_graph(package)
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub"] == {"pkg.sub.b"}
    assert _cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    (package / "c.py").write_text("C = 1\n")
    assert _cycles(_import_graph(package)) == []
