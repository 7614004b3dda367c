"""AIMService status assertions, compared with aimctl's resolution of the service.

``ModelReady``/``TemplateReady`` conditions, ``resolvedModel`` and ``resolvedTemplate`` are
resolution results: they are compared with the service's ``aimctl explain`` trace and its render
errors. A ``Failed``/``Pending`` service whose condition gives a reason aimctl knows
(``ModelNotFound``, ``ModelNotReady``, ``TemplateNotFound``, ``TemplateNotReady``) must make the
render fail with that reason — aimctl fails where the operator degrades (aimctl.md §9). Everything
else in an AIMService's status (``Starting``/``Running``, replicas, cache references, other
conditions) is live and only listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.conformance.chainsaw import TEST_NAMESPACE, Snapshot, split_status
from tests.conformance.offline import Problem, Rendering, live_reason

__all__ = ["ServiceFacts", "service_facts"]


REASON_CODES: Mapping[str, frozenset[str]] = {
    "ModelNotFound": frozenset({"E_MODEL_NOT_FOUND"}),
    "ModelNotReady": frozenset({"E_MODEL_NOT_READY"}),
    "TemplateNotFound": frozenset({"E_TEMPLATE_NOT_FOUND", "E_NO_TEMPLATE"}),
    "TemplateNotReady": frozenset({"E_TEMPLATE_NOT_READY"}),
}
MODEL_ERRORS = frozenset(
    {"E_MODEL_NOT_FOUND", "E_MODEL_NOT_READY", "E_MODEL_AMBIGUOUS_IMAGE", "E_INVALID_IMAGE"}
)
TEMPLATE_ERRORS = frozenset(
    {
        "E_TEMPLATE_NOT_FOUND",
        "E_NO_TEMPLATE",
        "E_TEMPLATE_NOT_READY",
        "E_TEMPLATE_AMBIGUOUS",
        "E_ONLY_UNOPTIMIZED",
    }
)
REFUSED_STATES = frozenset({"Failed", "Pending", "Degraded", "NotAvailable"})
_CONDITION_KEY = re.compile(r"^\(conditions\[\?type\s*==\s*'(\w+)'\]\)$")
_NAME_SET = "(name != '')"


@dataclass(slots=True)
class ServiceFacts:
    """Facts of one AIMService status assertion: checked ones and dropped (live) ones."""

    checked: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, fact: str, ok: bool, why: str) -> None:
        self.checked.append(fact)
        if not ok:
            self.failures.append(f"{fact}: {why}")


def _refused(problems: list[Problem], reason: str) -> bool:
    codes = REASON_CODES[reason]
    return any(p.code in codes or f"(reason {reason})" in p.message for p in problems)


def _show_problems(problems: list[Problem]) -> str:
    return "; ".join(f"{p.code}: {p.message}" for p in problems) or "render succeeds"


class _ServiceView:
    """aimctl's resolution of one service: its trace and its render errors."""

    def __init__(self, key: tuple[str, str], rendering: Rendering, snapshot: Snapshot) -> None:
        self.trace = rendering.traces.get(key) or {}
        self.problems = rendering.problems_for(key)
        self.live = {
            p.code: r
            for p in self.problems
            if (r := live_reason(p, rendering, snapshot)) is not None
        }

    @property
    def model(self) -> Mapping[str, Any] | None:
        return self.trace.get("model")

    @property
    def template(self) -> Mapping[str, Any] | None:
        return (self.trace.get("template") or {}).get("selected")

    def codes(self, codes: frozenset[str]) -> list[Problem]:
        return [p for p in self.problems if p.code in codes]

    def template_live(self) -> str | None:
        for code, reason in self.live.items():
            if code in TEMPLATE_ERRORS or code == "E_TEMPLATE_NEEDS_DISCOVERY":
                return reason
        return None


def _condition_facts(facts: ServiceFacts, kind: str, expected: Any, view: _ServiceView) -> None:
    entry = expected[0] if isinstance(expected, list) and len(expected) == 1 else None
    if not isinstance(entry, dict) or kind not in ("ModelReady", "TemplateReady"):
        facts.live.append(f"condition {kind}")
        return
    status, reason = entry.get("status"), entry.get("reason")
    fact = f"{kind}={status}" + (f" ({reason})" if reason else "")
    if status == "False":
        if reason not in REASON_CODES:
            facts.live.append(fact)
            return
        ok = _refused(view.problems, str(reason))
        facts.check(fact, ok, f"aimctl: {_show_problems(view.problems)}")
        return
    if kind == "ModelReady":
        bad = view.codes(MODEL_ERRORS)
        ok = view.model is not None and not bad
        facts.check(fact, ok, f"aimctl: {_show_problems(bad) if bad else 'no model resolved'}")
        return
    if (live := view.template_live()) is not None:
        facts.live.append(f"{fact} ({live})")
        return
    bad = view.codes(TEMPLATE_ERRORS)
    ok = view.template is not None and not bad
    facts.check(fact, ok, f"aimctl: {_show_problems(bad) if bad else 'no template selected'}")


def _resolved_facts(facts: ServiceFacts, key: str, expected: Any, view: _ServiceView) -> None:
    if not isinstance(expected, dict):
        facts.live.append(f"status.{key}")
        return
    if key == "resolvedModel":
        actual = view.model
        if actual is None:
            facts.check(key, False, f"no model resolved ({_show_problems(view.problems)})")
            return
    else:
        actual = view.template
        if actual is None:
            if (live := view.template_live()) is not None:
                facts.live.append(f"{key} ({live})")
                return
            facts.check(key, False, f"no template selected ({_show_problems(view.problems)})")
            return
    for field_name, value in expected.items():
        fact = f"{key}.{field_name}" if field_name != _NAME_SET else f"{key} set"
        if field_name == _NAME_SET:
            facts.check(fact, bool(actual.get("name")), "empty")
        elif field_name == "name":
            facts.check(fact, actual.get("name") == value, f"aimctl: {actual.get('name')}")
        elif field_name == "scope":
            scope = (
                "Cluster" if str(actual.get("kind", "")).startswith("AIMCluster") else "Namespace"
            )
            facts.check(fact, scope == value, f"aimctl: {scope}")
        else:
            facts.live.append(fact)


def service_facts(
    tree: Mapping[str, Any], snapshot: Snapshot, rendering: Rendering
) -> ServiceFacts:
    """The facts of one AIMService assertion: checked against aimctl, or live (only listed)."""
    kept, status_parts = split_status(tree)
    meta = kept.get("metadata") or {}
    key = (str(meta.get("namespace") or TEST_NAMESPACE), str(meta.get("name")))
    view = _ServiceView(key, rendering, snapshot)
    facts = ServiceFacts()
    extra = sorted(k for k in meta if k not in ("name", "namespace"))
    facts.live.extend(f"metadata.{k}" for k in extra)
    status = status_parts.get("status")
    if not isinstance(status, dict):
        status = {}
    for k, value in status.items():
        if k == "status":
            continue
        if (cond := _CONDITION_KEY.match(str(k))) is not None:
            _condition_facts(facts, cond.group(1), value, view)
        elif k in ("resolvedModel", "resolvedTemplate"):
            _resolved_facts(facts, str(k), value, view)
        else:
            facts.live.append(f"status.{k}")
    state = status.get("status")
    if state in REFUSED_STATES and any(
        f.startswith(("ModelReady=False", "TemplateReady=False")) for f in facts.checked
    ):
        facts.check(f"status {state} (render refused)", bool(view.problems), "render succeeds")
    elif state is not None:
        facts.live.append(f"status {state}")
    return facts
