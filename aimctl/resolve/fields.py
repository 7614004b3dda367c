"""Reading loaded resources, for every resolve concern: a field by its camelCase path
(``read_path``), where a field was written (``origin_of``), env lists as plain dicts, and the spec
of the service being resolved (``service_spec``).
"""

from __future__ import annotations

from typing import Any

from aimctl.catalog import Entry
from aimctl.model import AIMService, AIMServiceSpec
from aimctl.provenance import FieldPath, Origin, Scope

__all__ = ["env_dicts", "origin_of", "read_path", "service_spec"]


def read_path(obj: Any, path: FieldPath) -> Any:
    """Follow a camelCase field path through a pydantic object (by alias) or plain data."""
    current = obj
    for part in path:
        if current is None:
            return None
        if isinstance(part, int):
            current = current[part] if 0 <= part < len(current) else None
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            current = getattr(current, _attr(type(current), part), None)
    return current


_ATTR_CACHE: dict[tuple[type, str], str] = {}


def _attr(cls: type, alias: str) -> str:
    key = (cls, alias)
    found = _ATTR_CACHE.get(key)
    if found is None:
        found = alias
        for name, info in getattr(cls, "model_fields", {}).items():
            if info.alias == alias or name == alias:
                found = name
                break
        _ATTR_CACHE[key] = found
    return found


def origin_of(entry: Entry[Any], scope: Scope, path: FieldPath, rule: str = "") -> Origin:
    """Where ``path`` of ``entry`` was written. Whether it was written at all (or is a CRD
    default) is decided lazily, by ``explain``, from the file itself: this runs per value."""
    return Origin(scope, entry.key, path, entry.file, entry.doc, rule)


def env_dicts(env: Any) -> list[dict[str, Any]]:
    """EnvVar models -> plain JSON-like dicts (camelCase, unset fields omitted)."""
    if not env:
        return []
    return [e.model_dump(by_alias=True, exclude_none=True) for e in env]


def service_spec(service: Entry[AIMService]) -> AIMServiceSpec:
    """The spec of a service being resolved: ``resolve_service`` stops at a service without one
    (E_SCHEMA), so every resolve step after it may rely on it."""
    spec = service.obj.spec
    if spec is None:
        raise ValueError(f"{service.key} has no spec; resolve_service refuses it first")
    return spec
