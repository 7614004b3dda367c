"""``catalog.field_or_none`` answers as ``getattr(obj, name, None)`` does, for every object of a
loaded catalog and its nested models, fields, methods, properties and unknown names alike."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from aimctl.catalog import field_or_none
from aimctl.pipeline import LoadOptions, load_inputs
from benchmarks.generate import generate_tree

NAMES = (
    "spec",
    "env",
    "model_sources",
    "model",
    "custom",
    "caching",
    "storage",
    "resources",
    "default_storage_class_name",
    "storage_class_name",
    "no_such_field",
    "model_dump",  # a method
    "model_fields_set",  # a property
    "__class__",
)


def _models(obj: Any, out: list[Any]) -> None:
    if isinstance(obj, pydantic.BaseModel):
        out.append(obj)
        for value in obj.__dict__.values():
            _models(value, out)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _models(item, out)


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    root = tmp_path_factory.mktemp("tree")
    generate_tree(root, tenants=3, services=4, seed=7)
    inputs = load_inputs(LoadOptions([root]))
    found: list[Any] = []
    for entry in inputs.catalog.by_key.values():
        _models(entry.obj, found)
    return [*found, None, {"spec": 1}, "text"]


def test_field_or_none_is_getattr_with_none(objects: list[Any]) -> None:
    assert len({type(o) for o in objects}) > 10  # many model classes, nested ones included
    for obj in objects:
        for name in NAMES:
            assert field_or_none(obj, name) == getattr(obj, name, None), (type(obj), name)


def test_an_extra_field_is_still_found() -> None:
    class Open(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")
        known: int = 1

    obj = Open.model_validate({"known": 2, "extra_one": 3})
    assert field_or_none(obj, "extra_one") == 3
    assert field_or_none(obj, "absent") is None
    assert field_or_none(Open(), "extra_one") is None
