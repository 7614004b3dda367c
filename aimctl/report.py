"""Every output shape: diagnostics and origins, the drift of ``--check``, the validate summary,
the explain document, the diff text — as text or JSON. The one place that formats for humans;
``aimctl.cli`` only prints what this returns."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aimctl.errors import Diagnostic
from aimctl.provenance import Origin, ResourceKey, format_path

__all__ = [
    "clean_line",
    "diff_text",
    "drift_json",
    "drift_lines",
    "explain_json",
    "format_diagnostic",
    "format_location",
    "format_origin",
    "origin_json",
    "report_json",
    "resource_json",
    "shown_paths",
    "sort_diagnostics",
    "stream_json",
    "validate_summary",
]


def shown_paths(paths: Sequence[Path]) -> str:
    """The input paths as a message names them (``-`` as ``<stdin>``)."""
    return " ".join("<stdin>" if p.as_posix() == "-" else str(p) for p in paths)


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


# --- command results: the shapes ``aimctl.cli`` prints ---------------------------------------


def stream_json(objects: Sequence[dict[str, Any]]) -> str:
    """``render --format json``: one ``v1`` List of the objects."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, indent=2) + "\n"


def drift_json(added: list[str], changed: list[str], removed: list[str]) -> str:
    """``render --check --report json``."""
    body = {"upToDate": not (added or changed or removed), "added": added}
    body.update(changed=changed, removed=removed)
    return json.dumps(body, indent=2) + "\n"


def drift_lines(
    output_dir: Path, added: list[str], changed: list[str], removed: list[str]
) -> list[tuple[str, str]]:
    """``render --check`` as text: (line, style) for each file that differs, then the verdict."""
    lines = [
        (f"{label}: {output_dir / item}", "yellow")
        for label, items in (("added", added), ("changed", changed), ("removed", removed))
        for item in items
    ]
    if not (added or changed or removed):
        lines.append((f"{output_dir}: up to date", "green"))
    else:
        counts = f"{len(added)} added, {len(changed)} changed, {len(removed)} removed"
        lines.append((f"{output_dir}: out of date ({counts})", "red"))
    return lines


def validate_summary(documents: int, files: int, errors: int, warnings: int) -> tuple[str, str]:
    """``validate``'s last line (text) and its style."""
    summary = (
        f"{documents} documents in {files} files: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    return ("invalid: " if errors else "valid: ") + summary, "red" if errors else "green"


def explain_json(trace: dict[str, Any]) -> str:
    """``explain -o json``: the trace document (``aimctl.explain.build_trace``)."""
    return json.dumps(trace, indent=2, ensure_ascii=False) + "\n"


_UNREADABLE_CHUNK = "@@ not a regular UTF-8 file aimctl wrote; not shown @@\n"


def diff_text(old: dict[str, str], fresh: dict[str, str], unreadable: str) -> str:
    """``diff``: a unified diff per file that differs (DIR as ``a/``, the render as ``b/``); a
    file of DIR that could not be read (``unreadable``: its stand-in text) is named, not shown.
    Empty when nothing differs."""
    import difflib

    chunks: list[str] = []
    for rel in sorted(set(fresh) | set(old)):
        before, after = old.get(rel), fresh.get(rel)
        if before == after:
            continue
        shown = clean_line(rel)
        if before == unreadable:
            chunks.append(f"--- a/{shown}\n+++ b/{shown}\n{_UNREADABLE_CHUNK}")
            continue
        chunks.extend(
            difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                (after or "").splitlines(keepends=True),
                fromfile=f"a/{shown}" if before is not None else "/dev/null",
                tofile=f"b/{shown}" if after is not None else "/dev/null",
            )
        )
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)
