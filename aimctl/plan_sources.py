"""The two renders ``aimctl plan`` compares: the working tree and the base (a git revision or a
directory), each rendered in memory with the same options.

The PATHs are read relative to the current directory in the working tree, and at the same place
in the base: below the same directory of the repository at REF (exported into a private temporary
directory, removed afterwards), or below DIR. The base render runs with that place as the
current directory, so its messages name files as the working tree's do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimctl.errors import Diagnostic
from aimctl.loader import PROJECT_FILE

__all__ = ["Side", "SideOptions", "render_base", "render_side"]


@dataclass(frozen=True, slots=True)
class SideOptions:
    paths: tuple[Path, ...]
    config: Path | None = None
    namespace: str = "default"
    operator: str | None = None
    gitops: str | None = None
    strict: bool = False


@dataclass(slots=True)
class Side:
    label: str
    objects: list[dict[str, Any]]
    cluster_gpus: tuple[str, ...] | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def render_side(label: str, options: SideOptions) -> Side:
    """Load and render ``options.paths`` (relative to the current directory), nothing written."""
    from aimctl.pipeline import LoadOptions, RenderOptions, load_inputs, locate, render_inputs

    inputs = load_inputs(
        LoadOptions(
            options.paths, options.config, options.namespace, jobs=0, operator=options.operator
        )
    )
    specs = inputs.project.cluster.gpu_specs()
    cluster_gpus = tuple(g.model for g in specs) if specs is not None else None
    if inputs.has_errors:
        return Side(label, [], cluster_gpus, locate(inputs.diagnostics))
    result = render_inputs(
        inputs,
        RenderOptions(
            strict=options.strict, jobs=0, gitops=str(options.gitops or inputs.project.gitops)
        ),
    )
    diagnostics = locate(inputs.diagnostics + result.diagnostics)
    return Side(label, result.objects, cluster_gpus, diagnostics)


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[None]:
    here = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(here)


def _relative(path: Path, root: Path, what: str) -> Path:
    """``path`` (relative to the current directory, or absolute) relative to ``root``."""
    absolute = Path(os.path.abspath(path))
    real = Path(os.path.realpath(absolute.parent)) / absolute.name
    try:
        return real.relative_to(root)
    except ValueError:
        raise _Outside(f"{path} is outside {what} ({root})") from None


class _Outside(Exception):
    pass


def _base_problem(message: str) -> Side:
    return Side("", [], None, [Diagnostic("E_PLAN_BASE", message)])


def render_base(base: str, options: SideOptions) -> Side:
    """Render the base: the directory ``base`` when one exists, else the git revision ``base``."""
    if os.path.isdir(base):
        return _render_directory(Path(base), options)
    return _render_revision(base, options)


def _render_directory(base: Path, options: SideOptions) -> Side:
    cwd = Path(os.path.realpath(os.getcwd()))
    try:
        paths = tuple(_relative(p, cwd, "the current directory") for p in options.paths)
        config = _relative(options.config, cwd, "the current directory") if options.config else None
    except _Outside as exc:
        return _base_problem(f"--base {base}: {exc}; run plan from a directory holding the PATHs")
    with _inside(base):
        return _render_present(str(base), _with_paths(options, paths, config))


def _render_present(label: str, options: SideOptions) -> Side:
    """A PATH the base does not have yet holds nothing there: everything in it is added."""
    present = tuple(p for p in options.paths if os.path.lexists(p))
    if not present:
        return Side(label, [], None, [])
    return render_side(label, _with_paths(options, present, options.config))


def _with_paths(options: SideOptions, paths: tuple[Path, ...], config: Path | None) -> SideOptions:
    return SideOptions(
        paths, config, options.namespace, options.operator, options.gitops, options.strict
    )


def _render_revision(ref: str, options: SideOptions) -> Side:
    from aimctl.gitread import GitReadError, export_revision, repository_root

    cwd = Path(os.path.realpath(os.getcwd()))
    try:
        root = Path(os.path.realpath(repository_root(cwd)))
        in_repo = [_relative(p, root, "the git repository") for p in options.paths]
        config = _relative(options.config, root, "the git repository") if options.config else None
    except GitReadError as exc:
        return _base_problem(str(exc))
    except _Outside as exc:
        return _base_problem(f"--base {ref}: {exc}")
    specs = [p.as_posix() for p in in_repo] + ([config.as_posix()] if config else [])
    if config is None and in_repo and not os.path.isdir(options.paths[0]):
        specs.append((in_repo[0].parent / PROJECT_FILE).as_posix())  # beside a file PATH
    scratch = Path(tempfile.mkdtemp(prefix="aimctl-plan-"))
    try:
        tree = scratch / "tree"
        tree.mkdir(mode=0o700)
        try:
            commit = export_revision(root, ref, specs, tree)
        except GitReadError as exc:
            return _base_problem(str(exc))
        try:
            where = cwd.relative_to(root)
        except ValueError:  # pragma: no cover - repository_root is found from cwd
            where = Path()
        start = tree / where
        start.mkdir(parents=True, exist_ok=True)
        paths = tuple(Path(os.path.relpath(tree / p, start)) for p in in_repo)
        config_path = Path(os.path.relpath(tree / config, start)) if config else None
        with _inside(start):
            side = _render_present(ref, _with_paths(options, paths, config_path))
        side.label = f"{ref} ({commit[:12]})"
        return side
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
