"""Read input files into plain documents; recover source spans lazily.

The hot path parses with PyYAML's C parser, typing plain scalars as go-yaml v2 does (the reader
kubectl and the API server's YAML decoding use; ``aimctl.goscalars``), and
keeps no per-field positions. When an error or ``explain`` needs a line number, ``SpanIndex``
re-reads just that file and walks its node tree to the field path (aimctl.md §7, §9).
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import yaml

from aimctl.errors import Diagnostic, Severity
from aimctl.filesig import signature
from aimctl.goscalars import (
    BOOL,
    FLOAT,
    INT,
    MERGE,
    NULL,
    NotJson,
    key_text,
    plain_tag,
    typed,
)
from aimctl.libyaml import CSafeLoader, KubeYamlLoader
from aimctl.provenance import FieldPath, SourceSpan, slot_init

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENTS_PER_FILE",
    "MAX_EXPANDED_NODES",
    "MAX_EXPANDED_NODES_PER_RENDER",
    "MAX_FILE_BYTES",
    "PROJECT_FILE",
    "STDIN",
    "STDIN_NAME",
    "FileStamp",
    "LoadResult",
    "LoadedDocument",
    "SpanIndex",
    "collect_files",
    "display_path",
    "display_paths",
    "is_stdin",
    "load_paths",
    "parse_text",
]

PROJECT_FILE = "aimctl.yaml"
MAX_FILE_BYTES = 32 * 1024 * 1024
STDIN = Path("-")  # a PATH of `-`: one YAML stream read from standard input
STDIN_NAME = "<stdin>"  # how messages and provenance name it
MAX_DOCUMENTS_PER_FILE = 20_000
MAX_DEPTH = 64
MAX_EXPANDED_NODES = 200_000  # per document and per file
MAX_EXPANDED_NODES_PER_RENDER = 2_000_000  # per loading process (a forked worker counts its own)
_EXPANDED = [0]  # nodes aliases expanded to since load_paths began (this process)
_DEEP_SCAN_BYTES = 8 * 1024  # files smaller than this cannot nest deep enough to hurt the C parser
_C_SAFE_DEPTH = 8000  # PyYAML's C composer recurses; it was seen to crash only past ~20,000 levels
_LOCATE_ROUNDS = 4  # re-parses of a cut text when looking for aimctl's nesting error
_YAML_SUFFIXES = (".yaml", ".yml")


@slot_init
@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """One YAML document: plain data plus where it was written (file as displayed, doc index)."""

    file: str
    index: int
    data: dict[str, Any]
    line: int = 0


# inode, size, mtime, ctime (ns), mode: see emit.signature
FileStamp = tuple[str, tuple[int, int, int, int, int]]


@dataclass(slots=True)
class LoadResult:
    documents: list[LoadedDocument] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # file as displayed -> SHA-256 of the bytes parsed and the file's signature as read
    # (``aimctl.render_cache`` records them)
    digests: dict[str, FileStamp] = field(default_factory=dict)


class _InputError(Exception):
    """A problem with one file's text; carries the 1-based line and column when known."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _TemplateFile(_InputError):
    """A Helm or Go template (``{{ ... }}``) that is not YAML until rendered: skipped, noted."""


class _TooDeep(_InputError):
    """Nesting deeper than MAX_DEPTH; ``parse_text`` finds the level's own line when it can."""

    def __init__(self, line: int = 0, column: int = 0) -> None:
        super().__init__(f"nesting deeper than {MAX_DEPTH} levels", line, column)


_MERGE_TAG = "tag:yaml.org,2002:merge"


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# Short plain scalars repeat (keys, enums) and their tags are memoised; long ones are resolved anew.
_TAG_CACHE_MAX_LEN = 64
_PLAIN_TAGS: dict[str, str] = {}  # plain scalar text -> tag, for _Loader.resolve


class _Loader(KubeYamlLoader):
    """C-parsed YAML with go-yaml v2's scalar types (as kubectl reads manifests), keys as JSON
    strings, duplicate keys rejected and timestamps kept as strings."""

    alias_hits = 0

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        _reject_duplicate_keys(self, node)
        self.flatten_mapping(node)  # merge keys, as SafeConstructor does before building
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key: Any = _json_key(key_node)
            else:
                key = self.construct_object(key_node, deep=deep)
                try:
                    hash(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        "a list or mapping as a key: Kubernetes keys are strings",
                        key_node.start_mark,
                    ) from None
            out[key] = self.construct_object(value_node, deep=deep)
        return out

    # The C composer calls these three for every node. Without path resolvers (we add none) the
    # tag of a plain scalar depends only on its text, and a quoted one is always a string, so
    # tags are memoised; each is the one go-yaml v2 gives (``aimctl.goscalars``), not YAML 1.1's.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: Any, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = plain_tag(value)
                if len(value) <= _TAG_CACHE_MAX_LEN:
                    _PLAIN_TAGS[value] = tag
            return tag
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


_MAX_INT_CHARS = 100  # Kubernetes integers are 64-bit (19 digits); Python refuses 4,300+ digits


def _construct_typed(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """A number, boolean or null as go-yaml v2 reads it, as the JSON value kubectl sends;
    absurdly long integers and values JSON cannot carry are refused at their line."""
    if node.tag == INT and len(node.value) > _MAX_INT_CHARS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"integer longer than {_MAX_INT_CHARS} characters (Kubernetes integers are 64-bit)",
            node.start_mark,
        )
    try:
        return typed(node.tag, node.value)
    except NotJson as exc:
        raise yaml.constructor.ConstructorError(None, None, str(exc), node.start_mark) from None


for _tag in (INT, FLOAT, BOOL, NULL, MERGE):
    _Loader.add_constructor(_tag, _construct_typed)


def _json_key(node: yaml.ScalarNode) -> str:
    """The string sigs.k8s.io/yaml makes of a scalar key (``y:`` is ``"true"``, ``1:`` is
    ``"1"``); a null key is an error at its line."""
    if node.tag == _STR_TAG:
        return str(node.value)
    try:
        return key_text(node.tag, node.value)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(None, None, str(exc), node.start_mark) from None


class _CountingLoader(_Loader):
    """The same, counting alias re-uses (only used for texts that define anchors)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            self.alias_hits += 1
        return super().construct_object(node, deep=deep)


def _reject_duplicate_keys(loader: _Loader, node: yaml.MappingNode) -> None:
    """One cheap pass over the key nodes (merge keys may repeat what they merge, as YAML allows)."""
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        if isinstance(key_node, yaml.ScalarNode):
            ident: Any = _key_ident(key_node)
        else:
            try:
                ident = loader.construct_object(key_node, deep=True)
                hash(ident)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "found an unhashable key", key_node.start_mark
                ) from None
        first = seen.get(ident)
        if first is not None:
            shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else ident
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {shown!r} (first defined on line {first.start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[ident] = key_node


def _key_ident(node: yaml.ScalarNode) -> Any:
    """The JSON key a scalar key node becomes (``y`` and ``yes`` are both ``"true"``)."""
    if node.tag == _STR_TAG:
        return node.value
    try:
        return key_text(node.tag, node.value)
    except ValueError:
        return (node.tag, node.value)  # refused at construction, with its own message


_FAST_SCALARS = frozenset(
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null")
)


def _construct_plain(loader: _Loader, node: yaml.Node, line: int) -> Any:
    """The document as ``construct_document`` builds it, for texts without anchors (no shared
    nodes), in one direct walk over the node tree.

    Strings, numbers, booleans and nulls, plain mappings and sequences are built here; anything
    else (merge keys, complex keys, explicit tags such as ``!!binary`` or ``!!set``, unknown tags)
    goes to PyYAML's own constructor for that subtree, so results and errors stay PyYAML's.
    Raises ``_TooDeep`` for nesting deeper than MAX_DEPTH, as ``_too_deep`` would.
    """
    constructors = loader.yaml_constructors
    generic = loader.construct_object

    def scalar(item: Any) -> Any:
        tag = item.tag
        if tag == _STR_TAG:
            return item.value
        if tag in _FAST_SCALARS:
            return constructors[tag](loader, item)
        return generic(item, deep=True)

    fallbacks = 0

    def subtree(item: yaml.Node) -> Any:
        nonlocal fallbacks
        fallbacks += 1
        return generic(item, deep=True)

    def build(item: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _TooDeep(line)
        kind = type(item)
        if kind is yaml.MappingNode and item.tag == _MAP_TAG:
            pairs = item.value
            for key_node, _ in pairs:
                if type(key_node) is not yaml.ScalarNode or key_node.tag not in _FAST_SCALARS:
                    return subtree(item)  # merge keys, complex or tagged keys
            out = {
                _json_key(key_node): scalar(value_node)
                if type(value_node) is yaml.ScalarNode
                else build(value_node, depth + 1)
                for key_node, value_node in pairs
            }
            if len(out) < len(pairs):  # a repeated key, or keys that differ only in spelling
                _reject_duplicate_keys(loader, item)  # raises for a real duplicate
            return out
        if kind is yaml.SequenceNode and item.tag == _SEQ_TAG:
            return [
                scalar(child) if type(child) is yaml.ScalarNode else build(child, depth + 1)
                for child in item.value
            ]
        if kind is yaml.ScalarNode:
            return scalar(item)
        return subtree(item)

    try:
        data = build(node, 0)
        if fallbacks and _too_deep(data):
            raise _TooDeep(line)
        return data
    finally:
        loader.constructed_objects = {}
        loader.recursive_objects = {}
        loader.state_generators = []
        # ``build`` refers to itself through its closure: a reference cycle that would keep the
        # loader (and the file's libyaml parser) alive until a collection, and the CLI runs with
        # the cyclic collector off, so memory would grow with the file count. Break it here.
        build = None  # type: ignore[assignment]  # (the cell, so the closures drop it too)


def _might_nest_deeply(text: str) -> bool:
    """Cheap upper bound on nesting: flow brackets plus twice the longest line (block nesting
    needs indentation or a dash per level). Only a text above it gets the event scan."""
    if len(text) < _DEEP_SCAN_BYTES:
        return False
    bound = text.count("[") + text.count("{") + 2 * max(map(len, text.split("\n")))
    return bound > _C_SAFE_DEPTH


def is_stdin(path: Path) -> bool:
    """Whether a PATH means standard input (``-``; a file called ``-`` is read as ``DIR``)."""
    return path == STDIN


def display_path(path: Path) -> str:
    """The path as messages print it: relative to the current directory when below it, POSIX;
    ``<stdin>`` for ``-`` (and a file really called ``<stdin>`` as ``./<stdin>``).

    Lexical (no symlink resolution, one ``getcwd`` per call): it runs once per input file.
    """
    if is_stdin(path):
        return STDIN_NAME
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        shown = Path(os.path.relpath(absolute, cwd)).as_posix()
        return "./" + shown if shown == STDIN_NAME else shown
    return path.as_posix()


def display_paths(paths: Iterable[Path]) -> list[str]:
    """``display_path`` of many paths, with one ``getcwd`` (the same strings)."""
    cwd = os.getcwd()
    prefix = cwd.rstrip(os.sep) + os.sep
    out = []
    for path in paths:
        absolute = os.path.abspath(path)
        if is_stdin(path):
            out.append(STDIN_NAME)
        elif absolute == cwd:
            out.append(".")
        elif absolute.startswith(prefix):
            shown = absolute[len(prefix) :].replace(os.sep, "/")
            out.append("./" + shown if shown == STDIN_NAME else shown)
        else:
            out.append(path.as_posix())
    return out


# (the process that read it, the stream, what it gave)
_STDIN_READ: list[tuple[int, object, bytes | _InputError]] = []


def _read_stdin() -> bytes:
    """Standard input, read once (it cannot be read twice) and bounded like a file; the same
    bytes for every later read (spans, explain) of the same stream, and in forked workers
    (whose ``sys.stdin`` multiprocessing replaces with /dev/null)."""
    stream = sys.stdin
    if _STDIN_READ and (_STDIN_READ[0][1] is stream or _STDIN_READ[0][0] != os.getpid()):
        got = _STDIN_READ[0][2]
    else:
        buffer = getattr(stream, "buffer", None)
        if stream is None or buffer is None:
            raise _NotRegular("standard input is closed")
        data = buffer.read(MAX_FILE_BYTES + 1)
        got = (
            _InputError(f"input is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
            if len(data) > MAX_FILE_BYTES
            else bytes(data)
        )
        _STDIN_READ[:] = [(os.getpid(), stream, got)]
    if isinstance(got, _InputError):
        raise got
    return got


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _resolved(path: str) -> str | None:
    """``Path(path).resolve(strict=True)`` as text, or None for a symlink loop or an unreadable
    link."""
    try:
        return str(Path(path).resolve(strict=True))
    except (OSError, RuntimeError):
        return None


def _join(directory: str, name: str) -> str:
    """``str(Path(directory) / name)`` for a directory given as ``str(Path(...))``, without
    building a Path (one per input file otherwise: a third of the walk)."""
    if directory == ".":
        return name
    return directory + name if directory.endswith(os.sep) else directory + os.sep + name


def _below(path: str, directory: str) -> bool:
    """Whether ``directory`` is one of ``Path(path).parents`` (both normalised and absolute)."""
    return path != directory and path.startswith(
        directory if directory.endswith(os.sep) else directory + os.sep
    )


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return True  # resolved (and checked) as a link would be


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Whether an entry is a directory, following a link; False for a loop or a broken link."""
    try:
        return entry.is_dir()
    except OSError:
        return False


_OUTPUT_MARKER = ".aimctl-output"  # emit.MARKER: the ownership marker of an aimctl output dir


_KUSTOMIZE_FILES = ("kustomization.yaml", "kustomization.yml")
# files aimctl does not read, and says so (names first, then suffixes)
_SKIPPED = {
    **dict.fromkeys(
        _KUSTOMIZE_FILES,
        "not read: a kustomize file, not a Kubernetes object (aimctl writes its own "
        "kustomization.yaml beside the rendered objects)",
    ),
    ".json": "not read: aimctl reads *.yaml and *.yml (convert the file, or rename it if it "
    "is a manifest)",
}


_OTHER_SUFFIX = "not read: aimctl reads *.yaml and *.yml (rename the file if it is a manifest)"
# files that sit beside manifests and are never manifests: skipped without a note
_DOC_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".sh", ".py")
_DOC_NAMES = ("readme", "license", "notice", "owners", "codeowners", "dockerfile", "makefile")


def _is_documentation(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(_DOC_SUFFIXES) or lowered.split(".")[0] in _DOC_NAMES


def collect_files(
    roots: Iterable[Path], skip: Iterable[Path] = ()
) -> tuple[list[Path], list[Diagnostic]]:
    """Every ``*.yaml``/``*.yml`` below the roots, sorted, without hidden entries or the project file;
    a warning for every other file (documentation excepted) and for kustomize files.

    Symlinks are followed only when their target stays inside one of the roots; loops and links
    that lead outside are skipped silently (their targets are never read nor named). The walk is
    iterative (no recursion limit on deep trees); a directory that cannot be read is an error
    (a partial render must not pass), and a subdirectory holding aimctl's output marker is
    skipped with a warning (rendered output is not input).
    """
    names, problems = _collect_names(roots, skip)
    return [Path(name) for name in names], problems


def _collect_names(
    roots: Iterable[Path], skip: Iterable[Path] = ()
) -> tuple[list[str], list[Diagnostic]]:
    """``collect_files`` with the files as text (``str`` of the Paths it returns): the walk
    builds no Path per file, and a caller that filters the files builds Paths only for those
    it keeps."""
    roots = list(roots)
    resolved_roots = [str(r.resolve()) for r in roots if not is_stdin(r)]
    skipped = {str(p.resolve()) for p in skip}
    found: dict[str, str] = {}  # resolved target -> path as reached first (sorted walk)
    problems: list[Diagnostic] = []
    visited: set[str] = set()

    def inside_roots(target: str | None) -> bool:
        return target is not None and any(target == r or _below(target, r) for r in resolved_roots)

    def consider_file(directory: str, real_directory: str, name: str, is_link: bool) -> None:
        if _is_hidden(name) or name == PROJECT_FILE:
            return
        if not name.endswith(_YAML_SUFFIXES) or name in _KUSTOMIZE_FILES:
            note = _SKIPPED.get(name) or _SKIPPED.get(os.path.splitext(name)[1])
            if note is None and not _is_documentation(name):
                note = _OTHER_SUFFIX
            if note is not None:
                shown = display_path(Path(_join(directory, name)))
                problems.append(Diagnostic("W_SKIPPED", note, Severity.WARNING, file=shown))
            return
        path = _join(directory, name)
        if is_link:
            target = _resolved(path)
            if target is None or not inside_roots(target):
                return  # a loop, or a link leading outside the given paths: never read or named
        else:
            target = _join(real_directory, name)  # what resolve() gives, without a syscall
        if target not in skipped and target not in found:
            found[target] = path

    def unreadable(directory: str, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        problems.append(
            Diagnostic(
                "E_READ", f"cannot read directory: {reason}", file=display_path(Path(directory))
            )
        )

    def walk(root: Path) -> None:
        # each directory with its resolved path: a subdirectory that is not a link resolves to
        # its parent's resolved path plus its name, without a syscall per part
        top = str(root)
        stack: list[tuple[str, str | None]] = [(top, _resolved(top))]
        while stack:
            here, real_here = stack.pop()
            if real_here is None or real_here in visited or not inside_roots(real_here):
                continue
            visited.add(real_here)
            try:
                with os.scandir(here) as listing:
                    entries = sorted((e.name, _is_dir(e), _is_link(e)) for e in listing)
            except OSError as exc:
                unreadable(here, exc)
                continue
            subdirs: list[tuple[str, str | None]] = []
            for name, is_dir, is_link in entries:
                if not is_dir:
                    consider_file(here, real_here, name, is_link)
                    continue
                if _is_hidden(name):
                    continue
                sub = _join(here, name)
                target = _resolved(sub) if is_link else _join(real_here, name)
                if target is None or target in skipped or target in visited:
                    continue
                if is_link and (
                    not inside_roots(target) or target == real_here or _below(real_here, target)
                ):
                    continue
                if os.path.lexists(_join(sub, _OUTPUT_MARKER)):
                    problems.append(
                        Diagnostic(
                            "W_OUTPUT_DIR_SKIPPED",
                            f"skipped: an aimctl output directory ({_OUTPUT_MARKER}), not input",
                            severity=Severity.WARNING,
                            file=display_path(Path(sub)),
                        )
                    )
                    continue
                subdirs.append((sub, target))
            stack.extend(reversed(subdirs))

    for root in roots:
        if is_stdin(root):
            found.setdefault(str(STDIN), str(STDIN))
        elif not os.path.lexists(root):
            problems.append(
                Diagnostic("E_PATH_NOT_FOUND", "no such file or directory", file=root.as_posix())
            )
        elif root.is_dir():
            walk(root)
        elif root.exists():
            found.setdefault(str(root.resolve()), str(root))  # load_file refuses non-regular files
        else:
            problems.append(
                Diagnostic("E_PATH_NOT_FOUND", "broken symbolic link", file=root.as_posix())
            )
    return sorted(found.values(), key=_posix), problems


def _posix(name: str) -> str:
    return name.replace(os.sep, "/") if os.sep != "/" else name


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _InputError(
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line
        ) from None
    return text.removeprefix("\ufeff")


def _first_too_deep(text: str) -> _TooDeep | None:
    """The first collection nested deeper than MAX_DEPTH, from parser events (raises YAMLError)."""
    depth = 0
    for event in yaml.parse(text, Loader=CSafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                return _TooDeep(mark.line + 1, mark.column + 1) if mark else _TooDeep()
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _locate_too_deep(text: str) -> _TooDeep | None:
    """aimctl's nesting error at the first level past MAX_DEPTH in ``text``, or None.

    Independent of the parser's own limits: libyaml 0.2.6 (PyYAML 6.0.4) refuses nesting past
    about 1,000 levels while it looks ahead, before it has produced an event for the outer
    levels, and in its own words. After a parser error the text before the error is parsed
    again; there the look-ahead stops at the cut, the outer levels produce their events, and
    the level past MAX_DEPTH is found with its line. A cut that still fails is cut again at its
    own error (a few rounds at most). A text whose error comes first stays a syntax error.
    """
    end = len(text)
    for _ in range(_LOCATE_ROUNDS):
        try:
            return _first_too_deep(text[:end] if end < len(text) else text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            if mark is None or not 0 < mark.index < end:
                return None
            end = mark.index
        except yaml.YAMLError:
            return None
    return None


def _too_deep(data: Any) -> bool:
    """Whether a document nests deeper than MAX_DEPTH (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        if depth > MAX_DEPTH:
            return True
        if type(value) is dict:
            for child in value.values():
                if type(child) is dict or type(child) is list:
                    push((child, depth + 1))
        elif type(value) is list:
            for child in value:
                if type(child) is dict or type(child) is list:
                    push((child, depth + 1))
    return False


def _expanded_size(value: Any, memo: dict[int, int], depth: int = 0) -> int:
    """Node count of ``value`` with aliases expanded (memoised, so linear in distinct nodes)."""
    if depth > MAX_DEPTH:
        raise _TooDeep()
    key = id(value)
    if key in memo:
        return memo[key]
    if isinstance(value, dict):
        total = 1 + sum(_expanded_size(v, memo, depth + 1) for v in value.values())
    elif isinstance(value, list):
        total = 1 + sum(_expanded_size(v, memo, depth + 1) for v in value)
    else:
        return 1
    memo[key] = total
    return total


def parse_text(text: str) -> Iterator[tuple[int, int, Any]]:
    """Yield ``(index, first_line, data)`` for every document; raise ``_InputError`` on bad YAML."""
    if _might_nest_deeply(text):
        # Before the recursive C composer sees it; a syntax error is reported by the parse below.
        too_deep = _locate_too_deep(text)
        if too_deep is not None:
            raise too_deep
    in_file = 0  # nodes that aliases expand to, over the documents of this text
    fast = "&" not in text  # no anchors: no shared nodes, the direct walk applies
    loader = _Loader(text) if fast else _CountingLoader(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            assert node is not None
            if index >= MAX_DOCUMENTS_PER_FILE:
                raise _InputError(f"more than {MAX_DOCUMENTS_PER_FILE} documents in one file")
            loader.alias_hits = 0
            if fast:
                data = _construct_plain(loader, node, node.start_mark.line + 1)
            else:
                data = loader.construct_document(node)
            if not fast and not loader.alias_hits and _too_deep(data):
                raise _TooDeep(node.start_mark.line + 1)
            if loader.alias_hits:
                expanded = _expanded_size(data, {})
                in_file += expanded
                _EXPANDED[0] += expanded
                if expanded > MAX_EXPANDED_NODES or in_file > MAX_EXPANDED_NODES:
                    raise _InputError(
                        f"aliases expand to more than {MAX_EXPANDED_NODES} nodes "
                        + (
                            "(alias bomb?)"
                            if expanded > MAX_EXPANDED_NODES
                            else "in this file (alias bomb?)"
                        ),
                        node.start_mark.line + 1,
                    )
                if _EXPANDED[0] > MAX_EXPANDED_NODES_PER_RENDER:
                    raise _InputError(
                        f"aliases of the input files expand to more than "
                        f"{MAX_EXPANDED_NODES_PER_RENDER} nodes in all (alias bomb?)",
                        node.start_mark.line + 1,
                    )
            yield index, node.start_mark.line + 1, data
            index += 1
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        raise _InputError(
            f"control characters are not allowed in YAML (found {code:#04x})", line
        ) from None
    except _TooDeep as exc:
        raise (_locate_too_deep(text) or exc) from None
    except RecursionError:
        raise (_locate_too_deep(text) or _TooDeep()) from None
    except yaml.MarkedYAMLError as exc:
        too_deep = _locate_too_deep(text)  # the parser's own nesting limit, in aimctl's words
        if too_deep is not None:
            raise too_deep from None
        raise _syntax_error(text, exc) from None
    except yaml.YAMLError as exc:
        raise _InputError(str(exc)) from None
    finally:
        loader.dispose()


def _syntax_error(text: str, exc: yaml.MarkedYAMLError) -> _InputError:
    """The parser's error, said in terms a manifest author can act on where the cause is clear.

    Recognised by the text at the parser's marks, never by the parser's wording: a tab in an
    indentation, a quoted string that is never closed (reported at its opening line), a Helm
    or Go template. Anything else keeps the parser's own words and position.
    """
    problem, context = exc.problem_mark, exc.context_mark
    lines = text.split("\n")
    for mark in (problem, context):
        if mark is not None and mark.line < len(lines):
            line = lines[mark.line]
            if "{{" in line and "}}" in text:
                return _TemplateFile(
                    "not read: a Helm or Go template ({{ ... }}), not a manifest; render it "
                    "first (e.g. `helm template`) and give aimctl the result",
                    mark.line + 1,
                    line.index("{{") + 1,
                )
    if problem is not None and problem.line < len(lines):
        line = lines[problem.line]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent or line[problem.column : problem.column + 1] == "\t":
            return _InputError(
                "a tab character indents this line; YAML indents with spaces only",
                problem.line + 1,
                (indent.index("\t") if "\t" in indent else problem.column) + 1,
            )
    if (
        context is not None
        and problem is not None
        and text[context.index : context.index + 1] in ("'", '"')
        and problem.line > context.line
    ):
        quote = text[context.index]
        return _InputError(
            f"the string opened with {quote} here is never closed (add the closing {quote})",
            context.line + 1,
            context.column + 1,
        )
    mark = problem or context
    message = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
    return _InputError(message, (mark.line + 1) if mark else 0, (mark.column + 1) if mark else 0)


def _yaml_error(file: str, err: _InputError) -> Diagnostic:
    return Diagnostic("E_YAML", f"yaml: {err.message}", file=file, line=err.line, column=err.column)


def load_file(
    path: Path, shown: str, digests: dict[str, FileStamp] | None = None
) -> tuple[list[LoadedDocument], list[Diagnostic]]:
    """Parse one file into documents; a broken file yields one diagnostic and no documents.

    ``digests``: gets ``shown`` -> SHA-256 of the bytes read (hashed here, where they are in
    memory anyway, so recording the inputs costs no second read)."""
    try:
        if is_stdin(path):
            raw = _read_stdin()  # a stream: no digest, so the render is never cached
        else:
            raw, st = _read_regular_stat(path)
            if digests is not None:
                digests[shown] = (
                    hashlib.sha256(raw).hexdigest(),
                    signature(st),
                )
        text = _decode(raw)
        docs: list[LoadedDocument] = []
        for index, line, data in parse_text(text):
            if data is None:
                continue
            if not isinstance(data, dict):
                return [], [
                    Diagnostic(
                        "E_NOT_A_MAPPING",
                        f"document {index + 1} is a {_yaml_type(data)}, not a mapping (a Kubernetes object)",
                        file=shown,
                        doc=index,
                        line=line,
                    )
                ]
            docs.append(LoadedDocument(shown, index, data, line))
        return docs, []
    except _TemplateFile as err:
        note = Diagnostic(
            "W_SKIPPED", err.message, Severity.WARNING, file=shown, line=err.line, column=err.column
        )
        return [], [note]
    except _InputError as err:
        return [], [_yaml_error(shown, err)]
    except _NotRegular as exc:
        return [], [Diagnostic("E_READ", str(exc), file=shown)]
    except OSError as exc:
        return [], [Diagnostic("E_READ", f"cannot read file: {exc.strerror}", file=shown)]


class _NotRegular(Exception):
    """An input path that is not a regular file."""


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_regular(path: str | Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES. FIFOs, devices and sockets are
    refused without reading (a FIFO would block, ``/dev/zero`` never ends); the check is made
    on the open descriptor, so the file cannot be swapped between check and read."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        return _read_descriptor(fd)
    finally:
        os.close(fd)


def _read_regular_stat(path: str | Path) -> tuple[bytes, os.stat_result]:
    """``_read_regular`` and the ``fstat`` of the descriptor read (taken after reading)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        return _read_descriptor(fd), os.fstat(fd)
    finally:
        os.close(fd)


_TAIL_READ = 1 << 16  # reads after the first: the end of the file, or what it grew by since


def _read_descriptor(fd: int) -> bytes:
    """Everything up to the end of the regular file open at ``fd`` (``_read_regular``): the
    size ``fstat`` gives in one read, then reads until the end, at most MAX_FILE_BYTES."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise _NotRegular("not a regular file (a FIFO, device or socket); refused")
    if st.st_size > MAX_FILE_BYTES:
        raise _InputError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    chunks = []
    remaining = MAX_FILE_BYTES + 1
    want = st.st_size + 1
    while remaining > 0:
        chunk = os.read(fd, min(remaining, want))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
        want = _TAIL_READ
    if remaining <= 0:
        raise _InputError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    return b"".join(chunks)


def read_regular_or_none(path: Path) -> tuple[bytes, os.stat_result] | None:
    """``_read_regular_stat``, or None for any file the loader would refuse or cannot read."""
    try:
        return _read_regular_stat(path)
    except (OSError, _NotRegular, _InputError):
        return None


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


# Runs of files per parsing process: the processes take them as they go, so one that has other
# work first (``meanwhile``) or is slower parses fewer; at the end, one waits at most a run.
PARSE_RUNS_PER_JOB: Final = 8


def load_paths(
    paths: Iterable[Path],
    skip: Iterable[Path] = (),
    jobs: int = 1,
    mentions: tuple[str, ...] = (),
    walked: tuple[list[Path], list[Diagnostic]] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> LoadResult:
    """Load every YAML document below ``paths`` in sorted path order.

    ``jobs``: parse in that many processes, this one and forked workers (0: by input size and
    CPUs, see ``aimctl.parallel``); each takes consecutive runs of files as the others leave
    them (``parallel.run_claimed``), and the runs are joined in order, so the result is the same.
    Documents this process parses are never pickled. ``meanwhile``: called in this process
    while the workers start parsing (with workers only).
    ``mentions``: load only the files whose text contains one of these strings (a cheap byte
    search before parsing; files that cannot be read or are too large are kept, so their
    problems are still reported).
    ``walked``: the files (and walk problems) ``collect_files`` already found, to load instead.
    """
    needles = tuple(m.encode("utf-8") for m in mentions)
    if walked is None:
        names, problems = _collect_names(paths, skip)
        files = [Path(name) for name in names if not needles or _mentions(name, needles)]
    else:
        files, problems = walked
        if needles:
            files = [path for path in files if _mentions(os.fspath(path), needles)]
    problems = list(problems)
    _EXPANDED[0] = 0
    result = LoadResult(diagnostics=problems)
    named = list(zip(files, display_paths(files), strict=True))
    result.files = [shown for _, shown in named]
    if jobs != 1 and len(named) > 1:
        from aimctl.parallel import AUTO_MIN_INPUT_BYTES, choose_jobs, chunks, run_claimed

        sizes = [_size(path) for path in files]
        workers = choose_jobs(jobs, sum(sizes), AUTO_MIN_INPUT_BYTES)
        if workers > 1:
            parts = chunks(named, sizes, workers * PARSE_RUNS_PER_JOB)
            for shipped in run_claimed(_load_files_shipped, parts, workers, meanwhile):
                for plain, problems, digests in shipped:
                    result.documents.extend(LoadedDocument(*doc) for doc in plain)
                    result.diagnostics.extend(problems)
                    result.digests.update(digests)
            return result
    for docs, diags in _load_files(named, result.digests):
        result.documents.extend(docs)
        result.diagnostics.extend(diags)
    return result


def _mentions(name: str, needles: tuple[bytes, ...]) -> bool:
    """Whether the file ``name`` (``-``: standard input) holds one of ``needles``; a file that
    cannot be read is kept, so that ``load_file`` reports why."""
    try:
        raw = _read_stdin() if name == "-" else _read_regular(name)
    except (OSError, _InputError, _NotRegular):
        return True
    return any(needle in raw for needle in needles)


def _load_files(
    named: list[tuple[Path, str]], digests: dict[str, FileStamp]
) -> list[tuple[list[LoadedDocument], list[Diagnostic]]]:
    return [load_file(path, shown, digests) for path, shown in named]


def _load_files_shipped(
    named: list[tuple[Path, str]],
) -> list[
    tuple[list[tuple[str, int, dict[str, Any], int]], list[Diagnostic], dict[str, FileStamp]]
]:
    """``_load_files`` in a worker: documents as plain tuples (a third cheaper to pickle)."""
    out = []
    for path, shown in named:
        digests: dict[str, FileStamp] = {}
        docs, diags = load_file(path, shown, digests)
        out.append(([(d.file, d.index, d.data, d.line) for d in docs], diags, digests))
    return out


def _size(path: Path) -> int:
    if is_stdin(path):
        try:  # read here, before any worker is forked: the workers inherit the bytes
            return len(_read_stdin())
        except (OSError, _InputError, _NotRegular):
            return 0
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # load_file reports it


class SpanIndex:
    """Find the line and column of a field path, re-reading only the files that are asked about."""

    def __init__(self) -> None:
        self._files: dict[str, list[yaml.Node] | None] = {}

    def _nodes(self, file: str) -> list[yaml.Node] | None:
        if file not in self._files:
            try:
                raw = _read_stdin() if file == STDIN_NAME else Path(file).read_bytes()
                text = _decode(raw)
                self._files[file] = list(yaml.compose_all(text, Loader=_Loader))
            except (OSError, _InputError, _NotRegular, yaml.YAMLError, RecursionError):
                self._files[file] = None
        return self._files[file]

    def locate(self, file: str, doc: int, path: FieldPath) -> SourceSpan:
        """The deepest position of ``path`` that exists in document ``doc`` of ``file``."""
        nodes = self._nodes(file)
        if nodes is None or doc >= len(nodes):
            return SourceSpan(file)
        node: yaml.Node = nodes[doc]
        best = node.start_mark
        for part in path:
            nxt = _child(node, part)
            if nxt is None:
                break
            key_mark, node = nxt
            best = key_mark
        return SourceSpan(file, best.line + 1, best.column + 1)

    def _node_at(self, file: str, doc: int, path: FieldPath) -> yaml.Node | None:
        """The node written at ``path`` in document ``doc`` of ``file``, or None."""
        nodes = self._nodes(file)
        if nodes is None or doc >= len(nodes):
            return None
        node: yaml.Node = nodes[doc]
        for part in path:
            nxt = _child(node, part)
            if nxt is None:
                return None
            node = nxt[1]
        return node

    def exists(self, file: str, doc: int, path: FieldPath) -> bool:
        """Whether ``path`` is written in document ``doc`` of ``file`` (not a default)."""
        return self._node_at(file, doc, path) is not None

    def scalar(self, file: str, doc: int, path: FieldPath) -> str | None:
        """The text of the scalar at ``path`` as the file spells it (``y``, ``1e3``), or None."""
        node = self._node_at(file, doc, path)
        return str(node.value) if isinstance(node, yaml.ScalarNode) else None

    def resolve(self, diagnostic: Diagnostic) -> Diagnostic:
        """Fill in line/column of a diagnostic that has a file and document but no line yet."""
        if diagnostic.line or diagnostic.file is None or diagnostic.doc is None:
            return diagnostic
        span = self.locate(diagnostic.file, diagnostic.doc, diagnostic.field)
        return replace(diagnostic, line=span.line, column=span.column)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Mark, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return key_node.start_mark, value_node
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        item = node.value[part]
        return item.start_mark, item
    return None
