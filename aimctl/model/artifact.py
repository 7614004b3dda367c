"""AIMArtifact: one downloaded model source on a PVC."""

from typing import Annotated, ClassVar, Literal

from annotated_types import Interval, MinLen

from aimctl.model._base import AimBase
from aimctl.model.common import DownloadFilter
from aimctl.model.core import Conditions, EnvList, LocalObjectReference
from aimctl.model.document import AimDocument
from aimctl.model.scalars import (
    AimStatusValue,
    ArtifactMode,
    DateTime,
    Int32,
    Int64,
    ModelId,
    NonNegativeInt32,
    Quantity,
    SourceUri,
)

__all__ = [
    "DEFAULT_DOWNLOAD_IMAGE",
    "AIMArtifact",
    "AIMArtifactSpec",
    "AIMArtifactStatus",
    "DownloadProgress",
    "DownloadStatus",
]

DEFAULT_DOWNLOAD_IMAGE = "ghcr.io/silogen/aim-artifact-downloader:0.2.0"

# ``sourceUri`` is immutable (a ``self == oldSelf`` transition rule): nothing to check offline.


class AIMArtifactSpec(AimBase):
    source_uri: Annotated[SourceUri, MinLen(1)]
    model_id: ModelId | None = None
    storage_class_name: str | None = None
    size: Quantity | None = None
    env: EnvList | None = None
    model_download_image: str | None = None
    """The 0.2.2 CRD has no default (the controller's built-in one is used when unset)."""
    image_pull_secrets: list[LocalObjectReference] | None = None
    runtime_config_name: str | None = None
    download_filter: DownloadFilter | None = None
    """Operator 0.2.2 (#56)."""
    retention_priority: NonNegativeInt32 | None = None
    """Operator 0.2.2 (#60): eviction order, evaluated in-cluster only."""


class DownloadProgress(AimBase):
    percentage: Annotated[Int32, Interval(ge=0, le=100)] | None = None
    display_percentage: str | None = None
    downloaded_bytes: Int64 | None = None
    total_bytes: Int64 | None = None


class DownloadStatus(AimBase):
    attempt: Int32 | None = None
    total_attempts: Int32 | None = None
    protocol: str | None = None
    protocol_sequence: str | None = None
    message: str | None = None


class AIMArtifactStatus(AimBase):
    status: AimStatusValue | None = None
    observed_generation: Int64 | None = None
    conditions: Conditions | None = None
    persistent_volume_claim: str | None = None
    discovered_size_bytes: Int64 | None = None
    allocated_size: Quantity | None = None
    display_size: str | None = None
    headroom_percent: Int32 | None = None
    mode: ArtifactMode | None = None
    last_used: DateTime | None = None
    progress: DownloadProgress | None = None
    download: DownloadStatus | None = None


class AIMArtifact(AimDocument):
    KIND: ClassVar[str] = "AIMArtifact"
    PLURAL: ClassVar[str] = "aimartifacts"
    CLUSTER_SCOPED: ClassVar[bool] = False

    kind: Literal["AIMArtifact"]
    spec: AIMArtifactSpec | None = None
    status: AIMArtifactStatus | None = None
