"""Resolve one AIMService completely, in the operator's order (§12.2), keeping the trace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aimctl.catalog import Catalog, Entry, entry_error
from aimctl.errors import Diagnostic, Severity
from aimctl.model import AIM_API_VERSION, AIMArtifact, AIMService
from aimctl.provenance import Decision, Origin, Scope
from aimctl.resolve.caching import (
    CachePlan,
    adoptable_artifacts,
    caching_mode,
    label_value,
    plan_cache,
)
from aimctl.resolve.customprofile import (
    CustomProfile,
    assemble_custom_profile,
    service_configmap_name,
)
from aimctl.resolve.derived import derived_template
from aimctl.resolve.env import build_isvc_env
from aimctl.resolve.fields import origin_of, service_spec
from aimctl.resolve.gpu import device_ids_for_model
from aimctl.resolve.inventory import GpuInventory
from aimctl.resolve.isvc import IsvcPlan, plan_isvc
from aimctl.resolve.labels import propagate_labels
from aimctl.resolve.model import ResolvedModel, resolve_model
from aimctl.resolve.naming import (
    NamespaceTooLongError,
    httproute_name,
    isvc_name,
    stand_in_uid,
)
from aimctl.resolve.resources import build_resources
from aimctl.resolve.routing import (
    RouteSettings,
    resolve_routing,
    routing_precheck,
    status_reference,
)
from aimctl.resolve.runtime_config import RuntimeConfig, resolve_runtime_config
from aimctl.resolve.selection import Selection, select_template
from aimctl.resolve.templates import NEEDS_DISCOVERY, TemplateIndex, TemplateView

__all__ = ["ResolveContext", "ResolvedService", "Scaling", "resolve_service"]


@dataclass(slots=True)
class Scaling:
    autoscaling: bool
    min_replicas: int
    max_replicas: int
    metrics: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class ResolvedService:
    """Everything the operator would compute for one service, with provenance."""

    entry: Entry[AIMService]
    uid: str
    uid_is_stand_in: bool
    config: RuntimeConfig | None = None
    model: ResolvedModel | None = None
    selection: Selection | None = None
    route: RouteSettings | None = None
    isvc_name: str = ""
    route_name: str = ""
    env: list[dict[str, Any]] = field(default_factory=list)
    resources: dict[str, dict[str, str]] = field(default_factory=dict)
    cache: CachePlan | None = None
    scaling: Scaling | None = None
    isvc_labels: dict[str, str] = field(default_factory=dict)
    route_labels: dict[str, str] = field(default_factory=dict)
    derived_template: dict[str, Any] | None = None
    custom_profile: CustomProfile | None = None
    """Operator 0.2.2: the template's customProfile, rendered as a service-owned ConfigMap."""
    custom_profile_configmap: str = ""
    custom_profile_labels: dict[str, str] = field(default_factory=dict)
    isvc: IsvcPlan | None = None
    """The InferenceService's annotations, volumes, autoscaling block and pod fields."""
    decisions: dict[str, Decision] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def template(self) -> TemplateView | None:
        return self.selection.template if self.selection else None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def namespace(self) -> str:
        return self.entry.key.namespace or ""

    @property
    def name(self) -> str:
        return self.entry.key.name


def _propagate(
    service: Entry[AIMService], child: dict[str, str], config: RuntimeConfig
) -> dict[str, str]:
    enabled, patterns = config.label_policy()
    return propagate_labels(service.obj.metadata.labels or {}, child, enabled, patterns)


def _scaling(service: Entry[AIMService]) -> Scaling:
    """Fixed replicas, or KEDA autoscaling when any of autoScaling/min/max is set (§4.1)."""
    spec = service_spec(service)
    if (
        spec.auto_scaling is not None
        or spec.min_replicas is not None
        or spec.max_replicas is not None
    ):
        low = spec.min_replicas or 1
        high = spec.max_replicas or spec.min_replicas or 1
        metrics = []
        for metric in (spec.auto_scaling.metrics if spec.auto_scaling else None) or []:
            metrics.append(metric.model_dump(by_alias=True, exclude_none=True))
        return Scaling(True, low, high, metrics)
    replicas = spec.replicas if spec.replicas is not None else 1
    return Scaling(False, replicas, replicas)


@dataclass(slots=True)
class ResolveContext:
    """What services of one render share: merged runtime configs and Shared template caches."""

    configs: dict[tuple[str | None, str], RuntimeConfig] = field(default_factory=dict)
    shared_caches: dict[tuple[str, str], CachePlan] = field(default_factory=dict)
    artifacts: dict[str, list[Entry[AIMArtifact]]] | None = (
        None  # adoptable AIMArtifacts by namespace
    )

    def existing_artifacts(self, catalog: Catalog, namespace: str) -> list[Entry[AIMArtifact]]:
        """The namespace's AIMArtifacts a Shared cache may reuse (indexed once per render)."""
        if self.artifacts is None:
            self.artifacts = {}
            for entry in adoptable_artifacts(catalog.entries(AIMArtifact)):
                self.artifacts.setdefault(entry.key.namespace or "", []).append(entry)
        return self.artifacts.get(namespace, [])

    def runtime_config(
        self, catalog: Catalog, requester: Entry[Any]
    ) -> tuple[RuntimeConfig, list[Diagnostic]]:
        """The merged config by (namespace, name), merged once per render (§2.5, §3.1).
        ``requester``: a service, template, template cache or artifact with a spec (each kind
        has ``runtimeConfigName``)."""
        name = (requester.obj.spec.runtime_config_name or "").strip() or "default"
        key = (requester.key.namespace, name)
        cached = self.configs.get(key)
        if cached is not None:
            return cached, []
        config, problems = resolve_runtime_config(catalog, requester.key.namespace, name, requester)
        if not problems:
            self.configs[key] = config
        return config, problems


def resolve_service(
    catalog: Catalog,
    index: TemplateIndex,
    inventory: GpuInventory,
    service: Entry[AIMService],
    context: ResolveContext | None = None,
) -> ResolvedService:
    """Runtime config, routing pre-check, model, template, then every child's values."""
    meta_uid = service.obj.metadata.uid
    uid = meta_uid or stand_in_uid(
        AIM_API_VERSION, "AIMService", service.key.namespace or "", service.key.name
    )
    result = ResolvedService(service, uid, meta_uid is None)
    spec = service.obj.spec
    if spec is None:
        result.diagnostics.append(
            entry_error("E_SCHEMA", service, ("spec",), "spec is required to render a service")
        )
        return result
    context = context if context is not None else ResolveContext()
    config, problems = context.runtime_config(catalog, service)
    result.config = config
    result.diagnostics += problems
    if problems:
        return result
    try:
        result.isvc_name = isvc_name(service.key.name, result.namespace)
    except NamespaceTooLongError as exc:
        result.diagnostics.append(
            entry_error("E_NAMESPACE_TOO_LONG", service, ("metadata", "namespace"), str(exc))
        )
        return result
    result.route_name = httproute_name(service.key.name, result.namespace)
    problems = routing_precheck(service, config)
    if problems:
        result.diagnostics += problems
        return result
    model, problems = resolve_model(catalog, service)
    result.model = model
    result.diagnostics += problems
    if model is None:
        return result
    _record_model(result, model)
    if model.manifest is not None:
        labels = _propagate(service, dict(model.obj.metadata.labels or {}), config)
        labels.setdefault("app.kubernetes.io/managed-by", "aim-service-controller")
        labels.setdefault("aim.eai.amd.com/service.name", service.key.name)
        model.manifest["metadata"]["labels"] = dict(sorted(labels.items()))
        index.add_generated("AIMModel", model.name, model.namespace, model.obj.spec, labels)
    blocking = _blocking_template(index, model)
    if blocking is not None:
        result.diagnostics.append(
            entry_error(
                "E_MODEL_NOT_READY",
                service,
                model.field,
                f"{model.display()} is not Ready: its template {blocking.display()} is "
                f"{blocking.state}, and a model is Ready only when all its templates are "
                "(reason ModelNotReady); the operator creates no InferenceService",
            )
        )
    elif model.state != "Ready":
        result.diagnostics.append(
            entry_error(
                "E_MODEL_NOT_READY",
                service,
                model.field,
                f"{model.display()} is {model.state} (status.status); the operator creates no "
                "InferenceService until the model is Ready (reason ModelNotReady)",
            )
        )
    selection, problems = select_template(index, service, model, inventory)
    result.selection = selection
    result.diagnostics += problems
    template = selection.template
    route, problems = resolve_routing(
        service,
        config,
        status_reference(model.name, model.namespace),
        status_reference(template.name, template.namespace) if template else {"name": ""},
        uid,
    )
    result.route = route
    result.diagnostics += problems
    result.decisions.update(route.decisions)
    if template is None or not result.ok:
        return result
    _resolve_children(result, template, config, context, catalog)
    return result


def _blocking_template(index: TemplateIndex, model: ResolvedModel) -> TemplateView | None:
    """A template that keeps the model from being Ready (§4.11): any state but Ready/NotAvailable.

    Templates that would need discovery are assumed to finish it (steady state); only a state
    written in the input (a frozen status) or derived offline can block.
    """
    scope = None if model.kind == "AIMClusterModel" else model.namespace
    for view in index.for_model(scope, model.name):
        if view.state not in ("Ready", "NotAvailable", NEEDS_DISCOVERY):
            return view
    return None


def _written(
    name: str, service: Entry[AIMService], path: tuple[str, ...], value: Any, rule: str
) -> Decision:
    return Decision(name, value, origin_of(service, Scope.SERVICE, path), (), rule)


def _other_decisions(result: ResolvedService, config: RuntimeConfig) -> dict[str, Decision]:
    """Replicas, caching mode, headroom and label propagation, each with where it came from."""
    service, spec, scaling = result.entry, service_spec(result.entry), result.scaling
    assert scaling is not None
    out: dict[str, Decision] = {}
    if scaling.autoscaling:
        out["replicas.min"] = _written(
            "replicas.min",
            service,
            ("spec", "minReplicas"),
            scaling.min_replicas,
            "autoscaling (KEDA): minReplicas, else 1",
        )
        out["replicas.max"] = _written(
            "replicas.max",
            service,
            ("spec", "maxReplicas"),
            scaling.max_replicas,
            "autoscaling (KEDA): maxReplicas, else minReplicas, else 1",
        )
    else:
        out["replicas"] = _written(
            "replicas",
            service,
            ("spec", "replicas"),
            scaling.min_replicas,
            "fixed replicas: spec.replicas (CRD default 1)",
        )
    mode = result.cache.mode if result.cache else "Shared"
    if spec.caching is not None:
        out["cache.mode"] = _written(
            "cache.mode",
            service,
            ("spec", "caching", "mode"),
            mode,
            "Never/Dedicated -> Dedicated; Always/Auto/Shared -> Shared",
        )
    else:
        out["cache.mode"] = Decision("cache.mode", mode, _NO_CACHING_ORIGIN)
    for name in (
        "storage.pvcHeadroomPercent",
        "labelPropagation.enabled",
        "labelPropagation.match",
    ):
        decision = config.settings.get(name)
        if decision is not None:
            out[name] = decision
    if "storage.pvcHeadroomPercent" not in out:
        out["storage.pvcHeadroomPercent"] = _DEFAULT_HEADROOM
    return out


_NO_CACHING_ORIGIN = Origin(Scope.OPERATOR_DEFAULT, rule="no caching block: Shared")
_DEFAULT_HEADROOM = Decision(
    "storage.pvcHeadroomPercent", 10, Origin(Scope.OPERATOR_DEFAULT, rule="PVC headroom 10 %")
)


def _record_model(result: ResolvedService, model: ResolvedModel) -> None:
    origin = origin_of(result.entry, Scope.SERVICE, model.field)
    result.decisions["model"] = Decision("model", model.display(), origin, (), model.how)
    result.decisions["image"] = Decision(
        "image",
        model.image,
        origin_of(model.entry, Scope.MODEL, ("spec", "image"))
        if model.entry
        else Origin(Scope.MODEL, rule=f"auto-created {model.display()}"),
        (),
        "the InferenceService image is always the resolved model's spec.image",
    )


def _no_device_ids(result: ResolvedService, template: TemplateView) -> list[Diagnostic]:
    """A warning when the template's GPU model has no device IDs in operator 0.2.2's table."""
    if "resolvedNodeAffinity" in template.status:  # the common case: nothing to look up
        return []
    hardware = getattr(template.spec, "hardware", None)
    gpu = hardware.gpu if hardware is not None else None
    model = (gpu.model or "").strip() if gpu is not None else ""
    if not model or device_ids_for_model(model):
        return []
    where = template.entry or result.entry
    return [
        Diagnostic(
            "W_NO_DEVICE_IDS",
            f"GPU model {model!r} has no device-ID mapping in operator 0.2.2, so the "
            "InferenceService gets no GPU node affinity (operator ≥ 0.2.4 maps R9700 and W7900 "
            "by device ID; aimctl renders 0.2.2)",
            severity=Severity.WARNING,
            file=where.file,
            doc=where.doc,
            field=("spec", "hardware", "gpu", "model") if template.entry else ("spec",),
            resource=where.key,
        )
    ]


def _custom_profile(
    result: ResolvedService, template: TemplateView
) -> tuple[bool, CustomProfile | None]:
    """(built, the template's custom profile or None); built is False after an error."""
    if getattr(template.spec, "custom_profile", None) is None:
        return True, None
    where = template.entry or result.entry
    built = assemble_custom_profile(template.spec)
    if isinstance(built, str):
        path = ("spec", "customProfile", "engineArgs") if template.entry else ("spec",)
        if template.generated_by:  # the customProfile came from the model's customTemplates[]
            built += f" (template {template.name}, generated by {template.generated_by})"
        result.diagnostics.append(entry_error("E_CUSTOM_PROFILE", where, path, built))
        return False, None
    if not built.exact:
        result.diagnostics.append(
            Diagnostic(
                "W_CUSTOM_PROFILE_BYTES",
                "the custom profile holds a string with a line break or a key over 128 bytes: "
                "the operator's YAML writer uses a literal block or a '? key' there, which aimctl "
                "does not reproduce (same value, other bytes in the ConfigMap)",
                severity=Severity.WARNING,
                file=where.file,
                doc=where.doc,
                field=("spec", "customProfile") if template.entry else ("spec",),
                resource=where.key,
            )
        )
    result.custom_profile = built
    result.custom_profile_configmap = service_configmap_name(result.entry.key.name)
    return True, built


def _resolve_children(
    result: ResolvedService,
    template: TemplateView,
    config: RuntimeConfig,
    context: ResolveContext,
    catalog: Catalog,
) -> None:
    """Every child's values, in the operator's order; stops where the operator would."""
    service = result.entry
    _record_template(result, template)
    if not _has_model_sources(result, template):
        return
    built, custom = _custom_profile(result, template)
    if not built:
        return
    result.diagnostics += _no_device_ids(result, template)
    env, env_decisions, problems = build_isvc_env(service, template, config, custom)
    result.env = env
    result.decisions.update(env_decisions)
    result.diagnostics += problems
    result.resources, res_decisions = build_resources(service, template)
    result.decisions.update(res_decisions)
    _plan_cache(result, template, config, context, catalog)
    result.scaling = scaling = _scaling(service)
    result.decisions.update(_other_decisions(result, config))
    _child_labels(result, template, config, custom is not None)
    _derived(result, template, config)
    result.isvc, isvc_decisions = plan_isvc(
        service,
        template,
        result.isvc_name,
        scaling.autoscaling,
        scaling.metrics,
        custom,
        result.custom_profile_configmap,
        result.cache,
    )
    result.decisions.update(isvc_decisions)


def _record_template(result: ResolvedService, template: TemplateView) -> None:
    selection = result.selection
    result.decisions["template"] = Decision(
        "template",
        template.display(),
        origin_of(result.entry, Scope.SERVICE, selection.field)
        if selection
        else Origin(Scope.SERVICE),
        (),
        selection.how if selection else "",
    )


def _has_model_sources(result: ResolvedService, template: TemplateView) -> bool:
    """False, with an error, when the template lists no model sources: no cache, no ISVC."""
    if template.status.get("modelSources"):
        return True
    service = result.entry
    where = template.entry or service
    result.diagnostics.append(
        entry_error(
            "E_TEMPLATE_NO_MODEL_SOURCES",
            where,
            ("status",) if template.entry is not None else ("spec", "model"),
            f"template {template.display()} has no model sources in its status: the operator "
            f"creates no template cache and therefore no InferenceService for AIMService "
            f"{service.key.namespace}/{service.key.name}",
            "add status.modelSources (with size) to the frozen template, or spec.modelSources",
        )
    )
    return False


def _plan_cache(
    result: ResolvedService,
    template: TemplateView,
    config: RuntimeConfig,
    context: ResolveContext,
    catalog: Catalog,
) -> None:
    service = result.entry
    cache, problems = plan_cache(
        service,
        template,
        config,
        result.uid,
        service.obj.metadata.labels or {},
        context.shared_caches,
        context.existing_artifacts(catalog, result.namespace),
    )
    result.cache = cache
    result.diagnostics += problems
    if cache is not None:
        result.decisions.update(cache.decisions)


def _child_labels(
    result: ResolvedService, template: TemplateView, config: RuntimeConfig, custom: bool
) -> None:
    """The ISVC's, the custom profile ConfigMap's and the HTTPRoute's labels (§4.1, §4.2)."""
    service = result.entry
    meta = template.profile_meta()
    isvc = {
        "app.kubernetes.io/component": "inference",
        "app.kubernetes.io/managed-by": "aim-engine",
        "aim.eai.amd.com/template": label_value(template.name),
        "aim.eai.amd.com/service": label_value(service.key.name),
    }
    for key, value in (
        ("aim.eai.amd.com/model", template.spec.model_name),
        ("aim.eai.amd.com/metric", meta.get("metric")),
        ("aim.eai.amd.com/precision", meta.get("precision")),
    ):
        if value:
            isvc[key] = label_value(str(value))
    isvc = _propagate(service, isvc, config)
    isvc.setdefault("aim.eai.amd.com/service.name", service.key.name)
    result.isvc_labels = isvc
    if custom:
        labels = {
            "aim.eai.amd.com/service": service.key.name,  # not sanitised at 0.2.2
            "app.kubernetes.io/managed-by": "aim-engine",
            "app.kubernetes.io/component": "inference",
        }
        labels = _propagate(service, labels, config)
        labels.setdefault("aim.eai.amd.com/service.name", service.key.name)
        result.custom_profile_labels = labels
    route = {
        "app.kubernetes.io/component": "routing",
        "app.kubernetes.io/managed-by": "aim-engine",
        "aim.eai.amd.com/service": label_value(service.key.name),
    }
    route = _propagate(service, route, config)
    route.setdefault("aim.eai.amd.com/service.name", service.key.name)
    result.route_labels = route


def _derived(result: ResolvedService, template: TemplateView, config: RuntimeConfig) -> None:
    """The template the operator derives for the service's overrides (§4.4), with its labels."""
    service = result.entry
    derived = _propagate(
        service,
        {"app.kubernetes.io/managed-by": "aim-engine", "aim.eai.amd.com/origin": "derived"},
        config,
    )
    derived.setdefault("aim.eai.amd.com/service.name", service.key.name)
    model_name = result.model.name if result.model else template.spec.model_name
    result.derived_template = derived_template(
        service, template, model_name, caching_mode(service), dict(sorted(derived.items()))
    )
