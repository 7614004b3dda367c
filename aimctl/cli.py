"""Command line: parse options, call the pipeline, print results, choose the exit code."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from aimctl import __version__
from aimctl.errors import EXIT_INVALID, EXIT_OK, AimctlError, Diagnostic

__all__ = ["app", "main"]

app = typer.Typer(
    name="aimctl",
    help=(
        "Render AMD AIM Engine resources offline, exactly as the operator would: KServe "
        "InferenceServices, Gateway API HTTPRoutes, cache PVCs and RBAC, as deterministic YAML "
        "for GitOps."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_STATE = {"debug": False}


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


PathsArg = Annotated[
    list[Path],
    typer.Argument(help="Files or directories with AIM resource YAML (searched recursively)."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Project file (default: aimctl.yaml in the first PATH)."),
]
NamespaceOpt = Annotated[
    str,
    typer.Option(
        "--namespace",
        "-n",
        envvar="ARGOCD_APP_NAMESPACE",
        help="Namespace for namespaced inputs that do not name one.",
    ),
]


@app.callback()
def _global(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for user errors too.")
    ] = False,
) -> None:
    _STATE["debug"] = debug


def _stderr_console() -> object:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    from rich.text import Text

    from aimctl.report import format_diagnostic, sort_diagnostics

    console = _stderr_console()
    for d in sort_diagnostics(diagnostics):
        style = "red" if d.is_error else "yellow"
        console.print(Text(format_diagnostic(d), style=style))  # type: ignore[attr-defined]


def _say(message: str, style: str = "") -> None:
    from rich.text import Text

    _stderr_console().print(Text(message, style=style))  # type: ignore[attr-defined]


@app.command()
def validate(
    paths: PathsArg,
    config: ConfigOpt = None,
    namespace: NamespaceOpt = "default",
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="Report format.")
    ] = OutputFormat.text,
) -> None:
    """Load and check AIM resources (schemas, CEL rules, duplicates); report every problem at once."""
    from aimctl.pipeline import LoadOptions, load_inputs, locate, validate_references

    inputs = load_inputs(LoadOptions(tuple(paths), config, namespace))
    diagnostics = inputs.diagnostics
    if not inputs.has_errors:
        diagnostics = diagnostics + validate_references(inputs)
    if not inputs.files and not inputs.has_errors:
        diagnostics = [
            *diagnostics,
            Diagnostic("E_EMPTY", "no *.yaml or *.yml files found", file=" ".join(map(str, paths))),
        ]
    diagnostics = locate(diagnostics)
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if output is OutputFormat.json:
        from aimctl.report import report_json

        sys.stdout.write(
            report_json(diagnostics, files=len(inputs.files), documents=inputs.documents)
        )
    else:
        _print_diagnostics(diagnostics)
        summary = (
            f"{inputs.documents} documents in {len(inputs.files)} files: "
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        )
        _say(("invalid: " if errors else "valid: ") + summary, "red" if errors else "green")
    raise typer.Exit(EXIT_INVALID if errors else EXIT_OK)


@app.command()
def version() -> None:
    """Print the aimctl version."""
    sys.stdout.write(f"aimctl {__version__}\n")


def main() -> None:
    """Entry point: run the app, turning user errors into messages and exit codes."""
    try:
        app()  # standalone: usage errors exit 2, typer.Exit carries our exit codes
    except AimctlError as exc:
        if _STATE["debug"]:
            raise
        _print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_INVALID)
