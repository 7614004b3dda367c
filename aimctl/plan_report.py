"""``aimctl plan`` reports: text for terminals, Markdown for pull-request comments, JSON for tools.

All three carry the same facts in the same order (namespace, then service, objects before
consequences); names from the input are escaped for the medium (control characters for text,
Markdown syntax for Markdown).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Final

from aimctl.plan import DANGER, WARNING, Consequence, ObjectChange, Plan, gib
from aimctl.report import clean_line
from aimctl.tenants.usage import format_amount

__all__ = ["plan_json", "plan_markdown", "plan_text"]

_SIGN: Final = {"added": "+", "changed": "~", "removed": "-"}
_MARK: Final = {DANGER: "!!", WARNING: "!", "info": "-"}
_CLUSTER: Final = "(cluster-scoped)"
_IN_HEADER: Final = frozenset({"gpus"})  # said by the namespace's GPU line in text and Markdown


def _groups(
    plan: Plan,
) -> list[tuple[str, list[tuple[str, list[ObjectChange], list[Consequence]]]]]:
    """[(namespace, [(service, changes, consequences)])], services in name order, "" first."""
    objects: dict[str, dict[str, list[ObjectChange]]] = defaultdict(lambda: defaultdict(list))
    effects: dict[str, dict[str, list[Consequence]]] = defaultdict(lambda: defaultdict(list))
    for change in plan.changes:
        objects[change.namespace][change.service].append(change)
    for consequence in plan.consequences:
        effects[consequence.namespace][consequence.service].append(consequence)
    out = []
    for namespace in plan.namespaces():
        services = sorted(set(objects[namespace]) | set(effects[namespace]))
        out.append(
            (
                namespace,
                [(s, objects[namespace][s], effects[namespace][s]) for s in services],
            )
        )
    return out


def _summary(plan: Plan) -> dict[str, Any]:
    def count(kind: str) -> int:
        return sum(1 for c in plan.consequences if c.type == kind)

    return {
        "added": plan.count("added"),
        "changed": plan.count("changed"),
        "removed": plan.count("removed"),
        "servicesRestarted": count("service-restarted"),
        "cachesReplaced": count("cache-replaced"),
        "downloadBytes": int(plan.download_bytes),
        "jobsRun": count("job-run"),
        "refusedByApiServer": sum(1 for c in plan.consequences if c.type in _REFUSED),
    }


_REFUSED: Final = frozenset({"immutable-change", "pvc-shrink"})


def _summary_line(plan: Plan) -> str:
    if not plan.changed:
        return f"No changes: the cluster already matches {plan.base}'s render."
    s = _summary(plan)
    parts = [f"{s['added']} to add, {s['changed']} to change, {s['removed']} to remove"]
    if s["servicesRestarted"]:
        parts.append(f"{s['servicesRestarted']} service(s) restarted")
    if s["cachesReplaced"]:
        parts.append(f"{s['cachesReplaced']} cache(s) replaced")
    if plan.download_bytes:
        parts.append(f"{gib(plan.download_bytes)} to download")
    if s["jobsRun"]:
        parts.append(f"{s['jobsRun']} Job(s) run")
    if s["refusedByApiServer"]:
        parts.append(f"{s['refusedByApiServer']} change(s) the API server refuses")
    return "Plan: " + "; ".join(parts) + "."


def _gpu_line(plan: Plan, namespace: str) -> str:
    for use in plan.gpus:
        if use.namespace == namespace and (use.before or use.after):
            text = (
                f"GPUs at full scale: {format_amount(use.before, 'count')} -> "
                f"{format_amount(use.after, 'count')}"
            )
            if use.quota is not None:
                text += f" (quota {format_amount(use.quota, 'count')})"
            if use.models:
                text += f" on {', '.join(use.models)}"
            return text
    return ""


# -- text ---------------------------------------------------------------------------------------


def plan_text(plan: Plan) -> str:
    lines = [f"aimctl plan: {clean_line(plan.base)} -> working tree", ""]
    for namespace, services in _groups(plan):
        lines.append(f"namespace {clean_line(namespace) if namespace else _CLUSTER}")
        gpu = _gpu_line(plan, namespace)
        if gpu:
            lines.append(f"  {gpu}")
        for service, changes, effects in services:
            indent = "  "
            if service:
                lines.append(f"  service {clean_line(service)}")
                indent = "    "
            for c in changes:
                fields = f"  ({', '.join(c.fields)})" if c.fields else ""
                lines.append(
                    f"{indent}{_SIGN[c.action]} {c.kind} {clean_line(c.name)}{clean_line(fields)}"
                )
            for e in effects:
                if e.type not in _IN_HEADER:
                    lines.append(f"{indent}{_MARK[e.severity]} {clean_line(e.message)}")
        lines.append("")
    lines.append(_summary_line(plan))
    return "\n".join(lines) + "\n"


# -- Markdown -----------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Inline Markdown: control characters escaped, syntax characters backslashed."""
    out = clean_line(text)
    for char in "\\`*_[]<>|~":
        out = out.replace(char, "\\" + char)
    return out


def _code(text: str) -> str:
    cleaned = clean_line(text).replace("`", "'")
    return f"`{cleaned}`"


_EMOJI: Final = {DANGER: ":warning:", WARNING: ":information_source:", "info": ""}


def plan_markdown(plan: Plan) -> str:
    lines = [f"### aimctl plan against {_code(plan.base)}", "", _md(_summary_line(plan)), ""]
    for namespace, services in _groups(plan):
        title = _code(namespace) if namespace else "cluster-scoped objects"
        lines.append(f"#### Namespace {title}" if namespace else f"#### {title}")
        lines.append("")
        gpu = _gpu_line(plan, namespace)
        if gpu:
            lines += [f"- {_md(gpu)}", ""]
        for service, changes, effects in services:
            if service:
                lines += [f"**AIMService {_code(service)}**", ""]
            shown = [e for e in effects if e.type not in _IN_HEADER]
            for e in shown:
                mark = _EMOJI[e.severity]
                lines.append(f"- {mark + ' ' if mark else ''}{_md(e.message)}")
            if shown:
                lines.append("")
            if changes:
                lines += ["| | Kind | Name | Changed fields |", "|---|---|---|---|"]
                for c in changes:
                    fields = ", ".join(_code(f) for f in c.fields)
                    lines.append(f"| {c.action} | {_md(c.kind)} | {_code(c.name)} | {fields} |")
                lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# -- JSON ---------------------------------------------------------------------------------------


def plan_json(plan: Plan, **extra: Any) -> str:
    namespaces = []
    for namespace, services in _groups(plan):
        gpu = next((u for u in plan.gpus if u.namespace == namespace), None)
        namespaces.append(
            {
                "namespace": namespace or None,
                "gpus": None
                if gpu is None
                else {
                    "before": _number(gpu.before),
                    "after": _number(gpu.after),
                    "quota": None if gpu.quota is None else _number(gpu.quota),
                    "models": list(gpu.models),
                },
                "services": [
                    {
                        "service": service or None,
                        "objects": [
                            {
                                "action": c.action,
                                "apiVersion": c.api_version,
                                "kind": c.kind,
                                "name": c.name,
                                "fields": list(c.fields),
                            }
                            for c in changes
                        ],
                        "consequences": [
                            {
                                "type": e.type,
                                "severity": e.severity,
                                "message": e.message,
                                **e.facts,
                            }
                            for e in effects
                        ],
                    }
                    for service, changes, effects in services
                ],
            }
        )
    document = {
        "base": plan.base,
        **extra,
        "changed": plan.changed,
        "summary": _summary(plan),
        "namespaces": namespaces,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _number(value: Any) -> int | float:
    return int(value) if value.denominator == 1 else float(value)
