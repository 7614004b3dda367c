"""What aimctl says about each Chainsaw assertion: checked (and whether it holds) or out of scope.

For every ``assert``/``error`` operation the inputs the test has applied so far are rendered with
``--include-intermediates`` and the assertion is classified:

* an object aimctl renders (InferenceService, HTTPRoute, PVC, Job, RoleBinding, and the
  intermediates AIMModel, AIM(Cluster)ServiceTemplate, AIMTemplateCache, AIMArtifact): the asserted
  tree minus its ``status`` must be a subset of some rendered object of that kind (``error``: of
  none). A dropped ``status`` part makes the assertion *partly* checked;
* the status of an AIMService: ``ModelReady``/``TemplateReady`` conditions, ``resolvedModel`` and
  ``resolvedTemplate`` are resolution results, checked against ``aimctl explain``'s trace; a
  ``Failed``/``Pending`` service with a reason such as ``ModelNotFound`` must make the render fail
  with that reason (aimctl.md §9: errors instead of degraded services); the rest is live;
* pods, deployments, namespaces, the status of input objects, anything after a deletion or after a
  script that changes the cluster from live values: out of scope, with the reason;
* a render that fails because an input needs something only a live cluster knows (registry image
  labels, a discovery Job, a check-size Job) puts the assertion out of scope, naming that input.

Rendering and the live-input rules are in ``offline.py``, the AIMService facts in ``services.py``.
Nothing here decides pass/fail policy: results carry the disagreements (``failures``) and the test
module compares them with its ``KNOWN_DIFFERENCES`` (which only relabels them *partly checked*).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from tests.conformance.chainsaw import (
    ChainsawTest,
    Operation,
    Snapshot,
    Step,
    UnsupportedAssertionError,
    describe_target,
    identity,
    match_tree,
    replay,
    script_effects,
    split_status,
)
from tests.conformance.offline import (
    LIVE_TOPICS,
    REGISTRY,
    Renderer,
    Rendering,
    needs_registry,
    render_failure,
)
from tests.conformance.services import service_facts

__all__ = [
    "AssertionResult",
    "ChainsawResult",
    "Outcome",
    "Renderer",
    "StepResult",
    "Verdict",
    "evaluate_test",
]


class Verdict(StrEnum):
    CHECKED = "checked"
    PARTLY = "partly checked"
    OUT_OF_SCOPE = "out of scope"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One assertion's classification; ``failures`` lists checked facts aimctl disagrees with."""

    verdict: Verdict
    reason: str
    failures: tuple[str, ...] = ()
    rendered: tuple[str, ...] = ()
    topic: str = ""


@dataclass(frozen=True, slots=True)
class AssertionResult:
    id: str
    step: int
    operation: str
    target: str
    fragment: Mapping[str, Any]
    outcome: Outcome
    known: str | None = None


@dataclass(frozen=True, slots=True)
class StepResult:
    """A step's verdict: from its checks (assertions, read-only scripts), else from its setup."""

    number: int
    name: str
    verdict: Verdict
    reason: str
    assertions: tuple[AssertionResult, ...]
    failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChainsawResult:
    test: ChainsawTest
    verdict: Verdict
    reason: str
    steps: tuple[StepResult, ...]

    @property
    def assertions(self) -> list[AssertionResult]:
        return [a for s in self.steps for a in s.assertions]


# --------------------------------------------------------------------------------------------
# Rendered objects


RENDERED_KINDS = frozenset(
    {
        "InferenceService",
        "HTTPRoute",
        "PersistentVolumeClaim",
        "Job",
        "RoleBinding",
        "AIMModel",
        "AIMServiceTemplate",
        "AIMClusterServiceTemplate",
        "AIMTemplateCache",
        "AIMArtifact",
    }
)

MODEL_SOURCES = "registry catalogue (model sources)"
SERVICE_STATUS = "AIMService live status"
INPUT_STATUS = "status of input objects"

_LIVE_KINDS: Mapping[str, tuple[str, str]] = {
    "Pod": ("pods are created by KServe and the kubelet at run time", "pods"),
    "Deployment": ("a Deployment's availability is live state", "live workloads (test fixtures)"),
    "Namespace": ("namespace lifecycle (deletion) is live behaviour", "deletion & finalizers"),
    "AIMClusterModelSource": ("a model source syncs a registry catalogue", MODEL_SOURCES),
}


def _summary(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')} {meta.get('name')}"


def _candidates(tree: Mapping[str, Any], objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    _, kind, namespace, name = identity(tree)
    out = []
    for obj in objects:
        _, okind, onamespace, oname = identity(obj)
        if okind != kind or (namespace and onamespace != namespace) or (name and oname != name):
            continue
        out.append(obj)
    return out


def _registry_templates(tree: Mapping[str, Any], snapshot: Snapshot) -> bool:
    """An assertion on the templates an image model generates from its registry labels (not on
    one of its ``customTemplates``, which are named by a ``template.alias`` label)."""
    if tree.get("kind") not in ("AIMServiceTemplate", "AIMClusterServiceTemplate"):
        return False
    labels = (tree.get("metadata") or {}).get("labels") or {}
    model = labels.get("aim.eai.amd.com/model")
    if not model or "aim.eai.amd.com/template.alias" in labels:
        return False
    for kind in ("AIMModel", "AIMClusterModel"):
        doc = snapshot.find(kind, str(model))
        if doc is not None:
            return needs_registry(snapshot, ("", ""), {"kind": kind, "name": model})
    return False


def _is_discovery_job(tree: Mapping[str, Any]) -> bool:
    labels = (tree.get("metadata") or {}).get("labels") or {}
    return (
        labels.get("aim.eai.amd.com/component") == "check-size"
        or "aim.eai.amd.com/template" in labels
        or labels.get("app.kubernetes.io/component") == "discovery"
    )


def _check_rendered(
    op: Operation, tree: Mapping[str, Any], snapshot: Snapshot, rendering: Rendering
) -> Outcome:
    kept, status = split_status(tree)
    if not rendering.ok:
        live, own = render_failure(rendering, snapshot)
        if not own:
            return Outcome(
                Verdict.OUT_OF_SCOPE, f"render {'; '.join(live)}", topic=LIVE_TOPICS[live[0]]
            )
        return Outcome(Verdict.CHECKED, "aimctl refuses the inputs", failures=tuple(own))
    rendered = tuple(_summary(o) for o in rendering.objects)
    candidates = _candidates(kept, rendering.objects)
    target = describe_target(tree)
    partly = f"; status {', '.join(status)} not compared (live)" if status else ""
    verdict = Verdict.PARTLY if status else Verdict.CHECKED
    if op.kind == "error":
        if status:
            return Outcome(Verdict.OUT_OF_SCOPE, "`error` on live status", topic="live status")
        matching = [c for c in candidates if not match_tree(kept, c)]
        failures = tuple(f"{_summary(c)} is rendered and matches, but must not" for c in matching)
        return Outcome(verdict, f"no rendered {target} matches{partly}", failures, rendered)
    if not candidates:
        failure = f"no {target} rendered"
        return Outcome(verdict, f"rendered {target} matches{partly}", (failure,), rendered)
    mismatches = [(c, match_tree(kept, c)) for c in candidates]
    if any(not m for _, m in mismatches):
        return Outcome(verdict, f"rendered {target} matches{partly}")
    failures = tuple(f"{_summary(c)}: {'; '.join(m)}" for c, m in mismatches)
    return Outcome(verdict, f"rendered {target} matches{partly}", failures, rendered)


# --------------------------------------------------------------------------------------------
# One assertion, one step, one test


def _check_service(tree: Mapping[str, Any], snapshot: Snapshot, rendering: Rendering) -> Outcome:
    facts = service_facts(tree, snapshot, rendering)
    if not facts.checked:
        reason = f"AIMService {', '.join(facts.live)} is live"
        return Outcome(Verdict.OUT_OF_SCOPE, reason, topic=SERVICE_STATUS)
    checked = f"aimctl's resolution: {', '.join(facts.checked)}"
    failures = tuple(facts.failures)
    if facts.live:
        reason = f"{checked}; live: {', '.join(facts.live)}"
        return Outcome(Verdict.PARTLY, reason, failures, topic=SERVICE_STATUS)
    return Outcome(Verdict.CHECKED, checked, failures)


def classify_assertion(
    op: Operation, tree: Mapping[str, Any], snapshot: Snapshot, renderer: Renderer
) -> Outcome:
    kind = str(tree.get("kind", ""))
    name = str((tree.get("metadata") or {}).get("name") or "")
    if kind in _LIVE_KINDS:
        reason, topic = _LIVE_KINDS[kind]
        return Outcome(Verdict.OUT_OF_SCOPE, reason, topic=topic)
    if snapshot.deletions:
        return Outcome(
            Verdict.OUT_OF_SCOPE,
            f"after a deletion ({snapshot.deletions[0]}): garbage collection and finalizers are live",
            topic="deletion & finalizers",
        )
    if snapshot.unmodelled:
        return Outcome(
            Verdict.OUT_OF_SCOPE,
            f"follows a step where {snapshot.unmodelled[0]}",
            topic="scripts with live values",
        )
    if kind == "AIMService":
        if op.kind == "error":
            return Outcome(
                Verdict.OUT_OF_SCOPE, "`error` on an AIMService is live", topic=SERVICE_STATUS
            )
        return _check_service(tree, snapshot, renderer.render(snapshot))
    if name and snapshot.find(kind, name) is not None:
        status = split_status(tree)[1]
        parts = "status" if status else "fields"
        return Outcome(
            Verdict.OUT_OF_SCOPE,
            f"{parts} of the input {kind} {name} (live state; inputs are not rendered)",
            topic=INPUT_STATUS,
        )
    if kind == "AIMClusterModel":
        return Outcome(
            Verdict.OUT_OF_SCOPE,
            "cluster models created by a model source from a registry listing",
            topic=MODEL_SOURCES,
        )
    if kind == "Job" and _is_discovery_job(tree):
        if op.kind == "error" and renderer.render(snapshot).ok:
            return Outcome(Verdict.CHECKED, "no discovery Job rendered (aimctl never renders one)")
        return Outcome(
            Verdict.OUT_OF_SCOPE,
            "discovery and check-size Jobs are never rendered (aimctl.md §9)",
            topic="discovery & check-size Jobs",
        )
    if _registry_templates(tree, snapshot):
        return Outcome(Verdict.OUT_OF_SCOPE, f"templates {REGISTRY}", topic=LIVE_TOPICS[REGISTRY])
    if kind in RENDERED_KINDS:
        return _check_rendered(op, tree, snapshot, renderer.render(snapshot))
    return Outcome(Verdict.OUT_OF_SCOPE, f"{kind} is not an object aimctl renders", topic="kind")


def _assertion_id(test: ChainsawTest, step: Step, op: Operation, doc_index: int) -> str:
    suffix = f".{doc_index + 1}" if len(op.documents) > 1 else ""
    return f"{test.id}#{step.number}.{op.number}{suffix}"


def _combine(verdicts: list[Verdict]) -> Verdict:
    if verdicts and all(v is Verdict.CHECKED for v in verdicts):
        return Verdict.CHECKED
    if all(v is Verdict.OUT_OF_SCOPE for v in verdicts):
        return Verdict.OUT_OF_SCOPE
    return Verdict.PARTLY


SCRIPT_TOPIC = "scripts (kubectl/curl checks)"


def _setup_step(step: Step, snapshot: Snapshot, renderer: Renderer) -> StepResult:
    """A step without checks: what it does to the cluster, and whether aimctl loads the result."""
    effects = [script_effects(op.script or "") for op in step.operations if op.kind == "script"]
    applies = any(op.kind in ("apply", "create", "update") for op in step.operations)
    modelled = any(e.modelled for e in effects)

    def result(verdict: Verdict, reason: str, failures: tuple[str, ...] = ()) -> StepResult:
        return StepResult(step.number, step.name, verdict, reason, (), failures)

    if any(op.kind == "delete" for op in step.operations):
        return result(Verdict.OUT_OF_SCOPE, "deletes an object (garbage collection is live)")
    unmodelled = [u for e in effects for u in e.unmodelled]
    if unmodelled:
        return result(Verdict.OUT_OF_SCOPE, f"{unmodelled[0]} (not modelled)")
    if applies or modelled:
        rendering = renderer.render(snapshot)
        what = "applies inputs"
        if any(e.status_files for e in effects):
            what += " (with frozen status)"
        elif modelled:
            what += " (kubectl apply in a script)"
        failures = tuple(f"{p.code}: {p.message}" for p in rendering.load_errors)
        return result(Verdict.CHECKED, f"{what}; aimctl loads and validates them", failures)
    if any(e.secrets for e in effects):
        return result(Verdict.OUT_OF_SCOPE, "copies a Secret (aimctl reads no Secret)")
    return result(Verdict.OUT_OF_SCOPE, "no operation aimctl can model")


def _script_check(test: ChainsawTest, step: Step, op: Operation) -> AssertionResult:
    outcome = Outcome(
        Verdict.OUT_OF_SCOPE, "script checks live state (kubectl, curl)", topic=SCRIPT_TOPIC
    )
    return AssertionResult(
        f"{test.id}#{step.number}.{op.number}", step.number, "script", "script", {}, outcome
    )


def _step_checks(
    test: ChainsawTest,
    step: Step,
    snapshots: Mapping[tuple[int, int], Snapshot],
    renderer: Renderer,
    known: Mapping[str, str],
) -> list[AssertionResult]:
    results: list[AssertionResult] = []
    for op in step.operations:
        if op.kind == "script" and script_effects(op.script or "").read_only:
            results.append(_script_check(test, step, op))
            continue
        if op.kind not in ("assert", "error"):
            continue
        snapshot = snapshots[(step.number, op.number)]
        for i, tree in enumerate(op.documents):
            try:
                outcome = classify_assertion(op, tree, snapshot, renderer)
            except UnsupportedAssertionError as exc:
                outcome = Outcome(Verdict.OUT_OF_SCOPE, f"unsupported: {exc}", topic="unsupported")
            ident = _assertion_id(test, step, op, i)
            result = AssertionResult(
                ident, step.number, op.kind, describe_target(tree), tree, outcome
            )
            results.append(_apply_known(result, known))
    return results


def _apply_known(result: AssertionResult, known: Mapping[str, str]) -> AssertionResult:
    if result.id not in known:
        return result
    outcome = replace(
        result.outcome,
        verdict=Verdict.PARTLY,
        reason=f"known difference: {known[result.id].split(';')[0].split('. ')[0]}",
    )
    return replace(result, outcome=outcome, known=known[result.id])


def evaluate_test(
    test: ChainsawTest, renderer: Renderer, known: Mapping[str, str]
) -> ChainsawResult:
    """Classify every step and assertion of one Chainsaw test."""
    snapshots = replay(test)
    steps: list[StepResult] = []
    for step in test.steps:
        checks = _step_checks(test, step, snapshots, renderer, known)
        if checks:
            verdict = _combine([r.outcome.verdict for r in checks])
            steps.append(
                StepResult(step.number, step.name, verdict, _step_reason(checks), tuple(checks))
            )
        else:
            steps.append(_setup_step(step, snapshots[(step.number, 0)], renderer))
    verdict, reason = _test_verdict(test, steps)
    return ChainsawResult(test, verdict, reason, tuple(steps))


def _step_reason(results: list[AssertionResult]) -> str:
    reasons: list[str] = []
    for r in results:
        if r.outcome.reason not in reasons:
            reasons.append(r.outcome.reason)
    return " / ".join(reasons)


def _test_verdict(test: ChainsawTest, steps: list[StepResult]) -> tuple[Verdict, str]:
    """Combined from the checking steps; the reason names known differences and what is live."""
    checks = [a for s in steps for a in s.assertions]
    verdict = _combine([s.verdict for s in steps if s.assertions])
    topics = Counter(
        a.outcome.topic
        for a in checks
        if a.outcome.verdict is not Verdict.CHECKED and a.outcome.topic and not a.known
    )
    known = sum(1 for a in checks if a.known)
    parts: list[str] = []
    if known:
        parts.append(f"{known} known difference{'s' if known > 1 else ''}")
    if topics:
        parts.append("not checked: " + ", ".join(t for t, _ in topics.most_common()))
    if not parts:
        parts.append("every check holds offline")
    if test.skip:
        parts.append("skipped upstream")
    return verdict, "; ".join(parts)
