"""``provenance.slot_init``: the faster ``__init__`` behaves as the dataclass's own (for every
class that uses it)."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from aimctl.catalog import Entry
from aimctl.loader import LoadedDocument
from aimctl.provenance import (
    Candidate,
    Decision,
    Origin,
    ResourceKey,
    Scope,
    SourceSpan,
    slot_init,
)
from aimctl.render.children import RenderedManifest
from aimctl.resolve.caching import ArtifactSpec

TYPES = (
    SourceSpan,
    ResourceKey,
    Origin,
    Candidate,
    Decision,
    Entry,
    LoadedDocument,
    RenderedManifest,
    ArtifactSpec,
)


def _generated(cls: type) -> type:
    """The same fields as ``cls``, with the ``__init__`` dataclass generates."""
    spec = [
        (f.name, f.type, dataclasses.field(default=f.default))
        if f.default is not dataclasses.MISSING
        else (f.name, f.type)
        for f in dataclasses.fields(cls)
    ]
    return dataclasses.make_dataclass(cls.__name__, spec, frozen=True, slots=True)


def _parameters(cls: type) -> list[tuple[str, object, object]]:
    init = vars(cls)["__init__"]
    return [(p.name, p.kind, p.default) for p in inspect.signature(init).parameters.values()]


@pytest.mark.parametrize("cls", TYPES)
def test_same_parameters_as_the_generated_init(cls: type) -> None:
    assert _parameters(cls) == _parameters(_generated(cls))
    assert vars(cls)["__init__"].__qualname__ == f"{cls.__qualname__}.__init__"


def test_values_defaults_equality_hash_and_pickling() -> None:
    key = ResourceKey("AIMService", "ns", "svc")
    origin = Origin(Scope.SERVICE, key, ("spec", "env", 0), "svc.yaml", doc=2, rule="r")
    assert (origin.scope, origin.resource, origin.field, origin.file) == (
        Scope.SERVICE,
        key,
        ("spec", "env", 0),
        "svc.yaml",
    )
    assert (origin.doc, origin.rule, origin.span) == (2, "r", None)
    same = Origin(
        scope=Scope.SERVICE,
        resource=key,
        field=("spec", "env", 0),
        file="svc.yaml",
        doc=2,
        rule="r",
    )
    assert same == origin and hash(same) == hash(origin)
    assert pickle.loads(pickle.dumps(origin)) == origin
    assert dataclasses.replace(origin, doc=3).doc == 3
    decision = Decision("f", 1, origin)
    assert decision.overridden == () and decision.rule == ""
    assert SourceSpan("b", 1) > SourceSpan("a", 2)


def test_still_frozen_and_arguments_still_checked() -> None:
    origin = Origin(Scope.TEMPLATE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        origin.doc = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        Origin()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Candidate(origin, 1, 2)  # type: ignore[call-arg]


def test_refuses_what_it_cannot_copy() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class WithoutSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (WithFactory, WithoutSlots, WithPostInit):
        with pytest.raises(TypeError, match="slot_init"):
            slot_init(cls)
