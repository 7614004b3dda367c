"""Command line: parse options, call the pipeline, print results, choose the exit code."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

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
    shown_paths,
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
    from aimctl.emit import Drift
    from aimctl.incremental import Hit, Partial, Settings
    from aimctl.pipeline import Inputs, RenderResult
    from aimctl.project import Project
    from aimctl.tenants.ownership import OwnerKey

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

    from aimctl.confine import outside_repository
    from aimctl.pipeline import LoadOptions, forecast_render, load_inputs, locate

    started = time.perf_counter()
    quiet, verbose = _globals(debug, quiet, verbose)
    config = _config(config)
    check_stdin(paths)
    refused = outside_repository(tuple(paths), config, None)
    if refused:
        raise typer.Exit(_finish(refused, output))
    inputs = load_inputs(
        LoadOptions(tuple(paths), config, namespace, jobs=0, operator=operator_version)
    )
    diagnostics = inputs.diagnostics
    if not inputs.has_errors:
        diagnostics = diagnostics + forecast_render(inputs, strict, shown_paths(paths))
    if not inputs.files and not inputs.has_errors:
        diagnostics = [
            *diagnostics,
            Diagnostic("E_EMPTY", "no *.yaml or *.yml files found", file=shown_paths(paths)),
        ]
    diagnostics = locate(diagnostics)
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if output is OutputFormat.json:
        from aimctl.report import report_json

        _write_stdout(
            report_json(
                diagnostics,
                files=len(inputs.files),
                documents=inputs.documents,
                operatorVersion=inputs.operator,
            )
        )
    elif quiet:
        _print_diagnostics([d for d in diagnostics if d.is_error])
    else:
        _print_diagnostics(diagnostics)
        summary = (
            f"{inputs.documents} documents in {len(inputs.files)} files: "
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        )
        if verbose:
            summary += f" ({time.perf_counter() - started:.2f}s)"
        _say(("invalid: " if errors else "valid: ") + summary, "red" if errors else "green")
    raise typer.Exit(EXIT_INVALID if errors else EXIT_OK)


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


def _resolve_kinds(
    names: frozenset[str] | None, present: set[str], option: str
) -> frozenset[str] | None:
    """The kinds ``--kinds`` / ``--exclude-kinds`` name (any case, plurals, short names:
    ``aimctl.kinds``); a name that means no kind aimctl renders or the inputs hold is a usage
    error with a suggestion (a typo would filter out everything, or keep the kind meant out)."""
    if names is None:
        return None
    from aimctl.kinds import resolve_kinds

    kinds, problem = resolve_kinds(names, present)
    if problem:
        raise typer.BadParameter(problem, param_hint=option)
    return kinds


def _default_gitops(project: Project) -> str:
    """``gitops`` of the project file when it sets one; else the engine aimctl runs under:
    ``argocd`` in the Argo CD plugin (its download Jobs and cache PVCs are kept by Argo CD),
    ``plain`` elsewhere."""
    if "gitops" in project.model_fields_set:
        return project.gitops
    from aimctl.confine import plugin_mode

    return "argocd" if plugin_mode() else "plain"


def _too_large(
    objects: list[dict[str, object]], inputs: object, paths: tuple[Path, ...]
) -> list[Diagnostic]:
    """Objects the API server could not store (over etcd's 1.5 MiB), each named with the input
    that contributed most (``aimctl.sizes``)."""
    from aimctl.sizes import Source, too_large

    catalog = getattr(inputs, "catalog", None)

    def sources() -> list[Source]:  # only when an object is too large
        entries = [*getattr(catalog, "passthrough", []), *getattr(catalog, "by_key", {}).values()]
        out = [Source(e.file, e.doc, e.key, e.raw) for e in entries if isinstance(e.raw, dict)]
        project, project_file = (
            getattr(inputs, "project", None),
            getattr(inputs, "project_file", None),
        )
        if project is not None and project_file:
            raw = project.model_dump(by_alias=True, exclude_none=True, mode="json")
            out.append(Source(project_file, 0, None, raw))
        return out

    return too_large(objects, sources, shown_paths(paths))


def _serialised(objects: list[dict[str, object]]) -> list[dict[str, object]]:
    """Every object as its YAML document (``emit.Serialised``), serialised once: the size check
    measures the text that the stream or the files then write as is."""
    from aimctl.emit import Serialised, document_text

    return [
        o if type(o) is Serialised else Serialised(Serialised.identity(o), document_text(o))
        for o in objects
    ]


def _refuse_outside(request: _Request) -> None:
    """Plugin mode: exit 1 when an input path leads outside the repository checkout."""
    from aimctl.confine import outside_repository

    problems = outside_repository(request.paths, request.config, request.templates)
    if problems:
        raise typer.Exit(_finish(problems, request.report))


@dataclass(frozen=True, slots=True)
class _Request:
    """What every rendering command needs, gathered from its options."""

    paths: tuple[Path, ...]
    output_dir: Path | None
    config: Path | None
    namespace: str
    templates: Path | None
    include_intermediates: bool
    allow_empty: bool = False
    report: OutputFormat = OutputFormat.text
    quiet: bool = False
    verbose: bool = False
    progress: bool | None = None
    sync_waves: bool = False
    kinds: frozenset[str] | None = None
    strict: bool = False
    create_namespaces: bool = False
    jobs: int = 0
    yaml_output: bool = True
    operator: str | None = None
    gitops: GitOpsProfile | None = None
    exclude_kinds: frozenset[str] | None = None
    phase: Phase | None = None
    tenant: str | None = None  # render --tenant NAMESPACE
    platform: bool = False  # render --platform


def _progress_enabled(request: _Request) -> bool:
    if request.progress is not None:
        return request.progress
    return sys.stderr.isatty() and not request.quiet and not os.environ.get("CI")


def _render_objects(
    request: _Request, walked: tuple[list[Path], list[Diagnostic]] | None = None
) -> tuple[list[dict[str, object]], list[Diagnostic], Inputs]:
    """Load and render; on any error print the report and exit 1 (nothing is written).

    Returns the objects, the warnings to print (all of them, ``--quiet`` or not) and the inputs.
    """
    import time

    from aimctl.keepalive import keep
    from aimctl.pipeline import select_owner

    started = time.perf_counter()
    _refuse_outside(request)
    inputs = _load(request, walked)
    owner, problems = (
        (None, []) if inputs.has_errors else select_owner(inputs, request.tenant, request.platform)
    )
    if inputs.has_errors or problems:
        raise typer.Exit(
            _finish(inputs.diagnostics + problems, request.report, operatorVersion=inputs.operator)
        )
    loaded = time.perf_counter()
    objects, diagnostics, result = _render_loaded(request, inputs, owner)
    keep(result)  # the rendered objects, when ``objects`` holds their YAML text
    if any(d.is_error for d in diagnostics):
        raise typer.Exit(_finish(diagnostics, request.report, operatorVersion=inputs.operator))
    if request.verbose:
        kube = os.environ.get("KUBE_VERSION")
        _say(
            f"{inputs.documents} documents in {len(inputs.files)} files; {result.services} services "
            f"-> {len(result.objects)} objects; load {loaded - started:.2f}s, resolve+render "
            f"{time.perf_counter() - loaded:.2f}s" + (f"; KUBE_VERSION {kube}" if kube else "")
        )
    return objects, diagnostics, inputs


def _load(request: _Request, walked: tuple[list[Path], list[Diagnostic]] | None = None) -> Inputs:
    from aimctl.pipeline import LoadOptions, load_inputs

    skip = (request.output_dir,) if request.output_dir is not None else ()
    return load_inputs(
        LoadOptions(
            request.paths,
            request.config,
            request.namespace,
            skip,
            request.jobs,
            operator=request.operator,
            walked=walked,
        )
    )


def _render_loaded(
    request: _Request, inputs: Inputs, owner: OwnerKey | None
) -> tuple[list[dict[str, object]], list[Diagnostic], RenderResult]:
    """Render loaded inputs with the request's options and filters; prints nothing. The
    diagnostics returned are the inputs' and the render's, errors included."""
    from aimctl.pipeline import RenderOptions, render_inputs

    present = {str(e.raw.get("kind")) for e in inputs.catalog.passthrough}
    kinds = _resolve_kinds(request.kinds, present, "--kinds")
    exclude_kinds = _resolve_kinds(request.exclude_kinds, present, "--exclude-kinds")
    options = RenderOptions(
        request.templates,
        request.include_intermediates,
        sync_waves=request.sync_waves,
        create_namespaces=request.create_namespaces,
        strict=request.strict,
        jobs=request.jobs,
        yaml_output=request.yaml_output,
        gitops=str(request.gitops or _default_gitops(inputs.project)),
        owner=owner,
    )
    count = len(inputs.catalog.of_kind("AIMService"))
    with _progress(_progress_enabled(request) and count >= PROGRESS_THRESHOLD) as tick:
        result = render_inputs(inputs, options, on_service=tick)
    diagnostics = inputs.diagnostics + result.diagnostics
    objects = result.objects
    if kinds is not None:
        objects = [o for o in objects if o.get("kind") in kinds]
    if exclude_kinds:
        objects = [o for o in objects if o.get("kind") not in exclude_kinds]
    if request.phase is not None:
        from aimctl.emit import phase_of

        objects = [o for o in objects if phase_of(o) == request.phase.value]
    if request.yaml_output:
        objects = _serialised(objects)
    diagnostics.extend(_too_large(objects, inputs, request.paths))
    if result.ok and not objects and not request.allow_empty:
        what = (
            f"nothing left after --kinds {','.join(sorted(request.kinds or ()))}"
            if result.objects
            else "nothing to render (no AIMService or other object found)"
        )
        diagnostics.append(
            Diagnostic(
                "E_EMPTY",
                f"{what}; pass --allow-empty to accept",
                file=shown_paths(request.paths),
            )
        )
    return objects, diagnostics, result


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
    request = _Request(
        tuple(paths),
        output_dir,
        config,
        namespace,
        templates,
        include_intermediates,
        allow_empty,
        report,
        quiet,
        verbose,
        progress,
        sync_waves,
        _kind_set(kinds),
        strict,
        create_namespaces,
        jobs,
        yaml_output=output_dir is not None or fmt is StreamFormat.yaml,
        operator=operator_version,
        gitops=gitops,
        exclude_kinds=_kind_set(exclude_kinds, "--exclude-kinds"),
        phase=phase,
        tenant=tenant,
        platform=platform,
    )
    if output_dir is not None and not check:
        from aimctl.confine import output_holds_input

        held = output_holds_input(output_dir, (*request.paths, config, templates))
        if held is not None:
            raise typer.Exit(_finish([held], report))
    if output_dir is None:
        objects, diagnostics, _ = _render_objects(request)
        _finish(_shown(diagnostics, request), OutputFormat.text)
        _write_stdout(_stream(objects, fmt))
        raise typer.Exit(EXIT_OK)
    raise typer.Exit(_write_or_check(request, check, no_cache))


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
    import difflib

    from aimctl.emit import UNREADABLE, build_files, current_files, read_files
    from aimctl.incremental import Hit, Partial

    output_dir = output_dir_value(output)
    assert output_dir is not None
    quiet, verbose = _globals(debug, quiet, verbose)
    config = _config(config)
    check_stdin(paths)

    request = _Request(
        tuple(paths),
        output_dir,
        config,
        namespace,
        templates,
        include_intermediates,
        quiet=quiet,
        verbose=verbose,
        progress=False,
        sync_waves=sync_waves,
        kinds=_kind_set(kinds),
        exclude_kinds=_kind_set(exclude_kinds, "--exclude-kinds"),
        phase=phase,
        jobs=jobs,
        operator=operator_version,
        gitops=gitops,
    )
    current_files(output_dir, read=False)  # refuses a directory aimctl did not write
    settings = _cache_settings(request)
    answer = None if no_cache or settings is None else _consult(request, settings)
    if isinstance(answer, Hit):
        _finish(_shown(answer.warnings, request), OutputFormat.text)
        old: dict[str, str] = {}
        fresh: dict[str, str] = {}
    elif isinstance(answer, Partial):
        _finish(_shown(answer.warnings, request), OutputFormat.text)
        fresh = answer.files
        old = read_files(output_dir, sorted({*fresh, *answer.removed}))
    else:
        old = current_files(output_dir)  # follows no link
        objects, diagnostics, inputs = _render_objects(request)
        _finish(_shown(diagnostics, request), OutputFormat.text)
        fresh = build_files(objects)
        if settings is not None and old == fresh:
            _remember_clean(settings, inputs, diagnostics, len(fresh) - 1, no_cache)
    chunks: list[str] = []
    for rel in sorted(set(fresh) | set(old)):
        before, after = old.get(rel), fresh.get(rel)
        if before == after:
            continue
        if before == UNREADABLE:
            shown = _escape(rel)
            chunks.append(
                f"--- a/{shown}\n+++ b/{shown}\n@@ not a regular UTF-8 file aimctl wrote; not shown @@\n"
            )
            continue
        chunks.extend(
            difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                (after or "").splitlines(keepends=True),
                fromfile=f"a/{_escape(rel)}" if before is not None else "/dev/null",
                tofile=f"b/{_escape(rel)}" if after is not None else "/dev/null",
            )
        )
    if not chunks:
        if not quiet:
            _say(f"{output_dir}: no differences", "green")
        raise typer.Exit(EXIT_OK)
    text = "".join(c if c.endswith("\n") else c + "\n" for c in chunks)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.syntax import Syntax

        Console().print(Syntax(text, "diff", theme="ansi_dark", background_color="default"))
    else:
        _write_stdout(text)
    raise typer.Exit(EXIT_DRIFT)


def _stream(objects: list[dict[str, object]], fmt: StreamFormat) -> str:
    if fmt is StreamFormat.json:
        import json

        return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, indent=2) + "\n"
    from aimctl.emit import stream_text

    return stream_text(objects)


def _cache_settings(request: _Request) -> Settings | None:
    """What the cache keys on; None where it is not used (``--tenant``/``--platform``)."""
    from aimctl.incremental import Settings
    from aimctl.loader import is_stdin

    if (
        request.output_dir is None
        or request.tenant is not None
        or request.platform
        or any(is_stdin(p) for p in request.paths)
    ):
        return None
    options: dict[str, object] = {
        "namespace": request.namespace,
        "includeIntermediates": request.include_intermediates,
        "allowEmpty": request.allow_empty,
        "syncWaves": request.sync_waves,
        "kinds": sorted(request.kinds) if request.kinds is not None else None,
        "excludeKinds": sorted(request.exclude_kinds or ()),
        "phase": request.phase.value if request.phase is not None else None,
        "strict": request.strict,
        "createNamespaces": request.create_namespaces,
        "gitops": request.gitops.value if request.gitops is not None else None,
        "operator": request.operator,
    }
    return Settings(
        Path(os.path.abspath(request.output_dir)),  # -o . : the cwd is swapped out by the write
        request.paths,
        request.config,
        request.templates,
        options,
        partial=not request.include_intermediates,
    )


def _consult(request: _Request, settings: Settings) -> Hit | Partial | None:
    from aimctl.incremental import consult

    _refuse_outside(request)
    answer = consult(
        settings,
        lambda walked: _load(request, walked),
        lambda inputs: _render_loaded(request, inputs, None)[:2],
    )
    if request.verbose:
        what = {"Hit": "inputs and output unchanged", "Partial": "changed namespaces only"}
        _say(f"cache: {what.get(type(answer).__name__, 'full render')}")
    return answer


def _remember_clean(
    settings: Settings,
    inputs: Inputs,
    diagnostics: list[Diagnostic],
    count: int,
    no_cache: bool,
) -> None:
    """A full ``--check`` or ``diff`` found DIR up to date: record it, when DIR's marker is the
    one this render would write (else the record would not describe DIR)."""
    from aimctl.incremental import fingerprint_of, marker_of, remember
    from aimctl.render_cache import read_marker

    state = fingerprint_of(settings, inputs, not no_cache)
    if state is not None and read_marker(settings.output) == marker_of(state).encode("utf-8"):
        remember(settings, state, inputs, diagnostics, count, None)


def _shown(diagnostics: list[Diagnostic], request: _Request) -> list[Diagnostic]:
    """What to print: errors only with ``--quiet``."""
    return [d for d in diagnostics if d.is_error] if request.quiet else diagnostics


def _write_or_check(request: _Request, check: bool, no_cache: bool) -> int:
    from aimctl.emit import Drift, build_files, compare_dir, output_lock, read_files
    from aimctl.incremental import Hit, Partial

    output_dir = request.output_dir
    assert output_dir is not None
    settings = _cache_settings(request)
    if not check:
        with output_lock(output_dir):
            return _write(request, settings, no_cache)
    answer = None if no_cache or settings is None else _consult(request, settings)
    if isinstance(answer, Hit):
        drift, diagnostics = Drift(), answer.warnings
    elif isinstance(answer, Partial):
        files, diagnostics = answer.files, answer.warnings
        current = read_files(output_dir, sorted(files))
        drift = Drift(
            added=[rel for rel in files if rel not in current],
            changed=[rel for rel in files if rel in current and current[rel] != files[rel]],
            removed=[rel for rel in answer.removed if os.path.lexists(output_dir / rel)],
        )
    else:
        objects, diagnostics, inputs = _render_objects(request)
        files = build_files(objects)
        drift = compare_dir(files, output_dir)
        if settings is not None and drift.clean:
            _remember_clean(settings, inputs, diagnostics, len(files) - 1, no_cache)
    return _report_check(request, drift, diagnostics)


def _write(request: _Request, settings: Settings | None, no_cache: bool) -> int:
    """``render -o``: from the record when it answers, else in full (and record it)."""
    from aimctl.emit import Signature, build_files, write_dir
    from aimctl.incremental import (
        Hit,
        Partial,
        fingerprint_of,
        marker_of,
        remember,
        remember_partial,
    )
    from aimctl.keepalive import keep

    output_dir = request.output_dir
    assert output_dir is not None
    answer = None if no_cache or settings is None else _consult(request, settings)
    if isinstance(answer, Hit):
        from aimctl.emit import clean_stale

        clean_stale(output_dir)
        code = _finish(_shown(answer.warnings, request), OutputFormat.text)
        if not request.quiet:
            _say(f"{output_dir}: up to date ({answer.count} objects); nothing written", "green")
        return code
    if isinstance(answer, Partial):
        assert settings is not None
        write_dir(answer.files, output_dir, marker_of(answer.state), answer.reuse)
        count = len(answer.files) - 1 + len(answer.reuse)
        remember_partial(settings, answer, answer.warnings, count)
        code = _finish(_shown(answer.warnings, request), OutputFormat.text)
        if not request.quiet:
            _say(f"wrote {count} objects to {output_dir}", "green")
        return code
    objects, diagnostics, inputs = _render_objects(request)
    files = build_files(objects)
    state = fingerprint_of(settings, inputs, not no_cache) if settings is not None else None
    fresh = not os.path.lexists(output_dir)  # no files to link: what is written is what stays
    signatures: dict[str, Signature] | None = {} if fresh else None
    write_dir(files, output_dir, marker_of(state), signatures=signatures)
    keep(objects, files, inputs)
    if settings is not None and state is not None:
        remember(settings, state, inputs, diagnostics, len(files) - 1, signatures)
    code = _finish(_shown(diagnostics, request), OutputFormat.text)
    if not request.quiet:
        _say(f"wrote {len(files) - 1} objects to {output_dir}", "green")
    return code


def _report_check(request: _Request, drift: Drift, diagnostics: list[Diagnostic]) -> int:
    output_dir, report = request.output_dir, request.report
    assert output_dir is not None
    code = _finish(_shown(diagnostics, request), OutputFormat.text)
    if report is OutputFormat.json:
        import json

        body = {
            "upToDate": drift.clean,
            "added": drift.added,
            "changed": drift.changed,
            "removed": drift.removed,
        }
        _write_stdout(json.dumps(body, indent=2) + "\n")
    else:
        for label, items in (
            ("added", drift.added),
            ("changed", drift.changed),
            ("removed", drift.removed),
        ):
            for item in items:
                _say(f"{label}: {output_dir / item}", "yellow")
        _say(
            f"{output_dir}: up to date"
            if drift.clean
            else f"{output_dir}: out of date "
            f"({len(drift.added)} added, {len(drift.changed)} changed, {len(drift.removed)} removed)",
            "green" if drift.clean else "red",
        )
    return code if code else (EXIT_OK if drift.clean else EXIT_DRIFT)


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

    from aimctl.catalog import profile_pipeline_refusals
    from aimctl.pipeline import LoadOptions, load_for_service

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
    from aimctl.confine import outside_repository

    refused = outside_repository(tuple(paths), config, None)
    if refused:
        raise typer.Exit(_finish(refused, OutputFormat.text))
    target_namespace, _, target_name = target.partition("/")
    options = LoadOptions(tuple(paths), config, namespace, jobs=0, operator=operator_version)
    inputs = load_for_service(options, target_namespace, target_name)
    if inputs.has_errors:
        raise typer.Exit(_finish(inputs.diagnostics, OutputFormat.text))
    names = [f"{e.key.namespace}/{e.key.name}" for e in inputs.catalog.of_kind("AIMService")]
    refused = [
        d
        for d in profile_pipeline_refusals(inputs.catalog)
        if d.resource is not None and f"{d.resource.namespace}/{d.resource.name}" == target
    ]
    if refused:  # a profile-pipeline service: nothing to trace offline
        raise typer.Exit(_finish(refused, OutputFormat.text))
    if target not in names:
        from aimctl.suggest import did_you_mean

        hint = did_you_mean(target, names, n=3, cutoff=0.5)
        _say(f"AIMService {target} not found in the given files{hint}", "red")
        raise typer.Exit(EXIT_INVALID)
    from aimctl.explain import build_trace, render_text
    from aimctl.pipeline import locate
    from aimctl.resolve.run import resolve_all

    resolution = resolve_all(inputs.catalog, inputs.project, only=target)
    svc = resolution.services[0]
    diagnostics = locate(svc.diagnostics)
    from aimctl.pipeline import tenant_facts_for

    if prefix and svc.ok and not any(name.startswith(prefix) for name in svc.decisions):
        from aimctl.suggest import did_you_mean

        parts = [name.split(".") for name in svc.decisions]
        prefixes = {".".join(p[:i]) for p in parts for i in range(1, len(p) + 1)}
        head = prefix.split(".")[0]
        near = sorted(n for n in svc.decisions if n.split(".")[0] == head)
        listed = ", ".join(near or sorted({p[0] for p in parts}))
        _say(
            f"AIMService {target} has no value {prefix!r} to explain"
            + (did_you_mean(prefix, prefixes, n=3, cutoff=0.75) or f"; it has {listed}"),
            "red",
        )
        raise typer.Exit(EXIT_INVALID)
    tenant = tenant_facts_for(inputs, svc.namespace)
    trace = build_trace(svc, resolution, prefix, diagnostics, tenant, inputs.ownership)
    if output is OutputFormat.json:
        import json

        _write_stdout(json.dumps(trace, indent=2, ensure_ascii=False) + "\n")
    else:
        render_text(trace)
        _print_diagnostics([d for d in diagnostics if d.is_error] if quiet else diagnostics)
    if verbose and not quiet:
        _say(
            f"{inputs.documents} documents in {len(inputs.files)} files read for "
            f"{target}; {time.perf_counter() - started:.2f}s"
        )
    raise typer.Exit(EXIT_OK if svc.ok else EXIT_INVALID)


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

    from aimctl.plan import compare
    from aimctl.plan_report import plan_json, plan_markdown, plan_text
    from aimctl.plan_sources import SideOptions, render_base, render_side

    started = time.perf_counter()
    quiet, verbose = _globals(debug, quiet, verbose)
    config = _config(config)
    options = SideOptions(
        tuple(paths), config, namespace, operator_version, gitops.value if gitops else None, strict
    )
    head = render_side("working tree", options)
    if not head.ok:
        _plan_failed(head.diagnostics, "the working tree does not render", output)
    old = render_base(base, options)
    if not old.ok:
        _plan_failed(old.diagnostics, f"the base {base} cannot be rendered", output)
    if not quiet:  # the working tree's warnings, as render prints them
        _print_diagnostics(head.diagnostics)
    result = compare(old.label, old.objects, head.objects, (old.cluster_gpus, head.cluster_gpus))
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
