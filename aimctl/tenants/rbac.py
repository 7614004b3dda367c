"""RBAC of tenants: the operator's helper ClusterRoles and the RoleBindings that use them.

The operator's chart installs, for 9 AIM kinds (not AIMClusterModelSource), three helper
ClusterRoles ``<prefix><kind>-{admin,editor,viewer}-role`` (operator-behaviour.md §7). A tenant's
admins, editors and viewers are bound to them with one RoleBinding per (role, kind) in the tenant
namespace: a RoleBinding has exactly one roleRef, and binding the operator's own roles (rather than
a union role aimctl would invent) keeps a cluster that upgrades the operator in step.

Only the six namespaced kinds are bound (``TENANT_KINDS``): a RoleBinding grants nothing on
cluster-scoped objects, so binding the AIMCluster* helper roles there would be dead weight.
"""

from __future__ import annotations

from typing import Any, Final

from aimctl.project import MANAGED_BY_LABEL, Project, Subject, Tenant

__all__ = [
    "HELPER_KINDS",
    "ROLES",
    "STATUS_UPDATER_ROLE",
    "TENANT_KINDS",
    "binding_name",
    "cluster_role_contexts",
    "helper_role_name",
    "role_binding_contexts",
]

AIM_GROUP: Final = "aim.eai.amd.com"
RBAC_GROUP: Final = "rbac.authorization.k8s.io"

HELPER_KINDS: Final = (
    "AIMService",
    "AIMModel",
    "AIMClusterModel",
    "AIMServiceTemplate",
    "AIMClusterServiceTemplate",
    "AIMRuntimeConfig",
    "AIMClusterRuntimeConfig",
    "AIMTemplateCache",
    "AIMArtifact",
)
"""Kinds with helper ClusterRoles in the operator's chart (§7); AIMClusterModelSource has none."""

TENANT_KINDS: Final = (
    "AIMService",
    "AIMModel",
    "AIMServiceTemplate",
    "AIMRuntimeConfig",
    "AIMTemplateCache",
    "AIMArtifact",
)
"""The namespaced kinds whose helper roles a tenant's subjects are bound to."""

ROLES: Final = ("admin", "editor", "viewer")

_MAIN_VERBS: Final[dict[str, list[str]]] = {
    "admin": ["*"],
    "editor": ["create", "delete", "get", "list", "patch", "update", "watch"],
    "viewer": ["get", "list", "watch"],
}

STATUS_UPDATER_ROLE: Final = "aim-engine-artifact-status-updater"
"""Fixed name: the operator's per-namespace RoleBinding refers to it whatever the prefix (§4.9)."""

HELPER_LABELS: Final = {"app.kubernetes.io/name": "aim-engine", MANAGED_BY_LABEL: "aimctl"}


def _plural(kind: str) -> str:
    return f"{kind.lower()}s"


def helper_role_name(prefix: str, kind: str, role: str) -> str:
    """``aim-engine-aimservice-admin-role`` for prefix ``aim-engine-``, AIMService, admin."""
    return f"{prefix}{kind.lower()}-{role}-role"


def binding_name(kind: str, role: str) -> str:
    """The tenant RoleBinding of one (kind, role): ``aimctl-tenant-aimservice-admin``."""
    return f"aimctl-tenant-{kind.lower()}-{role}"


def _helper_rules(kind: str, role: str) -> list[dict[str, Any]]:
    plural = _plural(kind)
    return [
        {"apiGroups": [AIM_GROUP], "resources": [plural], "verbs": list(_MAIN_VERBS[role])},
        {"apiGroups": [AIM_GROUP], "resources": [f"{plural}/status"], "verbs": ["get"]},
    ]


def cluster_role_contexts(project: Project) -> list[dict[str, Any]]:
    """The 27 helper ClusterRoles and the artifact status updater, when the project asks for them."""
    if not project.rbac.helper_cluster_roles:
        return []
    prefix = project.rbac.role_prefix
    out = [
        {
            "name": helper_role_name(prefix, kind, role),
            "labels": dict(sorted(HELPER_LABELS.items())),
            "rules": _helper_rules(kind, role),
        }
        for kind in HELPER_KINDS
        for role in ROLES
    ]
    out.append(
        {
            "name": STATUS_UPDATER_ROLE,
            "labels": dict(sorted(HELPER_LABELS.items())),
            "rules": [
                {
                    "apiGroups": [AIM_GROUP],
                    "resources": ["aimartifacts/status"],
                    "verbs": ["get", "patch", "update"],
                }
            ],
        }
    )
    return out


def _subject(subject: Subject, namespace: str) -> dict[str, Any]:
    if subject.kind == "ServiceAccount":
        return {
            "kind": "ServiceAccount",
            "name": subject.name,
            "namespace": subject.namespace or namespace,
        }
    return {"kind": subject.kind, "apiGroup": RBAC_GROUP, "name": subject.name}


def role_binding_contexts(
    project: Project, tenant: Tenant, labels: dict[str, str]
) -> list[dict[str, Any]]:
    """One RoleBinding per (role with subjects, tenant kind); subjects in the order written."""
    prefix = project.rbac.role_prefix
    out = []
    for role, subjects in tenant.role_subjects().items():
        rendered = [_subject(s, tenant.namespace) for s in subjects]
        for kind in TENANT_KINDS:
            out.append(
                {
                    "name": binding_name(kind, role),
                    "namespace": tenant.namespace,
                    "labels": dict(labels),
                    "cluster_role": helper_role_name(prefix, kind, role),
                    "subjects": [dict(s) for s in rendered],
                }
            )
    return out
