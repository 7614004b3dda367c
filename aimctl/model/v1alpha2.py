"""``aim.eai.amd.com/v1alpha2``: AIMService and AIMClusterProfile, from the 0.2.5-cycle CRDs.

Written from ``aim-engine-528af2c`` (config/crd/bases at commit 528af2c): AIMService is the
0.2.2 v1alpha1 service plus ``spec.profile``/``spec.profileOverrides`` (``spec.model`` no longer
required) and three root CEL rules; AIMClusterProfile is a runtime profile that aimctl validates
and never renders (its readiness, resources and node affinity come from live cluster state).
"""

from typing import Annotated, Any, ClassVar, Literal, Self

from annotated_types import Interval, MinLen
from pydantic import ConfigDict, StringConstraints, model_validator

from aimctl.model._base import AimBase
from aimctl.model.common import ModelSource, ResolvedReference
from aimctl.model.core import (
    Conditions,
    EnvList,
    LocalObjectReference,
    NodeAffinity,
    ResourceRequirements,
)
from aimctl.model.document import AimDocument
from aimctl.model.scalars import INT32_MAX, AimStatusValue, Int32, Int64, Metric
from aimctl.model.service import AIMServiceSpec, AIMServiceStatus, ServiceModel

__all__ = [
    "AIM_API_VERSION_V1ALPHA2",
    "MSG_MODEL_OR_PROFILE",
    "MSG_PROFILE_OVERRIDES_NEED_PROFILE",
    "MSG_PROFILE_XOR_TEMPLATE",
    "PIPELINE_ANNOTATION",
    "AIMClusterProfile",
    "AIMClusterProfileSpec",
    "AIMClusterProfileStatus",
    "AIMServiceV1Alpha2",
    "AIMServiceV1Alpha2Spec",
    "AIMServiceV1Alpha2Status",
    "ProfileModelSource",
    "ProfileOverrides",
    "ServiceProfileRef",
    "select_pipeline",
]

AIM_API_VERSION_V1ALPHA2 = "aim.eai.amd.com/v1alpha2"

PIPELINE_ANNOTATION = "aim.eai.amd.com/reconciler-pipeline"

MSG_PROFILE_OVERRIDES_NEED_PROFILE = "spec.profileOverrides requires spec.profile to be set"
MSG_PROFILE_XOR_TEMPLATE = "spec.profile and spec.template are mutually exclusive"
MSG_MODEL_OR_PROFILE = "one of spec.model or spec.profile must be specified"


class ServiceProfileRef(AimBase):
    name: Annotated[str, MinLen(1)]


class ProfileOverrides(AimBase):
    container_env: EnvList | None = None
    engine_args: Any = None
    """Free-form (``x-kubernetes-preserve-unknown-fields``)."""


class AIMServiceV1Alpha2Spec(AIMServiceSpec):
    """The v1alpha1 spec plus the profile pipeline's fields; ``model`` is optional here."""

    model: ServiceModel | None = None  # type: ignore[assignment]  # optional in v1alpha2
    profile: ServiceProfileRef | None = None
    profile_overrides: ProfileOverrides | None = None


class AIMServiceV1Alpha2Status(AIMServiceStatus):
    resolved_profile: ResolvedReference | None = None


class AIMServiceV1Alpha2(AimDocument):
    KIND: ClassVar[str] = "AIMService"
    PLURAL: ClassVar[str] = "aimservices"
    CLUSTER_SCOPED: ClassVar[bool] = False

    api_version: Literal["aim.eai.amd.com/v1alpha2"]  # type: ignore[assignment]  # the other version
    kind: Literal["AIMService"]
    spec: AIMServiceV1Alpha2Spec | None = None
    status: AIMServiceV1Alpha2Status | None = None

    @model_validator(mode="after")
    def _root_rules(self) -> Self:
        # The CRD's three root CEL rules. They read self.spec, so a service without a spec fails
        # the last one (the API server cannot evaluate has() on a missing field either).
        spec = self.spec
        if spec is None:
            raise ValueError(MSG_MODEL_OR_PROFILE)
        profile = spec.profile is not None
        if spec.profile_overrides is not None and not profile:
            raise ValueError(MSG_PROFILE_OVERRIDES_NEED_PROFILE)
        if profile and spec.template is not None:
            raise ValueError(MSG_PROFILE_XOR_TEMPLATE)
        if spec.model is None and not profile:
            raise ValueError(MSG_MODEL_OR_PROFILE)
        return self


_AcceleratorModel = Annotated[
    str,
    StringConstraints(max_length=63, pattern=r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"),
]
_ProfilePrecision = Literal["fp4", "fp8", "fp16", "fp32", "bf16", "int4", "int8"]


class ProfileModelSource(ModelSource):
    precision: _ProfilePrecision | None = None


def _primary_is_required(schema: dict[str, Any]) -> None:
    # The CRD both requires ``primary`` and defaults it (false), so it is never missing.
    schema["required"] = sorted({*schema.get("required", []), "primary"})


class AIMClusterProfileSpec(AimBase):
    model_config = ConfigDict(json_schema_extra=_primary_is_required)

    aim_id: Annotated[str, MinLen(1)]
    image: Annotated[str, MinLen(1)]
    primary: bool = False
    accelerator_count: Annotated[int, Interval(ge=0, le=INT32_MAX)] | None = None
    accelerator_model: _AcceleratorModel | None = None
    accelerator_type: Literal["gpu", "cpu"] | None = None
    container_env: EnvList | None = None
    engine: str | None = None
    engine_args: Any = None
    """Free-form (``x-kubernetes-preserve-unknown-fields``)."""
    engine_env: dict[str, str] | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    metric: Metric | None = None
    model_id: str | None = None
    model_sources: list[ProfileModelSource] | None = None
    precision: _ProfilePrecision | None = None
    profile_id: str | None = None
    resources: ResourceRequirements | None = None
    service_account_name: str | None = None
    type: Literal["optimized", "general", "preview", "unoptimized"] | None = None


class AIMClusterProfileStatus(AimBase):
    conditions: Conditions | None = None
    hardware_summary: str | None = None
    matching_nodes: Int32 | None = None
    observed_generation: Int64 | None = None
    resolved_node_affinity: NodeAffinity | None = None
    resources: ResourceRequirements | None = None
    status: AimStatusValue | None = None
    version: str | None = None


class AIMClusterProfile(AimDocument):
    """Validated only: aimctl renders no children for profiles."""

    KIND: ClassVar[str] = "AIMClusterProfile"
    PLURAL: ClassVar[str] = "aimclusterprofiles"
    CLUSTER_SCOPED: ClassVar[bool] = True

    api_version: Literal["aim.eai.amd.com/v1alpha2"]  # type: ignore[assignment]  # the other version
    kind: Literal["AIMClusterProfile"]
    spec: AIMClusterProfileSpec | None = None
    status: AIMClusterProfileStatus | None = None
    """Written by the profile controller from node state; aimctl never reads it."""


def select_pipeline(annotations: dict[str, str] | None, has_profile: bool) -> str:
    """``"profile"`` or ``"template"``: the AIMService controller routes by spec shape.

    The annotation ``aim.eai.amd.com/reconciler-pipeline`` (``profile``/``template``) decides
    first, then ``spec.profile``; everything else (``model.name``, ``model.image``,
    ``model.custom``, ``template``) takes the template pipeline. Unknown annotation values fall
    through to the shape rule. Never by apiVersion, which the API server rewrites per request
    (controller dispatch test @8440a56, api-currency.md §4.1).
    """
    chosen = (annotations or {}).get(PIPELINE_ANNOTATION)
    if chosen in ("profile", "template"):
        return chosen
    return "profile" if has_profile else "template"
