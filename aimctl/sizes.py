"""Objects larger than the API server stores, each named with the input that made it so.

etcd refuses a request over 1.5 MiB (``--max-request-bytes``), so the API server cannot store such
an object: a big value copied into many children (one 4 MiB runtime-config env value in a hundred
InferenceServices) must fail the render, not reach Argo CD. Every output path measures every
object: the YAML outputs the document they write (``emit.Serialised``), ``--format json`` the
compact JSON the API server receives.

The input named is, in this order: the object's own document when it passes through; the input
document holding the object's largest string (at least 1 KiB), with the field that holds it; the
AIMService the object was rendered for (its ``aim.eai.amd.com/service.name`` label); else the
input paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from aimctl.emit import MAX_OBJECT_BYTES, Serialised, Staged, oversized
from aimctl.errors import Diagnostic
from aimctl.provenance import FieldPath, ResourceKey

__all__ = ["Source", "too_large"]

_BIG_VALUE: Final = 1024
_SERVICE_LABEL: Final = "aim.eai.amd.com/service.name"


@dataclass(frozen=True, slots=True)
class Source:
    """One input document: where it is, its identity and its data."""

    file: str
    doc: int
    key: ResourceKey | None
    raw: dict[str, Any]


def _identity(obj: dict[str, Any]) -> tuple[object, object, object]:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return (obj.get("kind"), meta.get("namespace"), meta.get("name"))


def _json_size(obj: dict[str, Any]) -> int:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(text) * 4 <= MAX_OBJECT_BYTES:  # at most 4 bytes a character
        return len(text)
    return len(text.encode("utf-8"))


def _measured(objects: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    found = oversized([o for o in objects if type(o) is Serialised])
    for obj in objects:  # a Staged object is within the limit (``emit.oversized``)
        if type(obj) is not Serialised and type(obj) is not Staged:
            size = _json_size(obj)
            if size > MAX_OBJECT_BYTES:
                found.append((obj, size))
    return found


def _strings(node: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every string leaf of a JSON-like tree with its path (iterative: any depth)."""
    stack: list[tuple[FieldPath, Any]] = [(path, node)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            stack.extend(((*where, str(k)), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*where, i), v) for i, v in enumerate(value))


def _body(obj: dict[str, Any]) -> Any:
    if type(obj) is not Serialised:
        return obj
    import yaml

    from aimctl.libyaml import CSafeLoader

    return yaml.load(obj.text, Loader=CSafeLoader)


def _contributor(obj: dict[str, Any], sources: Sequence[Source]) -> tuple[Source, FieldPath] | None:
    """The input document holding the object's largest string (or a part of it), and where."""
    strings = [s for _, s in _strings(_body(obj)) if len(s) >= _BIG_VALUE]
    if not strings:
        return None
    largest = max(strings, key=len)
    best: tuple[int, Source, FieldPath] | None = None
    for source in sources:
        for path, value in _strings(source.raw):
            bigger = best is None or len(value) > best[0]
            if bigger and len(value) >= _BIG_VALUE and value in largest:
                best = (len(value), source, path)
    return (best[1], best[2]) if best is not None else None


def _service(obj: dict[str, Any], sources: Sequence[Source]) -> Source | None:
    body = _body(obj)
    meta = body.get("metadata") if isinstance(body, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    labels = meta.get("labels")
    labels = labels if isinstance(labels, dict) else {}
    name, namespace = labels.get(_SERVICE_LABEL), meta.get("namespace")
    for source in sources:
        key = source.key
        if (
            key is not None
            and key.kind == "AIMService"
            and (key.namespace, key.name)
            == (
                namespace,
                name,
            )
        ):
            return source
    return None


def too_large(
    objects: Sequence[dict[str, Any]], inputs: Callable[[], list[Source]], paths: str
) -> list[Diagnostic]:
    """One error per object over etcd's 1.5 MiB, named with the input that contributed most.

    ``inputs`` gives every input document, pass-through objects first (called only when an
    object is too large).
    """
    found = _measured(objects)
    if not found:
        return []
    sources = inputs()
    own: dict[tuple[object, object, object], Source] = {}
    for each in sources:
        own.setdefault(_identity(each.raw), each)
    out = []
    for obj, size in found:
        kind, namespace, name = _identity(obj)
        where = f"{namespace}/" if namespace else ""
        message = (
            f"{kind} {where}{name} would be {size} bytes; the API server stores at most "
            f"{MAX_OBJECT_BYTES} (etcd's 1.5 MiB request limit)"
        )
        source: Source | None = own.get((kind, namespace, name))
        field: FieldPath = ()
        if source is not None:  # the message's resource is the object itself
            message = message.replace(f"{kind} {where}{name} would be", "the object would be", 1)
        if source is None:
            located = _contributor(obj, sources)
            source, field = located if located is not None else (_service(obj, sources), ())
        if source is None:
            out.append(Diagnostic("E_OBJECT_TOO_LARGE", message, file=paths))
            continue
        out.append(
            Diagnostic(
                "E_OBJECT_TOO_LARGE",
                message,
                file=source.file,
                doc=source.doc,
                field=field,
                resource=source.key,
            )
        )
    return out
