"""The service's template cache, its artifacts and their PVC/Job plans (§3.6, §4.6, §4.8, §4.9)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aimctl.catalog import Entry, entry_error
from aimctl.errors import Diagnostic
from aimctl.model import AIM_API_VERSION, AIMArtifact, AIMService
from aimctl.provenance import Candidate, Decision, FieldPath, Origin, Scope, slot_init
from aimctl.resolve.envmerge import merge_env_vars
from aimctl.resolve.fields import env_dicts, origin_of, service_spec
from aimctl.resolve.labels import propagate_labels
from aimctl.resolve.layers import STORAGE_CLASS, Layer, choose
from aimctl.resolve.naming import (
    artifact_name,
    dedicated_cache_name,
    download_job_name,
    pvc_name,
    sanitize_label_value,
    shared_cache_name,
    stand_in_uid,
)
from aimctl.resolve.quantity import INT64_MAX, parse_quantity, pvc_bytes, pvc_size, quantity_bytes
from aimctl.resolve.runtime_config import RuntimeConfig
from aimctl.resolve.templates import TemplateView

__all__ = [
    "DOWNLOAD_IMAGE",
    "ArtifactPlan",
    "ArtifactSpec",
    "CachePlan",
    "CachedArtifact",
    "adoptable_artifacts",
    "caching_mode",
    "plan_artifact_children",
    "plan_cache",
    "plan_cache_artifacts",
    "pvc_size_problem",
]

DOWNLOAD_IMAGE: Final = "ghcr.io/silogen/aim-artifact-downloader:0.2.0"
_LEGACY_MODES: Final = {"Dedicated": "Dedicated", "Never": "Dedicated"}
_CLUSTER_DEFAULT_CLASS: Final = Candidate(
    Origin(Scope.OPERATOR_DEFAULT, rule="no storage class: the cluster default applies"), ""
)


def caching_mode(service: Entry[AIMService]) -> str:
    """``Never``/``Dedicated`` ⇒ Dedicated; ``Always``/``Auto``/``Shared``/absent ⇒ Shared (§1.2)."""
    caching = service_spec(service).caching
    return _LEGACY_MODES.get(caching.mode if caching else "", "Shared")


def label_value(value: str) -> str:
    try:
        return str(sanitize_label_value(value))
    except ValueError:
        return ""


@dataclass(slots=True)
class ArtifactPlan:
    name: str
    namespace: str
    uid: str
    index: int
    source_uri: str
    model_id: str
    size: str
    size_bytes: int
    env: list[dict[str, Any]]
    storage_class: str
    runtime_config_name: str
    labels: dict[str, str]
    pvc_name: str
    pvc_size: str
    pvc_storage_class: str | None
    pvc_labels: dict[str, str]
    job_name: str
    job_env: list[dict[str, Any]]
    job_labels: dict[str, str]
    job_pod_labels: dict[str, str]
    binding_labels: dict[str, str]
    download_image: str = DOWNLOAD_IMAGE
    image_pull_secrets: list[dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class CachedArtifact:
    """One entry of the template cache's ``status.artifacts``: what the InferenceService mounts."""

    name: str
    model_id: str  # the template source's modelId (the mount path)
    pvc_name: str


@dataclass(slots=True)
class CachePlan:
    name: str
    namespace: str
    mode: str
    template_name: str
    template_scope: str
    storage_class: str
    runtime_config_name: str
    env: list[dict[str, Any]]
    labels: dict[str, str]
    artifacts: list[ArtifactPlan] = field(default_factory=list)  # the ones this cache creates
    decisions: dict[str, Decision] = field(default_factory=dict)
    # status.artifacts by the source's modelId (ComposeState): a later source with the same
    # modelId replaces an earlier one, so the service mounts one volume per modelId
    mounts: dict[str, CachedArtifact] = field(default_factory=dict)


def _with_controller(
    labels: dict[str, str], managed_by: str, name_key: str, name: str
) -> dict[str, str]:
    """Controller labels are added only where the key is not already present (§2.4)."""
    out = dict(labels)
    out.setdefault("app.kubernetes.io/managed-by", managed_by)
    out.setdefault(name_key, name)
    return out


def _propagate(
    parent: dict[str, str], child: dict[str, str], config: RuntimeConfig
) -> dict[str, str]:
    enabled, patterns = config.label_policy()
    return propagate_labels(parent, child, enabled, patterns)


def _storage_class(service: Entry[AIMService], config: RuntimeConfig) -> tuple[str, Decision]:
    """Service storage class if written (even empty), else the runtime config's, else "" (§3.6)."""
    storage = service_spec(service).storage
    written = None
    if storage is not None and storage.default_storage_class_name is not None:
        origin = origin_of(service, Scope.SERVICE, ("spec", "storage", "defaultStorageClassName"))
        written = Candidate(origin, storage.default_storage_class_name)
    offers = {
        Layer.SERVICE: written,
        Layer.RUNTIME_CONFIG: config.settings.get("storage.defaultStorageClassName"),
        Layer.SYSTEM_DEFAULT: _CLUSTER_DEFAULT_CLASS,
    }
    decision = choose(STORAGE_CLASS, "cache.storageClassName", offers)
    assert decision is not None  # the default is always offered
    return str(decision.value or ""), decision


def plan_cache(
    service: Entry[AIMService],
    template: TemplateView,
    config: RuntimeConfig,
    service_uid: str,
    service_labels: dict[str, str],
    shared: dict[tuple[str, str], CachePlan] | None = None,
    existing: Sequence[Entry[AIMArtifact]] = (),
) -> tuple[CachePlan | None, list[Diagnostic]]:
    """The AIMTemplateCache the service uses and what hangs below it (artifacts, PVCs, Jobs).

    A Shared cache is created by the first service (in namespace, name order) that needs it; every
    later service of the namespace finds it by template and reuses it, artifacts included (§4.6,
    §8 row 8). ``shared`` remembers those caches across services. ``existing``: the AIMArtifacts
    of the namespace a Shared cache may adopt (:func:`adoptable_artifacts`).
    """
    ns = service.key.namespace or ""
    svc_name = service.key.name
    mode = caching_mode(service)
    if mode == "Shared":
        name = shared_cache_name(template.name, ns)
        known = shared.get((ns, name)) if shared is not None else None
        if known is not None:
            return known, []
    else:
        name = dedicated_cache_name(template.name, svc_name, service_uid)
    storage_class, sc_decision = _storage_class(service, config)
    caching_env = (
        env_dicts(template.spec.caching.env) if getattr(template.spec, "caching", None) else []
    )
    env = merge_env_vars(
        merge_env_vars(env_dicts(template.spec.env), caching_env),
        env_dicts(service_spec(service).env),
    )
    labels = _propagate(service_labels, {"aim.eai.amd.com/service": label_value(svc_name)}, config)
    labels = _with_controller(
        labels, "aim-service-controller", "aim.eai.amd.com/service.name", svc_name
    )
    plan = CachePlan(
        name=name,
        namespace=ns,
        mode=mode,
        template_name=template.name,
        template_scope=template.scope,
        storage_class=storage_class,
        runtime_config_name=(service_spec(service).runtime_config_name or ""),
        env=env,
        labels=labels,
    )
    plan.decisions["cache.storageClassName"] = sc_decision
    problems = plan_cache_artifacts(service, template, plan, config, existing)
    if mode == "Shared" and shared is not None and not problems:
        shared[(ns, name)] = plan
    return plan, problems


# ComposeState keeps the best status of the matching artifacts (aim status order, best first)
_STATUS_ORDER: Final = ("Running", "Ready", "Progressing", "Starting", "Pending", "Degraded",
                        "NotAvailable", "Failed")  # fmt: skip
_STATUS_RANK: Final = {state: len(_STATUS_ORDER) - i for i, state in enumerate(_STATUS_ORDER)}


def adoptable_artifacts(entries: Iterable[Entry[AIMArtifact]]) -> list[Entry[AIMArtifact]]:
    """The AIMArtifacts a Shared template cache may reuse: with a status and no owner references
    (aimtemplatecache ComposeState), in name order (the API server's list order)."""
    found = [
        e
        for e in entries
        if e.obj.spec is not None
        and e.obj.status is not None
        and e.obj.status.status
        and not e.obj.metadata.owner_references
    ]
    return sorted(found, key=lambda e: e.key.name)


def _adopt(
    source: dict[str, Any], cache: CachePlan, existing: Sequence[Entry[AIMArtifact]]
) -> Entry[AIMArtifact] | None:
    """The best existing artifact for a source: same ``sourceUri`` and a storage class the cache
    accepts (any when the cache has none); best status, the first on ties. Dedicated caches never
    adopt (they accept only artifacts they own, and aimctl's inputs own none)."""
    if cache.mode != "Shared":
        return None
    best: Entry[AIMArtifact] | None = None
    for entry in existing:
        spec = entry.obj.spec
        if spec is None or spec.source_uri != source["sourceUri"]:  # adoptable: has a spec
            continue
        if cache.storage_class and cache.storage_class != (spec.storage_class_name or ""):
            continue
        if best is None or _rank(entry) > _rank(best):
            best = entry
    return best


def _rank(entry: Entry[AIMArtifact]) -> int:
    status = entry.obj.status
    return _STATUS_RANK.get(str(status.status), 0) if status is not None else 0


def _adopted(
    entry: Entry[Any], model_id: str, cache: CachePlan
) -> tuple[CachedArtifact, Diagnostic | None]:
    """The cache's status entry for an adopted artifact: its status PVC, else the PVC its
    controller creates; an artifact that is not Ready keeps the cache (and the service) waiting."""
    name, status = entry.key.name, entry.obj.status
    uid = entry.obj.metadata.uid or stand_in_uid(
        AIM_API_VERSION, "AIMArtifact", cache.namespace, name
    )
    claim = status.persistent_volume_claim or pvc_name(name, uid)
    problem = None
    if status.status != "Ready":
        problem = entry_error(
            "E_ARTIFACT_NOT_READY",
            entry,
            ("status", "status"),
            f"AIMArtifact {cache.namespace}/{name} is {status.status}; template cache {cache.name} "
            "reuses it and is not Ready until it is, so the operator creates no InferenceService",
        )
    return CachedArtifact(name, model_id, claim), problem


def plan_cache_artifacts(
    owner: Entry[Any],
    template: TemplateView,
    cache: CachePlan,
    config: RuntimeConfig,
    existing: Sequence[Entry[AIMArtifact]] = (),
) -> list[Diagnostic]:
    """What a template cache does with its template's sources (§4.8; aimtemplatecache
    ComposeState/PlanResources): a Shared cache reuses a matching existing artifact; it creates
    artifacts for the sources still missing, ``template.index`` counting along that missing list;
    its status lists one artifact per modelId, a later source replacing an earlier one."""
    problems: list[Diagnostic] = []
    missing = 0
    for index, source in enumerate(template.status.get("modelSources") or []):
        model_id = str(source["modelId"])
        found = _adopt(source, cache, existing)
        if found is not None:
            cache.mounts[model_id], problem = _adopted(found, model_id, cache)
            if problem is not None:
                problems.append(problem)
            continue
        artifact, problem = _plan_artifact(owner, template, cache, config, missing, source, index)
        missing += 1
        if problem is not None:
            problems.append(problem)
        elif artifact is not None:
            cache.artifacts.append(artifact)
            cache.mounts[model_id] = CachedArtifact(artifact.name, model_id, artifact.pvc_name)
    return problems


def _headroom(config: RuntimeConfig) -> int:
    value = config.value("storage.pvcHeadroomPercent")
    return 10 if value is None else int(value)


def pvc_size_problem(
    size_bytes: int, config: RuntimeConfig, entry: Entry[Any], field: FieldPath
) -> Diagnostic | None:
    """The artifact's PVC request (size plus headroom, §4.9) as the API server needs it: more
    than zero and at most int64. The operator computes it in float64 and converts to int64,
    which for a larger product gives a value the API server refuses; a negative deprecated
    ``pvcHeadroomPercent`` can make it zero or less."""
    headroom = _headroom(config)
    if 0 < pvc_bytes(size_bytes, headroom) <= INT64_MAX:
        return None
    decision = config.settings.get("storage.pvcHeadroomPercent")
    message = (
        f"with pvcHeadroomPercent {headroom} the PVC would request "
        f"{pvc_bytes(size_bytes, headroom)} bytes; the API server accepts 1 byte to {INT64_MAX}"
    )
    if headroom < 0 and decision is not None and decision.winner.file is not None:
        origin = decision.winner
        return Diagnostic(
            "E_PVC_SIZE",
            message,
            file=origin.file,
            doc=origin.doc,
            field=origin.field,
            resource=origin.resource,
        )
    return entry_error("E_PVC_SIZE", entry, field, message)


def _plan_artifact(
    service: Entry[AIMService],
    template: TemplateView,
    cache: CachePlan,
    config: RuntimeConfig,
    index: int,
    source: dict[str, Any],
    source_index: int,
) -> tuple[ArtifactPlan | None, Diagnostic | None]:
    """One artifact of a template cache (§4.8) and what the artifact controller creates (§4.9);
    ``index`` is its place among the sources the cache creates artifacts for (its
    ``template.index`` label), ``source_index`` its place in the template's sources."""
    uri = source["sourceUri"]
    size = source.get("size")
    if not size or parse_quantity(str(size)) <= 0:
        where = template.entry or service
        return None, Diagnostic(
            "E_SIZE_UNKNOWN",
            f"model source {uri} of template {template.display()} has no size; the operator would run "
            "a check-size Job, which aimctl cannot do offline",
            file=where.file,
            doc=where.doc,
            field=("status" if template.frozen else "spec", "modelSources", source_index, "size"),
            resource=where.key,
            hint="set modelSources[].size (e.g. 16Gi)",
        )
    where = template.entry or service
    size_field = ("status" if template.frozen else "spec", "modelSources", source_index, "size")
    too_large = pvc_size_problem(quantity_bytes(str(size)), config, where, size_field)
    if too_large is not None:
        return None, too_large
    env = merge_env_vars(cache.env, list(source.get("env") or []))
    dedicated = cache.name if cache.mode == "Dedicated" else None
    name = artifact_name(uri, env, cache.storage_class, dedicated)
    labels = _propagate(
        cache.labels,
        {
            "template-created": "true",
            "aim.eai.amd.com/template.name": template.name,
            # the cache's spec.templateScope as written (e.g. Unknown), not where the template was found
            "aim.eai.amd.com/template.scope": cache.template_scope,
            "aim.eai.amd.com/template.index": str(index),
            "aim.eai.amd.com/template-cache.name": label_value(cache.name),
        },
        config,
    )
    labels = _with_controller(
        labels, "aim-template-cache-controller", "aim.eai.amd.com/template-cache.name", cache.name
    )
    artifact = ArtifactSpec(
        name=name,
        namespace=cache.namespace,
        uid=stand_in_uid(AIM_API_VERSION, "AIMArtifact", cache.namespace, name),
        source_uri=uri,
        model_id=source["modelId"],
        size=str(size),
        env=env,
        storage_class=cache.storage_class,
        runtime_config_name=cache.runtime_config_name,
        labels=labels,
    )
    return plan_artifact_children(artifact, config, index), None


@slot_init
@dataclass(frozen=True, slots=True)
class ArtifactSpec:
    """What an AIMArtifact says, whoever wrote it (a template cache or the user)."""

    name: str
    namespace: str
    uid: str
    source_uri: str
    model_id: str
    size: str
    env: list[dict[str, Any]]
    storage_class: str
    runtime_config_name: str
    labels: dict[str, str]
    download_image: str = DOWNLOAD_IMAGE
    image_pull_secrets: list[dict[str, Any]] | None = None


def plan_artifact_children(art: ArtifactSpec, config: RuntimeConfig, index: int) -> ArtifactPlan:
    """PVC, download Job and RoleBinding of one artifact, with the artifact's merged runtime config
    deciding storage class, headroom, env and label propagation (§3.6, §4.9, §6)."""
    name, ns, labels = art.name, art.namespace, art.labels
    size_bytes = quantity_bytes(art.size)
    pvc_labels = {"aim.eai.amd.com/cache.name": name}
    if labels.get("template-created") == "true":
        pvc_labels["aim.eai.amd.com/cache.type"] = "template-cache"
    pvc_labels["aim.eai.amd.com/source-model"] = label_value(art.source_uri.split("://", 1)[-1])
    pvc_labels = _with_controller(
        _propagate(labels, pvc_labels, config),
        "aim-artifact-controller",
        "aim.eai.amd.com/artifact.name",
        name,
    )
    job_builder = {
        "aim.eai.amd.com/cache.name": name,
        "aim.eai.amd.com/cache.type": "artifact",
        "aim.eai.amd.com/component": "download",
    }
    job_pod = _propagate(labels, job_builder, config)
    job_labels = _with_controller(
        job_pod, "aim-artifact-controller", "aim.eai.amd.com/artifact.name", name
    )
    job_pod.setdefault("aim.eai.amd.com/artifact.name", name)
    storage_class = art.storage_class or str(config.value("storage.defaultStorageClassName") or "")
    defaults = [
        {"name": "AIM_DOWNLOADER_PROTOCOL", "value": "XET,HF_TRANSFER"},
        {"name": "TMPDIR", "value": "/tmp/"},
        {"name": "HF_HOME", "value": "/tmp/.hf"},
        {"name": "EXPECTED_SIZE_BYTES", "value": str(size_bytes)},
        {"name": "MOUNT_PATH", "value": "/cache"},
        {"name": "ARTIFACT_NAME", "value": name},
        {"name": "ARTIFACT_NAMESPACE", "value": ns},
        {"name": "STALL_TIMEOUT", "value": "120"},
        {"name": "TARGET_DIR", "value": "/cache"},
    ]
    return ArtifactPlan(
        name=name,
        namespace=ns,
        uid=art.uid,
        index=index,
        source_uri=art.source_uri,
        model_id=art.model_id,
        size=art.size,
        size_bytes=size_bytes,
        env=art.env,
        storage_class=art.storage_class,
        runtime_config_name=art.runtime_config_name,
        labels=labels,
        pvc_name=pvc_name(name, art.uid),
        pvc_size=pvc_size(size_bytes, _headroom(config)),
        pvc_storage_class=storage_class or None,
        pvc_labels=pvc_labels,
        job_name=download_job_name(name, art.uid),
        job_env=merge_env_vars(merge_env_vars(defaults, config.env), art.env),
        job_labels=job_labels,
        job_pod_labels=job_pod,
        binding_labels=_with_controller(
            _propagate(labels, {}, config),
            "aim-artifact-controller",
            "aim.eai.amd.com/artifact.name",
            name,
        ),
        download_image=art.download_image,
        image_pull_secrets=art.image_pull_secrets,
    )
