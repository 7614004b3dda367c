"""Standard Kubernetes ``ObjectMeta``, checked the way the API server checks names and labels."""

from typing import Annotated, Any

from pydantic import StringConstraints

from aimctl.model._base import AimBase
from aimctl.model.scalars import (
    DNS1123_LABEL_PATTERN,
    DNS1123_SUBDOMAIN_PATTERN,
    LABEL_VALUE_PATTERN,
    QUALIFIED_NAME_PATTERN,
    DateTime,
    Int64,
)

__all__ = ["ObjectMeta", "OwnerReference"]

ObjectName = Annotated[str, StringConstraints(max_length=253, pattern=DNS1123_SUBDOMAIN_PATTERN)]
NamespaceName = Annotated[str, StringConstraints(max_length=63, pattern=DNS1123_LABEL_PATTERN)]
QualifiedName = Annotated[str, StringConstraints(max_length=316, pattern=QUALIFIED_NAME_PATTERN)]
LabelValue = Annotated[str, StringConstraints(max_length=63, pattern=LABEL_VALUE_PATTERN)]


class OwnerReference(AimBase):
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class ObjectMeta(AimBase):
    """Object metadata; ``name`` is required (aimctl inputs never use ``generateName``)."""

    name: ObjectName
    generate_name: str | None = None
    namespace: NamespaceName | None = None
    labels: dict[QualifiedName, LabelValue] | None = None
    annotations: dict[QualifiedName, str] | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: Int64 | None = None
    creation_timestamp: DateTime | None = None
    deletion_timestamp: DateTime | None = None
    deletion_grace_period_seconds: Int64 | None = None
    finalizers: list[str] | None = None
    owner_references: list[OwnerReference] | None = None
    managed_fields: list[dict[str, Any]] | None = None
    self_link: str | None = None
