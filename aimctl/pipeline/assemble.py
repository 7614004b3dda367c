"""One render of loaded inputs: the services' part (``pipeline.parts``: in this process or in
forked workers) plus what spans namespaces, run once here — tenant scaffolding and checks,
pass-through objects, the owner's share, the final order, the kind filters and the documents
(``emit.documents``, the one place objects become what is emitted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aimctl.catalog import Entry, profile_pipeline_refusals
from aimctl.errors import Diagnostic, Severity
from aimctl.pipeline.load import Inputs
from aimctl.pipeline.options import RenderOptions

if TYPE_CHECKING:
    from aimctl.emit import Stage
    from aimctl.tenants.ownership import OwnerKey, Ownership

__all__ = ["RenderResult", "render_inputs", "select_owner", "tenant_checks"]


@dataclass(slots=True)
class RenderResult:
    objects: list[dict[str, Any]]
    diagnostics: list[Diagnostic]
    services: int = 0
    # the resolved services (slimmed when they come from workers: what the tenant steps read)
    resolved: list[Any] = field(default_factory=list)
    rendered: int = 0  # objects before the kind and phase filters

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def render_inputs(
    inputs: Inputs,
    options: RenderOptions,
    on_service: Callable[[int, int], None] | None = None,
    stage: Stage | None = None,
) -> RenderResult:
    """Resolve and render every service; pass other objects through. Nothing is written here.

    With ``options.jobs`` other than 1, large renders are spread over forked workers by
    namespace (``aimctl.parallel``); the result is the same, object for object and byte for byte.
    ``stage``: the workers write their files into that staging tree of ``render -o DIR`` and the
    objects hold ``emit.Staged`` names for them; only when every object is kept (no kind or
    phase filter, no owner), else it is not used.
    """
    from aimctl.emit import documents, sort_objects
    from aimctl.keepalive import keep
    from aimctl.parallel import choose_jobs
    from aimctl.pipeline.parts import render_parallel, render_part, templates_for_workers
    from aimctl.resolve.apivalues import rendered_value_refusals
    from aimctl.tenants import render_tenants

    catalog, project = inputs.catalog, inputs.project
    if options.kinds is not None or options.exclude_kinds or options.phase is not None:
        stage = None  # filtered out objects must not be written
    if options.owner is not None:
        stage = None
    jobs = choose_jobs(options.jobs, len(catalog.of_kind("AIMService")))
    templates = templates_for_workers(options) if jobs > 1 else None
    if templates is not None and catalog.namespaces_used():
        part = render_parallel(catalog, project, options, templates, jobs, on_service, stage)
    else:  # templates load after resolution here: None when it failed
        part, templates = render_part(catalog, project, options, None, on_service=on_service)
    keep(part)  # the resolved services, freed otherwise when this returns
    values = part.value_refusals  # checked by the workers, else here
    refused = profile_pipeline_refusals(catalog) + (
        values if values is not None else rendered_value_refusals(catalog)
    )
    diagnostics = [*refused, *part.resolve_diagnostics]
    if not part.ok or templates is None or refused:
        return RenderResult([], diagnostics, part.count + len(refused), part.services)
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
    objects = sort_objects(objects)
    rendered = len(objects)
    objects = documents(
        _kept(objects, options), sync_waves=options.sync_waves, as_yaml=options.yaml_output
    )
    return RenderResult(objects, diagnostics, part.count, part.services, rendered)


def _kept(objects: list[dict[str, Any]], options: RenderOptions) -> list[dict[str, Any]]:
    """The objects ``--kinds``, ``--exclude-kinds`` and ``--phase`` keep (kinds resolved)."""
    from aimctl.emit import phase_of

    if options.kinds is not None:
        objects = [o for o in objects if o.get("kind") in options.kinds]
    if options.exclude_kinds:
        objects = [o for o in objects if o.get("kind") not in options.exclude_kinds]
    if options.phase is not None:
        objects = [o for o in objects if phase_of(o) == options.phase]
    return objects


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
    kinds = {str(entry.raw.get("kind")) for entry in inputs.catalog.passthrough}
    # only the identities a pass-through object may have (of 33,000 objects, few kinds match)
    service_made = {_identity(o) for o in rendered if str(o.get("kind")) in kinds}
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
