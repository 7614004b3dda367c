"""Routing settings for a service's HTTPRoute (§3.7) and its path (§4.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from aimctl.catalog import Entry
from aimctl.errors import Diagnostic, Severity
from aimctl.provenance import Candidate, Decision, Origin, Scope
from aimctl.resolve.apivalues import annotation_problems
from aimctl.resolve.quantity import format_gateway_duration
from aimctl.resolve.routepath import render_route_path
from aimctl.resolve.runtime_config import RuntimeConfig, origin_of

__all__ = ["RouteSettings", "resolve_routing", "routing_precheck", "status_reference"]


@dataclass(slots=True)
class RouteSettings:
    enabled: bool
    gateway_ref: dict[str, Any] | None = None
    path: str = ""
    timeout: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)


def _service_or_config(
    field_name: str,
    service: Entry[Any],
    svc_value: Any,
    svc_path: tuple[str, ...],
    config: RuntimeConfig,
    config_key: str,
) -> Decision | None:
    """The service's value if written (even false/empty), else the merged runtime config's."""
    rc = config.settings.get(config_key)
    if svc_value is not None:
        over = (Candidate(rc.winner, rc.value),) if rc is not None else ()
        return Decision(
            field_name,
            svc_value,
            origin_of(service, Scope.SERVICE, svc_path),
            over,
            "the service's own value wins over the runtime config (even false)",
        )
    if rc is not None:
        return Decision(field_name, rc.value, rc.winner, rc.overridden, rc.rule)
    return None


def _gateway_error(service: Entry[Any], enabled: Decision | None) -> Diagnostic:
    """GatewayNotConfigured, located where routing was switched on."""
    where = enabled.winner if enabled is not None and enabled.winner.file else None
    return Diagnostic(
        "E_GATEWAY_NOT_CONFIGURED",
        f"routing is enabled for AIMService {service.key.namespace}/{service.key.name} but no "
        "gatewayRef is set on the service or in its runtime config (reason GatewayNotConfigured; "
        "the operator applies nothing for this service)",
        file=where.file if where else service.file,
        doc=where.doc if where else service.doc,
        field=where.field if where else ("spec", "routing"),
        resource=where.resource if where else service.key,
        hint="set routing.gatewayRef on the service or in the runtime config",
    )


def routing_precheck(service: Entry[Any], config: RuntimeConfig) -> list[Diagnostic]:
    """§12.2 step 3, before the model is resolved: routing enabled without any gatewayRef."""
    routing = service.obj.spec.routing
    written = routing.enabled if routing is not None else None
    if not (written if written is not None else config.value("routing.enabled")):
        return []
    if (routing is not None and routing.gateway_ref is not None) or config.gateway_ref():
        return []
    enabled = _service_or_config(
        "route.enabled", service, written, ("spec", "routing", "enabled"), config, "routing.enabled"
    )
    return [_gateway_error(service, enabled)]


def resolve_routing(
    service: Entry[Any],
    config: RuntimeConfig,
    model_ref: dict[str, str],
    template_ref: dict[str, str],
    uid: str,
) -> tuple[RouteSettings, list[Diagnostic]]:
    """Route settings; ``model_ref``/``template_ref`` are the status references the operator
    writes once the model and template are resolved (see :func:`status_reference`)."""
    spec = service.obj.spec
    routing = spec.routing
    get = (lambda attr: getattr(routing, attr)) if routing is not None else (lambda attr: None)
    decisions: dict[str, Decision] = {}
    enabled = _service_or_config(
        "route.enabled",
        service,
        get("enabled"),
        ("spec", "routing", "enabled"),
        config,
        "routing.enabled",
    )
    if enabled is not None:
        decisions["route.enabled"] = enabled
    settings = RouteSettings(enabled=bool(enabled and enabled.value), decisions=decisions)
    if not settings.enabled:
        return settings, []
    ref = get("gateway_ref")
    if ref is not None:
        gateway = ref.model_dump(by_alias=True, exclude_none=True)
        decisions["route.gatewayRef"] = Decision(
            "route.gatewayRef",
            gateway,
            origin_of(service, Scope.SERVICE, ("spec", "routing", "gatewayRef")),
            (),
            "the service's gatewayRef replaces the runtime config's as a whole",
        )
    else:
        gateway = config.gateway_ref()
        if gateway is not None:
            name_decision = config.settings.get("routing.gatewayRef.name")
            winner = name_decision.winner if name_decision else Origin(Scope.CLUSTER_RUNTIME_CONFIG)
            decisions["route.gatewayRef"] = Decision(
                "route.gatewayRef",
                gateway,
                winner,
                (),
                "runtime-config gatewayRef merged field by field",
            )
    if gateway is None:
        return settings, [_gateway_error(service, enabled)]
    settings.gateway_ref = _gateway_order(gateway)
    template = _service_or_config(
        "route.pathTemplate",
        service,
        get("path_template"),
        ("spec", "routing", "pathTemplate"),
        config,
        "routing.pathTemplate",
    )
    path_template = str(template.value) if template and template.value else None
    view = _service_view(service, uid, model_ref, template_ref, path_template or "")
    path, fallback = render_route_path(path_template, view, service.key.namespace or "", uid)
    settings.path = path
    problems: list[Diagnostic] = []
    path_origin = (
        template.winner
        if template
        else Origin(Scope.OPERATOR_DEFAULT, rule="default path /<namespace>/<uid>")
    )
    rule = (
        "rendered path template"
        if template and template.value and not fallback
        else "default path /<namespace>/<service UID> (UID stand-in unless metadata.uid is given)"
    )
    decisions["route.path"] = Decision("route.path", path, path_origin, (), rule)
    if fallback and template is not None and template.value:
        problems.append(
            Diagnostic(
                "W_PATH_TEMPLATE_FALLBACK",
                f"path template {template.value!r} failed ({fallback}); the operator silently uses the "
                f"default path {path}",
                severity=Severity.WARNING,
                file=service.file,
                doc=service.doc,
                field=("spec", "routing", "pathTemplate"),
                resource=service.key,
            )
        )
    timeout = _service_or_config(
        "route.requestTimeout",
        service,
        get("request_timeout"),
        ("spec", "routing", "requestTimeout"),
        config,
        "routing.requestTimeout",
    )
    if timeout is not None and timeout.value:
        try:
            settings.timeout = format_gateway_duration(str(timeout.value))
        except ValueError as exc:
            from aimctl.field_messages import duration_advice

            reason = str(exc)
            message = (
                f"requestTimeout {duration_advice(str(timeout.value))}"
                if reason.startswith("time:")  # Go's parse failed: the spelling is wrong
                else f"requestTimeout {timeout.value!r} is not a Gateway API duration: {reason}"
            )
            return settings, [
                Diagnostic(
                    "E_INVALID_DURATION",
                    message,
                    file=timeout.winner.file or service.file,
                    doc=timeout.winner.doc,
                    field=timeout.winner.field,
                    resource=timeout.winner.resource,
                )
            ]
        decisions["route.requestTimeout"] = Decision(
            timeout.field,
            settings.timeout,
            timeout.winner,
            timeout.overridden,
            f"written {timeout.value!r}; rendered as a Gateway API duration (Go's form, "
            "fractions of a second in ms)",
        )
    settings.annotations = {k: str(d.value) for k, d in sorted(config.annotations.items())}
    problems.extend(annotation_problems(config.annotations))
    for key, decision in config.annotations.items():
        decisions[f"route.annotations.{key}"] = decision
    return settings, problems


_GATEWAY_ORDER = ("group", "kind", "name", "namespace", "sectionName", "port")


def _gateway_order(ref: dict[str, Any]) -> dict[str, Any]:
    return {k: ref[k] for k in _GATEWAY_ORDER if ref.get(k) is not None}


def status_reference(name: str, namespace: str | None) -> dict[str, str]:
    """``status.resolvedModel``/``resolvedTemplate`` as the operator writes it: name, namespace
    (empty at cluster scope) and scope. Its ``kind`` and ``uid`` are not known offline."""
    scope = "Cluster" if namespace is None else "Namespace"
    return {"name": name, "namespace": namespace or "", "scope": scope}


# Non-pointer fields of the operator's Go types, with their zero values: on the typed object a
# path template reads these even when the input does not write them (``{.spec.template.name}`` is
# "" on an auto-selecting service); pointer fields stay absent ("not found").
_ZERO_METADATA: Final[dict[str, Any]] = {
    "name": "",
    "generateName": "",
    "namespace": "",
    "selfLink": "",
    "uid": "",
    "resourceVersion": "",
    "generation": 0,
    "labels": {},
    "annotations": {},
}
_ZERO_SPEC: Final[dict[str, Any]] = {
    "model": {},
    "template": {"name": "", "allowUnoptimized": False},
    "runtimeConfigName": "",  # never resolves anyway (routepath._UNRESOLVABLE)
    "env": [],
    "imagePullSecrets": [],
    "serviceAccountName": "",
}
_ZERO_STATUS: Final[dict[str, Any]] = {"observedGeneration": 0, "conditions": [], "status": ""}
# kind and uid are written by the operator too, but their values are not known offline: left out
_ZERO_REFERENCE: Final[dict[str, Any]] = {"name": "", "namespace": "", "scope": ""}


def _with_zeros(zeros: dict[str, Any], written: Any) -> dict[str, Any]:
    """``written`` over the zero values, nested structs merged the same way."""
    if not isinstance(written, dict):
        return dict(zeros)
    out = {**zeros, **written}
    for key, zero in zeros.items():
        if isinstance(zero, dict) and zero and isinstance(written.get(key), dict):
            out[key] = _with_zeros(zero, written[key])
    return out


def _service_view(
    service: Entry[Any],
    uid: str,
    model_ref: dict[str, str],
    template_ref: dict[str, str],
    path_template: str,
) -> dict[str, Any]:
    """The AIMService as ``evaluateJSONPath`` sees it: the typed, CRD-defaulted object in steady
    state (uid and status references filled in), every non-pointer field with its zero value.

    The spec is built only when the template can reach it (the benchmarks' templates read only
    metadata); CRD defaults come from the loaded model (``spec.replicas`` = 1 and the rest, §1.9).
    """
    raw = service.raw
    view: dict[str, Any] = {**raw}
    view["metadata"] = {**_with_zeros(_ZERO_METADATA, raw.get("metadata")), "uid": uid}
    if "spec" in path_template and service.obj.spec is not None:
        view["spec"] = _with_zeros(
            _ZERO_SPEC, service.obj.spec.model_dump(by_alias=True, exclude_none=True)
        )
    if "status" in path_template:
        status = _with_zeros(_ZERO_STATUS, raw.get("status"))
        for key, ref in (("resolvedModel", model_ref), ("resolvedTemplate", template_ref)):
            # steady state: the reference of what this reconcile resolved (a written one that
            # names the same object keeps its extra fields)
            written = status.get(key)
            if isinstance(written, dict) and all(
                (written.get(k) or "") == v for k, v in ref.items() if k != "scope"
            ):
                ref = {**written, **ref}
            status[key] = _with_zeros(_ZERO_REFERENCE, ref)
        view["status"] = status
    return view
