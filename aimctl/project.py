"""The project file ``aimctl.yaml``: cluster facts, RBAC options and tenants (aimctl.md §4)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "PROJECT_API_VERSION",
    "ClusterFacts",
    "GpuSpec",
    "Project",
    "RbacOptions",
    "Subject",
    "Tenant",
    "TenantIngress",
    "TenantQuota",
]

PROJECT_API_VERSION = "aimctl.amd.com/v1alpha1"
_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_QUANTITY = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
_EMAILISH_OR_NAME = re.compile(r"^\S(.*\S)?$")

Quantity = Annotated[str, Field(pattern=_QUANTITY)]
DnsLabel = Annotated[str, Field(pattern=_DNS_LABEL, max_length=63)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class GpuSpec(_Strict):
    """A GPU model present on the cluster's nodes, with its VRAM when it differs from the table."""

    model: str = Field(min_length=1, max_length=64)
    vram: Quantity | None = None


class ClusterFacts(_Strict):
    """What the operator would read from the live cluster."""

    gpus: list[str | GpuSpec] | None = Field(
        default=None,
        description="GPU models on the nodes (e.g. MI300X). Absent: every GPU model is assumed present.",
    )
    operator_namespace: DnsLabel = Field(default="aim-system", alias="operatorNamespace")

    def gpu_specs(self) -> list[GpuSpec] | None:
        if self.gpus is None:
            return None
        return [GpuSpec(model=g) if isinstance(g, str) else g for g in self.gpus]


class RbacOptions(_Strict):
    helper_cluster_roles: bool = Field(
        default=False,
        alias="helperClusterRoles",
        description="Also emit the operator's 27 helper ClusterRoles and the artifact status updater role.",
    )
    role_prefix: str = Field(
        default="aim-engine-",
        alias="rolePrefix",
        pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9-])?)?$",
        description="Prefix of the helper ClusterRole names (the operator chart uses aim-engine-).",
    )


class Subject(_Strict):
    """Who gets a role in a tenant namespace."""

    kind: Literal["User", "Group", "ServiceAccount"]
    name: str = Field(min_length=1, max_length=253)
    namespace: DnsLabel | None = Field(
        default=None, description="ServiceAccount only; defaults to the tenant namespace."
    )

    @field_validator("name")
    @classmethod
    def _no_surrounding_space(cls, value: str) -> str:
        if not _EMAILISH_OR_NAME.match(value):
            raise ValueError("subject name must not start or end with whitespace")
        return value

    @model_validator(mode="after")
    def _namespace_only_for_service_accounts(self) -> Subject:
        if self.namespace is not None and self.kind != "ServiceAccount":
            raise ValueError("namespace is only valid for kind ServiceAccount")
        if self.kind == "ServiceAccount" and not re.match(
            r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", self.name
        ):
            raise ValueError("a ServiceAccount name must be a DNS subdomain")
        return self


class TenantQuota(_Strict):
    """ResourceQuota limits; only what is set is emitted."""

    gpus: int | None = Field(default=None, ge=0, description="requests.amd.com/gpu")
    gpu_resources: dict[str, int] | None = Field(
        default=None,
        alias="gpuResources",
        description="Other GPU resource names templates use, e.g. amd.com/gpu-partition: 4",
    )
    cpu: Quantity | None = None
    memory: Quantity | None = None
    storage: Quantity | None = None
    persistent_volume_claims: int | None = Field(default=None, ge=0, alias="persistentVolumeClaims")


class TenantIngress(_Strict):
    """One Ingress per tenant for clusters without Gateway API."""

    host: str = Field(min_length=1, max_length=253)
    class_name: str | None = Field(default=None, alias="className")
    tls_secret_name: str | None = Field(default=None, alias="tlsSecretName")
    annotations: dict[str, str] | None = None


class Tenant(_Strict):
    namespace: DnsLabel
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    admins: list[Subject] | None = None
    editors: list[Subject] | None = None
    viewers: list[Subject] | None = None
    quota: TenantQuota | None = None
    network_policy: Literal["isolated", "none"] = Field(default="none", alias="networkPolicy")
    service_accounts: list[DnsLabel] | None = Field(default=None, alias="serviceAccounts")
    ingress: TenantIngress | None = None


class Project(_Strict):
    """Top-level ``aimctl.yaml``."""

    api_version: Literal["aimctl.amd.com/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["Project"]
    cluster: ClusterFacts = Field(default_factory=lambda: ClusterFacts())
    rbac: RbacOptions = Field(default_factory=lambda: RbacOptions())
    tenants: list[Tenant] | None = None

    @model_validator(mode="after")
    def _unique_tenants(self) -> Project:
        seen: set[str] = set()
        for tenant in self.tenants or []:
            if tenant.namespace in seen:
                raise ValueError(f"tenant namespace {tenant.namespace!r} is declared twice")
            seen.add(tenant.namespace)
        return self


def default_project() -> Project:
    """The project used when no ``aimctl.yaml`` exists."""
    return Project.model_validate({"apiVersion": PROJECT_API_VERSION, "kind": "Project"})
