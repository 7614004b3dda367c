"""AIMTemplateCache: the cached model weights of one template."""

from typing import Annotated, ClassVar, Literal

from annotated_types import MinLen

from aimctl.model._base import AimBase
from aimctl.model.common import ModelSource, ResolvedReference
from aimctl.model.core import Conditions, EnvList, LocalObjectReference
from aimctl.model.document import AimDocument
from aimctl.model.scalars import AimStatusValue, ArtifactMode, Int64

__all__ = [
    "AIMTemplateCache",
    "AIMTemplateCacheSpec",
    "AIMTemplateCacheStatus",
    "CachedArtifactStatus",
    "TemplateScope",
]

TemplateScope = Literal["Namespace", "Cluster", "Unknown"]


class AIMTemplateCacheSpec(AimBase):
    template_name: Annotated[str, MinLen(1)]
    template_scope: TemplateScope
    env: EnvList | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    storage_class_name: str | None = None
    download_image: str | None = None
    model_sources: list[ModelSource] | None = None
    runtime_config_name: str | None = None
    mode: ArtifactMode = "Shared"


class CachedArtifactStatus(AimBase):
    uid: str
    name: str
    model: str
    status: str
    persistent_volume_claim: str | None = None
    mount_point: str | None = None


class AIMTemplateCacheStatus(AimBase):
    status: AimStatusValue | None = None
    observed_generation: Int64 | None = None
    conditions: Conditions | None = None
    resolved_runtime_config: ResolvedReference | None = None
    resolved_template_kind: str | None = None
    artifacts: dict[str, CachedArtifactStatus] | None = None


class AIMTemplateCache(AimDocument):
    KIND: ClassVar[str] = "AIMTemplateCache"
    PLURAL: ClassVar[str] = "aimtemplatecaches"
    CLUSTER_SCOPED: ClassVar[bool] = False

    kind: Literal["AIMTemplateCache"]
    spec: AIMTemplateCacheSpec | None = None
    status: AIMTemplateCacheStatus | None = None
