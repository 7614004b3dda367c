"""AIMRuntimeConfig and AIMClusterRuntimeConfig (same spec, different scope)."""

from typing import ClassVar, Literal

from aimctl.model._base import AimBase
from aimctl.model.common import RoutingConfig, StorageConfig
from aimctl.model.core import Conditions, EnvList
from aimctl.model.document import AimDocument
from aimctl.model.scalars import Int32, Int64, NonNegativeInt32, Quantity

__all__ = [
    "AIMClusterRuntimeConfig",
    "AIMClusterRuntimeConfigSpec",
    "AIMRuntimeConfig",
    "AIMRuntimeConfigSpec",
    "AIMRuntimeConfigStatus",
    "ArtifactDefaults",
    "ArtifactStorageQuota",
    "LabelPropagation",
    "RuntimeModelConfig",
]


class LabelPropagation(AimBase):
    enabled: bool = False
    match: list[str] | None = None


class RuntimeModelConfig(AimBase):
    auto_discovery: bool | None = None


class ArtifactDefaults(AimBase):
    """Operator 0.2.2 (#60): eviction priority of artifacts; evaluated in-cluster only."""

    default_retention_priority: NonNegativeInt32 | None = None


class ArtifactStorageQuota(AimBase):
    """Operator 0.2.2 (#60): cache storage limits; enforced in-cluster only."""

    cluster_limit: Quantity | None = None
    default_namespace_limit: Quantity | None = None


class AIMRuntimeConfigSpec(AimBase):
    storage: StorageConfig | None = None
    artifact: ArtifactDefaults | None = None
    routing: RoutingConfig | None = None
    env: EnvList | None = None
    model: RuntimeModelConfig | None = None
    label_propagation: LabelPropagation | None = None
    default_storage_class_name: str | None = None
    """Deprecated; use ``storage.defaultStorageClassName``."""
    pvc_headroom_percent: Int32 | None = None
    """Deprecated; use ``storage.pvcHeadroomPercent`` (this one has no minimum in the CRD)."""


class AIMClusterRuntimeConfigSpec(AIMRuntimeConfigSpec):
    """The cluster kind adds the artifact storage quota."""

    artifact_storage_quota: ArtifactStorageQuota | None = None


class AIMRuntimeConfigStatus(AimBase):
    observed_generation: Int64 | None = None
    conditions: Conditions | None = None


class AIMRuntimeConfig(AimDocument):
    KIND: ClassVar[str] = "AIMRuntimeConfig"
    PLURAL: ClassVar[str] = "aimruntimeconfigs"
    CLUSTER_SCOPED: ClassVar[bool] = False

    kind: Literal["AIMRuntimeConfig"]
    spec: AIMRuntimeConfigSpec | None = None
    status: AIMRuntimeConfigStatus | None = None


class AIMClusterRuntimeConfig(AimDocument):
    KIND: ClassVar[str] = "AIMClusterRuntimeConfig"
    PLURAL: ClassVar[str] = "aimclusterruntimeconfigs"
    CLUSTER_SCOPED: ClassVar[bool] = True

    kind: Literal["AIMClusterRuntimeConfig"]
    spec: AIMClusterRuntimeConfigSpec | None = None
    status: AIMRuntimeConfigStatus | None = None
