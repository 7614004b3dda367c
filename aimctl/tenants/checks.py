"""``validate``'s tenant checks and the tenant facts ``explain`` shows for a service's namespace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aimctl.errors import Diagnostic
from aimctl.project import Project, Tenant
from aimctl.resolve.service import ResolvedService
from aimctl.tenants.diagnostics import (
    ingress_blocked,
    ingress_without_services,
    quota_exceeded,
    quota_unrequested,
    service_account_undeclared,
    subject_account_undeclared,
    undeclared_namespace,
)
from aimctl.tenants.rbac import TENANT_KINDS, binding_name, helper_role_name
from aimctl.tenants.render import allowed_namespaces, ingress_paths
from aimctl.tenants.usage import quota_use, services_by_namespace

__all__ = ["check_tenants", "tenant_facts"]

_ROLE_FIELDS = {"admin": "admins", "editor": "editors", "viewer": "viewers"}


def _declared(passthrough: Iterable[Mapping[str, Any]], kind: str) -> set[tuple[str, str]]:
    """(namespace, name) of the pass-through input objects of ``kind``."""
    out: set[tuple[str, str]] = set()
    for obj in passthrough:
        meta = obj.get("metadata")
        if obj.get("kind") == kind and isinstance(meta, Mapping):
            out.add((str(meta.get("namespace") or ""), str(meta.get("name") or "")))
    return out


def _check_tenant(
    index: int,
    tenant: Tenant,
    services: list[ResolvedService],
    accounts: set[tuple[str, str]],
    defaults: bool,
    strict: bool,
    project_file: str | None,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for use in quota_use(tenant.quota, services):
        if use.exceeded:
            out.append(quota_exceeded(index, tenant, use, project_file, strict))
        if use.unrequested and not defaults:
            out.append(quota_unrequested(index, tenant, use, project_file))
    if tenant.ingress is not None:
        if not ingress_paths(tenant, services):
            out.append(ingress_without_services(index, tenant, project_file))
        if tenant.network_policy == "isolated" and not tenant.ingress.controller_namespace:
            out.append(ingress_blocked(index, tenant, project_file))
    for svc in services:
        spec = svc.entry.obj.spec
        name = spec.service_account_name if spec is not None else None
        if name and name != "default" and (svc.namespace, name) not in accounts:
            out.append(service_account_undeclared(svc, name))
    for role, subjects in tenant.role_subjects().items():
        for j, subject in enumerate(subjects):
            namespace = subject.namespace or tenant.namespace
            if (
                subject.kind == "ServiceAccount"
                and namespace == tenant.namespace
                and subject.name != "default"
                and (namespace, subject.name) not in accounts
            ):
                field = ("tenants", index, _ROLE_FIELDS[role], j, "name")
                out.append(subject_account_undeclared(field, subject, namespace, project_file))
    return out


def check_tenants(
    project: Project,
    namespaces_used: set[str],
    services: list[ResolvedService],
    strict: bool = False,
    *,
    project_file: str | None = None,
    passthrough: Iterable[Mapping[str, Any]] = (),
) -> list[Diagnostic]:
    """The tenant checks of ``validate`` (warnings; ``strict`` makes the first two errors):

    * when tenants are declared, every namespace in ``namespaces_used`` is one of them;
    * each quota entry covers what the namespace's services would request at max replicas
      (GPUs per resource name, CPU, memory) and the cache PVCs the render creates (storage, count);
    * a quota on CPU or memory while some pod requests none (download Jobs never do) and the
      namespace has no LimitRange among the inputs to give defaults;
    * services naming a ``serviceAccountName`` that neither the tenant nor an input
      ServiceAccount declares — checked in tenant namespaces only, where aimctl owns the
      scaffolding; the same for ServiceAccount subjects of the tenant's own namespace;
    * an Ingress with nothing to route to, or one an isolated policy would block.

    ``passthrough``: the other Kubernetes objects of the input tree (ServiceAccounts and
    LimitRanges there count). Subjects are otherwise checked when the project file is loaded
    (``aimctl.project``).
    """
    tenants = {t.namespace: t for t in project.tenants or []}
    grouped = services_by_namespace(services)
    out: list[Diagnostic] = []
    if tenants:
        for namespace in sorted(namespaces_used - tenants.keys()):
            out.append(
                undeclared_namespace(namespace, grouped.get(namespace, []), project_file, strict)
            )
    objects = list(passthrough)
    accounts = _declared(objects, "ServiceAccount")
    accounts |= {(t.namespace, n) for t in tenants.values() for n in t.service_accounts or []}
    limit_ranges = {namespace for namespace, _ in _declared(objects, "LimitRange")}
    for index, tenant in enumerate(project.tenants or []):
        members = grouped.get(tenant.namespace, [])
        defaults = tenant.namespace in limit_ranges
        out.extend(_check_tenant(index, tenant, members, accounts, defaults, strict, project_file))
    return out


def _subjects(tenant: Tenant) -> dict[str, list[str]]:
    return {
        role: [
            f"{s.kind} {s.namespace or tenant.namespace}/{s.name}"
            if s.kind == "ServiceAccount"
            else f"{s.kind} {s.name}"
            for s in subjects
        ]
        for role, subjects in tenant.role_subjects().items()
    }


def tenant_facts(
    project: Project, namespace: str, services: list[ResolvedService]
) -> dict[str, Any] | None:
    """The tenant block of ``namespace`` and its quota use, for ``explain`` (None: not a tenant).

    ``services`` may hold services of any namespace; only those in ``namespace`` count. Keys are
    camelCase and stable; ``quota`` lists every limit the tenant sets with the amount used.
    """
    tenant = project.tenant(namespace)
    if tenant is None:
        return None
    members = services_by_namespace(services).get(namespace, [])
    prefix = project.rbac.role_prefix
    roles = _subjects(tenant)
    ingress = tenant.ingress
    return {
        "namespace": namespace,
        "labels": dict(sorted((tenant.labels or {}).items())),
        "roles": roles,
        "roleBindings": [
            {"name": binding_name(kind, role), "clusterRole": helper_role_name(prefix, kind, role)}
            for role in roles
            for kind in TENANT_KINDS
        ],
        "networkPolicy": tenant.network_policy,
        "allowedNamespaces": allowed_namespaces(tenant, members)
        if tenant.network_policy == "isolated"
        else [],
        "serviceAccounts": list(tenant.service_accounts or []),
        "ingress": {
            "host": ingress.host,
            "className": ingress.class_name,
            "tlsSecretName": ingress.tls_secret_name,
            "paths": [p["path"] for p in ingress_paths(tenant, members)],
        }
        if ingress is not None
        else None,
        "quota": [
            {
                "resource": use.entry.key,
                "limit": use.entry.value,
                "used": use.used_text,
                "exceeded": use.exceeded,
                "by": [{"name": who, "amount": amount} for who, amount in use.contributions],
                "unrequested": list(use.unrequested),
            }
            for use in quota_use(tenant.quota, members)
        ],
    }
