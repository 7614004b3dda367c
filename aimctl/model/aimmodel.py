"""AIMModel and AIMClusterModel (same spec, different scope), with their image metadata."""

from typing import Annotated, ClassVar, Literal, Self

from annotated_types import MaxLen, MinLen
from pydantic import model_validator

from aimctl.model._base import AimBase
from aimctl.model.common import (
    CustomProfile,
    HardwareRequirements,
    ModelSource,
    ResolvedReference,
)
from aimctl.model.core import Conditions, EnvList, LocalObjectReference, ResourceRequirements
from aimctl.model.document import AimDocument
from aimctl.model.scalars import AimPrecision, AimStatusValue, Int32, Int64, Metric, ProfileType

__all__ = [
    "MSG_CUSTOM_TEMPLATE_PROFILE_REQUIRES",
    "MSG_MODEL_SOURCES_NEED_HARDWARE",
    "AIMClusterModel",
    "AIMModel",
    "AIMModelSpec",
    "AIMModelStatus",
    "CustomModelDefaults",
    "CustomTemplate",
    "CustomTemplateProfile",
    "ImageMetadata",
    "ModelDiscovery",
    "ModelImageInfo",
    "OciImageInfo",
    "RecommendedDeployment",
]

MSG_MODEL_SOURCES_NEED_HARDWARE = (
    "when using modelSources, hardware must be specified: set custom.hardware "
    "(inherited by all templates) or set hardware on each template individually"
)

MSG_CUSTOM_TEMPLATE_PROFILE_REQUIRES = (
    "when customProfile is set, aimId, modelId, hardware, profile.metric, and profile.precision "
    "are required"
)


class RecommendedDeployment(AimBase):
    gpu_model: str | None = None
    gpu_count: Int32 | None = None
    precision: str | None = None
    metric: str | None = None
    profile_id: str | None = None
    description: str | None = None


class ModelImageInfo(AimBase):
    canonical_name: str | None = None
    source: str | None = None
    tags: list[str] | None = None
    versions: list[str] | None = None
    variants: list[str] | None = None
    hf_token_required: bool | None = None
    title: str | None = None
    description_full: str | None = None
    release_notes: str | None = None
    recommended_deployments: list[RecommendedDeployment] | None = None


class OciImageInfo(AimBase):
    title: str | None = None
    description: str | None = None
    licenses: str | None = None
    vendor: str | None = None
    authors: str | None = None
    source: str | None = None
    documentation: str | None = None
    created: str | None = None
    revision: str | None = None
    version: str | None = None


class ImageMetadata(AimBase):
    model: ModelImageInfo | None = None
    oci: OciImageInfo | None = None
    original_labels: dict[str, str] | None = None


class ModelDiscovery(AimBase):
    extract_metadata: bool = True
    create_service_templates: bool = True


class CustomModelDefaults(AimBase):
    hardware: HardwareRequirements | None = None
    type: ProfileType | None = None


class CustomTemplateProfile(AimBase):
    metric: Metric | None = None
    precision: AimPrecision | None = None


class CustomTemplate(AimBase):
    name: Annotated[str, MaxLen(63)] | None = None
    type: ProfileType = "unoptimized"
    env: Annotated[EnvList, MaxLen(64)] | None = None
    hardware: HardwareRequirements | None = None
    profile: CustomTemplateProfile | None = None
    aim_id: str | None = None
    """Operator 0.2.2."""
    model_id: str | None = None
    """Operator 0.2.2."""
    custom_profile: CustomProfile | None = None
    """Operator 0.2.2; passed on to the generated template with ``aimId``/``modelId``."""

    @model_validator(mode="after")
    def _custom_profile_fields(self) -> Self:
        # CEL (0.2.2): !has(self.customProfile) || (has(self.aimId) && has(self.modelId)
        #   && has(self.hardware) && has(self.profile) && has(self.profile.metric)
        #   && has(self.profile.precision))
        if self.custom_profile is None:
            return self
        profile = self.profile
        needed = (self.aim_id, self.model_id, self.hardware, profile)
        if any(value is None for value in needed) or (
            profile is not None and (profile.metric is None or profile.precision is None)
        ):
            raise ValueError(MSG_CUSTOM_TEMPLATE_PROFILE_REQUIRES)
        return self


class AIMModelSpec(AimBase):
    image: Annotated[str, MinLen(1)]
    discovery: ModelDiscovery | None = None
    default_service_template: str | None = None
    custom: CustomModelDefaults | None = None
    custom_templates: Annotated[list[CustomTemplate], MaxLen(16)] | None = None
    model_sources: Annotated[list[ModelSource], MaxLen(1)] | None = None
    runtime_config_name: str | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    env: EnvList | None = None
    service_account_name: str | None = None
    resources: ResourceRequirements | None = None
    image_metadata: ImageMetadata | None = None

    @model_validator(mode="after")
    def _custom_templates_have_hardware(self) -> Self:
        # CEL: with modelSources and customTemplates, every template needs hardware unless
        # custom.hardware is set.
        if not self.model_sources or not self.custom_templates:
            return self
        if self.custom is not None and self.custom.hardware is not None:
            return self
        if all(t.hardware is not None for t in self.custom_templates):
            return self
        raise ValueError(MSG_MODEL_SOURCES_NEED_HARDWARE)


class AIMModelStatus(AimBase):
    status: AimStatusValue | None = None
    observed_generation: Int64 | None = None
    conditions: Conditions | None = None
    resolved_runtime_config: ResolvedReference | None = None
    image_metadata: ImageMetadata | None = None
    source_type: Literal["Image", "Custom"] | None = None


class AIMModel(AimDocument):
    KIND: ClassVar[str] = "AIMModel"
    PLURAL: ClassVar[str] = "aimmodels"
    CLUSTER_SCOPED: ClassVar[bool] = False

    kind: Literal["AIMModel"]
    spec: AIMModelSpec | None = None
    status: AIMModelStatus | None = None


class AIMClusterModel(AimDocument):
    KIND: ClassVar[str] = "AIMClusterModel"
    PLURAL: ClassVar[str] = "aimclustermodels"
    CLUSTER_SCOPED: ClassVar[bool] = True

    kind: Literal["AIMClusterModel"]
    spec: AIMModelSpec | None = None
    status: AIMModelStatus | None = None
