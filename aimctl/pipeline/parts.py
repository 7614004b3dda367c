"""Resolve and render the services of some namespaces — all of them in this process, or groups of
them in forked workers (``aimctl.parallel``) whose results are merged into one part.

``render_part`` is the unit of work — one batch of namespaces, or all of them — that the serial
render and every forked worker run alike. ``pipeline.assemble.render_inputs`` takes the part and
adds what spans namespaces: tenant scaffolding and checks, pass-through objects, the final order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aimctl.catalog import Catalog, Entry
from aimctl.errors import Diagnostic
from aimctl.project import Project
from aimctl.provenance import ResourceKey

if TYPE_CHECKING:
    from aimctl.emit import Signature, Stage
    from aimctl.pipeline.options import RenderOptions
    from aimctl.render.engine import TemplateSet
    from aimctl.resolve.templates import TemplateIndex

__all__ = ["Part", "render_parallel", "render_part", "templates_for_workers"]


@dataclass(slots=True)
class Part:
    """The services of some namespaces (or all), resolved and rendered."""

    resolve_diagnostics: list[Diagnostic]
    render_diagnostics: list[Diagnostic] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    services: list[Any] = field(default_factory=list)  # ResolvedService (slimmed by workers)
    count: int = 0
    # from a worker: (identity, YAML document) of each object, instead of ``objects``
    documents: list[tuple[tuple[str, str, str | None, str], str]] = field(default_factory=list)
    # from a worker that wrote its files into the staging tree: (identity, file) of each, the
    # signatures of those written and the names of those linked (``emit.stage_files``)
    staged: list[tuple[tuple[str, str, str | None, str], str]] = field(default_factory=list)
    signatures: dict[str, Signature] = field(default_factory=dict)
    linked: list[str] = field(default_factory=list)
    # the value refusals of the inputs (``resolve.apivalues``): None when not checked (serial: the
    # caller checks the whole catalog); from a worker, each of its entries' with the entry's
    # place in the serial order (file, document, position in the catalog)
    value_refusals: list[Diagnostic] | None = None
    refusals_by_entry: list[tuple[tuple[str, int, int], list[Diagnostic]]] = field(
        default_factory=list
    )

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.resolve_diagnostics)


def templates_for_workers(options: RenderOptions) -> TemplateSet | None:
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
    of the service would go) or a ``status.resolvedModel`` there. Everything else a service uses
    is in its own namespace or at cluster scope, so a group's own entries and the cluster-scoped
    ones are all its services read (``Catalog.narrowed``)."""
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
        own = entry.key.namespace or ""
        refs = (status.resolved_template, status.resolved_model) if status is not None else ()
        for ref in refs:
            if ref is None or ref.scope == "Cluster" or not ref.namespace or ref.namespace == own:
                continue
            leader.setdefault(ref.namespace, ref.namespace)
            a, b = sorted((find(own), find(ref.namespace)))
            leader[b] = a
    weights = {ns: 1 for ns in leader if find(ns) == ns}
    for entry in services:
        weights[find(entry.key.namespace or "")] += 1
    groups = partition(weights, parts)
    return [frozenset(ns for ns in leader if find(ns) in group) for group in groups]


def render_part(
    catalog: Catalog,
    project: Project,
    options: RenderOptions,
    namespaces: frozenset[str] | None,
    prepared: tuple[TemplateSet, TemplateIndex] | None = None,
    on_service: Callable[[int, int], None] | None = None,
) -> tuple[Part, TemplateSet | None]:
    """Resolve and render the services, hand-written template caches and artifacts of
    ``namespaces`` (None: all of them, and the model-generated templates of every scope).

    ``prepared``: the template set and template index, made once before a fork. Returns the part
    and the template set (None when resolution failed and nothing was rendered).
    """
    from aimctl.keepalive import keep
    from aimctl.render.children import default_templates_dir, render_services
    from aimctl.render.engine import TemplateSet
    from aimctl.resolve.apivalues import rendered_label_problems
    from aimctl.resolve.run import resolve_all

    templates, index = prepared if prepared is not None else (None, None)
    resolution = resolve_all(
        catalog, project, on_service=on_service, namespaces=namespaces, index=index
    )
    keep(resolution)
    part = Part(
        resolution.diagnostics, services=resolution.services, count=len(resolution.services)
    )
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
        [(c, *_where(catalog, "AIMTemplateCache", c.namespace, c.name)) for c in resolution.caches],
        [(a, *_where(catalog, "AIMArtifact", a.namespace, a.name)) for a in resolution.artifacts],
        [
            (c, *_where(catalog, "AIMServiceTemplate", c.namespace, c.template_name))
            for c in resolution.template_caches
        ],
    )
    part.objects = [m.body for m in manifests]
    part.render_diagnostics += rendered_label_problems(
        [(m.body, m.parent) for m in manifests], catalog
    )
    if options.gitops != "plain":
        from aimctl.gitops import PROFILED_TEMPLATES, GitOps, apply_profile

        profile = GitOps(options.gitops)
        part.objects = [
            apply_profile(m.body, profile) if m.template in PROFILED_TEMPLATES else m.body
            for m in manifests
        ]
    return part, templates


def render_parallel(
    catalog: Catalog,
    project: Project,
    options: RenderOptions,
    templates: TemplateSet,
    jobs: int,
    on_service: Callable[[int, int], None] | None,
    stage: Stage | None = None,
) -> Part:
    """``render_part`` for groups of namespaces in forked workers, merged into one part.

    Each worker also checks its namespaces' entries for values the API server would refuse
    (``value_refusals``: the serial render's, in its order); this process checks the rest
    (cluster scope) and merges the parts in their order.
    ``stage``: the workers write their namespaces' files into that staging tree and send back
    their names (``render -o DIR`` without filters: every object is then written)."""
    from aimctl.keepalive import keep
    from aimctl.parallel import PART_SERVICES, PARTS_PER_JOB, run
    from aimctl.render.children import render_services
    from aimctl.resolve.inventory import GpuInventory
    from aimctl.resolve.templates import TemplateIndex

    inventory = GpuInventory.from_project(project)
    services = catalog.of_kind("AIMService")
    parts = _linked_parts(catalog, max(jobs * PARTS_PER_JOB, -(-len(services) // PART_SERVICES)))
    keep_services = project.tenants is not None  # only the tenant steps read them
    grouped = catalog.by_namespace()

    def work(namespaces: frozenset[str]) -> Part:
        refusals = _refusals_by_entry(grouped, namespaces)
        # Only this group's entries and the cluster-scoped ones: the worker then reads (and so
        # copies, as reference counts change) the pages of those objects only.
        narrow = Catalog.narrowed(grouped, namespaces)
        index = TemplateIndex.build(narrow, inventory)
        part, _ = render_part(narrow, project, options, namespaces, (templates, index))
        keep(narrow, index, part.objects, part.services)
        shipped = _for_shipping(part, options, keep_services)
        shipped.refusals_by_entry = refusals
        if stage is not None and options.yaml_output:
            _stage(shipped, stage, namespaces)
        return shipped

    done = 0

    def progress(_: int, result: Part) -> None:
        nonlocal done
        done += result.count
        assert on_service is not None
        on_service(done, len(services))

    merged = Part([])
    refusals = _refusals_by_entry(grouped, frozenset(), cluster=True)  # of cluster scope
    renew = _parts_per_worker(len(services), len(parts))
    # merged after the fan-out: merged while workers run, the parent's objects add ~8 MiB to
    # the summed memory of a 10,000-service render's processes, for ~0.03 s
    for result in run(work, parts, jobs, progress if on_service else None, renew):
        _merge(merged, result, stage)
        refusals.extend(result.refusals_by_entry)
    covered = frozenset(ns for part in parts for ns in part)
    rest = frozenset(ns for ns in grouped if ns is not None and ns not in covered)
    refusals.extend(_refusals_by_entry(grouped, rest))
    refusals.sort(key=lambda item: item[0])
    merged.value_refusals = [d for _, found in refusals for d in found]
    if merged.ok and options.include_intermediates:
        index = TemplateIndex.build(Catalog.narrowed(grouped, frozenset()), inventory)
        cluster = [view for view in index.generated() if view.namespace is None]
        manifests, problems = render_services([], templates, True, cluster)
        merged.objects.extend(m.body for m in manifests)
        merged.render_diagnostics.extend(problems)
    return merged


def _parts_per_worker(services: int, parts: int) -> int:
    """Parts a worker process does before a fresh one replaces it (``WORKER_SERVICES``)."""
    from aimctl.parallel import WORKER_SERVICES

    per_part = -(-services // parts) if parts else 1
    return max(1, WORKER_SERVICES // max(1, per_part))


def _refusals_by_entry(
    grouped: dict[str | None, list[tuple[int, bool, Entry[Any]]]],
    namespaces: frozenset[str],
    cluster: bool = False,
) -> list[tuple[tuple[str, int, int], list[Diagnostic]]]:
    """``apivalues.entry_value_refusals`` of the entries of ``namespaces`` (and with ``cluster``
    of cluster scope), each with its place in ``rendered_value_refusals``' order: file,
    document, then position in the catalog (a stable sort by file and document)."""
    from aimctl.resolve.apivalues import entry_value_refusals

    out = []
    for namespace in (*((None,) if cluster else ()), *sorted(namespaces)):
        for position, _, entry in grouped.get(namespace, ()):
            found = entry_value_refusals(entry)
            if found:
                out.append(((entry.file, entry.doc, position), found))
    return out


def _merge(merged: Part, result: Part, stage: Stage | None) -> None:
    """A worker's part added to ``merged`` (in the order of the parts)."""
    from aimctl.emit import Serialised, Staged

    # a render-wide warning (W_GPU_ASSUMED) comes once per part; reports drop repeats
    merged.resolve_diagnostics.extend(result.resolve_diagnostics)
    merged.render_diagnostics.extend(result.render_diagnostics)
    merged.objects.extend(result.objects)
    merged.objects.extend(Serialised(identity, text) for identity, text in result.documents)
    merged.objects.extend(Staged(identity, rel) for identity, rel in result.staged)
    if stage is not None:
        stage.signatures.update(result.signatures)
        stage.linked.extend(result.linked)
    merged.services.extend(result.services)
    merged.count += result.count


def _for_shipping(part: Part, options: RenderOptions, keep_services: bool) -> Part:
    """What a worker sends back: YAML documents instead of objects when the caller writes YAML,
    and only the service fields the tenant steps read (or none)."""
    import dataclasses

    from aimctl.emit import Serialised, document_text, documents

    shipped = documents(part.objects, sync_waves=options.sync_waves, as_yaml=options.yaml_output)
    if options.yaml_output:
        part.documents = [(Serialised.identity(o), document_text(o)) for o in shipped]
        part.objects = []
    else:
        part.objects = shipped
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


def _stage(part: Part, stage: Stage, namespaces: frozenset[str]) -> None:
    """Write the part's documents into the staging tree, keeping back (for the parent, which
    names, refuses or measures them as usual) any that is cluster-scoped, outside the part's
    namespaces, badly named, named like another, or possibly over the object size limit."""
    from aimctl.emit import MAX_OBJECT_BYTES, stage_files, staged_name

    kept: list[tuple[tuple[str, str, str | None, str], str]] = []
    writes: list[tuple[str, str]] = []
    taken: set[str] = set()
    for identity, text in part.documents:
        _, kind, namespace, name = identity
        meta = {"name": name, "namespace": namespace}
        rel = staged_name({"kind": kind, "metadata": meta}, namespaces)
        if rel is None or rel in taken or len(text) * 4 > MAX_OBJECT_BYTES:
            kept.append((identity, text))
            continue
        taken.add(rel)
        part.staged.append((identity, rel))
        writes.append((rel, text))
    part.signatures, part.linked = stage_files(stage, writes)
    part.documents = kept


def _where(catalog: Catalog, kind: str, namespace: str, name: str) -> tuple[ResourceKey, str, int]:
    entry = catalog.get(kind, namespace, name)
    assert entry is not None
    return entry.key, entry.file, entry.doc
