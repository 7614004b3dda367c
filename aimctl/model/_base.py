"""The pydantic base every AIM model derives from, and small validation helpers."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

__all__ = ["AimBase", "unique_keys"]

_T = TypeVar("_T")


class AimBase(BaseModel):
    """Frozen, strict, closed model; YAML keys are the camelCase aliases.

    A key written as ``null`` counts as not written, as the API server prunes nulls before
    defaulting and validating (so ``replicas: null`` still gets the CRD default).
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        populate_by_name=True,
        alias_generator=to_camel,
        protected_namespaces=(),
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_null_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and None in data.values():
            return {key: value for key, value in data.items() if value is not None}
        return data


def unique_keys(*fields: str) -> AfterValidator:
    """Reject two items with the same key, as the API server does for a list-type ``map``."""

    def check(items: Sequence[_T]) -> Sequence[_T]:
        seen: set[tuple[object, ...]] = set()
        for item in items:
            key = tuple(getattr(item, name) for name in fields)
            if key in seen:
                shown = ", ".join(f"{f}={v!r}" for f, v in zip(fields, key, strict=True))
                raise ValueError(f"duplicate entry for key {shown}")
            seen.add(key)
        return items

    checker: Callable[[Sequence[_T]], Sequence[_T]] = check
    return AfterValidator(checker)
