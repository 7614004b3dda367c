"""Diagnostics and origins -> text or JSON: the one place that formats either for humans."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from aimctl.errors import Diagnostic
from aimctl.provenance import Origin, ResourceKey, format_path

__all__ = [
    "clean_line",
    "format_diagnostic",
    "format_location",
    "format_origin",
    "origin_json",
    "report_json",
    "resource_json",
    "sort_diagnostics",
]


def sort_diagnostics(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """File, then line, then column, then message; duplicates removed."""
    seen: set[tuple[Any, ...]] = set()
    out: list[Diagnostic] = []
    for d in sorted(diagnostics, key=lambda d: (*d.sort_key(), d.severity.value, d.code)):
        ident = (d.file, d.line, d.column, d.message, d.field, d.resource, d.severity)
        if ident in seen:
            continue
        seen.add(ident)
        out.append(d)
    return out


def format_location(
    file: str | None, line: int = 0, column: int = 0, with_column: bool = False
) -> str:
    if not file:
        return ""
    if line and with_column and column:
        return f"{file}:{line}:{column}"
    return f"{file}:{line}" if line else file


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MAX_PART = 1000


def _clean(text: str, limit: int = _MAX_PART) -> str:
    """One line, bounded: control characters escaped (a value cannot forge a message line) and
    anything longer than a screen cut, saying how much was left out."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    if len(text) > limit:
        text = f"{text[:limit]}…({len(text) - limit} more characters)"
    return text


def clean_line(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences) escaped, one line."""
    return _clean(text, 4 * _MAX_PART)


def format_diagnostic(d: Diagnostic) -> str:
    """``FILE:LINE: KIND NS/NAME: field.path: message`` (YAML syntax errors carry a column)."""
    parts: list[str] = []
    loc = format_location(d.file, d.line, d.column, with_column=d.code == "E_YAML")
    if loc:
        parts.append(_clean(loc))
    if not d.is_error:
        parts.append("warning")
    if d.resource is not None:
        parts.append(_clean(str(d.resource), 160))
    if d.field:
        parts.append(_clean(format_path(d.field)))
    parts.append(_clean(d.message))
    text = ": ".join(parts)
    if d.hint:
        text += f" (hint: {_clean(d.hint)})"
    return text


def resource_json(key: ResourceKey | None) -> dict[str, Any] | None:
    if key is None:
        return None
    return {"kind": key.kind, "namespace": key.namespace, "name": key.name}


def origin_json(
    origin: Origin, *, line: int | None, owner: str | None, rule: str
) -> dict[str, Any]:
    """Where a value came from, as ``explain --output json`` shows it (``line`` and ``rule`` as
    the caller found them in the file; ``owner`` the file's owner, if tenancy is configured)."""
    return {
        "scope": origin.scope.value,
        "resource": resource_json(origin.resource),
        "file": origin.file,
        "line": line,
        "owner": owner,
        "field": format_path(origin.field) or None,
        "rule": rule or None,
    }


def format_origin(origin: dict[str, Any]) -> str:
    """An ``origin_json`` document on one line: scope, resource, ``FILE:LINE``, owner, and the
    rule when no file says where the value was written."""
    parts = [origin["scope"]]
    res = origin.get("resource")
    if res:
        ident = f"{res['namespace']}/{res['name']}" if res["namespace"] else res["name"]
        parts.append(f"{res['kind']} {ident}")
    if origin.get("file"):
        parts.append(f"{origin['file']}:{origin['line']}" if origin.get("line") else origin["file"])
    if origin.get("owner"):
        parts.append(f"owned by {origin['owner']}")
    if origin.get("rule") and not origin.get("file"):
        parts.append(origin["rule"])
    return "  ".join(parts)


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "severity": d.severity.value,
        "code": d.code,
        "file": d.file,
        "line": d.line or None,
        "column": d.column or None,
        "resource": resource_json(d.resource),
        "field": format_path(d.field) or None,
        "message": d.message,
        "hint": d.hint or None,
    }


def report_json(diagnostics: Sequence[Diagnostic], **summary: Any) -> str:
    """The stable JSON report: ``{"ok", "errors", "warnings", "diagnostics", ...summary}``."""
    ordered = sort_diagnostics(diagnostics)
    errors = sum(1 for d in ordered if d.is_error)
    body: dict[str, Any] = {
        "ok": errors == 0,
        "errors": errors,
        "warnings": len(ordered) - errors,
        **summary,
        "diagnostics": [diagnostic_json(d) for d in ordered],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
