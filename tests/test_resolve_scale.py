"""Scale: lookups are indexed, not scanned per service.

Operator behaviour as operator-behaviour.md states it; builders and runners in ``tests/resolve_kit.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aimctl.catalog import Catalog
from aimctl.resolve.templates import TemplateIndex
from tests.resolve_kit import (
    Doc,
    WriteTree,
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    custom_model_spec,
    of_kind,
    render,
    service,
    template,
    tree,
)

# --- scale: lookups are indexed, not scanned per service ---------------------------------------------


def _many_services(write_tree: WriteTree, count: int, custom: bool = False) -> Path:
    docs: list[Doc] = [*base(), template("t2", gpu="MI210")]
    for i in range(count):
        if custom:
            docs.append(
                service(f"s{i}", model=custom_model_spec(), template={"allowUnoptimized": True})
            )
        else:
            docs.append(service(f"s{i}"))
    return tree(write_tree, *docs)


def _catalog_scans(
    monkeypatch: pytest.MonkeyPatch, run_cli: Any, root: Path
) -> tuple[int, int, int]:
    """(Catalog.of_kind calls, TemplateIndex.build calls, InferenceServices) for one render."""
    calls = {"of_kind": 0, "build": 0}
    of_kind_original = Catalog.of_kind
    build_original = TemplateIndex.build.__func__  # type: ignore[attr-defined]

    def counting_of_kind(self: Catalog, kind: str) -> Any:
        calls["of_kind"] += 1
        return of_kind_original(self, kind)

    def counting_build(cls: type[TemplateIndex], *args: Any) -> Any:
        calls["build"] += 1
        return build_original(cls, *args)

    with monkeypatch.context() as patch:
        patch.setattr(Catalog, "of_kind", counting_of_kind)
        patch.setattr(TemplateIndex, "build", classmethod(counting_build))
        items = render(run_cli, root)
    return calls["of_kind"], calls["build"], len(of_kind(items, "InferenceService"))


def test_resolving_many_services_does_not_scan_the_catalog_per_service(
    write_tree, run_cli, monkeypatch, tmp_path
) -> None:
    few = _catalog_scans(monkeypatch, run_cli, _many_services(write_tree, 3))
    many_root = tmp_path / "many"
    many_root.mkdir()
    many = _catalog_scans(monkeypatch, run_cli, _many_services(lambda f: _write(many_root, f), 30))
    assert (few[2], many[2]) == (3, 30)
    assert many[1] == few[1] == 1  # one template index per render
    assert many[0] == few[0]  # catalog kind lists: a constant number per render


def test_resolving_many_custom_model_services_does_not_scan_the_catalog_per_service(
    write_tree, run_cli, monkeypatch, tmp_path
) -> None:
    few = _catalog_scans(monkeypatch, run_cli, _many_services(write_tree, 3, custom=True))
    many_root = tmp_path / "many"
    many_root.mkdir()
    many = _catalog_scans(
        monkeypatch, run_cli, _many_services(lambda f: _write(many_root, f), 30, custom=True)
    )
    assert (few[2], many[2]) == (3, 30)
    assert many[0] == few[0]


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text)
    return root
