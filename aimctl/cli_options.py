"""The command line's vocabulary: option definitions shared by the commands, their metavars, the
Examples block of every ``--help``, and the help layout (no Python type names).

A leaf of ``aimctl.cli``: it defines, it does not run anything.
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

__all__ = [
    "COMPLETE_VAR",
    "EXAMPLES",
    "FORMAT_WORDS",
    "MAX_JOBS",
    "AimctlCommand",
    "AimctlGroup",
    "ConfigOpt",
    "DebugOpt",
    "ExcludeKindsOpt",
    "GitOpsOpt",
    "GitOpsProfile",
    "IntermediatesOpt",
    "JobsOpt",
    "KindsOpt",
    "NamespaceOpt",
    "OperatorOpt",
    "OutputFormat",
    "PathsArg",
    "Phase",
    "PhaseOpt",
    "PlanFormat",
    "QuietOpt",
    "Shell",
    "StreamFormat",
    "StrictOpt",
    "TemplatesOpt",
    "VerboseOpt",
    "check_stdin",
    "examples",
    "output_dir_value",
]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class PlanFormat(StrEnum):
    """What ``aimctl plan`` writes: text for terminals, Markdown for PR comments, JSON."""

    text = "text"
    markdown = "markdown"
    json = "json"


class StreamFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class GitOpsProfile(StrEnum):
    plain = "plain"
    argocd = "argocd"
    flux = "flux"


class Phase(StrEnum):
    storage = "storage"
    serving = "serving"


class Shell(StrEnum):
    """The shells ``aimctl completion`` writes a script for."""

    bash = "bash"
    zsh = "zsh"
    fish = "fish"


COMPLETE_VAR = "_AIMCTL_COMPLETE"  # set by the completion script when the shell asks


def check_stdin(paths: list[Path] | tuple[Path, ...]) -> None:
    """``-`` reads standard input: on a terminal that would wait for typing, so say so."""
    if any(p.as_posix() == "-" for p in paths):
        stream = sys.stdin
        if stream is not None and stream.isatty():
            raise typer.BadParameter(
                "'-' reads a YAML stream from standard input, which is a terminal here; pipe "
                "the stream in (e.g. kustomize build . | aimctl render -)",
                param_hint="PATH",
            )


# Worded like an output format: `render X -o json` is a mistake (-o is the directory there), not a
# request for a directory called json/ (which `-o ./json` still gives).
FORMAT_WORDS = frozenset({"yaml", "yml", "json", "text", "txt", "markdown", "md", "wide", "name"})


def output_dir_value(value: str | None, instead: str = "") -> Path | None:
    """``-o DIR`` of ``render`` and ``diff`` (design §9): a bare format word is a usage error
    naming the option the user most likely meant (``instead``)."""
    if value is None:
        return None
    if value.strip().lower() in FORMAT_WORDS:
        raise typer.BadParameter(
            f"{value.strip()!r} looks like an output format, but -o names a directory here; "
            f"{instead}to use a directory of that name, write -o ./{value.strip()}",
            param_hint="-o / --output-dir",
        )
    return Path(value)


PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Files or directories with AIM resource YAML (searched recursively).",
        metavar="PATH...",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Project file (default: aimctl.yaml in the first PATH). Also accepted before the "
        "command.",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Treat tenant problems (undeclared namespaces, quotas too small) as errors.",
    ),
]
OperatorOpt = Annotated[
    str | None,
    typer.Option(
        "--operator-version",
        metavar="RELEASE",
        help="AIM Engine release to render (default: `operator` in aimctl.yaml, else 0.2.2).",
    ),
]


def _check_namespace(value: str) -> str:
    """``--namespace`` / ``ARGOCD_APP_NAMESPACE`` must be a DNS label: a usage error naming the
    option, not an error blamed on every input file that lacks a namespace."""
    if len(value) > 63 or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", value):
        from aimctl.report import clean_line

        raise typer.BadParameter(
            f"{clean_line(repr(value)[:80])} is not a DNS label (lower-case letters, digits and "
            "'-', at most 63 characters)",
            param_hint="--namespace / ARGOCD_APP_NAMESPACE",
        )
    return value


NamespaceOpt = Annotated[
    str,
    typer.Option(
        "--namespace",
        "-n",
        envvar="ARGOCD_APP_NAMESPACE",
        callback=_check_namespace,
        metavar="NS",
        help="Namespace for namespaced inputs that do not name one.",
    ),
]
TemplatesOpt = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        metavar="DIR",
        help="Directory of manifest templates to use instead of the built-in ones.",
    ),
]
IntermediatesOpt = Annotated[
    bool,
    typer.Option(
        "--include-intermediates",
        help="Also emit the AIM objects the operator creates in between (for review).",
    ),
]
KindsOpt = Annotated[
    str | None,
    typer.Option(
        "--kinds",
        metavar="KINDS",
        help="Keep only these kinds (comma-separated; kind names in any case, plurals or kubectl "
        "short names such as pvc, isvc, sa).",
    ),
]
GitOpsOpt = Annotated[
    GitOpsProfile | None,
    typer.Option(
        "--gitops",
        help="Output profile for the engine that applies the output: plain (the operator's "
        "objects), argocd or flux (download Jobs and cache PVCs safe to keep under that engine). "
        "Default: gitops in the project file, else argocd in the Argo CD plugin, else plain.",
    ),
]
ExcludeKindsOpt = Annotated[
    str | None,
    typer.Option(
        "--exclude-kinds",
        metavar="KINDS",
        help="Leave out these kinds (comma-separated, as for --kinds); applied after --kinds.",
    ),
]
PhaseOpt = Annotated[
    Phase | None,
    typer.Option(
        "--phase",
        help="Only one half of the render: storage (Namespaces, quotas, policies, service "
        "accounts, RBAC, PVCs, download Jobs) or serving (everything else: InferenceServices, "
        "routes, Ingresses and any other kind). The two halves always add up to the full render.",
    ),
]

# Global options: accepted before the command (aimctl -q render ...) and after it.
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for user errors too.")]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print errors only (no warnings or summary).")
]
VerboseOpt = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Say more: counts and stage timings, or details."),
]

MAX_JOBS = 1024  # above: a usage error; any number is capped at the CPUs available

JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=0,
        max=MAX_JOBS,
        metavar="N",
        help="Worker processes (forked) that parse files and render namespaces. 0: one per CPU "
        "for large inputs (4 MiB of YAML to parse, 1,000 services to render), else 1; never "
        "more than the CPUs available. The output is the same whatever the number.",
    ),
]


# Every command's --help ends with these (tests/test_cli_conventions.py runs each one).
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "aimctl": (
        ("aimctl render examples/quickstart", "print the manifests"),
        ("aimctl validate --strict examples/quickstart", "check before committing"),
        ("aimctl explain examples/quickstart ml-team/qwen-chat", "where every value came from"),
        ("aimctl COMMAND --help", "options and examples of one command"),
    ),
    "validate": (
        ("aimctl validate examples/quickstart", "report every problem at once"),
        ("aimctl validate --strict -o json platform/", "JSON report; fail on what render refuses"),
        ("cat svc.yaml | aimctl validate -", "check a stream read from stdin"),
    ),
    "render": (
        ("aimctl render examples/quickstart", "YAML stream on stdout"),
        ("aimctl render examples/quickstart --format json", "a v1 List instead"),
        ("aimctl render platform/ -o deploy/", "one file per object, atomic swap"),
        ("aimctl render platform/ -o deploy/ --check", "exit 3 when deploy/ is stale"),
        ("aimctl render platform/ --phase storage", "PVCs, Jobs and scaffolding only"),
        ("kustomize build . | aimctl render -", "render a stream read from stdin"),
    ),
    "diff": (
        ("aimctl diff platform/ -o deploy/", "unified diff; exit 3 when they differ"),
        ("aimctl diff -q platform/ -o deploy/ > render.diff", "no summary line"),
    ),
    "plan": (
        ("aimctl plan platform/ --base origin/main", "what merging this branch changes"),
        ("aimctl plan platform/ --base main -o markdown", "the same as a PR comment"),
        ("aimctl plan platform/ --base ../old-checkout/platform -o json", "base from a directory"),
    ),
    "explain": (
        ("aimctl explain examples/quickstart ml-team/qwen-chat", "the whole trace"),
        (
            "aimctl explain examples/quickstart ml-team/qwen-chat env.VLLM_LOG_LEVEL",
            "one field",
        ),
        ("aimctl explain -o json examples/quickstart ml-team/qwen-chat", "the trace as JSON"),
    ),
    "version": (
        ("aimctl version", "version and operator release"),
        ("aimctl version -v", "also the schemas accepted and the known deviations"),
        ("aimctl version -o json", "the same for machines"),
    ),
    "completion": (
        ('eval "$(aimctl completion bash)"', "bash, this shell only"),
        ('aimctl completion zsh > "${fpath[1]}/_aimctl"', "zsh, installed"),
        ("aimctl completion fish > ~/.config/fish/completions/aimctl.fish", "fish, installed"),
    ),
}


def examples(command: str) -> str:
    """The Examples block of ``command``'s --help (its epilog)."""
    rows = EXAMPLES[command]
    width = max(len(line) for line, _ in rows)
    body = "\n".join(f"  {line.ljust(width)}  # {note}" for line, note in rows)
    return f"Examples:\n{body}"


class _HelpLayout:
    """Help without Python type names: arguments by their metavar, the usage line as
    ``aimctl render [OPTIONS] PATH...``, and the Examples block printed as written."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces: list[str] = []
        metavar = getattr(self, "options_metavar", None)
        if metavar:
            pieces.append(metavar)
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if param.param_type_name == "argument":
                pieces.append(_argument_name(param))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        args: list[tuple[str, str]] = []
        opts: list[tuple[str, str]] = []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                text = getattr(param, "help", None) or ""
                if param.required:
                    text = f"{text}  [required]" if text else "[required]"
                args.append((_argument_name(param), text))
            else:
                record = param.get_help_record(ctx)
                if record is not None:
                    opts.append(record)
        if args:
            with formatter.section("Arguments"):
                formatter.write_dl(args)
        if opts:
            with formatter.section("Options"):
                formatter.write_dl(opts)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        epilog = getattr(self, "epilog", None)
        if epilog:
            formatter.write_paragraph()
            for line in epilog.splitlines():
                formatter.write(f"{' ' * formatter.current_indent}{line}\n")


def _argument_name(param: Any) -> str:
    metavar = getattr(param, "metavar", None)
    return str(metavar) if metavar else str(param.name).upper()


class AimctlCommand(_HelpLayout, TyperCommand):
    """Every aimctl command (``@app.command(cls=AimctlCommand)``)."""


class AimctlGroup(TyperGroup):
    """The ``aimctl`` group: commands listed as usual, the Examples block printed as written."""

    format_epilog = _HelpLayout.format_epilog
