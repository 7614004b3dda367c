"""What a command asks of the pipeline, as data: the one place a new render option is declared.

A leaf module: it imports no other stage, so the CLI, the pipeline runs, the forked workers and the
render cache all read the same definitions. ``RenderOptions`` travels whole — to the workers, and
(the fields that carry a ``cache`` key in their metadata) into the render cache's key — so a new
render option is one field here plus the code that acts on it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aimctl.errors import Diagnostic
    from aimctl.tenants.ownership import OwnerKey

__all__ = ["Hooks", "LoadOptions", "RenderOptions", "RenderRequest", "cache_options"]


@dataclass(frozen=True, slots=True)
class LoadOptions:
    paths: tuple[Path, ...]
    config: Path | None = None
    namespace: str = "default"
    skip: tuple[Path, ...] = ()
    jobs: int = 1  # parsing processes; 0 = by input size and CPUs (aimctl.parallel)
    mentions: tuple[str, ...] = ()  # only files whose text contains one of these (loader)
    operator: str | None = None  # --operator-version; overrides the project file's `operator`
    # the files ``collect_files`` found (and its problems), when the caller walked already
    walked: tuple[list[Path], list[Diagnostic]] | None = None
    # called in this process while forked workers parse (``loader.load_paths``)
    meanwhile: Callable[[], None] | None = None


def _sorted_or_none(value: Collection[str] | None) -> list[str] | None:
    return sorted(value) if value is not None else None


def _or_none(value: str) -> str | None:
    return value or None


def _sorted(value: Collection[str] | None) -> list[str]:
    return sorted(value or ())


def _cached(key: str, encode: Callable[[Any], object] | None = None) -> dict[str, Any]:
    """Field metadata: the option changes the output, under this name in the render cache's key
    (``encode``: its JSON value there)."""
    return {"cache": key, "encode": encode}


@dataclass(frozen=True, slots=True)
class RenderOptions:
    templates: Path | None = None  # keyed by the templates' digest (aimctl.incremental.Settings)
    include_intermediates: bool = field(default=False, metadata=_cached("includeIntermediates"))
    sync_waves: bool = field(default=False, metadata=_cached("syncWaves"))
    create_namespaces: bool = field(default=False, metadata=_cached("createNamespaces"))
    strict: bool = field(default=False, metadata=_cached("strict"))
    jobs: int = 1  # worker processes; 0 = choose by size and CPUs (aimctl.parallel)
    # The caller writes YAML: objects come back as their documents (``emit.Serialised``).
    yaml_output: bool = False
    # aimctl.gitops.GitOps: how download Jobs and cache PVCs are kept; "" (a request's value
    # when --gitops is not given): the project file's, or the engine's (pipeline.render)
    gitops: str = field(default="plain", metadata=_cached("gitops", _or_none))
    # Keep only this owner's objects (``select_owner``); None: everything.
    owner: OwnerKey | None = None
    # Keep only these kinds / drop these kinds (names as given until resolved against the
    # inputs by ``pipeline.render``); keep only this phase (``emit.phase_of``).
    kinds: frozenset[str] | None = field(default=None, metadata=_cached("kinds", _sorted_or_none))
    exclude_kinds: frozenset[str] | None = field(
        default=None, metadata=_cached("excludeKinds", _sorted)
    )
    phase: str | None = field(default=None, metadata=_cached("phase"))


def cache_options(options: RenderOptions) -> dict[str, object]:
    """The render options that change the output, as the render cache keys them."""
    out: dict[str, object] = {}
    for f in fields(options):
        if "cache" in f.metadata:
            value = getattr(options, f.name)
            encode = f.metadata["encode"]
            out[f.metadata["cache"]] = encode(value) if encode is not None else value
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderRequest:
    """What ``render`` and ``diff`` are asked: what to load, how to render it, where it goes."""

    paths: tuple[Path, ...]
    config: Path | None = None
    namespace: str = "default"
    operator: str | None = None  # --operator-version
    options: RenderOptions = RenderOptions(jobs=0, gitops="")
    output_dir: Path | None = None
    check: bool = False  # compare with output_dir instead of writing
    no_cache: bool = False
    allow_empty: bool = False
    tenant: str | None = None  # render --tenant NAMESPACE
    platform: bool = False  # render --platform


Tick = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Hooks:
    """How a run reports while it works; the reporter (the CLI) supplies them.

    ``note``: a line for ``--verbose``, when it happens; ``progress``: given the number of
    services, a context that yields the per-service callback (or None for no progress)."""

    note: Callable[[str], None] | None = None
    progress: Callable[[int], AbstractContextManager[Tick | None]] | None = None
