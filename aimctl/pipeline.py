"""The stages wired together: load -> catalog (-> resolve -> render -> emit).

Each function takes plain options and returns values with their diagnostics; nothing here prints or
exits (that is the CLI's job).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from aimctl.catalog import Catalog, build_catalog, check_references, validation_diagnostics
from aimctl.errors import Diagnostic
from aimctl.loader import PROJECT_FILE, SpanIndex, display_path, load_file, load_paths
from aimctl.project import Project, default_project

__all__ = ["Inputs", "LoadOptions", "find_project_file", "load_inputs", "locate"]


@dataclass(frozen=True, slots=True)
class LoadOptions:
    paths: tuple[Path, ...]
    config: Path | None = None
    namespace: str = "default"
    skip: tuple[Path, ...] = ()


@dataclass(slots=True)
class Inputs:
    project: Project
    project_file: str | None
    catalog: Catalog
    files: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    documents: int = 0

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def find_project_file(paths: tuple[Path, ...], config: Path | None) -> Path | None:
    """``--config``, else ``aimctl.yaml`` in the first PATH (a directory) or beside it (a file)."""
    if config is not None:
        return config
    if not paths:
        return None
    first = paths[0]
    candidate = (first if first.is_dir() else first.parent) / PROJECT_FILE
    return candidate if candidate.is_file() else None


def _load_project(path: Path | None) -> tuple[Project, str | None, list[Diagnostic]]:
    if path is None:
        return default_project(), None, []
    shown = display_path(path)
    if not path.is_file():
        return default_project(), shown, [
            Diagnostic("E_CONFIG", "project file not found", file=shown)
        ]
    docs, problems = load_file(path, shown)
    if problems:
        return default_project(), shown, problems
    if len(docs) != 1:
        return default_project(), shown, [
            Diagnostic("E_CONFIG", "the project file must hold exactly one YAML document", file=shown)
        ]
    try:
        return Project.model_validate(docs[0].data), shown, []
    except ValidationError as exc:
        return default_project(), shown, validation_diagnostics(exc, docs[0], None, "E_CONFIG")


def load_inputs(options: LoadOptions) -> Inputs:
    """Read the project file and every input document, and validate them into a catalog."""
    project_path = find_project_file(options.paths, options.config)
    project, project_file, diagnostics = _load_project(project_path)
    skip = options.skip + ((project_path,) if project_path else ())
    loaded = load_paths(options.paths, skip)
    diagnostics.extend(loaded.diagnostics)
    catalog, problems = build_catalog(loaded.documents, options.namespace)
    diagnostics.extend(problems)
    return Inputs(
        project=project,
        project_file=project_file,
        catalog=catalog,
        files=loaded.files,
        diagnostics=diagnostics,
        documents=len(loaded.documents),
    )


def validate_references(inputs: Inputs) -> list[Diagnostic]:
    return check_references(inputs.catalog)


def locate(diagnostics: list[Diagnostic], spans: SpanIndex | None = None) -> list[Diagnostic]:
    """Fill in line numbers, re-reading only the files that have problems."""
    index = spans or SpanIndex()
    return [index.resolve(d) for d in diagnostics]

