"""Routing settings for a service's HTTPRoute (§3.7) and its path (§4.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aimctl.catalog import Entry
from aimctl.errors import Diagnostic, Severity
from aimctl.provenance import Candidate, Decision, Origin, Scope
from aimctl.resolve.quantity import format_go_duration
from aimctl.resolve.routepath import render_route_path
from aimctl.resolve.runtime_config import RuntimeConfig, origin_of

__all__ = ["RouteSettings", "resolve_routing", "routing_precheck"]


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
    service: Entry[Any], config: RuntimeConfig, model_name: str, template_name: str, uid: str
) -> tuple[RouteSettings, list[Diagnostic]]:
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
    view = _service_view(service, uid, model_name, template_name)
    path, fallback = render_route_path(
        str(template.value) if template and template.value else None,
        view,
        service.key.namespace or "",
        uid,
    )
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
            settings.timeout = format_go_duration(str(timeout.value))
        except ValueError as exc:
            return settings, [
                Diagnostic(
                    "E_INVALID_DURATION",
                    f"requestTimeout {timeout.value!r} is not a duration: {exc}",
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
            f"written {timeout.value!r}; rendered in Go duration format",
        )
    settings.annotations = {k: str(d.value) for k, d in sorted(config.annotations.items())}
    for key, decision in config.annotations.items():
        decisions[f"route.annotations.{key}"] = decision
    return settings, problems


_GATEWAY_ORDER = ("group", "kind", "name", "namespace", "sectionName", "port")


def _gateway_order(ref: dict[str, Any]) -> dict[str, Any]:
    return {k: ref[k] for k in _GATEWAY_ORDER if ref.get(k) is not None}


def _service_view(
    service: Entry[Any], uid: str, model_name: str, template_name: str
) -> dict[str, Any]:
    """The AIMService as the path template sees it in steady state (uid and status filled in)."""
    raw = service.raw
    meta = dict(raw.get("metadata") or {})
    meta["uid"] = uid
    status = dict(raw.get("status") or {})
    status.setdefault("resolvedModel", {"name": model_name})
    status.setdefault("resolvedTemplate", {"name": template_name})
    return {**raw, "metadata": meta, "status": status}
