"""AIMService: the primary input, one inference endpoint per object."""

from typing import Annotated, ClassVar, Literal, Self

from annotated_types import MaxLen
from pydantic import Field, model_validator

from aimctl.model._base import AimBase
from aimctl.model.common import (
    HardwareRequirements,
    ModelSource,
    ResolvedReference,
    RoutingConfig,
    StorageConfig,
)
from aimctl.model.core import (
    Conditions,
    EnvList,
    LocalObjectReference,
    ResourceRequirements,
)
from aimctl.model.document import AimDocument
from aimctl.model.scalars import AimPrecision, Int32, Int64, Metric, PositiveInt32

__all__ = [
    "MSG_EXACTLY_ONE_MODEL",
    "MSG_ONE_MODEL_SOURCE",
    "AIMService",
    "AIMServiceSpec",
    "AIMServiceStatus",
    "AutoScaling",
    "AutoScalingMetric",
    "CachingMode",
    "MetricTarget",
    "PodMetricSource",
    "PodMetricSpec",
    "ServiceCacheStatus",
    "ServiceCaching",
    "ServiceCustomModel",
    "ServiceModel",
    "ServiceOverrides",
    "ServiceRoutingStatus",
    "ServiceRuntimeStatus",
    "ServiceStatusValue",
    "ServiceTemplateRef",
]

MSG_EXACTLY_ONE_MODEL = "exactly one of name, image, or custom must be specified"
MSG_ONE_MODEL_SOURCE = "at least one model source must be specified"

CachingMode = Literal["Dedicated", "Shared", "Auto", "Always", "Never"]
ServiceStatusValue = Literal["Pending", "Starting", "Running", "Degraded", "Failed"]

# Transition rules (``self == oldSelf``: model selection, template, caching and the overrides are
# immutable after creation) compare an update with the stored object; aimctl only ever sees one
# version of a document, so there is nothing to check offline.


class ServiceCustomModel(AimBase):
    base_image: str
    model_sources: Annotated[list[ModelSource], MaxLen(1), Field(json_schema_extra={"minItems": 1})]
    hardware: HardwareRequirements

    @model_validator(mode="after")
    def _at_least_one_source(self) -> Self:
        # CEL: size(self.modelSources) >= 1. The schema's minItems: 1 is checked here too, so an
        # empty list gets the CRD's own message instead of a generic length error.
        if len(self.model_sources) < 1:
            raise ValueError(MSG_ONE_MODEL_SOURCE)
        return self


class ServiceModel(AimBase):
    name: str | None = None
    image: str | None = None
    custom: ServiceCustomModel | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        # CEL: (has(name) ? 1 : 0) + (has(image) ? 1 : 0) + (has(custom) ? 1 : 0) == 1
        written = [v for v in (self.name, self.image, self.custom) if v is not None]
        if len(written) != 1:
            raise ValueError(MSG_EXACTLY_ONE_MODEL)
        return self


class ServiceTemplateRef(AimBase):
    name: str | None = None
    allow_unoptimized: bool | None = None


class ServiceCaching(AimBase):
    mode: CachingMode = "Shared"


class PodMetricSpec(AimBase):
    backend: Literal["opentelemetry"] = "opentelemetry"
    server_address: str | None = None
    metric_names: list[str] | None = None
    query: str | None = None
    operation_over_time: str | None = None


class MetricTarget(AimBase):
    type: Literal["Value", "AverageValue", "Utilization"]
    value: str | None = None
    average_value: str | None = None
    average_utilization: Int32 | None = None


class PodMetricSource(AimBase):
    metric: PodMetricSpec
    target: MetricTarget


class AutoScalingMetric(AimBase):
    type: Literal["PodMetric"]
    podmetric: PodMetricSource | None = Field(default=None, alias="podmetric")


class AutoScaling(AimBase):
    metrics: list[AutoScalingMetric] | None = None


class ServiceOverrides(AimBase):
    metric: Metric | None = None
    precision: AimPrecision | None = None
    hardware: HardwareRequirements | None = None


class AIMServiceSpec(AimBase):
    model: ServiceModel
    template: ServiceTemplateRef | None = None
    caching: ServiceCaching | None = None
    cache_model: bool | None = None
    replicas: Int32 = 1
    min_replicas: PositiveInt32 | None = None
    max_replicas: PositiveInt32 | None = None
    auto_scaling: AutoScaling | None = None
    runtime_config_name: str | None = None
    storage: StorageConfig | None = None
    routing: RoutingConfig | None = None
    env: EnvList | None = None
    resources: ResourceRequirements | None = None
    overrides: ServiceOverrides | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    service_account_name: str | None = None
    priority_class_name: str | None = None
    """Operator 0.2.2 (#50): copied to the InferenceService predictor."""


class ServiceCacheStatus(AimBase):
    retry_attempts: int | None = None
    template_cache_ref: ResolvedReference | None = None


class ServiceRoutingStatus(AimBase):
    path: str | None = None


class ServiceRuntimeStatus(AimBase):
    current_replicas: Int32
    desired_replicas: Int32
    min_replicas: Int32
    max_replicas: Int32
    replicas: str | None = None


class AIMServiceStatus(AimBase):
    status: ServiceStatusValue | None = None
    conditions: Conditions | None = None
    observed_generation: Int64 | None = None
    resolved_model: ResolvedReference | None = None
    resolved_template: ResolvedReference | None = None
    resolved_runtime_config: ResolvedReference | None = None
    cache: ServiceCacheStatus | None = None
    routing: ServiceRoutingStatus | None = None
    runtime: ServiceRuntimeStatus | None = None


class AIMService(AimDocument):
    KIND: ClassVar[str] = "AIMService"
    PLURAL: ClassVar[str] = "aimservices"
    CLUSTER_SCOPED: ClassVar[bool] = False

    kind: Literal["AIMService"]
    spec: AIMServiceSpec | None = None
    status: AIMServiceStatus | None = None
