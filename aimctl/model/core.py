"""Core Kubernetes types embedded in the AIM CRDs (env vars, resources, node affinity, conditions).

Types that carry CRD defaults come in two flavours: the plain name applies the defaults and is
used under ``spec``; the ``Status…`` name applies none and is used under ``status`` (aimctl never
defaults a status).
"""

from typing import Annotated

from annotated_types import Ge, MaxLen
from pydantic import BeforeValidator, StringConstraints

from aimctl.model._base import AimBase, unique_keys
from aimctl.model.scalars import ConditionStatus, DateTime, Int32, Int64, Quantity

__all__ = [
    "Condition",
    "Conditions",
    "ConfigMapKeySelector",
    "EnvList",
    "EnvVar",
    "EnvVarSource",
    "FileKeySelector",
    "LocalObjectReference",
    "NodeAffinity",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "ObjectFieldSelector",
    "PreferredSchedulingTerm",
    "ResourceClaim",
    "ResourceFieldSelector",
    "ResourceRequirements",
    "SecretKeySelector",
    "StatusConfigMapKeySelector",
    "StatusEnvList",
    "StatusEnvVar",
    "StatusEnvVarSource",
    "StatusFileKeySelector",
    "StatusSecretKeySelector",
]


class LocalObjectReference(AimBase):
    name: str = ""


class ObjectFieldSelector(AimBase):
    api_version: str | None = None
    field_path: str


class ResourceFieldSelector(AimBase):
    container_name: str | None = None
    resource: str
    divisor: Quantity | None = None


class ConfigMapKeySelector(AimBase):
    name: str = ""
    key: str
    optional: bool | None = None


class SecretKeySelector(AimBase):
    name: str = ""
    key: str
    optional: bool | None = None


class FileKeySelector(AimBase):
    volume_name: str
    path: str
    key: str
    optional: bool = False


class EnvVarSource(AimBase):
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    config_map_key_ref: ConfigMapKeySelector | None = None
    secret_key_ref: SecretKeySelector | None = None
    file_key_ref: FileKeySelector | None = None


def _empty_value_is_unset(value: object) -> object:
    """``corev1.EnvVar.Value`` is a plain Go string with ``omitempty``: an empty value and no value
    are the same thing to the operator, which applies ``{name: X}`` for both, in every env list it
    writes (InferenceService, download Job, caches, artifacts, models, templates)."""
    return None if value == "" else value


EnvValue = Annotated[str | None, BeforeValidator(_empty_value_is_unset)]
"""An env var's ``value``; ``""`` is read as not written (Go cannot tell them apart)."""


class EnvVar(AimBase):
    name: str
    value: EnvValue = None
    value_from: EnvVarSource | None = None


EnvList = Annotated[list[EnvVar], unique_keys("name")]
"""An env list (``x-kubernetes-list-type: map`` keyed by ``name``)."""


class StatusConfigMapKeySelector(AimBase):
    name: str | None = None
    key: str
    optional: bool | None = None


class StatusSecretKeySelector(AimBase):
    name: str | None = None
    key: str
    optional: bool | None = None


class StatusFileKeySelector(AimBase):
    volume_name: str
    path: str
    key: str
    optional: bool | None = None


class StatusEnvVarSource(AimBase):
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    config_map_key_ref: StatusConfigMapKeySelector | None = None
    secret_key_ref: StatusSecretKeySelector | None = None
    file_key_ref: StatusFileKeySelector | None = None


class StatusEnvVar(AimBase):
    name: str
    value: EnvValue = None
    value_from: StatusEnvVarSource | None = None


StatusEnvList = Annotated[list[StatusEnvVar], unique_keys("name")]


class ResourceClaim(AimBase):
    name: str
    request: str | None = None


class ResourceRequirements(AimBase):
    limits: dict[str, Quantity] | None = None
    requests: dict[str, Quantity] | None = None
    claims: Annotated[list[ResourceClaim], unique_keys("name")] | None = None


class NodeSelectorRequirement(AimBase):
    key: str
    operator: str
    values: list[str] | None = None


class NodeSelectorTerm(AimBase):
    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelector(AimBase):
    node_selector_terms: list[NodeSelectorTerm]


class PreferredSchedulingTerm(AimBase):
    weight: Int32
    preference: NodeSelectorTerm


class NodeAffinity(AimBase):
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: list[PreferredSchedulingTerm] | None = (
        None
    )


_ConditionType = Annotated[
    str,
    StringConstraints(
        max_length=316,
        pattern=(
            r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
        ),
    ),
]
_ConditionReason = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
    ),
]


class Condition(AimBase):
    """A ``metav1.Condition``."""

    type: _ConditionType
    status: ConditionStatus
    observed_generation: Annotated[Int64, Ge(0)] | None = None
    last_transition_time: DateTime
    reason: _ConditionReason
    message: Annotated[str, MaxLen(32768)]


Conditions = Annotated[list[Condition], unique_keys("type")]
