"""Answer ``render --check``, ``diff`` and a re-render from hashes when the inputs allow it.

A render to ``-o DIR`` records what it was made from: the ownership marker ``DIR/.aimctl-output``
lists the SHA-256 of every input file and a key over aimctl's version and code, the templates,
the project file and every option that changes the output. The marker sits in DIR, which is in
git and writable by whoever can push, so it proves nothing by itself: the render also writes a
*trust record* in ``$AIMCTL_CACHE_DIR`` (default ``~/.cache/aimctl``, created ``0700``, refused
when another user owns it or others may write it), named by the digest of the output path and the
marker's bytes. The record holds the input digests with the namespaces each file feeds, and the
signature of every output file as written (inode, size, times, mode: the kernel sets the change
time on every write, so an edit always shows). A crafted or edited marker has no record, and a
fresh checkout (CI) has none either: both get a full render, which records one.

With a record, an unchanged input tree and an unchanged DIR answer ``--check`` and ``diff`` at
once and make a re-render a no-op. When the changed files only feed some namespaces, only those
namespaces are loaded (with the cluster-scoped files), resolved and rendered; their files
replace the old ones, the other files of DIR are reused as verified (when the new files differ
from DIR's in one folder only and none is added or removed, that folder alone is built aside and
exchanged: ``emit.swap_folder``; the record then takes the other files' verified signatures). A change to a file that
holds a cluster-scoped object (a ``Namespace`` counts for its own namespace), to the project
file, the templates, aimctl itself or an option, or anything the partial render cannot prove
equal to a full one (errors, cross-namespace status references, render-wide warnings that
changed, cluster-scoped objects that differ), falls back to the full render.
``--no-cache`` always renders in full. The output is byte for byte the full render's
(``tests/test_render_cache.py`` mutates inputs at random and compares).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from aimctl.emit import KIND_ORDER, MARKER, MARKER_TEXT, Signature, signature
from aimctl.errors import Diagnostic, Severity
from aimctl.provenance import ResourceKey

if TYPE_CHECKING:
    from aimctl.pipeline import Inputs

__all__ = [
    "CACHE_ENV",
    "CLUSTER",
    "Fingerprint",
    "Record",
    "cache_root",
    "fingerprint",
    "load_record",
    "marker_text",
    "output_signatures",
    "save_record",
    "scopes_of",
]

CACHE_ENV: Final = "AIMCTL_CACHE_DIR"
CLUSTER: Final = "/"  # the scope of a cluster-scoped object (no namespace holds a '/')
_FORMAT: Final = "aimctl-inputs v1"
_RECORD_VERSION: Final = 2
_MAX_MARKER_BYTES: Final = 64 * 1024 * 1024
_MAX_RECORD_BYTES: Final = 256 * 1024 * 1024


def cache_root() -> Path | None:
    """``$AIMCTL_CACHE_DIR`` or ``~/.cache/aimctl``, created ``0700``; None when it cannot be
    used safely (not a real directory, owned by another user, or writable by others)."""
    configured = os.environ.get(CACHE_ENV)
    root = Path(configured) if configured else Path.home() / ".cache" / "aimctl"
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(root)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        return None
    return root


def _code_digest() -> str:
    """The bytes of aimctl's own modules (its version among them: a changed checkout is a new
    aimctl) and the Python version."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"{sys.version}\0".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _templates_dir(templates: Path | None) -> Path:
    if templates is not None:
        return templates
    here = Path(__file__).resolve().parent
    packaged = here / "_data" / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def _dir_digest(folder: Path) -> str | None:
    """The names and bytes of the files directly in ``folder`` as the template loader reads
    them (through symlinks: a linked template counts by what it leads to), and the names of
    its other entries; None when unreadable."""
    digest = hashlib.sha256()
    try:
        names = sorted(os.listdir(folder))
        for name in names:
            path = folder / name
            if os.path.isfile(path):
                digest.update(name.encode() + b"\0file\0" + path.read_bytes() + b"\0")
            else:  # a folder, or a link leading nowhere yet
                digest.update(name.encode() + b"\0other\0")
    except OSError:
        return None
    return digest.hexdigest()


def _file_digest(path: Path) -> str | None:
    """SHA-256 of a regular file (the loader's limits apply: larger files are not cached)."""
    stamped = _stamped_digest(path)
    return None if stamped is None else stamped[0]


def _stamped_digest(path: Path) -> tuple[str, Signature] | None:
    """SHA-256 of a regular file and its signature as read (``loader.load_file`` records the
    same pair, read the same way); None for anything the loader would refuse."""
    from aimctl.loader import read_regular_or_none

    read = read_regular_or_none(path)
    if read is None:
        return None
    raw, st = read
    return hashlib.sha256(raw).hexdigest(), signature(st)


@dataclass(slots=True)
class Fingerprint:
    """What a render is made from: a key over aimctl, templates and options, the project file's
    digest, and every input file's digest (by the path messages show)."""

    key: str
    project: str
    inputs: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)  # shown path -> name in the marker
    stamps: dict[str, Signature] = field(default_factory=dict)  # shown path -> as read


def render_key(options: dict[str, object], templates: Path | None) -> str | None:
    """The digest of everything but the inputs that decides the output; None: do not cache."""
    folder = _dir_digest(_templates_dir(templates))
    if folder is None:
        return None
    text = json.dumps(
        {"code": _code_digest(), "templates": folder, "options": options}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def project_digest(project_file: Path | None) -> str | None:
    """The project file's digest, ``-`` without one; None when it cannot be read."""
    if project_file is None or not os.path.lexists(project_file):
        return "-"
    return _file_digest(project_file)


def marker_names(shown: Iterable[str], roots: tuple[Path, ...]) -> dict[str, str]:
    """Each input as the marker names it: relative to the PATH it was found below (prefixed
    with the PATH's position when there are several), so that the marker does not depend on the
    directory aimctl runs in."""
    bases = [os.path.abspath(r if r.is_dir() else r.parent) for r in roots]
    prefixes = [base.rstrip(os.sep) + os.sep for base in bases]
    cwd = os.getcwd()
    cwd_prefix = cwd.rstrip(os.sep) + os.sep
    out = {}
    for name in shown:  # as display_path made them: normalised, relative to cwd or absolute
        if name.startswith(".") or os.path.isabs(name) or "/." in name or "//" in name:
            absolute = os.path.abspath(name)
        else:  # already normal below the normal cwd: joining keeps it normal
            absolute = cwd_prefix + name
        for i, (base, prefix) in enumerate(zip(bases, prefixes, strict=True)):
            if absolute == base:
                rel = "."
            elif absolute.startswith(prefix):
                rel = absolute[len(prefix) :].replace(os.sep, "/")
            else:
                continue
            out[name] = rel if len(bases) == 1 else f"{i}:{rel}"
            break
        else:
            out[name] = Path(name).name
    return out


def marker_text(fp: Fingerprint) -> str:
    """The ownership marker with the digest of every input (sorted: the same bytes anywhere)."""
    lines = [MARKER_TEXT, f"{_FORMAT}\n", f"render {fp.key}\n", f"project {fp.project}\n"]
    for name, digest in sorted((fp.names[s], d) for s, d in fp.inputs.items()):
        lines.append(f"{digest}  {_one_line(name)}\n")
    return "".join(lines)


def _one_line(name: str) -> str:
    return name.replace("\\", "\\\\").replace("\n", "\\n")


def fingerprint(
    key: str,
    project: str,
    roots: tuple[Path, ...],
    files: list[Path],
    known: dict[str, tuple[str, Signature | None]],
    names: list[str],
) -> Fingerprint | None:
    """The digests of the input files found by the walk (the cached path: no parsing), named as
    ``names`` (``loader.display_paths(files)``). A file whose signature is the one ``known``
    recorded keeps its recorded digest; any other is read and hashed."""
    inputs, stamps = {}, {}
    for path, shown in zip(files, names, strict=True):
        was = known.get(shown)
        if was is not None and was[1] is not None:
            try:
                now = signature(os.stat(path))
            except OSError:
                return None
            if now == was[1] and stat.S_ISREG(now[4]):
                inputs[shown], stamps[shown] = was[0], now
                continue
        stamped = _stamped_digest(path)
        if stamped is None:
            return None
        inputs[shown], stamps[shown] = stamped
    return Fingerprint(key, project, inputs, marker_names(inputs, roots), stamps)


def scopes_of(inputs: Inputs) -> dict[str, list[str]] | None:
    """For every input file, the namespaces its objects live in (a ``Namespace`` lives in
    itself; ``CLUSTER`` for any other cluster-scoped object, or a document aimctl kept no entry
    for). None when the catalog derived objects (those may reach across namespaces)."""
    catalog = inputs.catalog
    found: dict[str, set[str]] = {f: set() for f in inputs.files}
    docs: dict[str, set[int]] = {}
    entries = [*catalog.by_key.values(), *catalog.passthrough]
    entries += [*catalog.profile_services, *catalog.inert]
    for entry in entries:
        key = entry.key
        if key.namespace is not None:
            scope = key.namespace
        elif key.kind == "Namespace" and entry.raw.get("apiVersion") == "v1":
            scope = key.name
        else:
            scope = CLUSTER
        found.setdefault(entry.file, set()).add(scope)
        docs.setdefault(entry.file, set()).add(entry.doc)
    for file, count in inputs.docs_per_file.items():
        if len(docs.get(file, ())) < count:
            found.setdefault(file, set()).add(CLUSTER)
    return {file: sorted(scopes) for file, scopes in found.items()}


# --- the output directory -------------------------------------------------------------------


def output_signatures(root: Path) -> dict[str, Signature] | None:
    """Every file below ``root`` (the marker excepted) with its signature; None when a
    directory cannot be read. Nothing is followed: links are entries like any other. Each
    folder is listed and its entries examined relative to a descriptor of it (one ``fstatat``
    an entry, no path looked up twice)."""
    from aimctl.emit import open_dir

    out: dict[str, Signature] = {}
    stat_, is_dir = os.stat, stat.S_ISDIR
    folders = [""]
    try:
        top = open_dir(None, str(root))
    except OSError:
        return None
    try:
        while folders:
            folder = folders.pop()
            fd = open_dir(top, folder) if folder else os.dup(top)
            prefix = f"{folder}/" if folder else ""
            try:
                for name in os.listdir(fd):
                    st = stat_(name, dir_fd=fd, follow_symlinks=False)
                    if is_dir(st.st_mode):
                        folders.append(prefix + name)
                    else:
                        out[prefix + name] = signature(st)
            finally:
                os.close(fd)
    except OSError:
        return None
    finally:
        os.close(top)
    out.pop(MARKER, None)
    return out


def signatures_digest(signatures: dict[str, Signature]) -> str:
    """One digest of the names and signatures (the names sorted, then their numbers packed)."""
    from array import array
    from itertools import chain

    names = sorted(signatures)
    digest = hashlib.sha256(b"names\0" + "\0".join(names).encode("utf-8", "surrogateescape"))
    try:
        numbers = array("q", chain.from_iterable(map(signatures.__getitem__, names)))
    except OverflowError:  # an inode number beyond 2**63: the slower spelling
        digest.update(b"\0repr\0" + repr([signatures[n] for n in names]).encode())
    else:
        digest.update(b"\0numbers\0" + numbers.tobytes())
    return digest.hexdigest()


_RACY_NS: Final = 2_000_000_000


def settled(stamp: Signature | None) -> Signature | None:
    """A signature that may stand for the content later, or None: a file changed less than two
    seconds ago could change again within the same clock tick without its times showing it
    (the "racy git" problem), so it is hashed again next time."""
    import time

    if stamp is None or stamp[3] >= time.time_ns() - _RACY_NS:
        return None
    return stamp


def read_marker(root: Path) -> bytes | None:
    try:
        fd = os.open(root / MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_MARKER_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(_MAX_MARKER_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


# --- trust records ---------------------------------------------------------------------------


@dataclass(slots=True)
class Record:
    """What one render to DIR was made from and what it wrote (see the module text)."""

    local: dict[str, Any]  # where and how aimctl ran: output path, cwd, roots, interpreter
    key: str
    project: str
    # shown path -> (digest, scopes, signature when settled)
    inputs: dict[str, tuple[str, list[str], Signature | None]]
    outputs: str  # digest of the signatures of DIR's files
    count: int  # objects written
    warnings: list[dict[str, Any]]
    linked: bool  # a service's status points into another namespace: no partial renders


def _record_path(cache: Path, root: Path, marker: bytes) -> Path:
    digest = hashlib.sha256(os.path.abspath(root).encode() + b"\0" + marker).hexdigest()
    return cache / "trust" / f"{digest}.json"


def load_record(cache: Path, root: Path, marker: bytes) -> Record | None:
    path = _record_path(cache, root, marker)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.geteuid()
            or st.st_mode & 0o077
            or st.st_size > _MAX_RECORD_BYTES
        ):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = json.loads(handle.read())
        if data.get("version") != _RECORD_VERSION:
            return None
        return Record(
            local=data["local"],
            key=data["key"],
            project=data["project"],
            inputs={
                k: (v[0], v[1], None if v[2] is None else tuple(v[2]))
                for k, v in data["inputs"].items()
            },
            outputs=data["outputs"],
            count=data["count"],
            warnings=data["warnings"],
            linked=data["linked"],
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    finally:
        os.close(fd)


def save_record(cache: Path, root: Path, marker: bytes, record: Record) -> None:
    """Write the record atomically (``0600``); a cache that cannot be written is skipped."""
    path = _record_path(cache, root, marker)
    body = {
        "version": _RECORD_VERSION,
        "local": record.local,
        "key": record.key,
        "project": record.project,
        "inputs": {k: list(v) for k, v in record.inputs.items()},
        "outputs": record.outputs,
        "count": record.count,
        "warnings": record.warnings,
        "linked": record.linked,
    }
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:  # dumps: json.dump encodes in Python, not C
            handle.write(json.dumps(body, separators=(",", ":")).encode())
        os.replace(temp, path)


def forget(cache: Path, root: Path, marker: bytes) -> None:
    with contextlib.suppress(OSError):
        os.unlink(_record_path(cache, root, marker))


def local_facts(root: Path, roots: tuple[Path, ...], config: Path | None) -> dict[str, Any]:
    """Where this render ran: messages name files relative to the current directory."""
    return {
        "output": os.path.abspath(root),
        "cwd": os.getcwd(),
        "roots": [os.path.abspath(r) for r in roots],
        "config": os.path.abspath(config) if config is not None else None,
        "python": [sys.prefix, sys.version],  # the environment (its PyYAML, pydantic, ...)
    }


# --- diagnostics kept with a record ---------------------------------------------------------


def dump_diagnostic(d: Diagnostic) -> dict[str, Any]:
    resource = d.resource
    return {
        "code": d.code,
        "message": d.message,
        "severity": d.severity.value,
        "file": d.file,
        "doc": d.doc,
        "field": list(d.field),
        "resource": None
        if resource is None
        else [resource.kind, resource.namespace, resource.name],
        "line": d.line,
        "column": d.column,
        "hint": d.hint,
    }


def load_diagnostic(data: dict[str, Any]) -> Diagnostic:
    resource = data["resource"]
    return Diagnostic(
        data["code"],
        data["message"],
        Severity(data["severity"]),
        data["file"],
        data["doc"],
        tuple(data["field"]),
        None if resource is None else ResourceKey(*resource),
        data["line"],
        data["column"],
        data["hint"],
    )


# --- output files and the namespaces they belong to ----------------------------------------


def file_scope(rel: str) -> str | None:
    """The namespace an output file belongs to (its folder; a Namespace object's own name),
    ``CLUSTER`` for other cluster-scoped objects, None for ``kustomization.yaml``."""
    folder, _, name = rel.rpartition("/")
    if not folder:
        return None
    if folder != "_cluster":
        return folder
    if name.startswith("namespace-") and name.endswith(".yaml"):
        return name[len("namespace-") : -len(".yaml")]
    return CLUSTER


_RANK_BY_FILE_KIND: Final = {kind.lower(): rank for rank, (kind, _) in enumerate(KIND_ORDER)}
_MAX_FILE_STEM: Final = 200


def file_sort_key(rel: str) -> tuple[int, str, str, str] | None:
    """The object order key (``emit.object_sort_key``) of an output file of a known kind, from
    its path; None when the path does not tell (another kind, or a shortened long name)."""
    folder, _, base = rel.rpartition("/")
    stem = base[: -len(".yaml")] if base.endswith(".yaml") else None
    if not folder or stem is None or len(stem) >= _MAX_FILE_STEM - 13:
        return None
    kind, _, name = stem.partition("-")
    rank = _RANK_BY_FILE_KIND.get(kind)
    if rank is None or not name:
        return None
    return (rank, "", "" if folder == "_cluster" else folder, name)
