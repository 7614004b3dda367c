"""The stages wired together: load -> catalog (-> resolve -> render -> emit).

Each function takes plain options and returns values with their diagnostics; nothing here prints or
exits (that is the CLI's job).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from aimctl.catalog import (
    Catalog,
    build_catalog,
    check_env_literals,
    check_references,
    validation_diagnostics,
)
from aimctl.emit import add_sync_wave
from aimctl.errors import Diagnostic, Severity
from aimctl.loader import PROJECT_FILE, SpanIndex, display_path, load_file, load_paths
from aimctl.project import Project, default_project
from aimctl.provenance import ResourceKey

if TYPE_CHECKING:
    from aimctl.render.engine import TemplateSet
    from aimctl.resolve.templates import TemplateIndex

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


@dataclass(slots=True)
class _Part:
    """The services of some namespaces (or all), resolved and rendered."""

    resolve_diagnostics: list[Diagnostic]
    render_diagnostics: list[Diagnostic] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    services: list[Any] = field(default_factory=list)  # ResolvedService (slimmed by workers)
    count: int = 0
    # from a worker: (identity, YAML document) of each object, instead of ``objects``
    documents: list[tuple[tuple[str, str, str | None, str], str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.resolve_diagnostics)


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
    from aimctl.tenants import render_tenants

    jobs = choose_jobs(options.jobs, len(inputs.catalog.of_kind("AIMService")))
    prepared = _templates_for_workers(options) if jobs > 1 else None
    if prepared is not None and inputs.catalog.namespaces_used():
        templates = prepared
        part = _render_parallel(inputs, options, templates, jobs, on_service)
    else:
        part, loaded = _render_part(inputs, options, None, on_service=on_service)
        if loaded is None:
            return RenderResult([], list(part.resolve_diagnostics), part.count)
        templates = loaded
    diagnostics = list(part.resolve_diagnostics)
    if not part.ok:
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
    diagnostics.extend(problems)
    diagnostics.extend(tenant_checks(inputs, part.services, options.strict))
    objects.extend(scaffold)
    objects.extend(_passthrough(inputs, scaffold, diagnostics))
    if options.sync_waves:  # serialised objects had theirs added before serialising
        objects = [o if type(o) is Serialised else add_sync_wave(o) for o in objects]
    return RenderResult(sort_objects(objects), diagnostics, part.count)


def _templates_for_workers(options: RenderOptions) -> TemplateSet | None:
    """The template set, loaded once before the fork; None when it cannot be loaded (the serial
    path then reports that after resolution, in the usual order)."""
    from aimctl.render.children import default_templates_dir
    from aimctl.render.engine import TemplateError, TemplateSet

    try:
        return TemplateSet.load(options.templates or default_templates_dir())
    except TemplateError:
        return None


def _linked_parts(catalog: Catalog, parts: int) -> list[frozenset[str]]:
    """Namespaces in ``parts`` groups of similar size (one per service, plus one), keeping
    together the namespaces a service reaches into: a ``status.resolvedTemplate`` in another
    namespace (which that namespace's services may generate first, and where a derived template
    of the service would go). Everything else a service uses is in its own namespace or at
    cluster scope."""
    from aimctl.parallel import partition

    leader = {ns: ns for ns in catalog.namespaces_used()}

    def find(ns: str) -> str:
        while leader[ns] != ns:
            leader[ns] = leader[leader[ns]]
            ns = leader[ns]
        return ns

    services = catalog.of_kind("AIMService")
    for entry in services:
        status = entry.obj.status
        ref = status.resolved_template if status is not None else None
        own = entry.key.namespace or ""
        if ref is not None and ref.scope != "Cluster" and ref.namespace and ref.namespace != own:
            leader.setdefault(ref.namespace, ref.namespace)
            a, b = sorted((find(own), find(ref.namespace)))
            leader[b] = a
    weights = {ns: 1 for ns in leader if find(ns) == ns}
    for entry in services:
        weights[find(entry.key.namespace or "")] += 1
    groups = partition(weights, parts)
    return [frozenset(ns for ns in leader if find(ns) in group) for group in groups]


def _render_part(
    inputs: Inputs,
    options: RenderOptions,
    namespaces: frozenset[str] | None,
    prepared: tuple[TemplateSet, TemplateIndex] | None = None,
    on_service: Callable[[int, int], None] | None = None,
) -> tuple[_Part, TemplateSet | None]:
    """Resolve and render the services, hand-written template caches and artifacts of
    ``namespaces`` (None: all of them, and the model-generated templates of every scope).

    ``prepared``: the template set and template index, made once before a fork. Returns the part
    and the template set (None when resolution failed and nothing was rendered).
    """
    from aimctl.render.children import default_templates_dir, render_services
    from aimctl.render.engine import TemplateSet
    from aimctl.resolve.run import resolve_all

    templates, index = prepared if prepared is not None else (None, None)
    resolution = resolve_all(
        inputs.catalog, inputs.project, on_service=on_service, namespaces=namespaces, index=index
    )
    part = _Part(resolution.diagnostics, services=resolution.services)
    part.count = len(resolution.services)
    if not resolution.ok:
        return part, None
    if templates is None:
        templates = TemplateSet.load(options.templates or default_templates_dir())
    generated = [
        view
        for view in resolution.index.generated()
        if namespaces is None or view.namespace in namespaces
    ]
    manifests, part.render_diagnostics = render_services(
        resolution.services,
        templates,
        options.include_intermediates,
        generated,
        [(c, *_where(inputs, "AIMTemplateCache", c.namespace, c.name)) for c in resolution.caches],
        [(a, *_where(inputs, "AIMArtifact", a.namespace, a.name)) for a in resolution.artifacts],
    )
    part.objects = [m.body for m in manifests]
    return part, templates


def _render_parallel(
    inputs: Inputs,
    options: RenderOptions,
    templates: TemplateSet,
    jobs: int,
    on_service: Callable[[int, int], None] | None,
) -> _Part:
    """``_render_part`` for groups of namespaces in forked workers, merged into one part."""
    from aimctl.emit import Serialised
    from aimctl.parallel import PARTS_PER_JOB, run
    from aimctl.render.children import render_services
    from aimctl.resolve.inventory import GpuInventory
    from aimctl.resolve.templates import TemplateIndex

    catalog = inputs.catalog
    index = TemplateIndex.build(catalog, GpuInventory.from_project(inputs.project))
    services = catalog.of_kind("AIMService")
    parts = _linked_parts(catalog, jobs * PARTS_PER_JOB)
    keep_services = bool(inputs.project.tenants)  # only the tenant steps read them

    def work(namespaces: frozenset[str]) -> _Part:
        part, _ = _render_part(inputs, options, namespaces, (templates, index))
        return _for_shipping(part, options, keep_services)

    done = 0

    def progress(_: int, result: _Part) -> None:
        nonlocal done
        done += result.count
        assert on_service is not None
        on_service(done, len(services))

    merged = _Part([])
    assumed_seen = False
    for result in run(work, parts, jobs, progress if on_service else None):
        for diagnostic in result.resolve_diagnostics:
            if diagnostic.code == "W_GPU_ASSUMED":  # resolve_all's render-wide warning: once
                if assumed_seen:
                    continue
                assumed_seen = True
            merged.resolve_diagnostics.append(diagnostic)
        merged.render_diagnostics.extend(result.render_diagnostics)
        merged.objects.extend(result.objects)
        merged.objects.extend(Serialised(identity, text) for identity, text in result.documents)
        merged.services.extend(result.services)
        merged.count += result.count
    if merged.ok and options.include_intermediates:
        cluster = [view for view in index.generated() if view.namespace is None]
        manifests, problems = render_services([], templates, True, cluster)
        merged.objects.extend(m.body for m in manifests)
        merged.render_diagnostics.extend(problems)
    return merged


def _for_shipping(part: _Part, options: RenderOptions, keep_services: bool) -> _Part:
    """What a worker sends back: YAML documents instead of objects when the caller writes YAML,
    and only the service fields the tenant steps read (or none)."""
    import dataclasses

    from aimctl.emit import Serialised, add_sync_wave
    from aimctl.serialize import dump_yaml

    objects = part.objects
    if options.sync_waves:
        objects = [add_sync_wave(o) for o in objects]
    if options.yaml_output:
        part.documents = [(Serialised.identity(o), dump_yaml(o)) for o in objects]
        part.objects = []
    else:
        part.objects = objects
    part.services = (
        [
            dataclasses.replace(
                svc,
                config=None,
                model=None,
                selection=None,
                env=[],
                isvc_labels={},
                route_labels={},
                derived_template=None,
                decisions={},
            )
            for svc in part.services
        ]
        if keep_services
        else []
    )
    return part


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


def _passthrough(
    inputs: Inputs, scaffold: list[dict[str, Any]], diagnostics: list[Diagnostic]
) -> list[dict[str, Any]]:
    """Input objects aimctl does not interpret, minus those the tenant scaffolding also renders."""
    rendered = {_identity(o) for o in scaffold}
    kept = []
    for entry in inputs.catalog.passthrough:
        if _identity(entry.raw) in rendered:
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


def _where(inputs: Inputs, kind: str, namespace: str, name: str) -> tuple[ResourceKey, str, int]:
    entry = inputs.catalog.get(kind, namespace, name)
    assert entry is not None
    return entry.key, entry.file, entry.doc
