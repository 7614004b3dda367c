"""Leaf value types that carry provenance through every stage.

Nothing here imports from the rest of aimctl, so every stage can use these types.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import StrEnum

__all__ = [
    "Candidate",
    "Decision",
    "FieldPath",
    "Origin",
    "ResourceKey",
    "Scope",
    "SourceSpan",
    "format_path",
]

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


@dataclass(frozen=True, slots=True, order=True)
class SourceSpan:
    """A position in an input file; ``path`` is as the user gave it (POSIX), line/column 1-based."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


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


@dataclass(frozen=True, slots=True)
class Candidate:
    """One layer's value for a field, with where it came from."""

    origin: Origin
    value: object


@dataclass(frozen=True, slots=True)
class Decision:
    """Who won a field, every loser with its value, and the rule that decided."""

    field: str
    value: object
    winner: Origin
    overridden: tuple[Candidate, ...] = dc_field(default=())
    rule: str = ""
