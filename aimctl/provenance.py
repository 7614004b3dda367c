"""Leaf value types that carry provenance through every stage.

Nothing here imports from the rest of aimctl, so every stage can use these types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from dataclasses import field as dc_field
from enum import StrEnum
from typing import Any, TypeVar

__all__ = [
    "Candidate",
    "Decision",
    "FieldPath",
    "Origin",
    "ResourceKey",
    "Scope",
    "SourceSpan",
    "format_path",
    "slot_init",
]

_T = TypeVar("_T")

FieldPath = tuple[str | int, ...]
"""A path into a document: ``("spec", "env", 2, "value")`` prints as ``spec.env[2].value``."""


def format_path(path: FieldPath) -> str:
    """Render a field path the one way aimctl prints it everywhere (``spec.env[2].value``)."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif out:
            out.append(f".{part}")
        else:
            out.append(part)
    return "".join(out)


def slot_init(cls: type[_T]) -> type[_T]:
    """Give a frozen, slotted dataclass an ``__init__`` that fills its slots through their
    descriptors: the same parameters, defaults and result as the generated one, which calls
    ``object.__setattr__`` per field (measured: 40% slower; these types are made per value).

    Only for classes whose fields are all plain ``__init__`` parameters (no ``default_factory``,
    ``init=False``, ``kw_only`` or ``__post_init__``); anything else is refused at import.
    """
    if hasattr(cls, "__post_init__") or "__slots__" not in cls.__dict__:
        raise TypeError(f"slot_init: {cls.__name__} is not a plain slotted dataclass")
    params: list[str] = []
    body: list[str] = []
    namespace: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if not f.init or f.kw_only or f.default_factory is not MISSING:
            raise TypeError(f"slot_init: field {f.name} of {cls.__name__} is not a plain parameter")
        setter: Callable[[object, object], None] = cls.__dict__[f.name].__set__
        namespace[f"_set_{f.name}"] = setter
        if f.default is MISSING:
            params.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        body.append(f"    _set_{f.name}(self, {f.name})\n")
    exec(f"def __init__(self, {', '.join(params)}):\n{''.join(body)}", namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    type.__setattr__(cls, "__init__", init)
    return cls


@slot_init
@dataclass(frozen=True, slots=True, order=True)
class SourceSpan:
    """A position in an input file; ``path`` is as the user gave it (POSIX), line/column 1-based."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@slot_init
@dataclass(frozen=True, slots=True, order=True)
class ResourceKey:
    """Identity of an object: kind, namespace (``None`` when cluster-scoped) and name."""

    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        if self.namespace is None:
            return f"{self.kind} {self.name}"
        return f"{self.kind} {self.namespace}/{self.name}"


class Scope(StrEnum):
    """Where a value was written (shown by ``explain``)."""

    SERVICE = "service"
    TEMPLATE = "template"
    MODEL = "model"
    NAMESPACE_RUNTIME_CONFIG = "namespace runtime config"
    CLUSTER_RUNTIME_CONFIG = "cluster runtime config"
    PROJECT = "project file"
    OPERATOR_DEFAULT = "operator default"
    ASSUMPTION = "aimctl assumption"


@slot_init
@dataclass(frozen=True, slots=True)
class Origin:
    """ "This value came from this field of this resource": the fact errors and explain share.

    ``doc`` locates the document inside ``file`` (0-based index) so a span can be recovered lazily;
    built-in defaults have no file and name their ``rule`` instead.
    """

    scope: Scope
    resource: ResourceKey | None = None
    field: FieldPath = ()
    file: str | None = None
    doc: int = 0
    rule: str = ""
    span: SourceSpan | None = None


@slot_init
@dataclass(frozen=True, slots=True)
class Candidate:
    """One layer's value for a field, with where it came from."""

    origin: Origin
    value: object


@slot_init
@dataclass(frozen=True, slots=True)
class Decision:
    """Who won a field, every loser with its value, and the rule that decided."""

    field: str
    value: object
    winner: Origin
    overridden: tuple[Candidate, ...] = dc_field(default=())
    rule: str = ""
