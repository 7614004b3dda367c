"""Command line: turn options into a request, call one pipeline run (``aimctl.pipeline``), hand
its result to the reporter (``aimctl.report``), choose the exit code. It decides no values."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from aimctl import __version__
from aimctl.cli_options import (
    COMPLETE_VAR,
    MAX_JOBS,
    AimctlCommand,
    AimctlGroup,
    ConfigOpt,
    DebugOpt,
    ExcludeKindsOpt,
    GitOpsOpt,
    GitOpsProfile,
    IntermediatesOpt,
    JobsOpt,
    KindsOpt,
    NamespaceOpt,
    OperatorOpt,
    OutputFormat,
    PathsArg,
    Phase,
    PhaseOpt,
    PlanFormat,
    QuietOpt,
    Shell,
    StreamFormat,
    StrictOpt,
    TemplatesOpt,
    VerboseOpt,
    check_stdin,
    examples,
    output_dir_value,
)
from aimctl.errors import (
    EXIT_DRIFT,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    AimctlError,
    Diagnostic,
    UsageError,
)

if TYPE_CHECKING:
    from aimctl.pipeline.options import Hooks

_T = TypeVar("_T")

__all__ = ["MAX_JOBS", "GitOpsProfile", "Phase", "app", "main"]

app = typer.Typer(
    name="aimctl",
    cls=AimctlGroup,
    help=(
        "Render AMD AIM Engine resources offline, exactly as the operator would: KServe "
        "InferenceServices, Gateway API HTTPRoutes, cache PVCs and RBAC, as deterministic YAML "
        "for GitOps."
    ),
    epilog=examples("aimctl"),
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_STATE: dict[str, object] = {"debug": False, "quiet": False, "verbose": False, "config": None}


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``@app.command`` with aimctl's help layout and the command's Examples block."""
    return app.command(name, cls=AimctlCommand, epilog=examples(name))


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(_version_line() + "\n")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _global(
    ctx: typer.Context,
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    config: Annotated[
        Path | None,
        typer.Option("--config", metavar="FILE", help="Project file for the command that follows."),
    ] = None,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and the operator release aimctl renders.",
        ),
    ] = False,
) -> None:
    _STATE.update(debug=debug, quiet=quiet, verbose=verbose, config=config)
    if ctx.invoked_subcommand is None:  # bare `aimctl`: the help, on stdout, exit 0
        from aimctl.confine import plugin_mode

        if plugin_mode():  # stdout must carry manifests there (see _refuse_help_in_plugin)
            raise typer.BadParameter(
                "no command given (check the generate command in plugin.yaml)", param_hint="COMMAND"
            )
        _write_stdout(ctx.get_help() + "\n")
        raise typer.Exit(EXIT_OK)


def _globals(debug: bool, quiet: bool, verbose: bool) -> tuple[bool, bool]:
    """Merge the global options given after the command with those given before it; return
    (quiet, verbose)."""
    if debug:
        _STATE["debug"] = True
    return quiet or bool(_STATE["quiet"]), verbose or bool(_STATE["verbose"])


def _config(config: Path | None) -> Path | None:
    """``--config`` after the command, else before it; two different files are a usage error."""
    before = _STATE["config"]
    if config is None:
        return before if isinstance(before, Path) else None
    if before is not None and before != config:
        raise typer.BadParameter(
            f"given twice with different files ({before} before the command, {config} after it)",
            param_hint="--config",
        )
    return config


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


def _write_stdout(text: str) -> None:
    """The command's result on stdout, as UTF-8 whatever the locale's encoding; a stdout that is
    closed, full (``/dev/full``) or gone is one line on stderr and exit 1, not a traceback."""
    stream = sys.stdout
    try:
        if stream is None:
            raise OSError("stdout is closed")
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            stream.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()
        else:
            stream.write(text)
            stream.flush()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        with contextlib.suppress(Exception):
            sys.stderr.write(f"aimctl: cannot write the result to stdout: {reason}\n")
        with contextlib.suppress(Exception):  # nothing more may reach a broken stdout
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        raise typer.Exit(EXIT_INVALID) from None


def _escape(text: str) -> str:
    from aimctl.report import clean_line

    return clean_line(text)


def _say(message: str, style: str = "") -> None:
    """One line on stderr; control characters (terminal escape sequences in file names or
    arguments) are escaped as diagnostics escape them."""
    from rich.text import Text

    _stderr_console().print(Text(_escape(message), style=style))  # type: ignore[attr-defined]


@_command("validate")
def validate(
    paths: PathsArg,
    config: ConfigOpt = None,
    operator_version: OperatorOpt = None,
    namespace: NamespaceOpt = "default",
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="Report format.")
    ] = OutputFormat.text,
    strict: StrictOpt = False,
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Load and check AIM resources (schemas, CEL rules, duplicates); report every problem at once."""
    import time

    from aimctl.pipeline.options import LoadOptions
    from aimctl.pipeline.validate import run_validate
    from aimctl.report import shown_paths, validate_summary

    started = time.perf_counter()
    quiet, verbose = _globals(debug, quiet, verbose)
    config = _config(config)
    check_stdin(paths)
    options = LoadOptions(tuple(paths), config, namespace, jobs=0, operator=operator_version)
    result = _run(lambda: run_validate(options, strict, shown_paths(paths)), output)
    if output is OutputFormat.json:
        from aimctl.report import report_json

        _write_stdout(
            report_json(
                result.diagnostics,
                files=result.files,
                documents=result.documents,
                operatorVersion=result.operator,
            )
        )
    elif quiet:
        _print_diagnostics([d for d in result.diagnostics if d.is_error])
    else:
        _print_diagnostics(result.diagnostics)
        errors = result.errors
        line, style = validate_summary(
            result.documents, result.files, errors, len(result.diagnostics) - errors
        )
        if verbose:
            line += f" ({time.perf_counter() - started:.2f}s)"
        _say(line, style)
    raise typer.Exit(EXIT_INVALID if result.errors else EXIT_OK)


def _finish(diagnostics: list[Diagnostic], report: OutputFormat, **summary: object) -> int:
    """Print the diagnostics (stderr, or a JSON report on stdout); return the exit code."""
    from aimctl.loader import SpanIndex

    spans = SpanIndex()
    located = [spans.resolve(d) for d in diagnostics]
    errors = sum(1 for d in located if d.is_error)
    if report is OutputFormat.json:
        from aimctl.report import report_json

        _write_stdout(report_json(located, **summary))
    else:
        _print_diagnostics(located)
    return EXIT_INVALID if errors else EXIT_OK


def _run(run: Callable[[], _T], report: OutputFormat) -> _T:
    """Call one pipeline run; a refusal is reported (``report``: its format) with exit 1, a
    message that stops the run is one red line and exit 1, an option that means nothing for
    these inputs a usage error (exit 2)."""
    from aimctl.pipeline.outcome import OptionProblem, Refused, Stopped

    try:
        return run()
    except Refused as refused:
        raise typer.Exit(_finish(refused.diagnostics, report, **refused.summary)) from None
    except Stopped as stopped:
        _say(stopped.message, "red")
        raise typer.Exit(EXIT_INVALID) from None
    except OptionProblem as problem:
        raise typer.BadParameter(problem.message, param_hint=problem.option) from None


def _hooks(verbose: bool, progress: bool | None = False, quiet: bool = False) -> Hooks:
    """The reporter's side of a run: ``--verbose`` lines on stderr, and a progress bar for
    large renders (``progress``: the option; None = on a terminal, outside CI)."""
    from aimctl.pipeline.options import Hooks

    if progress is None:
        progress = sys.stderr.isatty() and not quiet and not os.environ.get("CI")
    enabled = progress

    def bar(services: int) -> contextlib.AbstractContextManager[Callable[[int, int], None] | None]:
        return _progress(enabled and services >= PROGRESS_THRESHOLD)

    return Hooks(note=_say if verbose else None, progress=bar)


def _shown(diagnostics: list[Diagnostic], quiet: bool) -> list[Diagnostic]:
    """What to print: errors only with ``--quiet``."""
    return [d for d in diagnostics if d.is_error] if quiet else diagnostics


def _kind_set(kinds: str | None, option: str = "--kinds") -> frozenset[str] | None:
    """The kinds ``--kinds`` names; naming none (``''``, ``" , "``) is a usage error: a filter that
    keeps nothing would print nothing, and Argo CD prunes an app whose plugin prints nothing."""
    if kinds is None:
        return None
    names = frozenset(k.strip() for k in kinds.split(",") if k.strip())
    if not names:
        raise typer.BadParameter(
            "names no kind (comma-separated kinds, e.g. Job,PersistentVolumeClaim)",
            param_hint=option,
        )
    return names


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr for large renders, only on a terminal (never on stdout)."""
    if not enabled:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=_stderr_console(), transient=True) as bar:  # type: ignore[arg-type]
        task = bar.add_task("resolving services", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick


NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        envvar="AIMCTL_NO_CACHE",
        help="Render everything even when the trust record in $AIMCTL_CACHE_DIR says the inputs "
        "or most namespaces are unchanged (see docs/security.md).",
    ),
]

PROGRESS_THRESHOLD = 300


@_command("render")
def render(
    paths: PathsArg,
    output: Annotated[
        str | None,
        typer.Option(
            "--output-dir",
            "-o",
            metavar="DIR",
            help="Write one file per object here (atomic swap).",
        ),
    ] = None,
    fmt: Annotated[
        StreamFormat, typer.Option("--format", help="Stream format when printing to stdout.")
    ] = StreamFormat.yaml,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Compare with --output-dir instead of writing; exit 3 on drift."
        ),
    ] = False,
    report: Annotated[
        OutputFormat, typer.Option("--report", help="Format of the error or --check report.")
    ] = OutputFormat.text,
    config: ConfigOpt = None,
    operator_version: OperatorOpt = None,
    namespace: NamespaceOpt = "default",
    templates: TemplatesOpt = None,
    include_intermediates: IntermediatesOpt = False,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Succeed even when nothing is rendered.")
    ] = False,
    sync_waves: Annotated[
        bool,
        typer.Option(
            "--sync-waves",
            help="Add Argo CD sync-wave annotations: scaffolding, then PVCs and Jobs, then "
            "InferenceServices and routes.",
        ),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar on stderr (default: on a terminal, outside CI, for large renders).",
        ),
    ] = None,
    kinds: KindsOpt = None,
    exclude_kinds: ExcludeKindsOpt = None,
    phase: PhaseOpt = None,
    strict: StrictOpt = False,
    create_namespaces: Annotated[
        bool,
        typer.Option(
            "--create-namespaces",
            help="Render a Namespace for namespaces AIM resources use but no tenant declares.",
        ),
    ] = False,
    jobs: JobsOpt = 0,
    gitops: GitOpsOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            metavar="NAMESPACE",
            help="Only the objects of this tenant (resolved against the whole tree); needs "
            "paths in aimctl.yaml.",
        ),
    ] = None,
    platform: Annotated[
        bool,
        typer.Option(
            "--platform",
            help="Only the platform's objects: scaffolding, cluster-scoped objects, what its "
            "paths hold, children outside tenant namespaces.",
        ),
    ] = False,
    no_cache: NoCacheOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Resolve AIM resources like the operator and print or write the Kubernetes manifests."""
    output_dir = output_dir_value(
        output, "for a JSON stream use --format json, for a JSON report --report json; "
    )
    quiet, verbose = _globals(debug, quiet, verbose)
    config = _config(config)
    check_stdin(paths)
    if check and output_dir is None:
        raise typer.BadParameter("--check needs --output-dir", param_hint="--check")
    if tenant is not None and platform:
        raise typer.BadParameter("give --tenant or --platform, not both", param_hint="--tenant")
    from aimctl.confine import plugin_mode

    if output_dir is not None and plugin_mode():
        raise typer.BadParameter(
            "not in the Argo CD plugin: its stdout must carry the manifests",
            param_hint="--output-dir",
        )
    from aimctl.pipeline.options import RenderOptions, RenderRequest
    from aimctl.pipeline.render import Checked, Streamed, Written, run_render

    request = RenderRequest(
        paths=tuple(paths),
        config=config,
        namespace=namespace,
        operator=operator_version,
        options=RenderOptions(
            templates=templates,
            include_intermediates=include_intermediates,
            sync_waves=sync_waves,
            create_namespaces=create_namespaces,
            strict=strict,
            jobs=jobs,
            yaml_output=output_dir is not None or fmt is StreamFormat.yaml,
            gitops=gitops.value if gitops is not None else "",
            kinds=_kind_set(kinds),
            exclude_kinds=_kind_set(exclude_kinds, "--exclude-kinds"),
            phase=phase.value if phase is not None else None,
        ),
        output_dir=output_dir,
        check=check,
        no_cache=no_cache,
        allow_empty=allow_empty,
        tenant=tenant,
        platform=platform,
    )
    result = _run(lambda: run_render(request, _hooks(verbose, progress, quiet)), report)
    code = _finish(_shown(result.warnings, quiet), OutputFormat.text)
    if isinstance(result, Streamed):
        from aimctl.emit import stream_text
        from aimctl.report import stream_json

        json_stream = fmt is StreamFormat.json
        _write_stdout(stream_json(result.objects) if json_stream else stream_text(result.objects))
        raise typer.Exit(EXIT_OK)
    if isinstance(result, Written):
        if not quiet:
            if result.unchanged:
                _say(f"{output_dir}: up to date ({result.count} objects); nothing written", "green")
            else:
                _say(f"wrote {result.count} objects to {output_dir}", "green")
        raise typer.Exit(code)
    assert isinstance(result, Checked) and output_dir is not None
    drift = result.drift
    if report is OutputFormat.json:
        from aimctl.report import drift_json

        _write_stdout(drift_json(drift.added, drift.changed, drift.removed))
    else:
        from aimctl.report import drift_lines

        for line, style in drift_lines(output_dir, drift.added, drift.changed, drift.removed):
            _say(line, style)
    raise typer.Exit(code if code else (EXIT_OK if drift.clean else EXIT_DRIFT))


@_command("diff")
def diff(
    paths: PathsArg,
    output: Annotated[
        str,
        typer.Option(
            "--output-dir", "-o", metavar="DIR", help="The rendered directory to compare with."
        ),
    ],
    config: ConfigOpt = None,
    operator_version: OperatorOpt = None,
    namespace: NamespaceOpt = "default",
    templates: TemplatesOpt = None,
    include_intermediates: IntermediatesOpt = False,
    sync_waves: Annotated[
        bool,
        typer.Option("--sync-waves", help="As for render."),
    ] = False,
    kinds: KindsOpt = None,
    exclude_kinds: ExcludeKindsOpt = None,
    phase: PhaseOpt = None,
    jobs: JobsOpt = 0,
    gitops: GitOpsOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    no_cache: NoCacheOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Unified diff of a rendered directory against a fresh render (exit 3 when they differ)."""
    from aimctl.emit import UNREADABLE
    from aimctl.pipeline.options import RenderOptions, RenderRequest
    from aimctl.pipeline.render import run_diff
    from aimctl.report import diff_text

    output_dir = output_dir_value(output)
    assert output_dir is not None
    quiet, verbose = _globals(debug, quiet, verbose)
    config = _config(config)
    check_stdin(paths)
    request = RenderRequest(
        paths=tuple(paths),
        config=config,
        namespace=namespace,
        operator=operator_version,
        options=RenderOptions(
            templates=templates,
            include_intermediates=include_intermediates,
            sync_waves=sync_waves,
            jobs=jobs,
            yaml_output=True,
            gitops=gitops.value if gitops is not None else "",
            kinds=_kind_set(kinds),
            exclude_kinds=_kind_set(exclude_kinds, "--exclude-kinds"),
            phase=phase.value if phase is not None else None,
        ),
        output_dir=output_dir,
        no_cache=no_cache,
    )
    result = _run(lambda: run_diff(request, _hooks(verbose)), OutputFormat.text)
    _finish(_shown(result.warnings, quiet), OutputFormat.text)
    text = diff_text(result.old, result.fresh, UNREADABLE)
    if not text:
        if not quiet:
            _say(f"{output_dir}: no differences", "green")
        raise typer.Exit(EXIT_OK)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.syntax import Syntax

        Console().print(Syntax(text, "diff", theme="ansi_dark", background_color="default"))
    else:
        _write_stdout(text)
    raise typer.Exit(EXIT_DRIFT)


@_command("explain")
def explain(
    args: Annotated[
        list[str],
        typer.Argument(
            help="Input paths, then the service as namespace/name, then an optional field "
            "prefix such as env.AIM_ENGINE_ARGS or resources.limits.",
            metavar="PATH... NAMESPACE/SERVICE [FIELD]",
        ),
    ],
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="Trace format.")
    ] = OutputFormat.text,
    config: ConfigOpt = None,
    operator_version: OperatorOpt = None,
    namespace: NamespaceOpt = "default",
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Show how one AIMService was resolved: every value, where it came from, what it overrode."""
    import time

    from aimctl.pipeline.explain import run_explain
    from aimctl.pipeline.options import LoadOptions

    started = time.perf_counter()
    quiet, verbose = _globals(debug, quiet, verbose)
    config = _config(config)

    paths: list[Path] = []
    rest: list[str] = []
    for arg in args:
        if not rest and (arg == "-" or Path(arg).exists()):
            paths.append(Path(arg))
        else:
            rest.append(arg)
    if not paths or not rest or len(rest) > 2 or "/" not in rest[0]:
        raise typer.BadParameter(
            "expected PATH... NAMESPACE/SERVICE [FIELD] (the service as namespace/name)",
            param_hint="ARGS",
        )
    target, prefix = rest[0], (rest[1] if len(rest) > 1 else None)
    check_stdin(paths)
    options = LoadOptions(tuple(paths), config, namespace, jobs=0, operator=operator_version)
    result = _run(lambda: run_explain(options, target, prefix), OutputFormat.text)
    if output is OutputFormat.json:
        from aimctl.report import explain_json

        _write_stdout(explain_json(result.trace))
    else:
        from aimctl.explain import render_text

        render_text(result.trace)
        _print_diagnostics(_shown(result.diagnostics, quiet))
    if verbose and not quiet:
        _say(
            f"{result.documents} documents in {result.files} files read for "
            f"{target}; {time.perf_counter() - started:.2f}s"
        )
    raise typer.Exit(EXIT_OK if result.ok else EXIT_INVALID)


def _plan_failed(diagnostics: list[Diagnostic], what: str, output: PlanFormat) -> NoReturn:
    """Exit 1 with the messages: on stderr, or as the JSON report on stdout with ``-o json``."""
    if output is PlanFormat.json:
        from aimctl.report import report_json

        _write_stdout(report_json(diagnostics, plan=what))
    else:
        _print_diagnostics(diagnostics)
        _say(f"plan: {what}", "red")
    raise typer.Exit(EXIT_INVALID)


@_command("plan")
def plan(
    paths: PathsArg,
    base: Annotated[
        str,
        typer.Option(
            "--base",
            metavar="REF|DIR",
            help="What the cluster runs now: a directory when one exists with that name, else a "
            "git revision (branch, tag, commit) of the repository the current directory is in.",
        ),
    ],
    output: Annotated[
        PlanFormat,
        typer.Option("--output", "-o", help="Report format (markdown: for PR comments)."),
    ] = PlanFormat.text,
    config: ConfigOpt = None,
    operator_version: OperatorOpt = None,
    namespace: NamespaceOpt = "default",
    gitops: GitOpsOpt = None,
    strict: StrictOpt = False,
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """What applying the working tree changes in the cluster, compared with --base: objects
    added, changed and removed per namespace and service, and their consequences (restarts, cache
    downloads, Jobs, refused immutable changes, routes, GPUs). Exit 0 when nothing changes, 3 when
    something does, 1 on error."""
    import time

    from aimctl.pipeline.plan import PlanRefused, run_plan
    from aimctl.plan_report import plan_json, plan_markdown, plan_text
    from aimctl.plan_sources import SideOptions

    started = time.perf_counter()
    quiet, verbose = _globals(debug, quiet, verbose)
    config = _config(config)
    options = SideOptions(
        tuple(paths), config, namespace, operator_version, gitops.value if gitops else None, strict
    )
    try:
        planned = run_plan(options, base)
    except PlanRefused as refused:
        _plan_failed(refused.diagnostics, refused.what, output)
    if not quiet:  # the working tree's warnings, as render prints them
        _print_diagnostics(planned.warnings)
    result = planned.plan
    if output is PlanFormat.json:
        _write_stdout(plan_json(result))
    elif output is PlanFormat.markdown:
        _write_stdout(plan_markdown(result))
    else:
        _write_stdout(plan_text(result))
    if verbose and not quiet:
        _say(f"plan: both sides rendered and compared in {time.perf_counter() - started:.2f}s")
    raise typer.Exit(EXIT_DRIFT if result.changed else EXIT_OK)


def _version_line() -> str:
    from aimctl.model.currency import OPERATOR_RELEASE

    return (
        f"aimctl {__version__} (renders AIM Engine {OPERATOR_RELEASE} behaviour; accepts "
        f"aim.eai.amd.com/v1alpha1 [{OPERATOR_RELEASE} schema] and v1alpha2 "
        "AIMService/AIMClusterProfile [0.2.5-cycle schema]; profile pipeline: validate only)"
    )


@_command("version")
def version(
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="Output format.")
    ] = OutputFormat.text,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Also list the schemas and the known deviations."),
    ] = False,
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Print the aimctl version, the operator release it renders and the schemas it accepts."""
    from aimctl.model.currency import ACCEPTED_SCHEMAS, DEVIATIONS, version_info

    quiet, verbose = _globals(debug, quiet, verbose)

    if output is OutputFormat.json:
        import json

        _write_stdout(json.dumps(version_info(__version__), indent=2) + "\n")
        return
    lines = [_version_line()]
    if verbose:
        lines += ["schemas accepted:", *(f"  - {s}" for s in ACCEPTED_SCHEMAS)]
        lines += ["known deviations from the operator:", *(f"  - {d}" for d in DEVIATIONS)]
    _write_stdout("\n".join(lines) + "\n")


@_command("completion")
def completion(
    shell: Annotated[Shell, typer.Argument(help="The shell to complete in.", metavar="SHELL")],
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Print a shell completion script for commands, options and their values."""
    from typer._completion_shared import get_completion_script  # typer has no public one

    _globals(debug, quiet, verbose)
    script = get_completion_script(prog_name="aimctl", complete_var=COMPLETE_VAR, shell=shell.value)
    _write_stdout(script + "\n")


def _refuse_help_in_plugin() -> None:
    """In the Argo CD plugin, ``--help`` (say, ``AIMCTL_PATH=--help``) would print text to stdout
    and exit 0, and Argo CD would take the empty manifest set as "delete everything"."""
    from aimctl.confine import plugin_mode

    args = sys.argv[1:]
    options = args[: args.index("--")] if "--" in args else args
    if "--help" in options and plugin_mode():
        sys.stderr.write(
            "aimctl: --help is refused in the Argo CD plugin (stdout must carry manifests); "
            "check AIMCTL_PATH\n"
        )
        sys.exit(EXIT_USAGE)


def _apply_plugin_parameters() -> None:
    """In the Argo CD plugin, ``render`` takes the plugin's parameters (``aimctl.argocd``) as
    options; a parameter aimctl does not read, or a value of the wrong type, is a usage error."""
    from aimctl.confine import plugin_mode

    args = sys.argv[1:]
    index = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    if index is None or args[index] != "render" or not plugin_mode():
        return
    from aimctl.argocd import ParameterError, plugin_argv
    from aimctl.report import clean_line

    try:
        sys.argv[1:] = args[:index] + plugin_argv(args[index:], os.environ)
    except ParameterError as exc:
        sys.stderr.write(f"aimctl: Argo CD plugin: {clean_line(str(exc))}\n")
        sys.exit(EXIT_USAGE)


def main() -> None:
    """Entry point: run the app, turning user errors into messages and exit codes."""
    _refuse_help_in_plugin()
    if os.environ.get(COMPLETE_VAR):  # the shell asks for completions (aimctl completion SHELL)
        from typer._completion_classes import completion_init  # typer's protocol, as scripted

        completion_init()
    _apply_plugin_parameters()
    try:
        # standalone: usage errors exit 2, typer.Exit carries our exit codes
        app(prog_name="aimctl", complete_var=COMPLETE_VAR)
    except AimctlError as exc:
        if _STATE["debug"]:
            raise
        from aimctl.pipeline import locate

        _print_diagnostics(locate(exc.diagnostics))
        sys.exit(EXIT_USAGE if isinstance(exc, UsageError) else EXIT_INVALID)
