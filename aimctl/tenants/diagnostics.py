"""The tenant diagnostics, built in one place so ``render_tenants`` and ``check_tenants`` report
the same problem as the same (deduplicable) ``Diagnostic``."""

from __future__ import annotations

from collections.abc import Sequence

from aimctl.errors import Diagnostic, Severity
from aimctl.project import Subject, Tenant
from aimctl.provenance import FieldPath
from aimctl.resolve.service import ResolvedService
from aimctl.tenants.usage import QuotaUse

__all__ = [
    "ingress_blocked",
    "ingress_without_services",
    "quota_exceeded",
    "quota_unrequested",
    "service_account_undeclared",
    "subject_account_undeclared",
    "undeclared_namespace",
]

_SHOWN = 3


def _project(
    code: str,
    message: str,
    project_file: str | None,
    field: FieldPath,
    severity: Severity = Severity.WARNING,
    hint: str = "",
) -> Diagnostic:
    """A problem of the project file, located at ``field`` (the file holds one document)."""
    return Diagnostic(
        code,
        message,
        severity=severity,
        file=project_file,
        doc=0 if project_file else None,
        field=field,
        hint=hint,
    )


def _some(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def undeclared_namespace(
    namespace: str, services: Sequence[ResolvedService], project_file: str | None, strict: bool
) -> Diagnostic:
    users = f" (AIMService {_some([s.name for s in services])})" if services else ""
    code = "E_NAMESPACE_NOT_A_TENANT" if strict else "W_NAMESPACE_NOT_A_TENANT"
    message = (
        f"namespace {namespace!r} is used by AIM resources{users} but is not a declared tenant"
    )
    hint = f"add `- namespace: {namespace}` under tenants: of {project_file or 'aimctl.yaml'}, or move the resources to a tenant"
    severity = Severity.ERROR if strict else Severity.WARNING
    if services:  # blame the first object that uses the namespace, at its file and line
        entry = min((s.entry for s in services), key=lambda e: (e.file, e.doc))
        return Diagnostic(
            code,
            message,
            severity=severity,
            file=entry.file,
            doc=entry.doc,
            field=("metadata", "namespace"),
            resource=entry.key,
            hint=hint,
        )
    return _project(code, message, project_file, ("tenants",), severity, hint)


def ingress_without_services(index: int, tenant: Tenant, project_file: str | None) -> Diagnostic:
    return _project(
        "W_TENANT_INGRESS_EMPTY",
        f"tenant {tenant.namespace!r} has no AIMService to route to: its Ingress is left out "
        "(an Ingress needs at least one path)",
        project_file,
        ("tenants", index, "ingress"),
    )


def ingress_blocked(index: int, tenant: Tenant, project_file: str | None) -> Diagnostic:
    return _project(
        "W_TENANT_INGRESS_BLOCKED",
        f"tenant {tenant.namespace!r} is isolated and has an Ingress, but the network policy "
        "does not know the ingress controller's namespace, so the controller cannot reach the "
        "services",
        project_file,
        ("tenants", index, "ingress"),
        hint="set ingress.controllerNamespace (e.g. ingress-nginx)",
    )


def quota_exceeded(
    index: int, tenant: Tenant, use: QuotaUse, project_file: str | None, strict: bool
) -> Diagnostic:
    parts = [f"{who}: {amount}" for who, amount in use.contributions]
    return _project(
        "E_TENANT_QUOTA_EXCEEDED" if strict else "W_TENANT_QUOTA_EXCEEDED",
        f"tenant {tenant.namespace!r} needs at least {use.used_text} of {use.entry.key} "
        f"({_some(parts)}) but its quota allows {use.entry.value}",
        project_file,
        ("tenants", index, *use.entry.field),
        Severity.ERROR if strict else Severity.WARNING,
        "raise the quota or lower maxReplicas; services counted at their maximum replicas",
    )


def quota_unrequested(
    index: int, tenant: Tenant, use: QuotaUse, project_file: str | None
) -> Diagnostic:
    return _project(
        "W_TENANT_QUOTA_UNREQUESTED",
        f"tenant {tenant.namespace!r} limits {use.entry.key}, so Kubernetes rejects pods that do "
        f"not request it: {_some(list(use.unrequested))}",
        project_file,
        ("tenants", index, *use.entry.field),
        hint="add a LimitRange with defaultRequest to the namespace's input files",
    )


def service_account_undeclared(svc: ResolvedService, name: str) -> Diagnostic:
    return Diagnostic(
        "W_SERVICE_ACCOUNT_UNDECLARED",
        f"service account {name!r} is declared neither in tenant {svc.namespace!r} "
        "(serviceAccounts) nor by a ServiceAccount in the inputs",
        severity=Severity.WARNING,
        file=svc.entry.file,
        doc=svc.entry.doc,
        field=("spec", "serviceAccountName"),
        resource=svc.entry.key,
        hint=f"add {name} to the tenant's serviceAccounts in aimctl.yaml",
    )


def subject_account_undeclared(
    field: FieldPath, subject: Subject, namespace: str, project_file: str | None
) -> Diagnostic:
    return _project(
        "W_SERVICE_ACCOUNT_UNDECLARED",
        f"RoleBinding subject ServiceAccount {namespace}/{subject.name} is declared neither in "
        f"tenant {namespace!r} (serviceAccounts) nor by a ServiceAccount in the inputs",
        project_file,
        field,
    )
