"""The first two stages wired together: load -> catalog, with the project file and ownership.

Each function takes plain options and returns values with their diagnostics; nothing here prints or
exits (that is the CLI's job).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from aimctl.catalog import (
    Catalog,
    build_catalog,
    check_env_literals,
    check_not_rendered,
    validation_diagnostics,
)
from aimctl.confine import inside, plugin_mode
from aimctl.errors import Diagnostic, UsageError
from aimctl.loader import (
    PROJECT_FILE,
    FileStamp,
    SpanIndex,
    display_path,
    is_stdin,
    load_file,
    load_paths,
)
from aimctl.model.currency import (
    OPERATOR_RELEASE,
    SUPPORTED_OPERATORS,
    unsupported_operator_message,
)
from aimctl.pipeline.options import LoadOptions
from aimctl.project import Project, default_project

if TYPE_CHECKING:
    from aimctl.tenants.ownership import Ownership

__all__ = [
    "Inputs",
    "find_project_file",
    "load_for_service",
    "load_inputs",
    "locate",
]


@dataclass(slots=True)
class Inputs:
    project: Project
    project_file: str | None
    catalog: Catalog
    files: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    documents: int = 0
    operator: str = OPERATOR_RELEASE
    ownership: Ownership | None = None  # None: no owner declares paths (no isolation)
    digests: dict[str, FileStamp] = field(default_factory=dict)  # file -> digest, signature
    docs_per_file: dict[str, int] = field(default_factory=dict)  # documents that hold data

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def find_project_file(paths: tuple[Path, ...], config: Path | None) -> Path | None:
    """``--config``, else ``aimctl.yaml`` in the first PATH (a directory) or beside it (a file).

    In the Argo CD plugin, the ``aimctl.yaml`` in the working directory (the file plugin discovery
    matched) is the project file even when ``AIMCTL_PATH`` names a subdirectory: ignoring it would
    drop the tenants' Namespaces, quotas and bindings, and auto-prune would delete them.
    """
    if config is not None:
        return config
    paths = tuple(p for p in paths if not is_stdin(p))  # `-` (stdin) has no directory
    if not paths:
        return Path(PROJECT_FILE) if plugin_mode() and os.path.lexists(PROJECT_FILE) else None
    first = paths[0]
    candidate = (first if first.is_dir() else first.parent) / PROJECT_FILE
    if plugin_mode() and os.path.lexists(PROJECT_FILE):
        return Path(PROJECT_FILE)
    return candidate if os.path.lexists(candidate) else None


def _project_file_problem(
    path: Path, paths: tuple[Path, ...], options: LoadOptions
) -> Diagnostic | None:
    """The symlink rule of input files, applied to the project file; and, in the plugin, one
    project file only: a second one in ``AIMCTL_PATH`` beside the discovered one is ambiguous."""
    shown = display_path(path)
    paths = tuple(p for p in paths if not is_stdin(p))
    if options.config is None:
        roots = [*paths, Path(".")] if plugin_mode() else list(paths)
        parents = [r if r.is_dir() else r.parent for r in roots]
        if os.path.islink(path) and not any(inside(path, r) for r in parents):
            return Diagnostic(
                "E_CONFIG",
                "project file is a symlink leading outside the given paths; not read",
                file=shown,
            )
        if plugin_mode() and paths:
            first = paths[0]
            other = (first if first.is_dir() else first.parent) / PROJECT_FILE
            if os.path.lexists(other) and not _same_file(other, path):
                return Diagnostic(
                    "E_CONFIG",
                    f"two project files: {display_path(other)} in AIMCTL_PATH and the one Argo "
                    "CD discovered; keep one or name it with AIMCTL_CONFIG",
                    file=shown,
                )
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _load_project(path: Path | None) -> tuple[Project, str | None, list[Diagnostic]]:
    if path is None:
        return default_project(), None, []
    shown = display_path(path)
    if not path.is_file():
        return (
            default_project(),
            shown,
            [Diagnostic("E_CONFIG", "project file not found", file=shown)],
        )
    docs, problems = load_file(path, shown)
    if problems:
        return default_project(), shown, problems
    if len(docs) != 1:
        return (
            default_project(),
            shown,
            [
                Diagnostic(
                    "E_CONFIG", "the project file must hold exactly one YAML document", file=shown
                )
            ],
        )
    try:
        project = Project.model_validate(docs[0].data)
    except ValidationError as exc:
        return (
            default_project(),
            shown,
            validation_diagnostics(exc, docs[0], None, "E_CONFIG", model=Project),
        )
    from aimctl.resolve.inventory import unknown_gpu_warnings

    return project, shown, unknown_gpu_warnings(project, shown)


def load_inputs(options: LoadOptions) -> Inputs:
    """Read the project file and every input document, and validate them into a catalog."""
    project_path = find_project_file(options.paths, options.config)
    refused = project_path and _project_file_problem(project_path, options.paths, options)
    if refused:
        project, project_file, diagnostics = default_project(), refused.file, [refused]
    else:
        project, project_file, diagnostics = _load_project(project_path)
    operator = _operator_target(options.operator, project, project_file)
    skip = options.skip + ((project_path,) if project_path else ())
    loaded = load_paths(
        options.paths, skip, options.jobs, options.mentions, options.walked, options.meanwhile
    )
    diagnostics.extend(loaded.diagnostics)
    catalog, problems = build_catalog(loaded.documents, options.namespace)
    diagnostics.extend(problems)
    diagnostics.extend(check_env_literals(catalog))
    ownership = None
    if project_path is not None and project.owns_paths:
        from aimctl.tenants import assign_owners, check_boundaries

        project_dir = os.path.dirname(os.path.abspath(project_path))
        ownership, problems = assign_owners(project, project_dir, loaded.files)
        diagnostics.extend(problems)
        diagnostics.extend(check_boundaries(catalog, project, ownership))
    diagnostics.extend(check_not_rendered(catalog))
    if not any(d.is_error for d in diagnostics):
        from aimctl.resolve.model_sources import add_source_models

        diagnostics.extend(add_source_models(catalog))
    docs_per_file: dict[str, int] = {}
    for doc in loaded.documents:
        docs_per_file[doc.file] = docs_per_file.get(doc.file, 0) + 1
    return Inputs(
        project=project,
        project_file=project_file,
        catalog=catalog,
        files=loaded.files,
        diagnostics=diagnostics,
        documents=len(loaded.documents),
        operator=operator,
        ownership=ownership,
        digests=loaded.digests,
        docs_per_file=docs_per_file,
    )


def _operator_target(flag: str | None, project: Project, project_file: str | None) -> str:
    """The operator release to render: ``--operator-version``, else ``operator:``, else the
    default; one aimctl does not implement is a usage error (exit 2)."""
    value = flag if flag is not None else project.operator
    if value is None or value in SUPPORTED_OPERATORS:
        return value or OPERATOR_RELEASE
    message = unsupported_operator_message(value)
    if flag is None and project_file:
        problem = Diagnostic("E_USAGE", message, file=project_file, doc=0, field=("operator",))
    else:
        problem = Diagnostic("E_USAGE", f"--operator-version: {message}")
    raise UsageError([problem])


def load_for_service(options: LoadOptions, namespace: str, name: str) -> Inputs:
    """What ``explain`` needs for one AIMService: the files that can affect it, else everything.

    A service resolves against its own namespace and the cluster-scoped AIM kinds (aimctl.md
    §3), so only files that mention the namespace, an ``AIMCluster*`` kind, or hold a backslash
    (an escaped string could spell either) are parsed. Everything is loaded when the filter
    cannot be trusted: the namespace is the one given to documents without one, the service is
    not among the loaded ones (its "did you mean" list names every service), or its status
    points at a model or template in another namespace. Problems in files that cannot affect
    the service are left to ``validate`` and ``render``.
    """
    if namespace == options.namespace:
        return load_inputs(options)
    inputs = load_inputs(replace(options, mentions=(namespace, "AIMCluster", "\\")))
    service = inputs.catalog.get("AIMService", namespace, name)
    if service is None or _reaches_elsewhere(service.obj, namespace):
        return load_inputs(options)
    return inputs


def _reaches_elsewhere(service: Any, namespace: str) -> bool:
    status = service.status
    refs = (status.resolved_model, status.resolved_template) if status is not None else ()
    return any(
        ref is not None and ref.scope != "Cluster" and ref.namespace not in (None, "", namespace)
        for ref in refs
    )


def locate(diagnostics: list[Diagnostic], spans: SpanIndex | None = None) -> list[Diagnostic]:
    """Fill in line numbers, re-reading only the files that have problems."""
    index = spans or SpanIndex()
    return [index.resolve(d) for d in diagnostics]
