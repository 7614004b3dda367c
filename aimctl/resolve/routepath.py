"""The HTTPRoute path prefix of an AIMService: template, JSONPath, normalisation, fallback (§4.2).

Port of ``internal/aimservice/httproute_template.go`` with the subset of client-go's JSONPath that a
path template can usefully reach, evaluated on the AIMService as a plain JSON-like dict.

The dict is the typed object as the operator holds it (``routing._service_view``: CRD defaults
applied, non-pointer fields present with their zero values), so an absent key is what Go calls a
nil pointer or a missing map key: "not found". Limits of evaluating a dict: filters,
recursive descent, unions and escaped quoted literals are reported as errors (so the default path
is used); maps print as ``map[k:v]`` even where Go would print a struct as ``{v}``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from aimctl.resolve.naming import go_trim_space, sanitize_rfc1123
from aimctl.resolve.quantity import go_float_g

__all__ = [
    "MAX_ROUTE_PATH",
    "RoutePathError",
    "default_route_path",
    "evaluate_expression",
    "normalize_route_path",
    "render_route_path",
]

MAX_ROUTE_PATH: Final = 200
_TEMPLATE: Final = re.compile(r"\{([^{}]+)\}")
_LABEL: Final = re.compile(r"\.metadata\.labels\[['\"]([^'\"]+)['\"]\]")
_ANNOTATION: Final = re.compile(r"\.metadata\.annotations\[['\"]([^'\"]+)['\"]\]")
_SINGLE_QUOTED_KEY: Final = re.compile(r"\['([^']*)'\]")
_SLICE: Final = re.compile(r"(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?")
_TERMINATORS: Final = frozenset(" \t\r\n.,[]$@{}")
_UNRESOLVABLE: Final[Mapping[tuple[str | int, ...], frozenset[str]]] = {
    # AIMServiceSpec inlines RuntimeConfigRef before another inline struct; client-go's JSONPath
    # only searches the *last* inline struct of a Go type, so this field never resolves.
    ("spec",): frozenset({"runtimeConfigName"}),
}

_Path = tuple[str | int, ...]
_Values = list[tuple[_Path, object]]


class RoutePathError(ValueError):
    """A path template that cannot be rendered; the operator then silently uses the default path."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str


@dataclass(frozen=True, slots=True)
class _Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class _Slice:
    start: int | None
    end: int | None
    derived: bool


@dataclass(frozen=True, slots=True)
class _Literal:
    value: object
    per_input: bool


_Node = _Field | _Wildcard | _Slice | _Literal


def _parse_field(expr: str, i: int, nodes: list[_Node]) -> int:
    """``.name`` up to the next unescaped terminator; ``\\`` escapes are removed (``.a\\.b``)."""
    j = i + 1
    while j < len(expr) and expr[j] not in _TERMINATORS:
        j += 2 if expr[j] == "\\" else 1
    value = expr[i + 1 : j]
    nodes.append(_Wildcard() if value == "*" else _Field(value.replace("\\", "")))
    return min(j, len(expr))


def _slice(text: str) -> _Slice:
    """``[start:end]`` as client-go parses it; ``[n]`` has the derived end ``n + 1``."""
    match = _SLICE.fullmatch(text)
    if match is None:
        raise RoutePathError(f"invalid array index {text}")
    start_text, end_text, step_text = (g or "" for g in match.groups())
    if step_text[1:]:
        raise RoutePathError(f"unsupported slice capacity in [{text}]")
    try:
        start = int(start_text) if start_text else None
        if not end_text:
            return _Slice(start, (start or 0) + 1, True)
        return _Slice(start, int(end_text[1:]) if end_text[1:] else None, False)
    except ValueError:
        raise RoutePathError(f"array index {text} is not a number") from None


def _parse_array(expr: str, i: int, nodes: list[_Node]) -> int:
    """``[n]``, ``[a:b]``, ``[*]``, ``['key']``; a double-quoted ``["key"]`` is not valid here."""
    j = i + 1
    while j < len(expr) and expr[j] not in "]\n":
        j += 1
    if j >= len(expr) or expr[j] != "]":
        raise RoutePathError("unterminated array")
    text = expr[i + 1 : j]
    text = ":" if text == "*" else text
    if "," in text:
        raise RoutePathError(f"unsupported union [{text}]")
    if key := re.fullmatch(r"'([^']*)'", text):
        nodes.extend(_parse("." + key.group(1)))
    else:
        nodes.append(_slice(text))
    return j + 1


def _parse_literal(expr: str, i: int, nodes: list[_Node]) -> int:
    """A quoted text literal (escapes unsupported) or a number (one copy per current value)."""
    if expr[i] in "\"'":
        end = expr.find(expr[i], i + 1)
        if end == -1 or "\\" in expr[i + 1 : end] or "\n" in expr[i + 1 : end]:
            raise RoutePathError("unsupported or unterminated quoted string")
        nodes.append(_Literal(expr[i + 1 : end], per_input=False))
        return end + 1
    match = re.match(r"[+-]?[0-9.]*", expr[i:])
    text = match.group(0) if match else ""
    try:
        number = int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else float(text)
    except ValueError:
        raise RoutePathError(f"cannot parse number {text}") from None
    nodes.append(_Literal(number, per_input=True))
    return i + len(text)


def _parse(expr: str) -> list[_Node]:
    """Parse a client-go JSONPath action body into nodes (fields, wildcards, arrays, literals)."""
    nodes: list[_Node] = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if expr.startswith("[?(", i) or expr.startswith("..", i):
            raise RoutePathError("filters and recursive descent are not supported")
        if c in " @$":
            i += 1
        elif c == "[":
            i = _parse_array(expr, i, nodes)
        elif c == ".":
            i = _parse_field(expr, i, nodes)
        elif c in "\"'+-" or c.isdecimal():
            i = _parse_literal(expr, i, nodes)
        elif c in "\r\n":
            raise RoutePathError("unclosed action")
        else:
            raise RoutePathError(f"unrecognized character or identifier in action: {c!r}")
    return nodes


def _field(values: _Values, name: str) -> _Values:
    """Map key / struct field; ``null`` is skipped; nothing found is an error."""
    out: _Values = []
    for path, value in values:
        hidden = _UNRESOLVABLE.get(path, frozenset())
        if isinstance(value, Mapping) and name in value and name not in hidden:
            out.append(((*path, name), value[name]))
    if values and not out:
        raise RoutePathError(f"{name} is not found")
    return out


def _children(values: _Values) -> _Values:
    out: _Values = []
    for path, value in values:
        if isinstance(value, Mapping):
            out += [((*path, str(k)), value[k]) for k in sorted(value, key=str)]
        elif isinstance(value, str):
            out += [((*path, n), c) for n, c in enumerate(value)]
        elif isinstance(value, Sequence):
            out += [((*path, n), item) for n, item in enumerate(value)]
    return out


def _array(values: _Values, node: _Slice) -> _Values:
    """client-go evalArray: negative indices count from the end; out of bounds is an error."""
    out: _Values = []
    for path, value in values:
        if value is None:
            continue
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise RoutePathError(f"{type(value).__name__} is not array or slice")
        size, end, start = len(value), node.end, node.start or 0
        lo = start + (size if start < 0 else 0)
        hi = size if end is None else end + (size if end < 0 or (end == 0 and node.derived) else 0)
        if hi != lo and (lo >= size or hi > size):
            raise RoutePathError(f"array index out of bounds: index {lo}, length {size}")
        if lo < 0 or hi < lo:
            raise RoutePathError(f"invalid slice [{lo}:{hi}]")
        out += [((*path, n), value[n]) for n in range(lo, hi)]
    return out


def _walk(nodes: Sequence[_Node], root: object) -> list[object]:
    values: _Values = [((), root)]
    for node in nodes:
        if isinstance(node, _Field):
            values = _field(values, node.name)
        elif isinstance(node, _Wildcard):
            values = _children(values)
        elif isinstance(node, _Slice):
            values = _array(values, node)
        else:
            values = [((), node.value)] * (len(values) if node.per_input else 1)
    return [value for _, value in values]


def _go_sprint(value: object) -> str:
    """``fmt.Sprint`` of a decoded value (maps as ``map[k:v]``, lists as ``[a b]``)."""
    if type(value) is str:
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float_g(value)
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_go_sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + " ".join(_go_sprint(item) for item in value) + "]"
    return str(value)


@dataclass(frozen=True, slots=True)
class _Expression:
    """A parsed ``{expr}``: an exact label/annotation access (``field``, ``key``) or JSONPath."""

    field: str  # "labels" or "annotations" for the direct map access; "" for JSONPath
    key: str
    nodes: tuple[_Node, ...]


@functools.lru_cache(maxsize=1024)
def _compile(expr: str) -> _Expression:
    """Parse one expression (path templates repeat across services, so each is parsed once)."""
    for pattern, field in ((_LABEL, "labels"), (_ANNOTATION, "annotations")):
        if match := pattern.fullmatch(expr):
            return _Expression(field, match.group(1), ())
    rewritten = _SINGLE_QUOTED_KEY.sub(
        lambda m: '["' + m.group(1).replace("\\", "\\\\").replace('"', '\\\\"') + '"]', expr
    )
    return _Expression("", "", tuple(_parse(rewritten)))


def evaluate_expression(expr: str, service: Mapping[str, object]) -> str:
    """Value of one ``{expr}`` of a path template, before trimming and R() (§4.2 step 2).

    Exact ``.metadata.labels['k']``/``["k"]`` and annotation accesses read the map directly; any
    other expression is client-go JSONPath after ``['k']`` is rewritten to ``["k"]`` — which
    client-go rejects as an invalid array index, so bracket keys work only in those exact forms.
    Missing keys, ``null``, no result or several results raise :class:`RoutePathError`.
    """
    if not expr:
        raise RoutePathError("jsonpath expression is empty")
    compiled = _compile(expr)
    if compiled.field:
        metadata = service.get("metadata")
        entries = metadata.get(compiled.field) if isinstance(metadata, Mapping) else None
        if not isinstance(entries, Mapping) or compiled.key not in entries:
            raise RoutePathError(f"{compiled.field[:-1]} {compiled.key!r} not found")
        return str(entries[compiled.key])
    results = _walk(compiled.nodes, service)
    if len(results) != 1:
        raise RoutePathError(f"jsonpath returned {'no' if not results else 'multiple'} results")
    if results[0] is None:
        raise RoutePathError("jsonpath returned nil value")
    return _go_sprint(results[0])


@functools.lru_cache(maxsize=1024)
def _split_template(template: str) -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """The literal text around each ``{expr}`` (one more than the expressions), and each trimmed
    expression with whether it is an exact annotation access (not passed through R())."""
    literals, exprs, last = [], [], 0
    for match in _TEMPLATE.finditer(template):
        literals.append(template[last : match.start()])
        expr = go_trim_space(match.group(1))
        exprs.append((expr, _ANNOTATION.fullmatch(expr) is not None))
        last = match.end()
    literals.append(template[last:])
    return tuple(literals), tuple(exprs)


def _render(template: str, service: Mapping[str, object]) -> str:
    literals, exprs = _split_template(template)
    out = [literals[0]]
    for (expr, annotation), literal in zip(exprs, literals[1:], strict=True):
        try:
            value = go_trim_space(evaluate_expression(expr, service))
        except RoutePathError as exc:
            raise RoutePathError(f"failed to evaluate route template {expr!r}: {exc}") from None
        if value and not annotation:
            value = sanitize_rfc1123(value)
        out.append(value)
        out.append(literal)
    return "".join(out)


def _byte_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def normalize_route_path(raw: str) -> str:
    """Normalise a rendered path (§4.2 step 3): trim; empty is an error; leading ``/``; no trailing
    ``/``; at most 200 bytes; each non-empty segment through R(), emptied segments dropped.
    """
    raw = go_trim_space(raw)
    if not raw:
        raise RoutePathError("route template produced an empty path")
    normalized = ("/" + raw if not raw.startswith("/") else raw).rstrip("/") or "/"
    if _byte_len(normalized) > MAX_ROUTE_PATH:
        raise RoutePathError(f"route path {normalized!r} exceeds {MAX_ROUTE_PATH} characters")
    segments = [sanitize_rfc1123(go_trim_space(s)) for s in normalized.split("/")[1:] if s]
    path = "/" + "/".join([s for s in segments if s])
    if _byte_len(path) > MAX_ROUTE_PATH:
        raise RoutePathError(f"route path {path!r} exceeds {MAX_ROUTE_PATH} characters")
    return path


def default_route_path(namespace: str, uid: str) -> str:
    """``normalise("/<namespace>/<uid>")``, or ``/`` if even that fails (§4.2 step 4)."""
    try:
        return normalize_route_path(f"/{namespace}/{uid}")
    except RoutePathError:
        return "/"


def render_route_path(
    template: str | None, service: Mapping[str, object], namespace: str, uid: str
) -> tuple[str, str | None]:
    """The route path and, when the template failed, why (``None`` otherwise) (§4.2).

    ``template`` is the resolved ``pathTemplate`` (service over runtime config); ``None`` or ``""``
    gives the default ``/<namespace>/<uid>``. ``namespace`` and ``uid`` (real or stand-in) are
    written into the service's metadata before evaluation. Any error falls back to the default
    path silently, as the operator does; the reason is returned so aimctl can report it.
    """
    if not template:
        return default_route_path(namespace, uid), None
    metadata = service.get("metadata")
    identity = {**(metadata if isinstance(metadata, Mapping) else {}), "namespace": namespace}
    subject = {**service, "metadata": {**identity, "uid": uid}}
    try:
        return normalize_route_path(_render(template, subject)), None
    except RoutePathError as exc:
        return default_route_path(namespace, uid), str(exc)
