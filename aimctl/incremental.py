"""The cached paths of ``render -o``, ``render --check`` and ``diff`` (``aimctl.render_cache``
explains what is recorded and why it can be trusted).

``consult`` looks at the inputs, the output directory and the trust record and answers with a
``Hit`` (nothing changed: the answer is DIR itself), a ``Partial`` (some namespaces changed:
their new files, the old files to keep, and the warnings), or None (render in full). After a
full render, ``remember`` writes the record. Nothing here prints.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aimctl.render_cache as rc
from aimctl.emit import KUSTOMIZATION, Signature, kustomization_text
from aimctl.errors import Diagnostic

if TYPE_CHECKING:
    from aimctl.pipeline import Inputs

__all__ = [
    "Folder",
    "Hit",
    "Partial",
    "Settings",
    "consult",
    "fingerprint_of",
    "folder_signatures",
    "marker_of",
    "one_folder",
    "remember",
    "remember_partial",
]


def marker_of(state: _State | None) -> str:
    """The marker a render writes: with the digests when they are known."""
    from aimctl.emit import MARKER_TEXT

    return MARKER_TEXT if state is None else rc.marker_text(state.fp)


# render the loaded inputs as the full render would: (objects, diagnostics with errors)
RenderLoaded = Callable[["Inputs"], tuple[list[dict[str, Any]], list[Diagnostic]]]
Load = Callable[[tuple[list[Path], list[Diagnostic]]], "Inputs"]


@dataclass(frozen=True, slots=True)
class Settings:
    """What the cache needs to know about the command."""

    output: Path
    roots: tuple[Path, ...]
    config: Path | None
    templates: Path | None
    options: dict[str, object]  # everything else that changes the output
    partial: bool = True  # False: only an unchanged tree is answered from the record


@dataclass(slots=True)
class Hit:
    count: int
    warnings: list[Diagnostic]


@dataclass(slots=True)
class Partial:
    files: dict[str, str]  # new content of the changed namespaces, and kustomization.yaml
    reuse: frozenset[str]  # files of DIR kept as they are (verified by their signatures)
    removed: list[str]  # files of DIR no longer produced
    warnings: list[Diagnostic]
    state: _State
    signatures: dict[str, Signature] = field(default_factory=dict)  # of DIR's files, verified
    same_listing: bool = False  # kustomization.yaml keeps its bytes


@dataclass(slots=True)
class _State:
    """A fingerprint with the record it is compared with (or will become)."""

    cache: Path | None  # None: the marker is written, no record
    local: dict[str, Any]
    fp: rc.Fingerprint
    scopes: dict[str, list[str]] = field(default_factory=dict)


def _project_file(settings: Settings) -> Path | None:
    """The project file's rule (``pipeline.find_project_file``) outside the Argo CD plugin,
    where the cache is never used."""
    if settings.config is not None:
        return settings.config
    if not settings.roots:
        return None
    first = settings.roots[0]
    candidate = (first if first.is_dir() else first.parent) / "aimctl.yaml"
    return candidate if os.path.lexists(candidate) else None


def _start(settings: Settings, use_cache: bool = True) -> _State | None:
    """The cache directory (None: not usable, or not wanted), the key and the project digest;
    None when they cannot be computed (the render then reports why)."""
    from aimctl.confine import plugin_mode

    key = rc.render_key(settings.options, settings.templates)
    project_file = _project_file(settings)
    project = rc.project_digest(project_file)
    if key is None or project is None:
        return None
    # a linked project file is allowed or not by where it leads: the full render decides
    linked = project_file is not None and os.path.islink(project_file)
    cache = rc.cache_root() if use_cache and not plugin_mode() and not linked else None
    local = rc.local_facts(settings.output, settings.roots, settings.config)
    return _State(cache, local, rc.Fingerprint(key, project, {}))


def consult(settings: Settings, load: Load, render: RenderLoaded) -> Hit | Partial | None:
    """Answer from the record when it can be trusted (see the module text)."""
    from aimctl.loader import collect_files

    state = _start(settings)
    marker = rc.read_marker(settings.output)
    if state is None or state.cache is None or marker is None:
        return None
    record = rc.load_record(state.cache, settings.output, marker)
    if (
        record is None
        or record.local != state.local
        or record.key != state.fp.key
        or record.project != state.fp.project
    ):
        return None
    project = _project_file(settings)
    skip = (settings.output, *((project,) if project is not None else ()))
    files, problems = collect_files(settings.roots, skip)
    if any(d.is_error for d in problems):
        return None
    known = {name: (digest, stamp) for name, (digest, _, stamp) in record.inputs.items()}
    from aimctl.loader import display_paths

    shown = display_paths(files)
    fp = rc.fingerprint(state.fp.key, state.fp.project, settings.roots, files, known, shown)
    signatures = rc.output_signatures(settings.output)
    if fp is None or signatures is None or rc.signatures_digest(signatures) != record.outputs:
        return None
    state.fp = fp
    if _unchanged(record, fp):
        if marker != rc.marker_text(fp).encode("utf-8"):
            return None  # the record does not describe this marker (cannot happen unless edited)
        return Hit(record.count, [rc.load_diagnostic(w) for w in record.warnings])
    if not settings.partial or record.linked:
        return None
    walked = (files, problems)
    return _partial(settings, state, record, walked, shown, signatures, load, render)


def _unchanged(record: rc.Record, fp: rc.Fingerprint) -> bool:
    return len(record.inputs) == len(fp.inputs) and all(
        record.inputs.get(name, ("",))[0] == digest for name, digest in fp.inputs.items()
    )


def _partial(
    settings: Settings,
    state: _State,
    record: rc.Record,
    walked: tuple[list[Path], list[Diagnostic]],
    shown: list[str],
    signatures: dict[str, Signature],
    load: Load,
    render: RenderLoaded,
) -> Partial | None:
    fp = state.fp
    changed = {n for n, d in fp.inputs.items() if record.inputs.get(n, ("",))[0] != d}
    changed |= {n for n in record.inputs if n not in fp.inputs}
    affected: set[str] = set()
    for name in changed:
        affected.update(record.inputs[name][1] if name in record.inputs else ())
    if rc.CLUSTER in affected:
        return None
    wanted = affected | {rc.CLUSTER}
    files, problems = walked
    chosen = [
        p
        for p, name in zip(files, shown, strict=True)
        if name in changed or wanted.intersection(record.inputs[name][1])
    ]
    inputs = load((chosen, problems))
    if inputs.has_errors or inputs.ownership is not None or inputs.catalog.derived:
        return None
    scopes = rc.scopes_of(inputs)
    if scopes is None:
        return None
    known = {s for _, names, _ in record.inputs.values() for s in names}
    for name in changed & scopes.keys():
        for scope in scopes[name]:
            if scope in affected:
                continue
            if scope == rc.CLUSTER or scope in known:
                return None  # a namespace whose other files were not loaded
            affected.add(scope)
    if _reaches_elsewhere(inputs):
        return None
    objects, diagnostics = render(inputs)
    if any(d.is_error for d in diagnostics):
        return None
    from aimctl.emit import build_files

    new = build_files(objects)
    new.pop(KUSTOMIZATION)
    mine = {rel: text for rel, text in new.items() if rc.file_scope(rel) in affected}
    cluster_new = {rel: text for rel, text in new.items() if rc.file_scope(rel) == rc.CLUSTER}
    by_scope: dict[str | None, list[str]] = {}
    for rel in signatures:  # one pass over DIR's files
        by_scope.setdefault(rc.file_scope(rel), []).append(rel)
    cluster_old = by_scope.get(rc.CLUSTER, [])
    if set(cluster_old) != set(cluster_new) or any(
        _read(settings.output / rel) != cluster_new[rel] for rel in cluster_old
    ):
        return None  # cluster-scoped output that the changed namespaces take part in
    replaced = {rel for scope in affected for rel in by_scope.get(scope, ())}
    kept = frozenset(signatures).difference(replaced, (KUSTOMIZATION,))
    removed = sorted(replaced.difference(mine))
    old_text = _read(settings.output / KUSTOMIZATION)
    listing = _ordered(old_text, kept, replaced, mine)
    if listing is None:
        return None
    files_out = dict(mine)
    files_out[KUSTOMIZATION] = listing
    warnings = _merge_warnings(record, inputs, diagnostics, affected)
    if warnings is None:
        return None
    state.scopes = _new_scopes(record, fp, scopes)
    return Partial(files_out, kept, removed, warnings, state, signatures, listing == old_text)


def _ordered(
    old: str | None, kept: frozenset[str], replaced: set[str], mine: dict[str, str]
) -> str | None:
    """The new ``kustomization.yaml``: the old one's list (the files of DIR in object order, as
    the record vouches) without the replaced files, with the new ones put in place by their
    order key; None when a new file's key cannot be told from its path. An old list that is
    not the plain one aimctl writes is ordered again from the paths."""
    sentinel = "aimctl-sentinel"
    header, found, footer = kustomization_text([sentinel]).partition(f"- {sentinel}\n")
    body = old[len(header) : len(old) - len(footer)] if old is not None else ""
    if not (found and old is not None and old.startswith(header) and old.endswith(footer)):
        return _ordered_from_paths(kept, mine, None)
    lines = body.split("\n")[:-1]
    listed = [line[2:] for line in lines if line.startswith("- ")]
    if len(listed) != len(lines) or len(listed) != len(kept) + len(replaced):
        return _ordered_from_paths(kept, mine, old)
    if set(listed) != kept.union(replaced):
        return _ordered_from_paths(kept, mine, old)  # e.g. a path the emitter had to quote
    order = [rel for rel in listed if rel not in replaced]
    import bisect

    try:
        for rel in sorted(mine, key=_sort_key):
            order.insert(bisect.bisect(order, _sort_key(rel), key=_sort_key), rel)
    except _Unordered as exc:
        if exc.args[0] in mine:
            return None
        return _ordered_from_paths(kept, mine, old)  # an old file the probe could not place
    plain = {rel: f"- {rel}\n" for rel in listed}  # the old lines, each as it was written
    for rel in mine:
        plain[rel] = kustomization_text([rel])[len(header) : -len(footer) or None]
    return header + "".join(map(plain.__getitem__, order)) + footer


class _Unordered(Exception):
    """A file whose place in the object order its path does not tell."""


def _sort_key(rel: str) -> tuple[int, str, str, str]:
    key = rc.file_sort_key(rel)
    if key is None:
        raise _Unordered(rel)
    return key


def _ordered_from_paths(kept: frozenset[str], mine: dict[str, str], old: str | None) -> str | None:
    keys = {rel: rc.file_sort_key(rel) for rel in (*kept, *mine)}
    if any(k is None for k in keys.values()):
        return None
    order = sorted(keys, key=lambda rel: keys[rel])  # type: ignore[arg-type, return-value]
    return _kustomization(order, old)


def _kustomization(order: list[str], old: str | None) -> str:
    """``kustomization_text(order)``, reusing the lines of the old file: a block list of
    strings is one line per item, each emitted alone, so only new paths go through the emitter."""
    sentinel = "aimctl-sentinel"
    header, found, footer = kustomization_text([sentinel]).partition(f"- {sentinel}\n")
    if not found:
        return kustomization_text(order)
    plain = set(old.splitlines(keepends=True)) if old is not None else set()
    lines = []
    for rel in order:
        line = f"- {rel}\n"
        if line not in plain:
            line = kustomization_text([rel])[len(header) : -len(footer) or None]
        lines.append(line)
    return header + "".join(lines) + footer


def _reaches_elsewhere(inputs: Inputs) -> bool:
    """A loaded service whose status names a model or template in another namespace."""
    for entry in inputs.catalog.by_key.values():  # no order needed: no sort
        if entry.key.kind != "AIMService":
            continue
        status = entry.obj.status
        refs = (status.resolved_model, status.resolved_template) if status is not None else ()
        for ref in refs:
            if (
                ref is not None
                and ref.scope != "Cluster"
                and ref.namespace
                and ref.namespace != entry.key.namespace
            ):
                return True
    return False


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _diagnostic_scope(
    d: Diagnostic, scopes: dict[str, list[str]], tenants: list[str]
) -> str | None:
    """The namespace a warning is about, when one alone; None for render-wide ones."""
    if d.resource is not None and d.resource.namespace:
        return d.resource.namespace
    if d.file is not None and d.file in scopes and len(scopes[d.file]) == 1:
        only = scopes[d.file][0]
        return None if only == rc.CLUSTER else only
    index = d.field[1] if len(d.field) > 1 and d.field[0] == "tenants" else None
    if isinstance(index, int) and index < len(tenants):
        return tenants[index]
    return None


def _merge_warnings(
    record: rc.Record, inputs: Inputs, diagnostics: list[Diagnostic], affected: set[str]
) -> list[Diagnostic] | None:
    """The recorded warnings of the other namespaces and the new ones of the changed
    namespaces; None when a render-wide warning differs (the full render decides then)."""
    from aimctl.pipeline import locate

    tenants = [t.namespace for t in inputs.project.tenants or []]
    old_scopes = {name: names for name, (_, names, _) in record.inputs.items()}
    new_scopes = rc.scopes_of(inputs) or {}
    old = [rc.load_diagnostic(w) for w in record.warnings]
    new = locate(diagnostics)
    old_keep = [d for d in old if _diagnostic_scope(d, old_scopes, tenants) not in affected]
    new_keep = [d for d in new if _diagnostic_scope(d, new_scopes, tenants) in affected]
    old_wide = {d for d in old if _diagnostic_scope(d, old_scopes, tenants) is None}
    new_wide = {d for d in new if _diagnostic_scope(d, new_scopes, tenants) is None}
    if old_wide != new_wide:
        return None
    return (
        [d for d in old_keep if d not in old_wide]
        + new_keep
        + sorted(old_wide, key=lambda d: (*d.sort_key(), d.code))
    )


def _new_scopes(
    record: rc.Record, fp: rc.Fingerprint, loaded: dict[str, list[str]]
) -> dict[str, list[str]]:
    return {name: loaded[name] if name in loaded else record.inputs[name][1] for name in fp.inputs}


@dataclass(frozen=True, slots=True)
class Folder:
    """The one folder of DIR whose files a partial render changes (``emit.swap_folder``)."""

    name: str
    written: dict[str, str]  # file name -> new text
    kept: list[str]  # names of the folder's other files, as DIR holds them


def one_folder(settings: Settings, partial: Partial) -> Folder | None:
    """The folder to swap alone when the partial render changes the bytes of files in one
    folder only, none added or removed (``kustomization.yaml`` keeps its bytes); else None."""
    if not partial.same_listing or partial.removed:
        return None
    from aimctl.emit import read_files

    new = {rel: text for rel, text in partial.files.items() if rel != KUSTOMIZATION}
    old = read_files(settings.output, list(new))  # nothing followed: a link reads as changed
    differ = {rel.rpartition("/")[0] for rel, text in new.items() if old.get(rel) != text}
    if len(differ) > 1 or not new:
        return None
    # nothing differs (e.g. only an input's whitespace changed): swap a namespace's folder, whose
    # few files are linked again, rather than ``_cluster`` with every namespace's
    folders = sorted({rel.rpartition("/")[0] for rel in new}, key=lambda f: (f == "_cluster", f))
    name = differ.pop() if differ else folders[0]
    if not name:
        return None
    prefix = f"{name}/"
    written = {rel[len(prefix) :]: text for rel, text in new.items() if rel.startswith(prefix)}
    kept = [
        rel[len(prefix) :]
        for rel in partial.signatures
        if rel.startswith(prefix) and rel not in new
    ]
    if any("/" in rel for rel in (*written, *kept)):
        return None  # a folder inside: not one aimctl writes
    return Folder(name, written, kept)


def folder_signatures(
    partial: Partial, folder: Folder, swapped: dict[str, Signature]
) -> dict[str, Signature] | None:
    """DIR's signatures after ``swap_folder``: the verified ones of the other folders and the
    swapped folder's as written (None when those could not be taken: look)."""
    if not swapped:
        return None
    prefix = f"{folder.name}/"
    out = {rel: sig for rel, sig in partial.signatures.items() if not rel.startswith(prefix)}
    out.update(swapped)
    return out


def remember_partial(
    settings: Settings,
    partial: Partial,
    warnings: list[Diagnostic],
    count: int,
    signatures: dict[str, Signature] | None = None,
) -> None:
    """After writing a partial render: record the new state (``signatures`` of the files
    written, None: look)."""
    if signatures is None:
        signatures = rc.output_signatures(settings.output)
    _save(settings, partial.state, signatures, warnings, count, linked=False)


def fingerprint_of(settings: Settings, inputs: Inputs, use_cache: bool) -> _State | None:
    """The state of a full render from what the loader read (no second read of any input)."""
    state = _start(settings, use_cache)
    if state is None or inputs.ownership is not None or len(inputs.digests) != len(inputs.files):
        return None
    scopes = rc.scopes_of(inputs)
    if scopes is None:
        return None
    state.fp.inputs = {name: digest for name, (digest, _) in inputs.digests.items()}
    state.fp.stamps = {name: stamp for name, (_, stamp) in inputs.digests.items()}
    state.fp.names = rc.marker_names(inputs.digests, settings.roots)
    state.scopes = scopes
    return state


def remember(
    settings: Settings,
    state: _State,
    inputs: Inputs,
    warnings: list[Diagnostic],
    count: int,
    signatures: dict[str, Signature] | None,
) -> None:
    """After a full render that wrote DIR (``signatures`` of the files written, None: look),
    or a full ``--check``/``diff`` that found DIR up to date under this very marker."""
    if signatures is None:
        signatures = rc.output_signatures(settings.output)
    linked = _reaches_elsewhere(inputs)
    _save(settings, state, signatures, warnings, count, linked)


def _save(
    settings: Settings,
    state: _State,
    signatures: dict[str, Signature] | None,
    warnings: list[Diagnostic],
    count: int,
    linked: bool,
) -> None:
    if signatures is None or state.cache is None:
        return
    from aimctl.pipeline import locate

    marker = rc.marker_text(state.fp).encode("utf-8")
    record = rc.Record(
        local=state.local,
        key=state.fp.key,
        project=state.fp.project,
        inputs={
            n: (d, state.scopes.get(n, [rc.CLUSTER]), rc.settled(state.fp.stamps.get(n)))
            for n, d in state.fp.inputs.items()
        },
        outputs=rc.signatures_digest(signatures),
        count=count,
        warnings=[rc.dump_diagnostic(d) for d in locate(warnings) if not d.is_error],
        linked=linked,
    )
    rc.save_record(state.cache, settings.output, marker, record)
