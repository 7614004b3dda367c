"""The common base of the ten top-level AIM document models."""

from typing import Any, ClassVar, Final, Literal, Self

from pydantic.config import ExtraValues

from aimctl.model._base import AimBase
from aimctl.model.meta import ObjectMeta

__all__ = ["AIM_API_VERSION", "AIM_GROUP", "AIM_VERSION", "AimDocument"]

AIM_GROUP: Final = "aim.eai.amd.com"
AIM_VERSION: Final = "v1alpha1"
AIM_API_VERSION: Final = "aim.eai.amd.com/v1alpha1"


class AimDocument(AimBase):
    """apiVersion, kind and metadata; each kind adds ``spec`` and ``status``.

    ``model_validate`` reads manifests: keys must be the camelCase names the CRD uses, so a
    snake_case key such as ``model_id`` is an unknown field there. Python code may still build
    models by attribute name (``populate_by_name``).
    """

    KIND: ClassVar[str]
    PLURAL: ClassVar[str]
    CLUSTER_SCOPED: ClassVar[bool]

    api_version: Literal["aim.eai.amd.com/v1alpha1"]
    kind: str
    metadata: ObjectMeta

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: ExtraValues | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """Validate a manifest; field names are accepted only when ``by_name=True`` is passed."""
        return super().model_validate(
            obj,
            strict=strict,
            extra=extra,
            from_attributes=from_attributes,
            context=context,
            by_alias=by_alias,
            by_name=False if by_name is None else by_name,
        )
