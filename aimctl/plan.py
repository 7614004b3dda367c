"""What applying a render changes in the cluster: two renders compared object by object.

``compare`` takes the objects of the base render and of the new one (plain dicts, as
``render_inputs`` returns them) and lists every object added, changed or removed, grouped by
namespace and by the AIMService it belongs to (its ``aim.eai.amd.com/service.name`` label), with
the consequences a reviewer of an inference platform needs and a YAML diff hides:

* ``service-started`` / ``service-restarted`` / ``service-removed``: an InferenceService created,
  its ``spec`` changed (KServe rolls out new pods), or deleted;
* ``cache-added`` / ``cache-replaced`` / ``cache-removed``: a model cache PVC created (its size is
  downloaded), replaced by one with another name (the old one is pruned, the model downloaded
  again) or deleted;
* ``job-run``: a download Job that runs (a new name, or recreated by Flux's force annotation);
* ``immutable-change``: a change the API server refuses on an existing object (a Job's
  ``spec.template``, a PVC's storage class or access modes) unless the profile handles it;
* ``pvc-shrink`` / ``pvc-grow``: a cache PVC whose requested size goes down (refused) or up;
* ``route-changed``: an HTTPRoute or Ingress whose hosts or paths change (clients must follow);
* ``gpus``: a namespace's GPU requests (max replicas x GPUs per pod) that change, against the
  namespace's rendered ResourceQuota; ``gpu-quota-exceeded`` when they no longer fit;
* ``cluster-gpus``: the project's ``cluster.gpus`` changes.

Nothing here reads files or prints; the report formats live in ``aimctl.plan_report``.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

from aimctl.resolve.quantity import parse_quantity
from aimctl.tenants.usage import format_amount

__all__ = [
    "Consequence",
    "GpuUse",
    "ObjectChange",
    "Plan",
    "compare",
]

SERVICE_LABEL: Final = "aim.eai.amd.com/service.name"
_SOURCE_LABEL: Final = "aim.eai.amd.com/source-model"
_DEVICE_ID_KEY: Final = "amd.com/gpu.device-id"
_FLUX_FORCE: Final = "kustomize.toolkit.fluxcd.io/force"
_FLUX_SSA: Final = "kustomize.toolkit.fluxcd.io/ssa"
_ARGOCD_SYNC: Final = "argocd.argoproj.io/sync-options"
_MAX_FIELDS: Final = 8  # changed field paths listed per object
_FIELD_DEPTH: Final = 4  # path components kept per changed field

# severities, worst last
INFO: Final = "info"
WARNING: Final = "warning"
DANGER: Final = "danger"


@dataclass(frozen=True, slots=True)
class ObjectChange:
    action: str  # added | changed | removed
    api_version: str
    kind: str
    namespace: str
    name: str
    service: str  # "" when the object belongs to no AIMService
    fields: tuple[str, ...] = ()  # changed field paths (changed objects only)


@dataclass(frozen=True, slots=True)
class Consequence:
    type: str
    severity: str
    namespace: str
    service: str
    message: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GpuUse:
    namespace: str
    before: Fraction
    after: Fraction
    quota: Fraction | None  # the namespace's rendered ResourceQuota, after the change
    models: tuple[str, ...]  # GPU models the namespace's services are pinned to, after


@dataclass(slots=True)
class Plan:
    base: str  # what the base is, as the user named it
    changes: list[ObjectChange]
    consequences: list[Consequence]
    gpus: list[GpuUse]
    download_bytes: Fraction = Fraction(0)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    def namespaces(self) -> list[str]:
        found = {c.namespace for c in self.changes} | {c.namespace for c in self.consequences}
        return sorted(found)


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    meta = _meta(obj)
    return (group, str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def _service(obj: dict[str, Any]) -> str:
    labels = _meta(obj).get("labels") or {}
    return str(labels.get(SERVICE_LABEL) or "") if isinstance(labels, dict) else ""


def _annotation(obj: dict[str, Any], key: str) -> str:
    annotations = _meta(obj).get("annotations") or {}
    return str(annotations.get(key) or "") if isinstance(annotations, dict) else ""


def _dig(obj: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _differences(before: Any, after: Any, path: str, out: list[str]) -> None:
    """Field paths (``spec.predictor.containers[0].env``) where the two values differ."""
    if before == after:
        return
    depth = path.count(".") + path.count("[")
    if depth >= _FIELD_DEPTH or type(before) is not type(after):
        out.append(path or "(whole object)")
        return
    if isinstance(before, dict):
        for key in sorted(set(before) | set(after), key=str):
            _differences(before.get(key), after.get(key), f"{path}.{key}" if path else key, out)
    elif isinstance(before, list) and len(before) == len(after):
        for i, (a, b) in enumerate(zip(before, after, strict=True)):
            _differences(a, b, f"{path}[{i}]", out)
    else:
        out.append(path or "(whole object)")


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    _differences(before, after, "", found)
    return tuple(found)


def _size(pvc: dict[str, Any]) -> Fraction | None:
    text = _dig(pvc, "spec", "resources", "requests", "storage")
    try:
        return parse_quantity(str(text)) if text is not None else None
    except (ValueError, ArithmeticError):
        return None


def _size_text(pvc: dict[str, Any]) -> str:
    return str(_dig(pvc, "spec", "resources", "requests", "storage") or "unknown size")


def gib(value: Fraction) -> str:
    """Bytes as GiB for people: ``68 GiB``, ``0.5 GiB``."""
    amount = value / 2**30
    return f"{amount.numerator} GiB" if amount.denominator == 1 else f"{float(amount):.1f} GiB"


def _consequence(
    obj: dict[str, Any], type_: str, severity: str, message: str, **facts: Any
) -> Consequence:
    meta = _meta(obj)
    return Consequence(
        type_, severity, str(meta.get("namespace") or ""), _service(obj), message, facts
    )


def _name(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("name"))


# -- caches -------------------------------------------------------------------------------------


def _cache_consequences(
    added: list[dict[str, Any]], removed: list[dict[str, Any]]
) -> tuple[list[Consequence], Fraction]:
    """New PVCs paired with the PVCs they replace (same namespace, service and source model)."""
    out: list[Consequence] = []
    download = Fraction(0)

    def pair_key(pvc: dict[str, Any]) -> tuple[str, str, str]:
        labels = _meta(pvc).get("labels") or {}
        source = str(labels.get(_SOURCE_LABEL) or "") if isinstance(labels, dict) else ""
        return (str(_meta(pvc).get("namespace") or ""), _service(pvc), source)

    old_by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for pvc in removed:
        old_by_key[pair_key(pvc)].append(pvc)
    for pvc in added:
        size = _size(pvc)
        download += size or 0
        olds = old_by_key.get(pair_key(pvc))
        old = olds.pop(0) if olds else None
        if old is not None:
            out.append(
                _consequence(
                    pvc,
                    "cache-replaced",
                    DANGER,
                    f"cache PVC {_name(old)} is replaced by {_name(pvc)}: the model is downloaded "
                    f"again ({_size_text(pvc)}); the old PVC and its data go when the engine prunes",
                    old=_name(old),
                    new=_name(pvc),
                    size=_size_text(pvc),
                    bytes=int(size or 0),
                )
            )
        else:
            out.append(
                _consequence(
                    pvc,
                    "cache-added",
                    WARNING,
                    f"new cache PVC {_name(pvc)}: {_size_text(pvc)} to download",
                    new=_name(pvc),
                    size=_size_text(pvc),
                    bytes=int(size or 0),
                )
            )
    for olds in old_by_key.values():
        for old in olds:
            out.append(
                _consequence(
                    old,
                    "cache-removed",
                    WARNING,
                    f"cache PVC {_name(old)} ({_size_text(old)}) and its data go when the engine prunes",
                    old=_name(old),
                    size=_size_text(old),
                )
            )
    return out, download


def _pvc_changed(before: dict[str, Any], after: dict[str, Any]) -> list[Consequence]:
    out = []
    if _annotation(after, _FLUX_SSA) == "IfNotPresent":
        return [
            _consequence(
                after,
                "pvc-not-updated",
                INFO,
                f"PVC {_name(after)} is created once (Flux ssa: IfNotPresent): the change is not "
                "applied to the existing claim",
            )
        ]
    size_ignored = "RespectIgnoreDifferences=true" in _annotation(after, _ARGOCD_SYNC)
    old, new = _size(before), _size(after)
    if old is not None and new is not None and old != new and not size_ignored:
        shrink = new < old
        out.append(
            _consequence(
                after,
                "pvc-shrink" if shrink else "pvc-grow",
                DANGER if shrink else WARNING,
                f"PVC {_name(after)}: storage {_size_text(before)} -> {_size_text(after)}"
                + (
                    ": the API server refuses to shrink a claim"
                    if shrink
                    else ": needs a storage class with allowVolumeExpansion"
                ),
                before=_size_text(before),
                after=_size_text(after),
            )
        )
    for path, what in (
        (("spec", "storageClassName"), "storageClassName"),
        (("spec", "accessModes"), "accessModes"),
    ):
        if _dig(before, *path) != _dig(after, *path):
            out.append(
                _consequence(
                    after,
                    "immutable-change",
                    DANGER,
                    f"PVC {_name(after)}: {what} {_dig(before, *path)} -> {_dig(after, *path)} "
                    "cannot change on an existing claim; the apply is refused",
                    field=f"spec.{what}",
                )
            )
    return out


# -- jobs ---------------------------------------------------------------------------------------


def _job_consequences(
    added: list[dict[str, Any]], removed: list[dict[str, Any]], changed: list[tuple[Any, Any]]
) -> list[Consequence]:
    out = []
    caches_before = {(_meta(j).get("namespace"), _cache_label(j)) for j in removed}
    for job in added:
        again = (_meta(job).get("namespace"), _cache_label(job)) in caches_before
        out.append(
            _consequence(
                job,
                "job-run",
                WARNING,
                f"Job {_name(job)} runs" + (" again (its pod template changed)" if again else ""),
                job=_name(job),
            )
        )
    for before, after in changed:
        if _dig(before, "spec", "template") == _dig(after, "spec", "template"):
            continue
        if _annotation(after, _FLUX_FORCE) == "Enabled":
            out.append(
                _consequence(
                    after,
                    "job-run",
                    WARNING,
                    f"Job {_name(after)} is recreated (Flux force) and runs again",
                    job=_name(after),
                )
            )
        else:
            out.append(
                _consequence(
                    after,
                    "immutable-change",
                    DANGER,
                    f"Job {_name(after)}: spec.template is immutable; the apply is refused "
                    "while the old Job exists (render with --gitops argocd or flux)",
                    field="spec.template",
                )
            )
    return out


def _cache_label(job: dict[str, Any]) -> str:
    labels = _meta(job).get("labels") or {}
    return str(labels.get("aim.eai.amd.com/cache.name") or "") if isinstance(labels, dict) else ""


# -- inference services and routes --------------------------------------------------------------


def _service_consequences(
    added: list[dict[str, Any]], removed: list[dict[str, Any]], changed: list[tuple[Any, Any]]
) -> list[Consequence]:
    out = []
    for isvc in added:
        out.append(
            _consequence(
                isvc, "service-started", WARNING, f"InferenceService {_name(isvc)} is created"
            )
        )
    for isvc in removed:
        out.append(
            _consequence(
                isvc,
                "service-removed",
                DANGER,
                f"InferenceService {_name(isvc)} is deleted: the service stops serving",
            )
        )
    for before, after in changed:
        fields = _changed_fields(before.get("spec") or {}, after.get("spec") or {})
        if not fields:
            continue
        shown = ", ".join(f"spec.{f}" for f in fields[:3]) + (", ..." if len(fields) > 3 else "")
        out.append(
            _consequence(
                after,
                "service-restarted",
                WARNING,
                f"InferenceService {_name(after)} restarts (new pods roll out): {shown} changed",
                fields=[f"spec.{f}" for f in fields],
            )
        )
    return out


def _route_endpoints(obj: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(hosts, paths) of an HTTPRoute or an Ingress."""
    spec = obj.get("spec") or {}
    hosts: list[str] = []
    paths: list[str] = []
    if obj.get("kind") == "HTTPRoute":
        hosts = [str(h) for h in spec.get("hostnames") or []]
        for rule in spec.get("rules") or []:
            for match in (rule or {}).get("matches") or []:
                value = _dig(match, "path", "value")
                if value is not None:
                    paths.append(str(value))
    else:
        for rule in spec.get("rules") or []:
            if (rule or {}).get("host"):
                hosts.append(str(rule["host"]))
            for item in _dig(rule, "http", "paths") or []:
                if isinstance(item, dict) and item.get("path") is not None:
                    paths.append(str(item["path"]))
    return sorted(set(hosts)), sorted(set(paths))


def _route_consequences(
    added: list[dict[str, Any]], removed: list[dict[str, Any]], changed: list[tuple[Any, Any]]
) -> list[Consequence]:
    out = []
    for before, after in changed:
        (old_hosts, old_paths), (new_hosts, new_paths) = (
            _route_endpoints(before),
            _route_endpoints(after),
        )
        parts, dropped = [], False
        for what, olds, news in (("paths", old_paths, new_paths), ("hosts", old_hosts, new_hosts)):
            gone = [v for v in olds if v not in news]
            came = [v for v in news if v not in olds]
            dropped = dropped or bool(gone)
            if gone:
                parts.append(f"{what} removed {_listed(gone)}")
            if came:
                parts.append(f"{what} added {_listed(came)}")
        if parts:
            out.append(
                _consequence(
                    after,
                    "route-changed",
                    DANGER if dropped else WARNING,
                    f"{after.get('kind')} {_name(after)}: {'; '.join(parts)}"
                    + (" (clients of the removed ones must follow)" if dropped else ""),
                    hostsBefore=old_hosts,
                    hostsAfter=new_hosts,
                    pathsBefore=old_paths,
                    pathsAfter=new_paths,
                )
            )
    for obj, what in [(o, "added") for o in added] + [(o, "removed") for o in removed]:
        hosts, paths = _route_endpoints(obj)
        out.append(
            _consequence(
                obj,
                "route-changed",
                WARNING if what == "added" else DANGER,
                f"{obj.get('kind')} {_name(obj)} is {what}: paths {_listed(paths)}"
                + (f", hosts {_listed(hosts)}" if hosts else ""),
                hostsBefore=hosts if what == "removed" else [],
                hostsAfter=hosts if what == "added" else [],
                pathsBefore=paths if what == "removed" else [],
                pathsAfter=paths if what == "added" else [],
            )
        )
    return out


def _listed(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]" if values else "[]"


# -- GPUs ---------------------------------------------------------------------------------------


def _per_pod_gpus(isvc: dict[str, Any]) -> Fraction:
    total = Fraction(0)
    for container in _dig(isvc, "spec", "predictor", "containers") or []:
        resources = (container or {}).get("resources") or {}
        for section in ("requests", "limits"):
            amounts = {k: v for k, v in (resources.get(section) or {}).items() if "gpu" in k}
            if amounts:
                for value in amounts.values():
                    with contextlib.suppress(ValueError, ArithmeticError):
                        total += parse_quantity(str(value))
                break
    return total


def _replicas(isvc: dict[str, Any]) -> int:
    predictor = _dig(isvc, "spec", "predictor") or {}
    for key in ("maxReplicas", "minReplicas"):
        value = predictor.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return 1


def _gpu_models(isvc: dict[str, Any]) -> set[str]:
    from aimctl.resolve.gpu import model_for_device_id

    terms = _dig(
        isvc,
        "spec",
        "predictor",
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "nodeSelectorTerms",
    )
    models = set()
    for term in terms or []:
        for expression in (term or {}).get("matchExpressions") or []:
            if (expression or {}).get("key") == _DEVICE_ID_KEY:
                for device in expression.get("values") or []:
                    model = model_for_device_id(str(device))
                    if model:
                        models.add(model)
    return models


def _gpus_by_namespace(objects: Iterable[dict[str, Any]]) -> dict[str, Fraction]:
    used: dict[str, Fraction] = defaultdict(Fraction)
    for obj in objects:
        if obj.get("kind") == "InferenceService":
            used[str(_meta(obj).get("namespace") or "")] += _per_pod_gpus(obj) * _replicas(obj)
    return used


def _gpu_quota(objects: Iterable[dict[str, Any]]) -> dict[str, Fraction]:
    quota: dict[str, Fraction] = {}
    for obj in objects:
        if obj.get("kind") != "ResourceQuota":
            continue
        hard = _dig(obj, "spec", "hard") or {}
        for key, value in hard.items():
            if key.startswith("requests.") and "gpu" in key:
                namespace = str(_meta(obj).get("namespace") or "")
                with contextlib.suppress(ValueError, ArithmeticError):
                    quota[namespace] = quota.get(namespace, Fraction(0)) + parse_quantity(
                        str(value)
                    )
    return quota


def _gpu_uses(
    before: list[dict[str, Any]], after: list[dict[str, Any]], namespaces: set[str]
) -> tuple[list[GpuUse], list[Consequence]]:
    """GPU facts for the namespaces with changes; a consequence when the requests change, or
    when they no longer fit the quota (more GPUs, or a smaller quota)."""
    old, new = _gpus_by_namespace(before), _gpus_by_namespace(after)
    quota_before, quota = _gpu_quota(before), _gpu_quota(after)
    models: dict[str, set[str]] = defaultdict(set)
    for obj in after:
        if obj.get("kind") == "InferenceService":
            models[str(_meta(obj).get("namespace") or "")] |= _gpu_models(obj)
    uses, out = [], []
    for namespace in sorted(namespaces | set(old) | set(new)):
        a, b = old.get(namespace, Fraction(0)), new.get(namespace, Fraction(0))
        limit, old_limit = quota.get(namespace), quota_before.get(namespace)
        if a == b and namespace not in namespaces:
            continue
        uses.append(GpuUse(namespace, a, b, limit, tuple(sorted(models.get(namespace, ())))))
        exceeded = limit is not None and b > limit
        if a == b and not exceeded:
            continue
        of = ""
        if limit is not None:
            of = f" of the quota's {format_amount(limit, 'count')}"
            if old_limit is not None and old_limit != limit:
                of += f" (was {format_amount(old_limit, 'count')})"
        out.append(
            Consequence(
                "gpu-quota-exceeded" if exceeded else "gpus",
                DANGER if exceeded else INFO,
                namespace,
                "",
                f"GPUs requested at full scale: {format_amount(a, 'count')} -> "
                f"{format_amount(b, 'count')}{of}"
                + (": pods beyond the quota stay Pending" if exceeded else ""),
                {"before": _number(a), "after": _number(b), "quota": _number(limit)},
            )
        )
    return uses, out


def _number(value: Fraction | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value.denominator == 1 else float(value)


# -- the comparison -----------------------------------------------------------------------------


def compare(
    base: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    cluster_gpus: tuple[tuple[str, ...] | None, tuple[str, ...] | None] = (None, None),
) -> Plan:
    """The plan from ``before`` to ``after`` (both renders of the same command options)."""
    old = {_key(o): o for o in before}
    new = {_key(o): o for o in after}
    changes: list[ObjectChange] = []
    added: dict[str, list[dict[str, Any]]] = defaultdict(list)
    removed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    changed: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for key in sorted(set(old) | set(new), key=lambda k: (k[2], k[1], k[3], k[0])):
        a, b = old.get(key), new.get(key)
        obj = b if b is not None else a
        assert obj is not None
        kind = key[1]
        entry = (str(obj.get("apiVersion") or ""), kind, key[2], key[3], _service(obj))
        if a is None:
            changes.append(ObjectChange("added", *entry))
            added[kind].append(obj)
        elif b is None:
            changes.append(ObjectChange("removed", *entry))
            removed[kind].append(obj)
        elif a != b:
            fields = _changed_fields(a, b)
            shown = fields[:_MAX_FIELDS] + (("...",) if len(fields) > _MAX_FIELDS else ())
            changes.append(ObjectChange("changed", *entry, fields=shown))
            changed[kind].append((a, b))
    consequences: list[Consequence] = []
    consequences += _service_consequences(
        added["InferenceService"], removed["InferenceService"], changed["InferenceService"]
    )
    caches, download = _cache_consequences(
        added["PersistentVolumeClaim"], removed["PersistentVolumeClaim"]
    )
    consequences += caches
    for before_pvc, after_pvc in changed["PersistentVolumeClaim"]:
        consequences += _pvc_changed(before_pvc, after_pvc)
    consequences += _job_consequences(added["Job"], removed["Job"], changed["Job"])
    for kind in ("HTTPRoute", "Ingress"):
        consequences += _route_consequences(added[kind], removed[kind], changed[kind])
    touched = {c.namespace for c in changes}
    gpus, gpu_consequences = _gpu_uses(before, after, touched)
    consequences += gpu_consequences
    if cluster_gpus[0] != cluster_gpus[1]:
        gpu_lists = [", ".join(g) if g is not None else "any" for g in cluster_gpus]
        consequences.append(
            Consequence(
                "cluster-gpus",
                WARNING,
                "",
                "",
                f"cluster.gpus: {gpu_lists[0]} -> {gpu_lists[1]} (templates for other GPUs are "
                "NotAvailable; services pick again)",
                {"before": cluster_gpus[0], "after": cluster_gpus[1]},
            )
        )
    rank = {DANGER: 0, WARNING: 1, INFO: 2}
    consequences.sort(key=lambda c: (c.namespace, c.service, rank[c.severity], c.type, c.message))
    return Plan(base, changes, consequences, gpus, download)
