"""The InferenceService's own choices (operator-behaviour.md §4.1): annotations, volumes and their
mount paths, the autoscaling block, and the pod fields copied from the service.

Each choice is made here, once, and recorded as a ``Decision`` so ``explain`` shows it; rendering
only maps the resulting ``IsvcPlan`` onto the template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aimctl.catalog import Entry
from aimctl.model import AIMService, AIMServiceSpec
from aimctl.provenance import Decision, Origin, Scope
from aimctl.resolve.caching import CachePlan
from aimctl.resolve.customprofile import VOLUME_NAME, CustomProfile
from aimctl.resolve.fields import origin_of, service_spec
from aimctl.resolve.naming import cache_mount_path, cache_volume_name
from aimctl.resolve.quantity import parse_quantity
from aimctl.resolve.templates import TemplateView

__all__ = ["IsvcPlan", "plan_isvc"]


@dataclass(slots=True)
class IsvcPlan:
    """Every InferenceService value that is not a name, label, env or resource."""

    annotations: dict[str, str]
    volume_mounts: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    auto_scaling: dict[str, Any] | None
    """None: no ``autoScaling`` key; ``{}`` when the service wrote an empty block."""
    service_account_name: str | None
    priority_class_name: str | None
    image_pull_secrets: list[dict[str, Any]] | None
    node_affinity: dict[str, Any] | None


def _is_quantity(value: Any) -> bool:
    try:
        parse_quantity(str(value))
    except (ValueError, ArithmeticError):
        return False
    return True


def copied_metric(metric: dict[str, Any]) -> dict[str, Any]:
    """One AIM autoscaling metric as the operator copies it into the ISVC (§4.1): the type; for a
    PodMetric the backend and the set source fields, the target type, the value and averageValue
    only when each is a valid quantity, and averageUtilization."""
    out: dict[str, Any] = {"type": metric["type"]}
    pod = metric.get("podmetric")
    if metric["type"] == "PodMetric" and pod:
        src = pod.get("metric") or {}
        copied: dict[str, Any] = {"backend": src.get("backend", "")}
        for key in ("serverAddress", "metricNames", "query", "operationOverTime"):
            if src.get(key):
                copied[key] = src[key]
        tgt = pod.get("target") or {}
        target: dict[str, Any] = {"type": tgt.get("type")}
        for key in ("value", "averageValue"):
            if tgt.get(key) and _is_quantity(tgt[key]):
                target[key] = tgt[key]
        if tgt.get("averageUtilization") is not None:
            target["averageUtilization"] = tgt["averageUtilization"]
        out["podmetric"] = {"metric": copied, "target": target}
    return out


def _annotations(autoscaling: bool, isvc_name: str) -> dict[str, str]:
    if autoscaling:
        return {
            "prometheus.kserve.io/port": "8000",
            "serving.kserve.io/autoscalerClass": "keda",
            "sidecar.opentelemetry.io/inject": f"{isvc_name}-predictor",
        }
    return {"serving.kserve.io/autoscalerClass": "none"}


def _volumes(
    custom: CustomProfile | None, configmap: str, cache: CachePlan | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(mounts, volumes): dshm, the custom profile after it (kserve.go @0c8f85b), then one PVC
    per artifact of the cache's status.artifacts, by artifact name."""
    mounts: list[dict[str, Any]] = [{"name": "dshm", "mountPath": "/dev/shm"}]
    volumes: list[dict[str, Any]] = [
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}
    ]
    if custom is not None:
        mounts.append({"name": VOLUME_NAME, "mountPath": custom.mount_path, "readOnly": True})
        volumes.append({"name": VOLUME_NAME, "configMap": {"name": configmap}})
    mounted = list(cache.mounts.values()) if cache else []
    if len(mounted) > 1:
        mounted.sort(key=lambda a: a.name)
    for art in mounted:
        volume = cache_volume_name(art.name)
        mounts.append({"name": volume, "mountPath": cache_mount_path(art.model_id, volume)})
        volumes.append({"name": volume, "persistentVolumeClaim": {"claimName": art.pvc_name}})
    return mounts, volumes


_FIXED_REPLICAS = Origin(
    Scope.OPERATOR_DEFAULT, rule="no autoScaling, minReplicas or maxReplicas: fixed replicas"
)
_ANNOTATIONS_RULE = (
    "autoscaling: Prometheus port 8000, KEDA autoscaler class, OpenTelemetry sidecar "
    "<isvc>-predictor; fixed replicas: autoscalerClass none"
)
# the same for every service with fixed replicas: one Decision serves them all (its value is a
# copy; each InferenceService gets its own dict)
_FIXED_ANNOTATIONS = Decision(
    "isvc.annotations", _annotations(False, ""), _FIXED_REPLICAS, (), _ANNOTATIONS_RULE
)
_VOLUMES = Origin(
    Scope.OPERATOR_DEFAULT,
    rule="dshm (memory emptyDir, 8Gi), then the custom profile ConfigMap, then one PVC per "
    "template-cache artifact (volume: the artifact name sanitised, '.' -> '-')",
)
_MOUNTS = Origin(
    Scope.OPERATOR_DEFAULT,
    rule="/dev/shm; the custom profile read-only; /workspace/cache/<modelId> path-cleaned "
    "('..' removed; the volume name when the id cleans to nothing)",
)
_METRICS_RULE = (
    "metrics copied from spec.autoScaling (type; PodMetric backend and set source fields, "
    "target value/averageValue only when a valid quantity, averageUtilization); none listed: {}"
)


def _scaling_field(spec: AIMServiceSpec) -> tuple[str, ...]:
    """The field that turned autoscaling on (§4.1): autoScaling, else minReplicas, else max."""
    if spec.auto_scaling is not None:
        return ("spec", "autoScaling")
    if spec.min_replicas is not None:
        return ("spec", "minReplicas")
    return ("spec", "maxReplicas")


def plan_isvc(
    service: Entry[AIMService],
    template: TemplateView,
    isvc_name: str,
    autoscaling: bool,
    metrics: Iterable[dict[str, Any]],
    custom: CustomProfile | None,
    configmap: str,
    cache: CachePlan | None,
) -> tuple[IsvcPlan, dict[str, Decision]]:
    """The InferenceService's values for one service, and a Decision for each choice."""
    spec = service_spec(service)
    annotations = _annotations(autoscaling, isvc_name)
    mounts, volumes = _volumes(custom, configmap, cache)
    decisions = {
        "isvc.volumes": Decision("isvc.volumes", volumes, _VOLUMES),
        "isvc.volumeMounts": Decision("isvc.volumeMounts", mounts, _MOUNTS),
    }
    auto = None
    if not autoscaling:
        decisions["isvc.annotations"] = _FIXED_ANNOTATIONS
    else:
        switched_on = origin_of(service, Scope.SERVICE, _scaling_field(spec))
        decisions["isvc.annotations"] = Decision(
            "isvc.annotations", annotations, switched_on, (), _ANNOTATIONS_RULE
        )
        if spec.auto_scaling is not None:  # then it is what switched autoscaling on
            # KServe's AutoScalingSpec.Metrics is omitempty and the operator fills it only when
            # the service lists metrics: ``autoScaling: {}`` stays ``{}`` (§4.1)
            listed = [copied_metric(m) for m in metrics]
            auto = {"metrics": listed} if listed else {}
            decisions["isvc.autoScaling"] = Decision(
                "isvc.autoScaling", auto, switched_on, (), _METRICS_RULE
            )
    affinity = template.status.get("resolvedNodeAffinity")
    plan = IsvcPlan(
        annotations=annotations,
        volume_mounts=mounts,
        volumes=volumes,
        auto_scaling=auto,
        service_account_name=spec.service_account_name or None,
        priority_class_name=spec.priority_class_name or None,
        image_pull_secrets=[
            s.model_dump(by_alias=True, exclude_none=True) for s in spec.image_pull_secrets
        ]
        if spec.image_pull_secrets
        else None,
        node_affinity=affinity or None,
    )
    return plan, decisions
