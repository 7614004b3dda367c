"""The stages wired together: load -> catalog (-> resolve -> render -> emit).

Each function takes plain options and returns values with their diagnostics; nothing here prints or
exits (that is the CLI's job).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from aimctl.catalog import (
    Catalog,
    Entry,
    build_catalog,
    check_env_literals,
    check_not_rendered,
    check_references,
    profile_pipeline_refusals,
    validation_diagnostics,
)
from aimctl.confine import inside, plugin_mode
from aimctl.emit import add_sync_wave
from aimctl.errors import Diagnostic, Severity, UsageError
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
from aimctl.project import Project, default_project

if TYPE_CHECKING:
    from aimctl.tenants.ownership import OwnerKey, Ownership

__all__ = [
    "Inputs",
    "LoadOptions",
    "RenderOptions",
    "RenderResult",
    "find_project_file",
    "load_inputs",
    "locate",
    "render_inputs",
    "select_owner",
]


@dataclass(frozen=True, slots=True)
class LoadOptions:
    paths: tuple[Path, ...]
    config: Path | None = None
    namespace: str = "default"
    skip: tuple[Path, ...] = ()
    jobs: int = 1  # parsing processes; 0 = by input size and CPUs (aimctl.parallel)
    mentions: tuple[str, ...] = ()  # only files whose text contains one of these (loader)
    operator: str | None = None  # --operator-version; overrides the project file's `operator`
    # the files ``collect_files`` found (and its problems), when the caller walked already
    walked: tuple[list[Path], list[Diagnostic]] | None = None


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
    loaded = load_paths(options.paths, skip, options.jobs, options.mentions, options.walked)
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


_RENDER_WOULD_REFUSE = "`aimctl render` refuses this; `validate --strict` reports it as an error"


def forecast_render(inputs: Inputs, strict: bool, shown_paths: str) -> list[Diagnostic]:
    """What ``validate`` adds to the input checks: ``render``'s own verdict, rendered in memory.

    The reference check comes first; then every service is resolved and rendered with the same
    options ``render`` takes by default (nothing is written), so ``validate --strict`` fails on
    exactly what ``render --strict`` refuses. Without ``strict`` a refusal is a warning (the
    missing piece may live in another repository), while the tenant checks keep their own
    severity. A reference warning for a field that ``render`` also reports gives way to it.
    """
    result = render_inputs(inputs, RenderOptions(strict=strict, jobs=0))
    found = list(result.diagnostics)
    if result.ok and not result.objects and inputs.files:
        found.append(
            Diagnostic(
                "E_EMPTY",
                "nothing to render (no AIMService or other object found); "
                "`aimctl render` refuses this without --allow-empty",
                file=shown_paths,
            )
        )
    if not strict:
        found = [
            replace(d, severity=Severity.WARNING, hint=d.hint or _RENDER_WOULD_REFUSE)
            if d.is_error
            else d
            for d in found
        ]
        if inputs.project.tenants is not None:
            found += tenant_checks(inputs, _resolved_services(inputs), strict)
    covered = {(d.file, d.doc, d.field) for d in found}
    merged = [
        d for d in check_references(inputs.catalog) if (d.file, d.doc, d.field) not in covered
    ]
    seen: dict[tuple[object, ...], Diagnostic] = {}
    for d in merged + found:  # one copy of each, the error where a warning says the same
        key = (d.code, d.message, d.file, d.doc, d.field, d.resource)
        if key not in seen or (d.is_error and not seen[key].is_error):
            seen[key] = d
    return list(seen.values())


def _resolved_services(inputs: Inputs) -> list[Any]:
    from aimctl.resolve.run import resolve_all

    return resolve_all(inputs.catalog, inputs.project).services


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
    gitops: str = "plain"  # aimctl.gitops.GitOps: how download Jobs and cache PVCs are kept
    # Keep only this owner's objects (``select_owner``); None: everything.
    owner: OwnerKey | None = None


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
    from aimctl.keepalive import keep
    from aimctl.parallel import choose_jobs
    from aimctl.render_parts import render_parallel, render_part, templates_for_workers
    from aimctl.resolve.apivalues import rendered_value_refusals
    from aimctl.tenants import render_tenants

    catalog, project = inputs.catalog, inputs.project
    jobs = choose_jobs(options.jobs, len(catalog.of_kind("AIMService")))
    templates = templates_for_workers(options) if jobs > 1 else None
    if templates is not None and catalog.namespaces_used():
        part = render_parallel(catalog, project, options, templates, jobs, on_service)
    else:  # templates load after resolution here: None when it failed
        part, templates = render_part(catalog, project, options, None, on_service=on_service)
    keep(part)  # the resolved services, freed otherwise when this returns
    refused = profile_pipeline_refusals(catalog) + rendered_value_refusals(catalog)
    diagnostics = [*refused, *part.resolve_diagnostics]
    if not part.ok or templates is None or refused:
        return RenderResult([], diagnostics, part.count + len(refused))
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
    passthrough = _passthrough(inputs, scaffold, diagnostics, list(objects))
    if options.owner is not None and inputs.ownership is not None:
        objects, scaffold, passthrough = _owned_by(
            inputs.ownership, options.owner, objects, scaffold, passthrough
        )
    objects.extend(scaffold)
    objects.extend(entry.raw for entry in passthrough)
    if options.include_intermediates and options.owner in (None, ("platform", "")):
        objects.extend(entry.raw for entry in catalog.derived)  # cluster-scoped: the platform's
    if options.sync_waves:  # serialised objects had theirs added before serialising
        objects = [o if type(o) is Serialised else add_sync_wave(o) for o in objects]
    return RenderResult(sort_objects(objects), diagnostics, part.count)


def tenant_checks(inputs: Inputs, services: list[Any], strict: bool) -> list[Diagnostic]:
    """The project file's tenant checks (namespaces, quotas, service accounts), and with ownership
    declared the routes that would take another namespace's requests."""
    from aimctl.tenants import check_tenants

    out = check_tenants(
        inputs.project,
        inputs.catalog.namespaces_used(),
        [s for s in services if s.ok],
        strict,
        project_file=inputs.project_file,
        passthrough=[e.raw for e in inputs.catalog.passthrough],
    )
    if inputs.ownership is not None:
        from aimctl.tenants.routes import check_route_claims

        out.extend(check_route_claims(services, inputs.ownership))
    return out


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
) -> list[Entry[dict[str, Any]]]:
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
        kept.append(entry)
    return kept


def select_owner(
    inputs: Inputs, tenant: str | None, platform: bool
) -> tuple[OwnerKey | None, list[Diagnostic]]:
    """The owner ``render --tenant NAMESPACE`` or ``--platform`` selects (None: neither given)."""
    if tenant is None and not platform:
        return None, []
    where = inputs.project_file or "aimctl.yaml"
    if inputs.ownership is None:
        return None, [
            Diagnostic(
                "E_NO_OWNERSHIP",
                "--tenant and --platform split the render by owner, but no owner declares paths",
                file=where,
                hint="declare platform.paths and tenants[].paths (see docs/tenancy.md)",
            )
        ]
    if platform:
        return ("platform", ""), []
    assert tenant is not None
    if inputs.project.tenant(tenant) is None:
        declared = ", ".join(t.namespace for t in inputs.project.tenants or []) or "none"
        return None, [
            Diagnostic(
                "E_NOT_A_TENANT",
                f"--tenant {tenant}: no tenant has that namespace (declared: {declared})",
                file=where,
            )
        ]
    return ("tenant", tenant), []


def _owned_by(
    ownership: Ownership,
    key: OwnerKey,
    children: list[dict[str, Any]],
    scaffold: list[dict[str, Any]],
    passthrough: list[Entry[dict[str, Any]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Entry[dict[str, Any]]]]:
    """The objects of one owner. Pass-through objects belong to the owner of their file; the
    scaffolding from the project file to the platform; what the operator would create belongs to
    the tenant of the namespace it lands in, and outside tenant namespaces to the platform."""
    tenants = ownership.tenant_namespaces()

    def child_owner(obj: dict[str, Any]) -> OwnerKey:
        namespace = (obj.get("metadata") or {}).get("namespace")
        return ("tenant", namespace) if namespace in tenants else ("platform", "")

    def file_owner(entry: Entry[dict[str, Any]]) -> OwnerKey | None:
        owner = ownership.owner(entry.file)
        return owner.key if owner is not None else None

    return (
        [o for o in children if child_owner(o) == key],
        scaffold if key == ("platform", "") else [],
        [e for e in passthrough if file_owner(e) == key],
    )


def tenant_facts_for(inputs: Inputs, namespace: str) -> dict[str, Any] | None:
    """What ``explain`` shows about a service's tenant: the block and quota use vs limit."""
    from aimctl.resolve.run import resolve_all
    from aimctl.tenants import tenant_facts

    if inputs.project.tenants is None:
        return None
    services = resolve_all(inputs.catalog, inputs.project, namespace=namespace).services
    return tenant_facts(inputs.project, namespace, [s for s in services if s.ok])
