"""Where aimctl may read: the repository checkout in the Argo CD plugin, the given paths elsewhere.

In Argo CD's config-management plugin the sidecar is shared by every Application, and its work
directory holds the sources of other Applications beside this one. Whoever edits an Application
chooses ``AIMCTL_PATH``, ``AIMCTL_CONFIG`` and ``AIMCTL_TEMPLATES`` (``aimctl.argocd``), so in plugin
mode every input path must lead (after symlinks) into this Application's repository checkout: the
working directory Argo CD runs the plugin in, minus ``ARGOCD_APP_SOURCE_PATH`` (the source's path
inside the repository). A path that leads elsewhere is refused by name; its content is never
read, so it cannot be echoed in a message. See docs/security.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from aimctl.errors import Diagnostic

__all__ = ["inside", "outside_repository", "plugin_mode", "repository_root"]

# Variables Argo CD sets for every config-management plugin command (build environment).
_PLUGIN_VARIABLES = ("ARGOCD_APP_NAME", "ARGOCD_APP_SOURCE_PATH")


def plugin_mode(environ: Mapping[str, str] | None = None) -> bool:
    """Whether aimctl runs as an Argo CD config-management plugin (Argo CD's build variables)."""
    env = os.environ if environ is None else environ
    return any(env.get(name) for name in _PLUGIN_VARIABLES)


def repository_root(environ: Mapping[str, str] | None = None) -> Path:
    """The repository checkout in plugin mode: the working directory minus the source path.

    When ``ARGOCD_APP_SOURCE_PATH`` is absent, ``.``, absolute, climbs with ``..`` or is not the
    tail of the working directory, the working directory itself is the root (the narrower
    choice).
    """
    env = os.environ if environ is None else environ
    cwd = Path(os.getcwd())
    source = env.get("ARGOCD_APP_SOURCE_PATH", "").strip()
    parts = [p for p in PurePosixPath(source).parts if p not in ("", ".")] if source else []
    if not parts or source.startswith("/") or ".." in parts:
        return cwd
    if list(cwd.parts[-len(parts) :]) != parts or len(cwd.parts) <= len(parts):
        return cwd
    return Path(*cwd.parts[: -len(parts)])


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, symlinks resolved (a missing tail resolved lexically), is below ``root``."""
    real = Path(os.path.realpath(path))
    real_root = Path(os.path.realpath(root))
    return real == real_root or real_root in real.parents


def outside_repository(
    paths: tuple[Path, ...], config: Path | None, templates: Path | None
) -> list[Diagnostic]:
    """In plugin mode, one error per input path that leads outside the repository checkout."""
    if not plugin_mode():
        return []
    root = repository_root()
    named = [("PATH", p) for p in paths]
    named += [("--config", config)] if config is not None else []
    named += [("--templates", templates)] if templates is not None else []
    return [
        Diagnostic(
            "E_PATH_OUTSIDE",
            f"{what} leads outside the repository checkout (Argo CD plugin: inputs must stay "
            "inside the Application's repository); not read",
            file=path.as_posix(),
        )
        for what, path in named
        if not inside(path, root)
    ]


def output_holds_input(output_dir: Path, inputs: tuple[Path | None, ...]) -> Diagnostic | None:
    """An output directory that is, or contains, an input: the swap would delete the input."""
    for path in inputs:
        if path is not None and os.path.lexists(path) and inside(path, output_dir):
            return Diagnostic(
                "E_OUTPUT_DIR",
                f"output directory contains the input {path.as_posix()!r}; rendering would "
                "replace it: choose an output directory outside the inputs",
                file=output_dir.as_posix(),
            )
    return None
