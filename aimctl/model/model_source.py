"""AIMClusterModelSource: a registry scan that creates AIMClusterModels (needs a live registry)."""

from typing import Annotated, ClassVar, Literal

from annotated_types import Interval, Len, MaxLen

from aimctl.model._base import AimBase
from aimctl.model.core import Conditions, LocalObjectReference
from aimctl.model.document import AimDocument
from aimctl.model.scalars import DateTime, Int64

__all__ = [
    "AIMClusterModelSource",
    "AIMClusterModelSourceSpec",
    "AIMClusterModelSourceStatus",
    "ModelSourceFilter",
    "ModelSourceStatusValue",
]

ModelSourceStatusValue = Literal[
    "Pending", "Starting", "Progressing", "Ready", "Running", "Degraded", "NotAvailable", "Failed"
]


class ModelSourceFilter(AimBase):
    image: Annotated[str, MaxLen(512)]
    exclude: list[str] | None = None
    versions: list[str] | None = None


class AIMClusterModelSourceSpec(AimBase):
    registry: str = "docker.io"
    image_pull_secrets: list[LocalObjectReference] | None = None
    filters: Annotated[list[ModelSourceFilter], Len(1, 100)]
    sync_interval: str = "1h"
    versions: list[str] | None = None
    max_models: Annotated[int, Interval(ge=1, le=10000)] = 100


class AIMClusterModelSourceStatus(AimBase):
    status: ModelSourceStatusValue | None = None
    observed_generation: Int64 | None = None
    conditions: Conditions | None = None
    last_sync_time: DateTime | None = None
    discovered_models: int | None = None
    available_models: int | None = None
    models_limit_reached: bool | None = None


class AIMClusterModelSource(AimDocument):
    KIND: ClassVar[str] = "AIMClusterModelSource"
    PLURAL: ClassVar[str] = "aimclustermodelsources"
    CLUSTER_SCOPED: ClassVar[bool] = True

    kind: Literal["AIMClusterModelSource"]
    spec: AIMClusterModelSourceSpec | None = None
    status: AIMClusterModelSourceStatus | None = None
