"""Diagnostics and the user-error hierarchy. Only ``cli`` turns these into exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aimctl.provenance import FieldPath, ResourceKey

__all__ = [
    "EXIT_DRIFT",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "AimctlError",
    "Diagnostic",
    "EmitError",
    "RenderError",
    "Severity",
]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_DRIFT = 3


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the input.

    ``file``/``doc``/``field`` locate it; ``line``/``column`` are filled in once the span is found
    (lazily, by the loader) so the report can sort and print ``FILE:LINE``.
    """

    code: str
    message: str
    severity: Severity = Severity.ERROR
    file: str | None = None
    doc: int | None = None
    field: FieldPath = ()
    resource: ResourceKey | None = None
    line: int = 0
    column: int = 0
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line, self.column, self.message)


class AimctlError(Exception):
    """A user-facing failure carrying its diagnostics (never a bug)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


class UsageError(AimctlError):
    """The command was asked for something aimctl does not implement (exit 2)."""


class RenderError(AimctlError):
    """A template failed to render."""


class EmitError(AimctlError):
    """The output could not be written (refused, locked, or I/O failure)."""
