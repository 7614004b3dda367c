"""Read the input files of a git revision without checking it out (``aimctl plan --base REF``).

Only plumbing commands run (``rev-parse``, ``ls-tree``, ``cat-file --batch``): none of them
touches the index or the working tree, runs hooks, filters, textconv drivers or the fsmonitor, or
talks to a remote. Every invocation is a fixed argv (no shell) with the options below, so a
hostile ``.git/config`` in the repository cannot make them run a program; sizes are checked
before a blob is read; tree paths that could escape the destination are refused.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from aimctl.errors import Diagnostic

__all__ = [
    "MAX_BLOB_BYTES",
    "MAX_FILES",
    "MAX_TOTAL_BYTES",
    "GitReadError",
    "export_revision",
    "repository_root",
]

MAX_BLOB_BYTES: Final = 32 * 1024 * 1024  # the loader's limit for one input file
MAX_TOTAL_BYTES: Final = 256 * 1024 * 1024
MAX_FILES: Final = 100_000
_TIMEOUT: Final = 120.0  # seconds, per git command
_EXPORTED_SUFFIXES: Final = (".yaml", ".yml")
_EXPORTED_NAMES: Final = frozenset({".aimctl-output"})  # the output-directory marker (loader)
_MAX_LINK: Final = 4096

# -c overrides the repository's own configuration (command line wins over .git/config)
_SAFE_CONFIG: Final = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "protocol.allow=never",  # no transport at all: a partial clone cannot fetch lazily
    "core.sshCommand=false",
    "core.askPass=false",
)


# where repository discovery stops: the user's choice, never the repository's
_KEPT: Final = frozenset({"GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"})


class GitReadError(Exception):
    """The revision could not be read; the message says why (exit 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic("E_PLAN_BASE", message)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEPT}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_LAZY_FETCH="1",
        GIT_OPTIONAL_LOCKS="0",
        GIT_LITERAL_PATHSPECS="1",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_ATTR_NOSYSTEM="1",
        GIT_PAGER="cat",
        LC_ALL="C",
    )
    return env


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    argv = ["git", "--no-pager"]
    for item in _SAFE_CONFIG:
        argv += ["-c", item]
    argv += list(args)
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=_environment(),
            timeout=_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise GitReadError("git is not installed; give --base a directory instead") from None
    except subprocess.TimeoutExpired:
        raise GitReadError(f"git {args[0]} took longer than {_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1][:300] if detail else f"exit status {done.returncode}"
        raise GitReadError(f"git {args[0]} failed: {reason}")
    return done.stdout


def repository_root(cwd: Path) -> Path:
    """The top of the work tree the current directory is in."""
    try:
        out = _git(cwd, "rev-parse", "--show-toplevel")
    except GitReadError as exc:
        raise GitReadError(
            f"--base names a revision but {cwd} is not in a git work tree ({exc}); "
            "give --base a directory instead"
        ) from None
    return Path(os.fsdecode(out.rstrip(b"\n")))


def _commit(root: Path, ref: str) -> str:
    if not ref or ref.startswith("-") or "\0" in ref or len(ref) > 1000:
        raise GitReadError(f"--base {ref!r}: not a revision name")
    try:
        out = _git(
            root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
        )
    except GitReadError:
        raise GitReadError(
            f"--base {ref}: no such commit in {root} (fetch it first, e.g. "
            "`git fetch origin main`, or check the spelling)"
        ) from None
    return out.decode("ascii", "replace").strip()


@dataclass(frozen=True, slots=True)
class _Entry:
    mode: str
    kind: str
    oid: str
    size: int
    path: str


def _list(root: Path, commit: str, pathspecs: list[str]) -> list[_Entry]:
    out = _git(root, "ls-tree", "-r", "-z", "--long", "--full-tree", commit, "--", *pathspecs)
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        head, _, raw_path = record.partition(b"\t")
        fields = head.split()
        if len(fields) != 4:
            raise GitReadError(f"git ls-tree printed an unexpected line: {record[:100]!r}")
        mode, kind, oid, size = (f.decode("ascii", "replace") for f in fields)
        entries.append(
            _Entry(mode, kind, oid, int(size) if size.isdigit() else 0, os.fsdecode(raw_path))
        )
    return entries


def _safe_parts(path: str) -> tuple[str, ...]:
    parts = PurePosixPath(path).parts
    if (
        not parts
        or path.startswith("/")
        or any(p in ("", ".", "..", ".git") or "\\" in p for p in parts)
    ):
        raise GitReadError(f"the revision holds a path aimctl will not write: {path[:200]!r}")
    return parts


def _wanted(entry: _Entry) -> bool:
    if entry.kind != "blob":
        return False  # submodules (commits) are not input
    if entry.mode == "120000":
        return True  # symbolic links: the loader applies its own confinement, as in a work tree
    name = PurePosixPath(entry.path).name
    return name.endswith(_EXPORTED_SUFFIXES) or name in _EXPORTED_NAMES


def _read_blobs(root: Path, entries: list[_Entry]) -> list[bytes]:
    request = "".join(f"{e.oid}\n" for e in entries).encode("ascii")
    out = _git(root, "cat-file", "--batch", stdin=request)
    blobs, at = [], 0
    for entry in entries:
        end = out.find(b"\n", at)
        header = out[at:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise GitReadError(f"git cat-file could not read {entry.path}")
        size = int(header[2])
        if size != entry.size:
            raise GitReadError(f"git cat-file returned {size} bytes for {entry.path}")
        blobs.append(out[end + 1 : end + 1 + size])
        at = end + 1 + size + 1
    return blobs


def _make_dirs(dest: Path, parts: tuple[str, ...]) -> Path:
    here = dest
    for part in parts:
        here = here / part
        if os.path.islink(here):
            raise GitReadError(f"the revision puts files below a symbolic link: {here.name}")
        here.mkdir(mode=0o700, exist_ok=True)
    return here


def export_revision(root: Path, ref: str, pathspecs: list[str], dest: Path) -> str:
    """Write the input files (YAML, output markers, symbolic links) of ``ref`` below
    ``pathspecs`` (relative to ``root``) into the empty directory ``dest``; return the commit.

    Refuses a blob over ``MAX_BLOB_BYTES``, more than ``MAX_FILES`` files or
    ``MAX_TOTAL_BYTES`` in all, before reading any of them.
    """
    commit = _commit(root, ref)
    entries = [e for e in _list(root, commit, pathspecs) if _wanted(e)]
    if len(entries) > MAX_FILES:
        raise GitReadError(f"{ref}: {len(entries)} input files (the limit is {MAX_FILES})")
    total = 0
    for entry in entries:
        limit = _MAX_LINK if entry.mode == "120000" else MAX_BLOB_BYTES
        if entry.size > limit:
            raise GitReadError(
                f"{ref}:{entry.path[:200]} is {entry.size} bytes (the limit is {limit}); not read"
            )
        total += entry.size
    if total > MAX_TOTAL_BYTES:
        raise GitReadError(
            f"{ref}: the input files hold {total} bytes (the limit is {MAX_TOTAL_BYTES})"
        )
    blobs = _read_blobs(root, entries) if entries else []
    links = []
    for entry, data in zip(entries, blobs, strict=True):
        parts = _safe_parts(entry.path)
        if entry.mode == "120000":
            links.append((parts, data))
            continue
        directory = _make_dirs(dest, parts[:-1])
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(directory / parts[-1], flags, 0o600)
        except FileExistsError:
            raise GitReadError(f"the revision lists {entry.path[:200]} twice") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    for parts, target in links:  # after the files: no file is ever written through a link
        directory = _make_dirs(dest, parts[:-1])
        link = directory / parts[-1]
        if not os.path.lexists(link) and b"\0" not in target:
            os.symlink(os.fsdecode(target), link)
    return commit
