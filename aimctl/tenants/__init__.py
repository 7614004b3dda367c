"""Tenant scaffolding from the project file (issue 6): a stage beside ``render``.

``render_tenants`` gives the objects (Namespaces, ResourceQuotas, NetworkPolicies,
ServiceAccounts, RoleBindings to the operator's helper ClusterRoles, Ingresses, and with
``rbac.helperClusterRoles`` the helper ClusterRoles themselves); ``check_tenants`` gives
``validate``'s checks; ``tenant_facts`` what ``explain`` shows. All are pure: no I/O, no printing.
"""

from __future__ import annotations

from aimctl.tenants.boundary import DEFAULT_KINDS, check_boundaries
from aimctl.tenants.checks import check_tenants, tenant_facts
from aimctl.tenants.ownership import Owner, OwnerKey, Ownership, assign_owners
from aimctl.tenants.rbac import (
    HELPER_KINDS,
    ROLES,
    STATUS_UPDATER_ROLE,
    TENANT_KINDS,
    binding_name,
    helper_role_name,
)
from aimctl.tenants.render import INGRESS_NAME, NETWORK_POLICY_NAME, QUOTA_NAME, render_tenants

__all__ = [
    "DEFAULT_KINDS",
    "HELPER_KINDS",
    "INGRESS_NAME",
    "NETWORK_POLICY_NAME",
    "QUOTA_NAME",
    "ROLES",
    "STATUS_UPDATER_ROLE",
    "TENANT_KINDS",
    "Owner",
    "OwnerKey",
    "Ownership",
    "assign_owners",
    "binding_name",
    "check_boundaries",
    "check_tenants",
    "helper_role_name",
    "render_tenants",
    "tenant_facts",
]
