"""What a tenant's files may create, checked before anything resolves (issue 17).

In a live cluster a team holds RoleBindings to the AIM helper roles in its own namespace, so it
can create the namespaced AIM kinds there and nothing else; the operator creates the children.
When one GitOps account applies what aimctl renders, that boundary has to be drawn on the input
files instead. A file a tenant owns may create, in the tenant's namespace only:

* the namespaced AIM kinds (``TENANT_KINDS``) — never a cluster-scoped AIM kind;
* ``DEFAULT_KINDS`` (ConfigMap, ServiceAccount, PersistentVolumeClaim, SealedSecret), and
  RoleBindings to the AIM helper ClusterRoles (which grant what the tenant already has);
* what the tenant's ``allow`` block adds: more namespaced kinds (``allow.kinds``, like an
  AppProject's namespace-resource whitelist) and ClusterRoles RoleBindings may refer to
  (``allow.clusterRoles``).

Never: a cluster-scoped object (ClusterRole, ClusterRoleBinding, webhook, CRD, Namespace, ...),
an object in another namespace. Platform files may create anything.

With ownership declared a service also uses namespaced AIM objects of its own namespace only:
its ``status.resolvedModel``/``status.resolvedTemplate`` may not name another namespace. Every
other lookup already stays in the service's namespace or at cluster scope, and cluster-scoped
objects can only come from the platform's files, so no tenant can change another's services.
"""

from __future__ import annotations

from typing import Any, Final

from aimctl.catalog import Catalog, Entry
from aimctl.errors import Diagnostic
from aimctl.project import KindRef, Project, Tenant
from aimctl.tenants.ownership import Owner, Ownership
from aimctl.tenants.rbac import AIM_GROUP, HELPER_KINDS, RBAC_GROUP, ROLES, helper_role_name

__all__ = ["DEFAULT_KINDS", "check_boundaries"]

DEFAULT_KINDS: Final = (
    KindRef(group="", kind="ConfigMap"),
    KindRef(group="", kind="ServiceAccount"),
    KindRef(group="", kind="PersistentVolumeClaim"),
    KindRef(group="bitnami.com", kind="SealedSecret"),
)
"""Namespaced kinds a tenant's files may create without an allow list (besides AIM kinds)."""

_NAMESPACED_TWIN: Final = {
    "AIMClusterModel": "AIMModel",
    "AIMClusterServiceTemplate": "AIMServiceTemplate",
    "AIMClusterRuntimeConfig": "AIMRuntimeConfig",
}
_CLUSTER_REASONS: Final = {
    "ClusterRoleBinding": "a ClusterRoleBinding grants its role in every namespace",
    "ClusterRole": "a ClusterRole is shared by every namespace that binds it",
    "MutatingWebhookConfiguration": "a webhook sees and can change every tenant's objects",
    "ValidatingWebhookConfiguration": "a webhook sees and can block every tenant's objects",
    "CustomResourceDefinition": "a CRD changes the API of the whole cluster",
    "APIService": "an APIService redirects part of the cluster's API to a server of its choice",
}
_PLATFORM_ONLY = (
    "only the platform's paths (platform.paths in aimctl.yaml) may create cluster-scoped objects; "
    "an allow list cannot widen that"
)


def _group(api_version: Any) -> str:
    text = str(api_version or "")
    return text.rpartition("/")[0] if "/" in text else ""


def _kind_text(ref: KindRef) -> str:
    group = ref.group or '""'
    return f"{{group: {group}, kind: {ref.kind}}}"


def _allowed_kind(tenant: Tenant, group: str, kind: str) -> bool:
    extra = tenant.allow.kinds if tenant.allow is not None else None
    return any(ref.matches(group, kind) for ref in (*DEFAULT_KINDS, *(extra or ())))


def _defaults_text() -> str:
    return ", ".join(ref.kind for ref in DEFAULT_KINDS)


def _cluster_scoped(entry: Entry[Any], kind: str, helper_roles: frozenset[str]) -> str:
    name = entry.key.name
    if entry.key.kind.startswith("AIMCluster") and _group(entry.raw.get("apiVersion")) == AIM_GROUP:
        twin = _NAMESPACED_TWIN.get(kind)
        instead = f", or use the namespaced {twin} in the tenant's namespace" if twin else ""
        return (
            f"cluster-scoped {kind} objects: they apply to every tenant's services and the AIM "
            f"helper roles a tenant holds grant none; move the file to the platform's paths"
            f"{instead}"
        )
    if kind == "Namespace":
        return (
            "a Namespace: namespaces are the platform's; declare the tenant's namespace, its "
            "labels and annotations under tenants: in aimctl.yaml"
        )
    if kind == "ClusterRole" and name in helper_roles:
        return (
            f"ClusterRole {name}: it would redefine an AIM helper role that every tenant's "
            f"RoleBindings refer to; {_PLATFORM_ONLY}"
        )
    reason = _CLUSTER_REASONS.get(kind, f"a cluster-scoped {kind} is shared by every tenant")
    if kind == "ClusterRoleBinding":
        ref = entry.raw.get("roleRef")
        role = ref.get("name") if isinstance(ref, dict) else None
        reason += f" (here ClusterRole {role})" if role else ""
    return f"a {kind}: {reason}; {_PLATFORM_ONLY}"


def _role_binding(tenant: Tenant, entry: Entry[Any], helper_roles: frozenset[str]) -> str | None:
    extra = tenant.allow.kinds if tenant.allow is not None else None
    if any(r.matches(RBAC_GROUP, "RoleBinding") for r in extra or ()):
        return None  # the allow list names RoleBinding itself: any roleRef
    ref = entry.raw.get("roleRef")
    ref_kind = ref.get("kind") if isinstance(ref, dict) else None
    ref_name = str(ref.get("name")) if isinstance(ref, dict) else ""
    allowed_roles = tenant.allow.cluster_roles if tenant.allow is not None else None
    if ref_kind == "ClusterRole" and (
        ref_name in helper_roles or ref_name in (allowed_roles or ())
    ):
        return None
    if ref_kind == "Role" and _allowed_kind(tenant, RBAC_GROUP, "Role"):
        return None
    if ref_kind == "Role":
        how = f"add {{group: {RBAC_GROUP}, kind: Role}} to allow.kinds of tenant {tenant.namespace}"
    else:
        how = f"add {ref_name} to allow.clusterRoles of tenant {tenant.namespace}"
    return (
        f"a RoleBinding to {ref_kind} {ref_name}: a tenant may bind only the AIM helper roles "
        f"(<prefix><kind>-{{admin,editor,viewer}}-role), which grant no more than its own "
        f"RoleBindings; to allow it, {how} in aimctl.yaml"
    )


def _forbidden(tenant: Tenant, entry: Entry[Any], helper_roles: frozenset[str]) -> str | None:
    """What the tenant may not create here and why (None: allowed)."""
    kind = str(entry.raw.get("kind"))
    group = _group(entry.raw.get("apiVersion"))
    namespace = entry.key.namespace
    if namespace is None:
        return _cluster_scoped(entry, kind, helper_roles)
    if namespace != tenant.namespace:
        return (
            f"objects in namespace {namespace}: a tenant's paths write only to its own namespace "
            f"{tenant.namespace}; set metadata.namespace: {tenant.namespace}, or move the file "
            f"to the paths of {namespace}'s owner"
        )
    if group == AIM_GROUP:
        return None
    if group == RBAC_GROUP and kind == "RoleBinding":
        return _role_binding(tenant, entry, helper_roles)
    if _allowed_kind(tenant, group, kind):
        return None
    ref = KindRef(group=group, kind=kind)
    if group == RBAC_GROUP and kind == "Role":
        what = "a Role: its rules could grant more than the AIM helper roles"
    else:
        what = (
            f"{ref.display()} objects: a tenant may create the namespaced AIM kinds, "
            f"{_defaults_text()} and RoleBindings to the AIM helper roles"
        )
    return (
        f"{what}; to allow it, add {_kind_text(ref)} to allow.kinds of tenant "
        f"{tenant.namespace} in aimctl.yaml"
    )


def _cross_namespace(owner: Owner | None, entry: Entry[Any]) -> list[Diagnostic]:
    """A service's sticky status references into another namespace."""
    status = entry.obj.status
    own = entry.key.namespace
    out: list[Diagnostic] = []
    if status is None:
        return out
    for field, attr, kind in (
        ("resolvedModel", "resolved_model", "AIMModel"),
        ("resolvedTemplate", "resolved_template", "AIMServiceTemplate"),
    ):
        ref = getattr(status, attr, None)
        if ref is None or ref.scope == "Cluster" or not ref.namespace or ref.namespace == own:
            continue
        who = f"{owner.describe()} may not use" if owner is not None else "may not use"
        out.append(
            Diagnostic(
                "E_TENANT_CROSS_NAMESPACE",
                f"{who} {kind} {ref.namespace}/{ref.name} from another namespace: with ownership "
                "declared a service uses namespaced AIM objects of its own namespace only "
                "(cluster-scoped ones come from the platform's paths), so no tenant can change "
                f"another's services; remove status.{field}, or use one in {own} or at cluster "
                "scope",
                file=entry.file,
                doc=entry.doc,
                field=("status", field),
                resource=entry.key,
            )
        )
    return out


def check_boundaries(catalog: Catalog, project: Project, ownership: Ownership) -> list[Diagnostic]:
    """An error for each input object a tenant's file may not create, and for each service that
    reaches into another namespace. Files without an owner are reported by ``assign_owners``."""
    prefix = project.rbac.role_prefix
    helper_roles = frozenset(helper_role_name(prefix, k, r) for k in HELPER_KINDS for r in ROLES)
    out: list[Diagnostic] = []
    for entry in catalog.by_key.values():
        owner = ownership.owner(entry.file)
        if owner is not None and owner.tenant is not None:
            what = _forbidden(owner.tenant, entry, helper_roles)
            if what is not None:
                out.append(
                    Diagnostic(
                        "E_TENANT_FORBIDDEN",
                        f"{owner.describe()} may not create {what}",
                        file=entry.file,
                        doc=entry.doc,
                        resource=entry.key,
                    )
                )
        if entry.key.kind == "AIMService":
            out.extend(_cross_namespace(owner, entry))
    return out
