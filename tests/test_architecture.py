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
    ),
    "aimctl.project": (),
    "aimctl.confine": ("aimctl.errors",),
    "aimctl.model": ("aimctl.model",),
    "aimctl.catalog": (
        "aimctl.errors",
        "aimctl.provenance",
        "aimctl.loader",
        "aimctl.model",
        "aimctl.suggest",
        "aimctl.field_messages",
    ),
    "aimctl.resolve": (
        "aimctl.resolve",
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
    "aimctl.emit": ("aimctl.errors", "aimctl.serialize"),
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
    "aimctl.pipeline": (
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
        "aimctl.render_parts",
        "aimctl.keepalive",
    ),
    "aimctl.render_parts": (
        "aimctl.catalog",
        "aimctl.errors",
        "aimctl.project",
        "aimctl.provenance",
        "aimctl.resolve",
        "aimctl.render",
        "aimctl.emit",
        "aimctl.parallel",
        "aimctl.serialize",
        "aimctl.pipeline",  # RenderOptions, for annotations only
        "aimctl.gitops",
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
    "aimctl.cli_options": ("aimctl.report",),
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
