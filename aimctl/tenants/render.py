"""Tenant scaffolding objects: Namespace, ResourceQuota, NetworkPolicy, ServiceAccounts,
RoleBindings, Ingress per tenant, and the operator's helper ClusterRoles (aimctl.md §4, §9).

Python computes every value; the ``tenant-*.yaml`` and ``rbac-clusterrole.yaml`` templates only
shape them. Names: the Namespace is the tenant's; ``aimctl-tenant-quota``,
``aimctl-tenant-isolation``, ``aimctl-tenant-ingress``, ``aimctl-tenant-<kind>-<role>``
RoleBindings; ServiceAccounts as declared. Every tenant object carries
``app.kubernetes.io/managed-by: aimctl`` and ``aimctl.amd.com/tenant: <namespace>``; a Namespace
created for an undeclared namespace only the former.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from aimctl.errors import Diagnostic
from aimctl.project import MANAGED_BY_LABEL, NGINX_REWRITE, TENANT_LABEL, Project, Tenant
from aimctl.provenance import FieldPath
from aimctl.resolve.service import ResolvedService
from aimctl.tenants.diagnostics import ingress_without_services, undeclared_namespace
from aimctl.tenants.rbac import cluster_role_contexts, role_binding_contexts
from aimctl.tenants.usage import quota_entries, services_by_namespace

if TYPE_CHECKING:  # jinja2 (the engine's) only when templates are rendered: not for explain
    from aimctl.render.engine import TemplateSet

__all__ = [
    "INGRESS_NAME",
    "NETWORK_POLICY_NAME",
    "QUOTA_NAME",
    "allowed_namespaces",
    "ingress_paths",
    "render_tenants",
]

QUOTA_NAME: Final = "aimctl-tenant-quota"
NETWORK_POLICY_NAME: Final = "aimctl-tenant-isolation"
INGRESS_NAME: Final = "aimctl-tenant-ingress"
PREDICTOR_PORT: Final = 80


def tenant_labels(namespace: str) -> dict[str, str]:
    return {MANAGED_BY_LABEL: "aimctl", TENANT_LABEL: namespace}


def allowed_namespaces(tenant: Tenant, services: Iterable[ResolvedService]) -> list[str]:
    """Other namespaces an isolated tenant accepts traffic from: the namespaces of the gateways its
    services' HTTPRoutes attach to (a gatewayRef without namespace is the service's own), and the
    ingress controller's namespace when the tenant has an Ingress."""
    found: set[str] = set()
    for svc in services:
        route = svc.route
        if route is None or not route.enabled or not route.gateway_ref:
            continue
        found.add(str(route.gateway_ref.get("namespace") or svc.namespace))
    if tenant.ingress is not None and tenant.ingress.controller_namespace:
        found.add(tenant.ingress.controller_namespace)
    found.discard(tenant.namespace)
    return sorted(found)


def ingress_paths(tenant: Tenant, services: Iterable[ResolvedService]) -> list[dict[str, Any]]:
    """One path per service with a predictor: ``/<service>`` (Prefix), or for nginx the regex
    ``/<service>(/|$)(.*)`` whose second group the rewrite-target annotation keeps."""
    nginx = tenant.ingress is not None and tenant.ingress.class_name == "nginx"
    out = []
    for svc in sorted(services, key=lambda s: s.name):
        if not svc.isvc_name:
            continue
        out.append(
            {
                "path": f"/{svc.name}(/|$)(.*)" if nginx else f"/{svc.name}",
                "pathType": "ImplementationSpecific" if nginx else "Prefix",
                "backend": {
                    "service": {
                        "name": f"{svc.isvc_name}-predictor",
                        "port": {"number": PREDICTOR_PORT},
                    }
                },
            }
        )
    return out


class _Renderer:
    """Renders templates into ``objects``; a template failure becomes a diagnostic."""

    def __init__(self, templates: TemplateSet, project_file: str | None) -> None:
        self.templates = templates
        self.project_file = project_file
        self.objects: list[dict[str, Any]] = []
        self.problems: list[Diagnostic] = []

    def __call__(self, name: str, context: dict[str, Any], field: FieldPath) -> None:
        from aimctl.render.engine import TemplateError  # imported by whoever made the templates

        try:
            self.objects.append(self.templates.render(name, context))
        except TemplateError as exc:
            self.problems.append(
                Diagnostic(
                    "E_TEMPLATE",
                    f"rendering {exc}",
                    file=self.project_file,
                    doc=0 if self.project_file else None,
                    field=field,
                )
            )


def _namespace(render: _Renderer, tenant: Tenant, where: FieldPath) -> None:
    labels = {**(tenant.labels or {}), **tenant_labels(tenant.namespace)}
    context = {
        "name": tenant.namespace,
        "labels": dict(sorted(labels.items())),
        "annotations": dict(sorted((tenant.annotations or {}).items())) or None,
    }
    render("tenant-namespace", {"namespace": context}, where)


def _quota(render: _Renderer, tenant: Tenant, labels: dict[str, str], where: FieldPath) -> None:
    hard = {entry.key: entry.value for entry in quota_entries(tenant.quota)}
    if not hard:
        return
    context = {
        "name": QUOTA_NAME,
        "namespace": tenant.namespace,
        "labels": dict(labels),
        "hard": dict(sorted(hard.items())),
    }
    render("tenant-resourcequota", {"quota": context}, (*where, "quota"))


def _network_policy(
    render: _Renderer,
    tenant: Tenant,
    services: list[ResolvedService],
    labels: dict[str, str],
    where: FieldPath,
) -> None:
    if tenant.network_policy != "isolated":
        return
    peers = [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
        for ns in allowed_namespaces(tenant, services)
    ]
    context = {
        "name": NETWORK_POLICY_NAME,
        "namespace": tenant.namespace,
        "labels": dict(labels),
        "gateway_rule": {"from": peers} if peers else None,
    }
    render("tenant-networkpolicy", {"policy": context}, (*where, "networkPolicy"))


def _ingress(
    render: _Renderer,
    tenant: Tenant,
    services: list[ResolvedService],
    labels: dict[str, str],
    where: FieldPath,
) -> None:
    spec = tenant.ingress
    paths = ingress_paths(tenant, services)
    if spec is None or not paths:
        return  # an Ingress needs a path; render_tenants warns
    annotations = dict(spec.annotations or {})
    if spec.class_name == "nginx":
        annotations[NGINX_REWRITE] = "/$2"
    tls = [{"hosts": [spec.host], "secretName": spec.tls_secret_name}]
    context = {
        "name": INGRESS_NAME,
        "namespace": tenant.namespace,
        "labels": dict(labels),
        "annotations": dict(sorted(annotations.items())) or None,
        "class_name": spec.class_name,
        "tls": tls if spec.tls_secret_name else None,
        "host": spec.host,
        "paths": paths,
    }
    render("tenant-ingress", {"ingress": context}, (*where, "ingress"))


def _tenant(
    render: _Renderer,
    project: Project,
    index: int,
    tenant: Tenant,
    services: list[ResolvedService],
) -> None:
    where: FieldPath = ("tenants", index)
    labels = dict(sorted(tenant_labels(tenant.namespace).items()))
    _namespace(render, tenant, where)
    _quota(render, tenant, labels, where)
    _network_policy(render, tenant, services, labels, where)
    for name in tenant.service_accounts or []:
        account = {"name": name, "namespace": tenant.namespace, "labels": dict(labels)}
        render("tenant-serviceaccount", {"account": account}, (*where, "serviceAccounts"))
    for binding in role_binding_contexts(project, tenant, labels):
        render("tenant-rolebinding", {"binding": binding}, where)
    _ingress(render, tenant, services, labels, where)


def render_tenants(
    project: Project,
    namespaces_used: set[str],
    services: list[ResolvedService],
    templates: TemplateSet,
    *,
    create_namespaces: bool = False,
    project_file: str | None = None,
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """The tenant scaffolding and helper ClusterRoles of ``project``, with render-time warnings.

    ``namespaces_used``: namespaces of the input AIM resources. Those that are not declared
    tenants get a bare ``Namespace`` (managed-by label only) when ``create_namespaces`` is set,
    else a warning when the project declares tenants at all. A tenant Ingress with no service to
    route to is left out, with a warning. Objects come in tenant order; the caller sorts them.
    """
    render = _Renderer(templates, project_file)
    for role in cluster_role_contexts(project):
        render("rbac-clusterrole", {"role": role}, ("rbac", "helperClusterRoles"))
    grouped = services_by_namespace(services)
    tenants = project.tenants or []
    for index, tenant in enumerate(tenants):
        members = grouped.get(tenant.namespace, [])
        _tenant(render, project, index, tenant, members)
        if tenant.ingress is not None and not ingress_paths(tenant, members):
            render.problems.append(ingress_without_services(index, tenant, project_file))
    declared = {t.namespace for t in tenants}
    for namespace in sorted(namespaces_used - declared):
        if create_namespaces:
            context = {
                "name": namespace,
                "labels": {MANAGED_BY_LABEL: "aimctl"},
                "annotations": None,
            }
            render("tenant-namespace", {"namespace": context}, ())
        elif tenants:
            render.problems.append(
                undeclared_namespace(namespace, grouped.get(namespace, []), project_file, False)
            )
    return render.objects, render.problems
