"""The project file ``aimctl.yaml``: cluster facts, RBAC options and tenants (aimctl.md §4)."""

from __future__ import annotations

import decimal
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from aimctl.k8snames import DNS1123_LABEL_PATTERN, DNS_SUBDOMAIN

__all__ = [
    "DEFAULT_GPU_RESOURCE",
    "MANAGED_BY_LABEL",
    "NGINX_REWRITE",
    "PROJECT_API_VERSION",
    "RESERVED_LABELS",
    "TENANT_LABEL",
    "ClusterFacts",
    "GpuSpec",
    "KindRef",
    "Platform",
    "Project",
    "RbacOptions",
    "Subject",
    "Tenant",
    "TenantAllow",
    "TenantIngress",
    "TenantQuota",
    "default_project",
    "project_json_schema",
]

PROJECT_API_VERSION = "aimctl.amd.com/v1alpha1"
_QUANTITY = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
_EMAILISH_OR_NAME = re.compile(r"^\S(.*\S)?$")
_NAME_PART = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = _NAME_PART
_EXTENDED_RESOURCE = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)

DEFAULT_GPU_RESOURCE = "amd.com/gpu"
NGINX_REWRITE = "nginx.ingress.kubernetes.io/rewrite-target"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
TENANT_LABEL = "aimctl.amd.com/tenant"
RESERVED_LABELS = frozenset({MANAGED_BY_LABEL, TENANT_LABEL, "kubernetes.io/metadata.name"})

_INT64_MAX = 2**63 - 1
_SUFFIX_POWER = {"n": (10, -9), "u": (10, -6), "m": (10, -3), "k": (10, 3), "M": (10, 6),
                 "G": (10, 9), "T": (10, 12), "P": (10, 15), "E": (10, 18), "Ki": (2, 10),
                 "Mi": (2, 20), "Gi": (2, 30), "Ti": (2, 40), "Pi": (2, 50), "Ei": (2, 60)}  # fmt: skip
_QUANTITY_SPLIT = re.compile(r"([+-]?[0-9.]*)(?:([KMGTPE]i|[numkMGTPE])|[eE]([+-]?[0-9.]*))?\Z")


def _quantity_in_range(value: str) -> str:
    """A quantity the API server stores in a ResourceQuota or node fact: not negative
    (``ValidateResourceQuantityValue``) and at most int64 (``1e309`` or 5,000 digits are
    refused here, before any arithmetic)."""
    match = _QUANTITY_SPLIT.match(value) if len(value) <= 64 else None
    if match is None:
        raise ValueError(f"quantity beyond int64 (at most {_INT64_MAX})")
    number, suffix, exponent = match.groups()
    base, power = _SUFFIX_POWER.get(suffix or "", (10, 0))
    if exponent:
        try:
            power = int(decimal.Decimal(exponent).to_integral_value(decimal.ROUND_CEILING))
        except decimal.InvalidOperation:
            return value  # the pattern refuses it
        if power > 40:
            raise ValueError(f"quantity beyond int64 (at most {_INT64_MAX})")
    context = decimal.Context(prec=80, Emax=10_000, Emin=-10_000, traps=[])
    try:
        magnitude = context.multiply(decimal.Decimal(number or "0"), context.power(base, power))
    except decimal.InvalidOperation:
        return value  # the pattern refuses it
    if magnitude < 0:
        raise ValueError("must not be negative")
    if magnitude > _INT64_MAX:
        raise ValueError(f"quantity beyond int64 (at most {_INT64_MAX})")
    return value


def _count_in_range(value: int | None) -> int | None:
    if value is not None and value > _INT64_MAX:
        raise ValueError(f"must be at most {_INT64_MAX} (int64)")
    return value


def _quantity_number(value: Any) -> Any:
    """A quantity written as a plain number (``16``, ``1e3``): Kubernetes quantities accept
    numbers, so its decimal text; booleans stay what they are (and are refused)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Quantity = Annotated[
    str,
    Field(pattern=_QUANTITY),
    BeforeValidator(_quantity_number),
    AfterValidator(_quantity_in_range),
]
Count = Annotated[int, Field(ge=0), AfterValidator(_count_in_range)]
DnsLabel = Annotated[str, Field(pattern=DNS1123_LABEL_PATTERN, max_length=63)]
_GLOB_CHARS = re.compile(r"^[^\\\x00-\x1f]+$")


def _check_glob(pattern: str) -> str:
    """A path glob relative to the project file's directory: ``teams/a/**``, ``platform/*.yaml``."""
    if not _GLOB_CHARS.match(pattern):
        raise ValueError(f"path {pattern!r}: no backslashes or control characters (use /)")
    if pattern.startswith("/"):
        raise ValueError(f"path {pattern!r} must be relative to the project file's directory")
    parts = pattern.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"path {pattern!r}: no empty, '.' or '..' segments")
    return pattern


PathGlob = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        description="A glob relative to the project file's directory: * and ? within one path "
        "segment, ** any number of segments; a trailing / means everything below.",
    ),
]


def _check_qualified_name(key: str, what: str) -> None:
    """A Kubernetes label or annotation key: ``[prefix/]name`` (prefix a DNS subdomain)."""
    prefix, _, name = key.rpartition("/")
    if (
        not name
        or len(name) > 63
        or not _NAME_PART.fullmatch(name)
        or (prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.fullmatch(prefix)))
        or (not prefix and "/" in key)
    ):
        raise ValueError(
            f"{what} {key!r} is not a qualified name ([prefix/]name, name at most 63 characters)"
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


GpuModelName = Annotated[str, Field(min_length=1, max_length=64)]


class GpuSpec(_Strict):
    """A GPU model present on the cluster's nodes, with its VRAM when it differs from the table."""

    model: str = Field(min_length=1, max_length=64)
    vram: Quantity | None = None


class ClusterFacts(_Strict):
    """What the operator would read from the live cluster."""

    gpus: list[GpuModelName | GpuSpec] | None = Field(
        default=None,
        description="GPU models on the nodes (e.g. MI300X). Absent: every GPU model is assumed present.",
    )
    operator_namespace: DnsLabel = Field(default="aim-system", alias="operatorNamespace")

    def gpu_specs(self) -> list[GpuSpec] | None:
        if self.gpus is None:
            return None
        return [GpuSpec(model=g) if isinstance(g, str) else g for g in self.gpus]


class RbacOptions(_Strict):
    """The operator's helper ClusterRoles that tenant RoleBindings refer to (operator-behaviour §7)."""

    helper_cluster_roles: bool = Field(
        default=False,
        alias="helperClusterRoles",
        description="Also emit the operator's 27 helper ClusterRoles (9 kinds x admin/editor/viewer) "
        "and the aim-engine-artifact-status-updater ClusterRole, for clusters where the operator's "
        "chart does not install them.",
    )
    role_prefix: str = Field(
        default="aim-engine-",
        alias="rolePrefix",
        max_length=200,
        pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9-])?)?$",
        description="Prefix of the helper ClusterRole names <prefix><kind>-<role>-role (the "
        "operator's chart uses aim-engine-). The artifact status updater role keeps its fixed name.",
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
        if not _EMAILISH_OR_NAME.fullmatch(value):
            raise ValueError("subject name must not start or end with whitespace")
        return value

    @model_validator(mode="after")
    def _namespace_only_for_service_accounts(self) -> Subject:
        if self.namespace is not None and self.kind != "ServiceAccount":
            raise ValueError("namespace is only valid for kind ServiceAccount")
        if self.kind == "ServiceAccount" and not DNS_SUBDOMAIN.fullmatch(self.name):
            raise ValueError("a ServiceAccount name must be a DNS subdomain")
        return self

    def identity(self) -> tuple[str, str, str | None]:
        return (self.kind, self.name, self.namespace)


class TenantQuota(_Strict):
    """ResourceQuota limits; only what is set is emitted (all on requests, as the scheduler sees them)."""

    gpus: Count | None = Field(default=None, description="requests.amd.com/gpu")
    gpu_resources: dict[str, Count] | None = Field(
        default=None,
        alias="gpuResources",
        description="Other GPU resource names templates use (hardware.gpu.resourceName), each as "
        "requests.<name>, e.g. amd.com/gpu-partition: 4",
    )
    cpu: Quantity | None = Field(default=None, description="requests.cpu")
    memory: Quantity | None = Field(default=None, description="requests.memory")
    storage: Quantity | None = Field(
        default=None, description="requests.storage (sum of PVC requests)"
    )
    persistent_volume_claims: Count | None = Field(
        default=None, alias="persistentVolumeClaims", description="persistentvolumeclaims"
    )

    @field_validator("gpu_resources")
    @classmethod
    def _extended_resource_names(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        for name, count in (value or {}).items():
            if name == DEFAULT_GPU_RESOURCE:
                raise ValueError(f"write {DEFAULT_GPU_RESOURCE} as quota.gpus")
            if not _EXTENDED_RESOURCE.fullmatch(name) or name.split("/")[0].endswith(
                "kubernetes.io"
            ):
                raise ValueError(
                    f"{name!r} is not an extended resource name (domain/name, e.g. "
                    "amd.com/gpu-partition)"
                )
            if isinstance(count, bool) or count < 0:
                raise ValueError(f"{name}: the count must be a non-negative integer")
        return value


class TenantIngress(_Strict):
    """One Ingress per tenant for clusters without Gateway API: one path /<service> per AIMService."""

    host: str = Field(
        min_length=1,
        max_length=253,
        pattern=r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        description="The tenant's host name (a wildcard *.example.com is allowed).",
    )
    class_name: str | None = Field(
        default=None,
        alias="className",
        max_length=253,
        pattern=DNS_SUBDOMAIN.pattern,
        description="ingressClassName. nginx also gets the rewrite-target annotation and "
        "regex paths, so /<service>/v1/... reaches the service as /v1/...",
    )
    tls_secret_name: str | None = Field(
        default=None,
        alias="tlsSecretName",
        max_length=253,
        pattern=DNS_SUBDOMAIN.pattern,
        description="Secret (in the tenant namespace) with the TLS certificate for host.",
    )
    annotations: dict[str, str] | None = Field(
        default=None,
        description="Added to the Ingress as written (e.g. your controller's rewrite).",
    )
    controller_namespace: DnsLabel | None = Field(
        default=None,
        alias="controllerNamespace",
        description="Namespace of the ingress controller; networkPolicy: isolated lets it in.",
    )

    @field_validator("annotations")
    @classmethod
    def _annotation_keys(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            _check_qualified_name(key, "annotation key")
        return value

    @model_validator(mode="after")
    def _nginx_rewrite_is_aimctls(self) -> TenantIngress:
        if self.class_name == "nginx" and NGINX_REWRITE in (self.annotations or {}):
            raise ValueError(
                f"{NGINX_REWRITE} is set by aimctl for className nginx (it matches the path's "
                "capture group); remove it"
            )
        return self


class KindRef(_Strict):
    """A Kubernetes kind by API group (``""`` for the core group), as an AppProject lists it."""

    group: str = Field(
        default="",
        max_length=253,
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$",
        description="API group: '' for core (v1) kinds, e.g. networking.k8s.io.",
    )
    kind: str = Field(
        pattern=r"^([A-Za-z][A-Za-z0-9]{0,62}|\*)$",
        description="Kind, or * for every kind of the group.",
    )

    def matches(self, group: str, kind: str) -> bool:
        return self.group == group and self.kind in ("*", kind)

    def display(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind


class TenantAllow(_Strict):
    """What a tenant's paths may create beyond the default (namespaced objects only)."""

    kinds: list[KindRef] | None = Field(
        default=None,
        description="More namespaced kinds the tenant's paths may create in its namespace, like "
        "an Argo CD AppProject's namespaceResourceWhitelist (cluster-scoped kinds stay refused).",
    )
    cluster_roles: list[Annotated[str, Field(min_length=1, max_length=253)]] | None = Field(
        default=None,
        alias="clusterRoles",
        description="ClusterRoles that RoleBindings in the tenant's paths may refer to, besides "
        "the AIM helper roles.",
    )


class Tenant(_Strict):
    """One team: a namespace with its roles, quota, network policy, service accounts and Ingress."""

    namespace: DnsLabel
    labels: dict[str, str] | None = Field(
        default=None,
        description="Namespace labels (aimctl adds its own managed-by and tenant labels).",
    )
    annotations: dict[str, str] | None = Field(default=None, description="Namespace annotations.")
    admins: list[Subject] | None = Field(
        default=None, description="Bound to the <prefix><kind>-admin-role helper ClusterRoles."
    )
    editors: list[Subject] | None = Field(
        default=None, description="Bound to the <prefix><kind>-editor-role helper ClusterRoles."
    )
    viewers: list[Subject] | None = Field(
        default=None, description="Bound to the <prefix><kind>-viewer-role helper ClusterRoles."
    )
    quota: TenantQuota | None = None
    network_policy: Literal["isolated", "none"] = Field(
        default="none",
        alias="networkPolicy",
        description="isolated: deny ingress except from this namespace, the gateway namespaces of "
        "its services' HTTPRoutes and the ingress controller namespace; none: no policy.",
    )
    service_accounts: list[str] | None = Field(
        default=None,
        alias="serviceAccounts",
        description="ServiceAccounts to create; AIMServices may name them in serviceAccountName.",
    )
    ingress: TenantIngress | None = None
    paths: list[PathGlob] | None = Field(
        default=None,
        description="Input files this tenant owns (globs relative to the project file's "
        "directory, e.g. teams/a/**). Once any owner declares paths, every input file must "
        "belong to exactly one owner and tenant files may create only what the tenant may.",
    )
    allow: TenantAllow | None = Field(
        default=None,
        description="Widens what the tenant's paths may create (see docs/tenancy.md).",
    )

    @field_validator("paths")
    @classmethod
    def _path_globs(cls, value: list[str] | None) -> list[str] | None:
        return _globs(value)

    @field_validator("labels")
    @classmethod
    def _label_map(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key, text in (value or {}).items():
            _check_qualified_name(key, "label key")
            if key in RESERVED_LABELS:
                raise ValueError(f"label {key!r} is set by aimctl or Kubernetes; remove it")
            if text and (len(text) > 63 or not _LABEL_VALUE.fullmatch(text)):
                raise ValueError(
                    f"label {key}: {text!r} is not a valid label value (at most 63 characters: "
                    "letters, digits, '-', '_', '.', starting and ending alphanumeric)"
                )
        return value

    @field_validator("annotations")
    @classmethod
    def _annotation_keys(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            _check_qualified_name(key, "annotation key")
        return value

    @field_validator("admins", "editors", "viewers")
    @classmethod
    def _unique_subjects(cls, value: list[Subject] | None) -> list[Subject] | None:
        seen: set[tuple[str, str, str | None]] = set()
        for subject in value or []:
            if subject.identity() in seen:
                raise ValueError(f"{subject.kind} {subject.name!r} is listed twice")
            seen.add(subject.identity())
        return value

    @field_validator("service_accounts")
    @classmethod
    def _service_account_names(cls, value: list[str] | None) -> list[str] | None:
        seen: set[str] = set()
        for name in value or []:
            if len(name) > 253 or not DNS_SUBDOMAIN.fullmatch(name):
                raise ValueError(f"service account {name!r} is not a DNS subdomain name")
            if name == "default":
                raise ValueError("the default ServiceAccount exists in every namespace; remove it")
            if name in seen:
                raise ValueError(f"service account {name!r} is listed twice")
            seen.add(name)
        return value

    def role_subjects(self) -> dict[str, list[Subject]]:
        """Subjects per role, in the order admin, editor, viewer (roles without subjects left out)."""
        out = {"admin": self.admins, "editor": self.editors, "viewer": self.viewers}
        return {role: subjects for role, subjects in out.items() if subjects}


def _globs(value: list[str] | None) -> list[str] | None:
    seen: set[str] = set()
    for pattern in value or []:
        _check_glob(pattern)
        if pattern in seen:
            raise ValueError(f"path {pattern!r} is listed twice")
        seen.add(pattern)
    return value


class Platform(_Strict):
    """The platform team's input files: they may create anything, cluster-scoped objects too."""

    paths: list[PathGlob] | None = Field(
        default=None,
        description="Input files the platform owns (globs relative to the project file's "
        "directory, e.g. platform/**).",
    )

    @field_validator("paths")
    @classmethod
    def _path_globs(cls, value: list[str] | None) -> list[str] | None:
        return _globs(value)


class Project(_Strict):
    """Top-level ``aimctl.yaml``."""

    api_version: Literal["aimctl.amd.com/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["Project"]
    operator: str | None = Field(
        default=None,
        description='The AIM Engine release whose behaviour aimctl renders (e.g. "0.2.2"); '
        "a value aimctl does not implement is a usage error. Default: the release aimctl follows.",
    )
    cluster: ClusterFacts = Field(default_factory=lambda: ClusterFacts())
    rbac: RbacOptions = Field(default_factory=lambda: RbacOptions())
    platform: Platform | None = None
    tenants: list[Tenant] | None = None
    gitops: Literal["plain", "argocd", "flux"] = Field(
        default="plain",
        description="Output profile of render and diff (overridden by --gitops): plain is the "
        "operator's objects; argocd and flux keep download Jobs and cache PVCs safe to keep "
        "under that engine (no TTL, Jobs replaced when their pod template changes, PVCs created "
        "once and never resized). When absent: argocd in the Argo CD plugin, else plain. See "
        "README, Use with Argo CD / Flux.",
    )

    @model_validator(mode="after")
    def _unique_tenants(self) -> Project:
        seen: set[str] = set()
        for tenant in self.tenants or []:
            if tenant.namespace in seen:
                raise ValueError(f"tenant namespace {tenant.namespace!r} is declared twice")
            seen.add(tenant.namespace)
        return self

    def tenant(self, namespace: str) -> Tenant | None:
        """The tenant declared for ``namespace``, if any."""
        return next((t for t in self.tenants or [] if t.namespace == namespace), None)

    @property
    def owns_paths(self) -> bool:
        """Whether any owner declares ``paths`` (ownership, and with it tenant isolation, is on)."""
        if self.platform is not None and self.platform.paths is not None:
            return True
        return any(t.paths is not None for t in self.tenants or [])


def default_project() -> Project:
    """The project used when no ``aimctl.yaml`` exists."""
    return Project.model_validate({"apiVersion": PROJECT_API_VERSION, "kind": "Project"})


def project_json_schema() -> dict[str, Any]:
    """The JSON schema of ``aimctl.yaml`` (validation mode, camelCase keys); the caller writes it."""
    return Project.model_json_schema(by_alias=True, mode="validation")
