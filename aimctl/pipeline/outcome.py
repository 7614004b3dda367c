"""How a pipeline run ends when it does not produce its result: a leaf module of exceptions the
CLI turns into a report and an exit code (the runs print nothing and exit nowhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aimctl.errors import Diagnostic

__all__ = ["OptionProblem", "Refused", "Stopped"]


class Refused(Exception):
    """The run stops on these diagnostics (errors among them); ``summary``: the fields a JSON
    report adds (``operatorVersion``)."""

    def __init__(self, diagnostics: list[Diagnostic], **summary: object) -> None:
        super().__init__(f"{len(diagnostics)} diagnostics")
        self.diagnostics = diagnostics
        self.summary = summary


class Stopped(Exception):
    """The run stops with one message (no diagnostic: a name given on the command line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OptionProblem(Exception):
    """An option's value means nothing for these inputs: a usage error on ``option``."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option
        self.message = message
