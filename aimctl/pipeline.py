"""The stages wired together: load -> catalog (-> resolve -> render -> emit).

Each function takes plain options and returns values with their diagnostics; nothing here prints or
exits (that is the CLI's job).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aimctl.catalog import (
    Catalog,
    build_catalog,
    check_env_literals,
    check_references,
    validation_diagnostics,
)
from aimctl.confine import inside, plugin_mode
from aimctl.emit import add_sync_wave
from aimctl.errors import Diagnostic, Severity
from aimctl.loader import PROJECT_FILE, SpanIndex, display_path, load_file, load_paths
from aimctl.project import Project, default_project

__all__ = [
    "Inputs",
    "LoadOptions",
    "RenderOptions",
    "RenderResult",
    "find_project_file",
    "load_inputs",
    "locate",
    "render_inputs",
]


@dataclass(frozen=True, slots=True)
class LoadOptions:
    paths: tuple[Path, ...]
    config: Path | None = None
    namespace: str = "default"
    skip: tuple[Path, ...] = ()
    jobs: int = 1  # parsing processes; 0 = by input size and CPUs (aimctl.parallel)


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
    """``--config``, else ``aimctl.yaml`` in the first PATH (a directory) or beside it (a file).

    In the Argo CD plugin, the ``aimctl.yaml`` in the working directory (the file plugin discovery
    matched) is the project file even when ``AIMCTL_PATH`` names a subdirectory: ignoring it would
    drop the tenants' Namespaces, quotas and bindings, and auto-prune would delete them.
    """
    if config is not None:
        return config
    if not paths:
        return None
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
        return Project.model_validate(docs[0].data), shown, []
    except ValidationError as exc:
        return default_project(), shown, validation_diagnostics(exc, docs[0], None, "E_CONFIG")


def load_inputs(options: LoadOptions) -> Inputs:
    """Read the project file and every input document, and validate them into a catalog."""
    project_path = find_project_file(options.paths, options.config)
    refused = project_path and _project_file_problem(project_path, options.paths, options)
    if refused:
        project, project_file, diagnostics = default_project(), refused.file, [refused]
    else:
        project, project_file, diagnostics = _load_project(project_path)
    skip = options.skip + ((project_path,) if project_path else ())
    loaded = load_paths(options.paths, skip, options.jobs)
    diagnostics.extend(loaded.diagnostics)
    catalog, problems = build_catalog(loaded.documents, options.namespace)
    diagnostics.extend(problems)
    diagnostics.extend(check_env_literals(catalog))
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


@dataclass(frozen=True, slots=True)
class RenderOptions:
    templates: Path | None = None
    include_intermediates: bool = False
    sync_waves: bool = False
    create_namespaces: bool = False
    strict: bool = False
    jobs: int = 1  # worker processes; 0 = choose by size and CPUs (aimctl.parallel)
    # The caller writes YAML: objects may come back already serialised (``emit.Serialised``).
    yaml_output: bool = False


@dataclass(slots=True)
class RenderResult:
    objects: list[dict[str, Any]]
    diagnostics: list[Diagnostic]
    services: int = 0

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def render_inputs(
    inputs: Inputs,
    options: RenderOptions,
    on_service: Callable[[int, int], None] | None = None,
) -> RenderResult:
    """Resolve and render every service; pass other objects through. Nothing is written here.

    With ``options.jobs`` other than 1, large renders are spread over forked workers by
    namespace (``aimctl.parallel``); the result is the same, object for object and byte for byte.
    """
    from aimctl.emit import Serialised, sort_objects
    from aimctl.parallel import choose_jobs
    from aimctl.render_parts import render_parallel, render_part, templates_for_workers
    from aimctl.tenants import render_tenants

    catalog, project = inputs.catalog, inputs.project
    jobs = choose_jobs(options.jobs, len(catalog.of_kind("AIMService")))
    templates = templates_for_workers(options) if jobs > 1 else None
    if templates is not None and catalog.namespaces_used():
        part = render_parallel(catalog, project, options, templates, jobs, on_service)
    else:  # templates load after resolution here: None when it failed
        part, templates = render_part(catalog, project, options, None, on_service=on_service)
    diagnostics = list(part.resolve_diagnostics)
    if not part.ok or templates is None:
        return RenderResult([], diagnostics, part.count)
    diagnostics.extend(part.render_diagnostics)
    objects = part.objects
    scaffold, problems = render_tenants(
        inputs.project,
        inputs.catalog.namespaces_used(),
        part.services,
        templates,
        create_namespaces=options.create_namespaces,
        project_file=inputs.project_file,
    )
    if options.strict:  # the strict check below reports the same namespaces as errors
        problems = [d for d in problems if d.code != "W_NAMESPACE_NOT_A_TENANT"]
    diagnostics.extend(problems)
    diagnostics.extend(tenant_checks(inputs, part.services, options.strict))
    for_services = list(objects)
    objects.extend(scaffold)
    objects.extend(_passthrough(inputs, scaffold, diagnostics, for_services))
    if options.sync_waves:  # serialised objects had theirs added before serialising
        objects = [o if type(o) is Serialised else add_sync_wave(o) for o in objects]
    return RenderResult(sort_objects(objects), diagnostics, part.count)


def tenant_checks(inputs: Inputs, services: list[Any], strict: bool) -> list[Diagnostic]:
    """The project file's tenant checks (namespaces, quotas, service accounts)."""
    from aimctl.tenants import check_tenants

    return check_tenants(
        inputs.project,
        inputs.catalog.namespaces_used(),
        [s for s in services if s.ok],
        strict,
        project_file=inputs.project_file,
        passthrough=[e.raw for e in inputs.catalog.passthrough],
    )


def _identity(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def _bound_roles(objects: list[dict[str, Any]]) -> set[str]:
    """ClusterRoles aimctl's own bindings refer to: the artifact-status updater, the tenant
    helper roles, and every ClusterRole a rendered (RoleBinding|ClusterRoleBinding) names."""
    from aimctl.tenants import STATUS_UPDATER_ROLE

    names = {STATUS_UPDATER_ROLE}
    for obj in objects:
        ref = (
            obj.get("roleRef") if obj.get("kind") in ("RoleBinding", "ClusterRoleBinding") else None
        )
        if isinstance(ref, dict) and ref.get("kind") == "ClusterRole":
            names.add(str(ref.get("name")))
    return names


def _passthrough(
    inputs: Inputs,
    scaffold: list[dict[str, Any]],
    diagnostics: list[Diagnostic],
    rendered: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> list[dict[str, Any]]:
    """Input objects aimctl does not interpret, minus those the tenant scaffolding also renders.

    An input object with the identity of an object rendered for a service would be emitted
    twice (a RoleBinding named like the artifact-status binding): refused, naming its file. So is
    a ClusterRole that redefines a role aimctl's own bindings grant (the status updater, the
    tenant helper roles): it would hand every tenant whatever rights it lists.
    """
    tenant_made = {_identity(o) for o in scaffold}
    service_made = {_identity(o) for o in rendered}
    bound = _bound_roles(scaffold)
    kept = []
    for entry in inputs.catalog.passthrough:
        identity = _identity(entry.raw)
        refusal = None
        if identity in service_made:
            refusal = (
                f"{entry.key} is also rendered by aimctl for an AIMService; remove or rename it"
            )
        elif identity[0] == "ClusterRole" and (
            identity[2] in bound
            or (identity[2].startswith("aim-engine-") and identity[2].endswith("-role"))
        ):
            refusal = (
                f"ClusterRole {identity[2]} redefines a role aimctl's RoleBindings grant to "
                "tenants and the download Jobs; set rbac.helperClusterRoles in aimctl.yaml instead"
            )
        if refusal is not None:
            diagnostics.append(
                Diagnostic(
                    "E_REDEFINES_RENDERED",
                    refusal,
                    file=entry.file,
                    doc=entry.doc,
                    field=("metadata", "name"),
                    resource=entry.key,
                )
            )
            continue
        if identity in tenant_made:
            diagnostics.append(
                Diagnostic(
                    "W_DECLARED_TWICE",
                    f"{entry.key} is also rendered from the project file's tenants; the tenant's "
                    "version is used",
                    severity=Severity.WARNING,
                    file=entry.file,
                    doc=entry.doc,
                    resource=entry.key,
                )
            )
            continue
        kept.append(entry.raw)
    return kept


def tenant_facts_for(inputs: Inputs, namespace: str) -> dict[str, Any] | None:
    """What ``explain`` shows about a service's tenant: the block and quota use vs limit."""
    from aimctl.resolve.run import resolve_all
    from aimctl.tenants import tenant_facts

    if inputs.project.tenants is None:
        return None
    services = resolve_all(inputs.catalog, inputs.project, namespace=namespace).services
    return tenant_facts(inputs.project, namespace, [s for s in services if s.ok])
