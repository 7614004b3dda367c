"""AIM value types used by several kinds: hardware, model sources, routing, storage, refs."""

from typing import Annotated, Any, Self

from annotated_types import Interval, MaxLen
from pydantic import StringConstraints, model_validator

from aimctl.model._base import AimBase
from aimctl.model.core import EnvList, StatusEnvList
from aimctl.model.scalars import (
    DNS1123_LABEL_PATTERN,
    DNS1123_SUBDOMAIN_PATTERN,
    Int32,
    ModelId,
    NonNegativeInt32,
    Quantity,
    ReferenceScope,
    SourceUri,
)

__all__ = [
    "MSG_GPU_OR_CPU",
    "MSG_MODEL_XOR_MIN_VRAM",
    "CpuRequirements",
    "CustomProfile",
    "DownloadFilter",
    "GatewayRef",
    "GpuRequirements",
    "HardwareRequirements",
    "ModelSource",
    "ResolvedGpu",
    "ResolvedHardware",
    "ResolvedReference",
    "RoutingConfig",
    "StatusModelSource",
    "StorageConfig",
]

MSG_GPU_OR_CPU = "at least one of gpu or cpu must be specified"
MSG_MODEL_XOR_MIN_VRAM = (
    "model and minVram are mutually exclusive; specify either a specific GPU model "
    "OR a minimum VRAM requirement, not both"
)


class _GpuFields(AimBase):
    requests: NonNegativeInt32 | None = None
    model: Annotated[str, MaxLen(64)] | None = None
    min_vram: Quantity | None = None

    @model_validator(mode="after")
    def _model_xor_min_vram(self) -> Self:
        # CEL: !(has(self.model) && size(self.model) > 0 && has(self.minVram))
        if self.model and self.min_vram is not None:
            raise ValueError(MSG_MODEL_XOR_MIN_VRAM)
        return self


class GpuRequirements(_GpuFields):
    resource_name: str = "amd.com/gpu"


class ResolvedGpu(_GpuFields):
    """GPU part of a template's ``status.resolvedHardware`` (no CRD default applied)."""

    resource_name: str | None = None


class CpuRequirements(AimBase):
    requests: Quantity
    limits: Quantity | None = None


def _check_gpu_or_cpu(gpu: object, cpu: object) -> None:
    # CEL: has(self.gpu) || has(self.cpu)
    if gpu is None and cpu is None:
        raise ValueError(MSG_GPU_OR_CPU)


class HardwareRequirements(AimBase):
    gpu: GpuRequirements | None = None
    cpu: CpuRequirements | None = None

    @model_validator(mode="after")
    def _gpu_or_cpu(self) -> Self:
        _check_gpu_or_cpu(self.gpu, self.cpu)
        return self


class ResolvedHardware(AimBase):
    """A template's ``status.resolvedHardware`` (no CRD default applied)."""

    gpu: ResolvedGpu | None = None
    cpu: CpuRequirements | None = None

    @model_validator(mode="after")
    def _gpu_or_cpu(self) -> Self:
        _check_gpu_or_cpu(self.gpu, self.cpu)
        return self


class ModelSource(AimBase):
    model_id: ModelId
    source_uri: SourceUri
    size: Quantity | None = None
    env: EnvList | None = None


class StatusModelSource(AimBase):
    """A model source reported in a status (its env selectors get no CRD defaults)."""

    model_id: ModelId
    source_uri: SourceUri
    size: Quantity | None = None
    env: StatusEnvList | None = None


class ResolvedReference(AimBase):
    name: str | None = None
    namespace: str | None = None
    kind: str | None = None
    uid: str | None = None
    scope: ReferenceScope | None = None


_GatewayGroup = Annotated[
    str, StringConstraints(max_length=253, pattern=r"^$|" + DNS1123_SUBDOMAIN_PATTERN)
]
_GatewayKind = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=63, pattern=r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
    ),
]
_GatewayNamespace = Annotated[
    str, StringConstraints(min_length=1, max_length=63, pattern=DNS1123_LABEL_PATTERN)
]
_SectionName = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=DNS1123_SUBDOMAIN_PATTERN)
]


class GatewayRef(AimBase):
    """A Gateway API ``ParentReference``."""

    group: _GatewayGroup = "gateway.networking.k8s.io"
    kind: _GatewayKind = "Gateway"
    namespace: _GatewayNamespace | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    section_name: _SectionName | None = None
    port: Annotated[Int32, Interval(ge=1, le=65535)] | None = None


class RoutingConfig(AimBase):
    enabled: bool | None = None
    gateway_ref: GatewayRef | None = None
    path_template: str | None = None
    request_timeout: str | None = None
    annotations: dict[str, str] | None = None


class CustomProfile(AimBase):
    """Inline profile data for the inference engine (operator 0.2.2, #61)."""

    engine_args: Any = None
    """Free-form (``x-kubernetes-preserve-unknown-fields``)."""
    env_vars: dict[str, str] | None = None


class DownloadFilter(AimBase):
    """Glob patterns for the files a download Job fetches (operator 0.2.2, #56)."""

    include: list[str] | None = None
    exclude: list[str] | None = None


class StorageConfig(AimBase):
    default_storage_class_name: str | None = None
    download_filter: DownloadFilter | None = None
    pvc_headroom_percent: NonNegativeInt32 = 10
