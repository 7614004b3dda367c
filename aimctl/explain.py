"""A resolved service's trace -> a JSON document or rich tables (``aimctl explain``).

The trace is built from the decisions resolution recorded; nothing here decides a value.
"""

from __future__ import annotations

import re
from typing import Any

from aimctl.errors import Diagnostic
from aimctl.loader import SpanIndex
from aimctl.provenance import Candidate, Decision, Origin
from aimctl.report import diagnostic_json, format_origin, origin_json
from aimctl.resolve.run import Resolution
from aimctl.resolve.service import ResolvedService
from aimctl.tenants.ownership import Ownership

__all__ = ["build_trace", "render_text"]

_CREDENTIAL = re.compile(r"TOKEN|PASSWORD|SECRET|KEY", re.IGNORECASE)


class _Owners:
    """The owner of a cited file (``platform``, ``tenant team-a``); None without ownership."""

    def __init__(self, ownership: Ownership | None) -> None:
        self.ownership = ownership

    def __call__(self, file: str | None) -> str | None:
        if self.ownership is None or file is None:
            return None
        owner = self.ownership.owner(file)
        return owner.label if owner is not None else None


_NO_OWNERS = _Owners(None)


def _origin_json(origin: Origin, spans: SpanIndex, owners: _Owners = _NO_OWNERS) -> dict[str, Any]:
    """The origin with its line found in the file, and whether it was written there at all."""
    line = None
    rule = origin.rule
    if origin.file is not None:
        span = spans.locate(origin.file, origin.doc, origin.field)
        line = span.line or None
        if not rule and origin.field and not spans.exists(origin.file, origin.doc, origin.field):
            rule = "CRD default (not written in the file)"
    return origin_json(origin, line=line, owner=owners(origin.file), rule=rule)


def _safe_value(field: str, value: Any) -> Any:
    """Secrets appear as references; literal values of credential-like env names are hidden."""
    if isinstance(value, dict):
        if "valueFrom" in value:
            return {"valueFrom": value["valueFrom"]}
        if "name" in value and ("value" in value or field.startswith("env.")):
            # an env entry; one without ``value`` has the empty value (corev1 omitempty)
            return _safe_value(f"env.{value['name']}", value.get("value", ""))
    if field.startswith("env.") and _CREDENTIAL.search(field[4:]) and isinstance(value, str):
        return "(literal value hidden)"
    return value


def _candidate_json(
    field: str, cand: Candidate, spans: SpanIndex, owners: _Owners
) -> dict[str, Any]:
    return {
        "value": _safe_value(field, cand.value),
        "origin": _origin_json(cand.origin, spans, owners),
    }


def _decision_json(decision: Decision, spans: SpanIndex, owners: _Owners) -> dict[str, Any]:
    return {
        "field": decision.field,
        "value": _safe_value(decision.field, decision.value),
        "origin": _origin_json(decision.winner, spans, owners),
        "overridden": [
            _candidate_json(decision.field, c, spans, owners) for c in decision.overridden
        ],
        "rule": decision.rule or None,
    }


def _config_json(svc: ResolvedService, spans: SpanIndex, owners: _Owners) -> dict[str, Any] | None:
    config = svc.config
    if config is None:
        return None

    def layer(entry: Any) -> dict[str, Any] | None:
        if entry is None:
            return None
        span = spans.locate(entry.file, entry.doc, ())
        return {
            "kind": entry.key.kind,
            "namespace": entry.key.namespace,
            "name": entry.key.name,
            "file": entry.file,
            "line": span.line or None,
            "owner": owners(entry.file),
        }

    return {
        "name": config.name,
        "namespace": layer(config.namespace_entry),
        "cluster": layer(config.cluster_entry),
    }


def _selection_json(svc: ResolvedService, owners: _Owners) -> dict[str, Any] | None:
    selection = svc.selection
    if selection is None:
        return None
    rows = [
        {
            "template": row.template.name,
            "namespace": row.template.namespace,
            "scope": row.template.scope,
            "status": row.template.state,
            "type": row.template.profile_type or None,
            "gpu": row.template.gpu_model or None,
            "gpuCount": row.template.gpu_count,
            "metric": row.template.metric or None,
            "precision": row.template.precision or None,
            "droppedAt": row.stage or None,
            "reason": row.reason or None,
            "detail": row.detail or None,
            "rank": list(row.rank) if row.rank is not None else None,
            "owner": owners(row.template.entry.file if row.template.entry else None),
        }
        for row in selection.rows
    ]
    chosen = selection.template
    return {
        "how": selection.how,
        "selected": None
        if chosen is None
        else {
            "kind": chosen.kind,
            "namespace": chosen.namespace,
            "name": chosen.name,
            "owner": owners(chosen.entry.file if chosen.entry else None),
        },
        "candidates": rows,
    }


def build_trace(
    svc: ResolvedService,
    resolution: Resolution,
    prefix: str | None = None,
    diagnostics: list[Diagnostic] | None = None,
    tenant: dict[str, Any] | None = None,
    ownership: Ownership | None = None,
) -> dict[str, Any]:
    """The stable JSON form of one service's resolution (keys documented in README).

    ``ownership``: who owns which input file; every cited input then names its ``owner``
    (``platform`` or ``tenant NAMESPACE``; null when aimctl.yaml declares no paths)."""
    spans = SpanIndex()
    owners = _Owners(ownership)
    entry = svc.entry
    values = [
        _decision_json(d, spans, owners)
        for name, d in sorted(svc.decisions.items())
        if prefix is None or name.startswith(prefix)
    ]
    model = svc.model
    return {
        "service": {
            "namespace": svc.namespace,
            "name": svc.name,
            "file": entry.file,
            "line": spans.locate(entry.file, entry.doc, ()).line or None,
            "owner": owners(entry.file),
            "uid": svc.uid,
            "uidIsStandIn": svc.uid_is_stand_in,
        },
        "gpuInventory": {
            "assumed": resolution.inventory.assumed,
            "models": sorted(resolution.inventory.vram)
            if not resolution.inventory.assumed
            else None,
        },
        "runtimeConfig": _config_json(svc, spans, owners),
        "model": None
        if model is None
        else {
            "kind": model.kind,
            "namespace": model.namespace,
            "name": model.name,
            "how": model.how,
            "image": model.image,
            "autoCreated": model.manifest is not None,
            "owner": owners(model.entry.file if model.entry else None),
        },
        "template": _selection_json(svc, owners),
        "children": {
            "inferenceService": svc.isvc_name or None,
            "httpRoute": svc.route_name if svc.route and svc.route.enabled else None,
            "templateCache": svc.cache.name if svc.cache else None,
            "pvcs": [a.pvc_name for a in svc.cache.artifacts] if svc.cache else [],
        },
        "values": values,
        "tenant": tenant,
        "ok": svc.ok,
        "diagnostics": [diagnostic_json(d) for d in (diagnostics or [])],
    }


def _fmt_value(value: Any) -> str:
    import json

    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=False, ensure_ascii=False)


def render_text(trace: dict[str, Any]) -> None:
    """Human form with rich tables; plain and readable when piped (no colour)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 200
    svc = trace["service"]
    owned = f", owned by {svc['owner']}" if svc.get("owner") else ""
    console.print(
        Text(
            f"AIMService {svc['namespace']}/{svc['name']}  ({svc['file']}:{svc['line']}{owned})",
            style="bold",
        )
    )
    if svc["uidIsStandIn"]:
        console.print(
            f"  uid {svc['uid']} (aimctl stand-in; names and the default route path depend on it)"
        )
    inv = trace["gpuInventory"]
    console.print(
        "  GPUs: every model assumed present (no cluster.gpus in aimctl.yaml)"
        if inv["assumed"]
        else f"  GPUs: {', '.join(inv['models'])} (aimctl.yaml cluster.gpus)"
    )
    rc = trace["runtimeConfig"]
    if rc is not None:
        console.print(Text("\nRuntime config", style="bold"))
        for label in ("namespace", "cluster"):
            layer = rc[label]
            where = (
                f"{layer['kind']} {layer['namespace'] + '/' if layer['namespace'] else ''}{layer['name']}  {layer['file']}:{layer['line']}"
                + (f"  owned by {layer['owner']}" if layer.get("owner") else "")
                if layer
                else "(none)"
            )
            console.print(f"  {label:<9} {where}")
    model = trace["model"]
    if model is not None:
        console.print(Text("\nModel", style="bold"))
        ident = f"{model['namespace']}/{model['name']}" if model["namespace"] else model["name"]
        owned = f"  owned by {model['owner']}" if model.get("owner") else ""
        console.print(f"  {model['kind']} {ident}  ({model['how']})  image {model['image']}{owned}")
    tpl = trace["template"]
    if tpl is not None:
        console.print(Text(f"\nTemplate ({tpl['how']})", style="bold"))
        if tpl["candidates"]:
            table = Table(
                "candidate",
                "scope",
                "status",
                "type",
                "gpu",
                "metric",
                "precision",
                "dropped at",
                "reason",
                "rank",
            )
            for row in tpl["candidates"]:
                table.add_row(
                    row["template"],
                    row["scope"],
                    row["status"],
                    row["type"] or "-",
                    row["gpu"] or "-",
                    row["metric"] or "-",
                    row["precision"] or "-",
                    row["droppedAt"] or "-",
                    (row["reason"] or "") + (f": {row['detail']}" if row["detail"] else ""),
                    ",".join(map(str, row["rank"])) if row["rank"] else "-",
                )
            console.print(table)
        sel = tpl["selected"]
        owned = f"  owned by {sel['owner']}" if sel and sel.get("owner") else ""
        console.print(f"  selected: {sel['kind'] + ' ' + sel['name'] if sel else '(none)'}{owned}")
    if trace.get("tenant"):
        import json

        console.print(Text("\nTenant", style="bold"))
        console.print(json.dumps(trace["tenant"], indent=2, ensure_ascii=False))
    if trace["values"]:
        console.print(Text("\nEffective values", style="bold"))
        for value in trace["values"]:
            console.print(Text(f"{value['field']} = {_fmt_value(value['value'])}", style="cyan"))
            if value["rule"]:
                console.print(f"    rule: {value['rule']}")
            console.print(f"    from  {format_origin(value['origin'])}")
            for over in value["overridden"]:
                console.print(
                    f"    over  {format_origin(over['origin'])}  = {_fmt_value(over['value'])}"
                )
