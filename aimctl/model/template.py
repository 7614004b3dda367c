"""AIMServiceTemplate and AIMClusterServiceTemplate: a runtime profile for one model."""

from typing import Annotated, Any, ClassVar, Literal, Self

from annotated_types import MinLen
from pydantic import Field, model_validator

from aimctl.model._base import AimBase
from aimctl.model.common import (
    CustomProfile,
    HardwareRequirements,
    ModelSource,
    ResolvedHardware,
    ResolvedReference,
    StatusModelSource,
)
from aimctl.model.core import (
    Conditions,
    EnvList,
    LocalObjectReference,
    NodeAffinity,
    ResourceRequirements,
)
from aimctl.model.document import AimDocument
from aimctl.model.scalars import (
    AimPrecision,
    AimStatusValue,
    DateTime,
    Int32,
    Int64,
    Metric,
    ProfileType,
)

__all__ = [
    "MSG_CUSTOM_PROFILE_REQUIRES",
    "AIMClusterServiceTemplate",
    "AIMClusterServiceTemplateSpec",
    "AIMServiceTemplate",
    "AIMServiceTemplateSpec",
    "AIMServiceTemplateStatus",
    "DiscoveryStatus",
    "ProfileMetadata",
    "ServiceTemplateSpecCommon",
    "TemplateCaching",
    "TemplateProfile",
]

MSG_CUSTOM_PROFILE_REQUIRES = (
    "when customProfile is set, aimId, modelId, hardware, metric, and precision are required"
)

# ``modelName``, ``metric``, ``precision`` and ``hardware`` carry transition rules
# (``self == oldSelf``, immutable after creation); with a single version of each document there
# is nothing to check offline.


class TemplateCaching(AimBase):
    enabled: bool = False
    env: EnvList | None = None


class ServiceTemplateSpecCommon(AimBase):
    """Spec fields both template kinds share."""

    model_name: Annotated[str, MinLen(1)]
    metric: Metric | None = None
    precision: AimPrecision | None = None
    hardware: HardwareRequirements | None = None
    type: ProfileType | None = None
    profile_id: str | None = None
    model_sources: list[ModelSource] | None = None
    runtime_config_name: str | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    service_account_name: str | None = None
    resources: ResourceRequirements | None = None
    env: EnvList | None = None
    aim_id: str | None = None
    """Operator 0.2.2: the AIM product family; used only by the custom profile."""
    model_id: str | None = None
    """Operator 0.2.2: the model id written into the custom profile."""
    custom_profile: CustomProfile | None = None
    """Operator 0.2.2: an inline profile, mounted into the InferenceService from a ConfigMap."""

    @model_validator(mode="after")
    def _custom_profile_fields(self) -> Self:
        # CEL (0.2.2): !has(self.customProfile) || (has(self.aimId) && has(self.modelId)
        #   && has(self.hardware) && has(self.metric) && has(self.precision))
        if self.custom_profile is None:
            return self
        needed = (self.aim_id, self.model_id, self.hardware, self.metric, self.precision)
        if any(value is None for value in needed):
            raise ValueError(MSG_CUSTOM_PROFILE_REQUIRES)
        return self


class AIMServiceTemplateSpec(ServiceTemplateSpecCommon):
    caching: TemplateCaching | None = None


class AIMClusterServiceTemplateSpec(ServiceTemplateSpecCommon):
    """Cluster templates have no ``caching`` block."""


class ProfileMetadata(AimBase):
    engine: str | None = None
    gpu: str | None = None
    gpu_count: Int32 | None = None
    metric: Metric | None = None
    precision: AimPrecision | None = None
    type: ProfileType | None = None


class TemplateProfile(AimBase):
    engine_args: Any = Field(default=None, alias="engine_args")
    """Free-form (``x-kubernetes-preserve-unknown-fields``)."""
    env_vars: dict[str, str] | None = Field(default=None, alias="env_vars")
    metadata: ProfileMetadata | None = None
    original_discovery_output: Any = None
    """Free-form (``x-kubernetes-preserve-unknown-fields``)."""


class DiscoveryStatus(AimBase):
    attempts: Int32 | None = None
    last_attempt_time: DateTime | None = None
    last_failure_reason: str | None = None
    spec_hash: str | None = None


class AIMServiceTemplateStatus(AimBase):
    status: AimStatusValue | None = None
    observed_generation: Int64 | None = None
    conditions: Conditions | None = None
    resolved_runtime_config: ResolvedReference | None = None
    resolved_model: ResolvedReference | None = None
    resolved_cache: ResolvedReference | None = None
    discovery_job: ResolvedReference | None = None
    discovery: DiscoveryStatus | None = None
    profile: TemplateProfile | None = None
    model_sources: list[StatusModelSource] | None = None
    resolved_hardware: ResolvedHardware | None = None
    resolved_node_affinity: NodeAffinity | None = None
    hardware_summary: str | None = None


class AIMServiceTemplate(AimDocument):
    KIND: ClassVar[str] = "AIMServiceTemplate"
    PLURAL: ClassVar[str] = "aimservicetemplates"
    CLUSTER_SCOPED: ClassVar[bool] = False

    kind: Literal["AIMServiceTemplate"]
    spec: AIMServiceTemplateSpec | None = None
    status: AIMServiceTemplateStatus | None = None


class AIMClusterServiceTemplate(AimDocument):
    KIND: ClassVar[str] = "AIMClusterServiceTemplate"
    PLURAL: ClassVar[str] = "aimclusterservicetemplates"
    CLUSTER_SCOPED: ClassVar[bool] = True

    kind: Literal["AIMClusterServiceTemplate"]
    spec: AIMClusterServiceTemplateSpec | None = None
    status: AIMServiceTemplateStatus | None = None
