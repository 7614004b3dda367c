"""Read Chainsaw tests and evaluate their assertion trees the way Chainsaw does.

Two jobs, no aimctl in here:

* ``load_tests`` parses every ``chainsaw-test.yaml`` under a directory into steps and operations,
  and ``replay`` walks them to give, at every operation, the set of documents the test has applied
  so far (what the API server would hold: later applies of the same object replace earlier ones,
  deletes remove them, ``status:`` is dropped unless ``apply-with-status.sh … --status-only`` set
  it, ``($namespace)`` is the fixed test namespace).
* ``match_tree`` compares an asserted tree with an object using kyverno-json's assertion-tree rules
  (the engine behind Chainsaw's ``assert`` and ``error``): maps are partial, arrays must have the
  same length and match element by element, scalars compare by value (numbers numerically, no
  string/number coercion), and ``(expr)`` keys or values are JMESPath projections.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jmespath
import jmespath.exceptions
import yaml

__all__ = [
    "TEST_NAMESPACE",
    "AppliedDocument",
    "ChainsawTest",
    "Operation",
    "ScriptEffects",
    "Snapshot",
    "Step",
    "UnsupportedAssertionError",
    "describe_target",
    "identity",
    "load_test",
    "load_tests",
    "match_tree",
    "replay",
    "script_effects",
    "split_status",
]

TEST_NAMESPACE = "chainsaw-test"
BINDINGS: Mapping[str, str] = {"namespace": TEST_NAMESPACE}

# Operations Chainsaw knows; the e2e tests use apply, assert, error, script and delete.
_OPERATIONS = (
    "apply",
    "assert",
    "command",
    "create",
    "delete",
    "describe",
    "error",
    "events",
    "get",
    "patch",
    "podLogs",
    "proxy",
    "script",
    "sleep",
    "update",
    "wait",
)


class UnsupportedAssertionError(Exception):
    """An assertion uses a Chainsaw form this matcher does not implement."""


# --------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True, slots=True)
class Operation:
    """One entry of a step's ``try`` (or ``finally``) list."""

    kind: str
    number: int
    section: str
    documents: tuple[dict[str, Any], ...] = ()
    file: str | None = None
    script: str | None = None
    ref: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    name: str
    operations: tuple[Operation, ...]

    @property
    def assertions(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.kind in ("assert", "error"))


@dataclass(frozen=True, slots=True)
class ChainsawTest:
    id: str
    name: str
    directory: Path
    description: str
    skip: bool
    labels: Mapping[str, str]
    steps: tuple[Step, ...]


def _load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    docs = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    return [d for d in docs if isinstance(d, dict)]


def _operation(kind: str, number: int, section: str, body: Any, directory: Path) -> Operation:
    if not isinstance(body, dict):
        body = {}
    if kind in ("apply", "assert", "error", "create", "update", "patch", "delete"):
        if "resource" in body:
            return Operation(kind, number, section, (dict(body["resource"]),))
        if "file" in body:
            file = str(body["file"])
            docs = tuple(_load_yaml_documents(directory / file))
            return Operation(kind, number, section, docs, file=file)
        if "ref" in body:
            return Operation(kind, number, section, ref=dict(body["ref"]))
        return Operation(kind, number, section)
    if kind == "script":
        return Operation(kind, number, section, script=str(body.get("content", "")))
    if kind == "command":
        args = [str(body.get("entrypoint", "")), *(str(a) for a in body.get("args", []))]
        return Operation(kind, number, section, script=shlex.join(args))
    return Operation(kind, number, section)


def _operations(step: dict[str, Any], directory: Path) -> tuple[Operation, ...]:
    ops: list[Operation] = []
    # ``catch`` only runs when the step fails; ``finally`` always runs, after ``try``.
    for section in ("try", "finally"):
        for entry in step.get(section) or []:
            kinds = [k for k in _OPERATIONS if k in entry]
            if len(kinds) != 1:
                raise ValueError(f"cannot parse operation {sorted(entry)} in {directory}")
            ops.append(_operation(kinds[0], len(ops) + 1, section, entry[kinds[0]], directory))
    return tuple(ops)


def load_test(path: Path, root: Path) -> ChainsawTest:
    """One ``chainsaw-test.yaml``; ``id`` is its directory relative to ``root``."""
    (doc,) = _load_yaml_documents(path)
    spec = doc.get("spec") or {}
    meta = doc.get("metadata") or {}
    steps = tuple(
        Step(i, str(step.get("name") or f"step {i}"), _operations(step, path.parent))
        for i, step in enumerate(spec.get("steps") or [], start=1)
    )
    return ChainsawTest(
        id=path.parent.relative_to(root).as_posix(),
        name=str(meta.get("name", "")),
        directory=path.parent,
        description=" ".join(str(spec.get("description", "")).split()),
        skip=bool(spec.get("skip", False)),
        labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        steps=steps,
    )


def load_tests(root: Path) -> list[ChainsawTest]:
    """Every Chainsaw test under ``root``, sorted by directory."""
    return [load_test(p, root) for p in sorted(root.rglob("chainsaw-test.yaml"))]


# --------------------------------------------------------------------------------------------
# Replaying the applies


_CLUSTER_SCOPED = frozenset(
    {
        "AIMClusterModel",
        "AIMClusterModelSource",
        "AIMClusterRuntimeConfig",
        "AIMClusterServiceTemplate",
        "ClusterRole",
        "ClusterRoleBinding",
        "Namespace",
        "Node",
    }
)


def is_cluster_scoped(kind: str) -> bool:
    return kind in _CLUSTER_SCOPED


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def identity(doc: Mapping[str, Any], namespace: str = TEST_NAMESPACE) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name) as the API server keys the object."""
    kind = str(doc.get("kind", ""))
    meta = doc.get("metadata") or {}
    ns = "" if is_cluster_scoped(kind) else str(meta.get("namespace") or namespace)
    return (_group(str(doc.get("apiVersion", ""))), kind, ns, str(meta.get("name", "")))


@dataclass(frozen=True, slots=True)
class AppliedDocument:
    """An object as the API server holds it after the test's applies."""

    body: dict[str, Any]
    source: str
    with_status: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return identity(self.body)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the test has done before one operation runs."""

    documents: tuple[AppliedDocument, ...] = ()
    deletions: tuple[str, ...] = ()
    unmodelled: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        return json.dumps([[d.body, d.with_status] for d in self.documents], sort_keys=True)

    def find(self, kind: str, name: str) -> AppliedDocument | None:
        for doc in self.documents:
            if doc.key[1] == kind and doc.key[3] == name:
                return doc
        return None


def _as_applied(doc: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(doc))  # a deep copy with JSON types only
    meta = body.setdefault("metadata", {})
    if namespace and not meta.get("namespace") and not is_cluster_scoped(str(body.get("kind"))):
        meta["namespace"] = namespace
    return body


@dataclass(slots=True)
class _State:
    docs: dict[tuple[str, str, str, str], AppliedDocument] = field(default_factory=dict)
    deletions: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)

    def snapshot(self) -> Snapshot:
        return Snapshot(tuple(self.docs.values()), tuple(self.deletions), tuple(self.unmodelled))

    def apply(self, doc: dict[str, Any], source: str, namespace: str = TEST_NAMESPACE) -> None:
        # The API server ignores ``status`` on a plain apply (status is a subresource) and keeps
        # whatever status the object already had.
        body = _as_applied(doc, namespace)
        body.pop("status", None)
        key = identity(body)
        previous = self.docs.get(key)
        if previous is not None and previous.with_status:
            body["status"] = previous.body["status"]
            self.docs[key] = AppliedDocument(body, source, True)
            return
        self.docs[key] = AppliedDocument(body, source)

    def set_status(self, doc: dict[str, Any], source: str, namespace: str) -> None:
        body = _as_applied(doc, namespace)
        key = identity(body)
        previous = self.docs.get(key)
        base = dict(previous.body) if previous is not None else body
        base = {k: v for k, v in base.items() if k != "status"}
        if "status" in body:
            base["status"] = body["status"]
        self.docs[key] = AppliedDocument(base, source, "status" in body)

    def delete(self, ref: Mapping[str, Any], source: str) -> None:
        key = identity(
            {**ref, "metadata": {"name": ref.get("name"), **(ref.get("metadata") or {})}}
        )
        self.docs.pop(key, None)
        self.deletions.append(f"{ref.get('kind')} {ref.get('name')} deleted ({source})")


# ``apply-with-status.sh FILE --status-only``: the e2e helper that writes a file's status block.
_STATUS_SCRIPT = re.compile(r"apply-with-status\.sh\s+(\S+)(.*)")
_KUBECTL_FLAGS = r"(?:(?:-n|--namespace)\s+\S+\s+|-\S+\s+)*"
_KUBECTL_APPLY_FILE = re.compile(rf"\bkubectl\s+{_KUBECTL_FLAGS}apply\s+(.*?)-f\s+(\S+)")
_MUTATING = re.compile(
    rf"\bkubectl\s+{_KUBECTL_FLAGS}(apply|create|delete|label|annotate|patch|replace|scale)\b"
)
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_]\w*)=(\"[^\"]*\"|'[^']*'|\S+)\s*$")


def _script_lines(content: str) -> list[str]:
    return content.replace("\\\n", " ").splitlines()


def _expand(word: str, variables: Mapping[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        return variables.get(match.group(1) or match.group(2), match.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, word.strip("\"'"))


def _namespace_flag(args: str, variables: Mapping[str, str]) -> str | None:
    words = args.split()
    for i, word in enumerate(words[:-1]):
        if word in ("-n", "--namespace"):
            return _expand(words[i + 1], variables)
    return None


@dataclass(frozen=True, slots=True)
class ScriptEffects:
    """What a step's shell script does to the cluster, as far as it can be modelled.

    ``status_files``: ``apply-with-status.sh FILE [--status-only] [-n NS]`` (the e2e helper that
    writes a file's ``status:`` block); ``applied_files``: ``kubectl apply [-n NS] -f FILE``;
    ``unmodelled``: other changes (heredocs or pipes built from live values, deletes, node labels);
    ``secrets``: Secrets copied in (aimctl never reads a Secret, so they change nothing offline).
    A script with none of these only reads the cluster (``kubectl get``/``wait``, ``curl``).
    """

    status_files: tuple[tuple[str, bool, str], ...] = ()
    applied_files: tuple[tuple[str, str], ...] = ()
    unmodelled: tuple[str, ...] = ()
    secrets: int = 0

    @property
    def read_only(self) -> bool:
        return not (self.status_files or self.applied_files or self.unmodelled or self.secrets)

    @property
    def modelled(self) -> bool:
        return bool(self.status_files or self.applied_files) and not self.unmodelled


def script_effects(content: str) -> ScriptEffects:
    variables: dict[str, str] = {"NAMESPACE": TEST_NAMESPACE}
    status: list[tuple[str, bool, str]] = []
    applied: list[tuple[str, str]] = []
    unmodelled: list[str] = []
    secrets = 0
    in_heredoc = False
    for line in _script_lines(content):
        if in_heredoc:
            in_heredoc = line.strip() != "EOF"
            continue
        if (assign := _ASSIGNMENT.match(line)) and "$(" not in line:
            variables[assign.group(1)] = _expand(assign.group(2), variables)
            continue
        if found := _STATUS_SCRIPT.search(line):
            flags = found.group(2)
            namespace = _namespace_flag(flags, variables) or TEST_NAMESPACE
            status.append((found.group(1), "--status-only" in flags, namespace))
            continue
        apply = _KUBECTL_APPLY_FILE.search(line)
        if apply and apply.group(2) != "-" and "<<" not in line:
            namespace = _namespace_flag(apply.group(1), variables) or TEST_NAMESPACE
            applied.append((_expand(apply.group(2), variables), namespace))
            continue
        if mutation := _MUTATING.search(line):
            if re.search(r"kubectl\s+get\s+secrets?\b", line):
                secrets += 1
            else:
                unmodelled.append(f"a script runs `kubectl {mutation.group(1)}` on live values")
        in_heredoc = "<<" in line and "EOF" in line
    return ScriptEffects(tuple(status), tuple(applied), tuple(unmodelled), secrets)


def _run_script(state: _State, content: str, directory: Path) -> None:
    """Apply a script's modelled effects to the state; remember the unmodelled ones."""
    effects = script_effects(content)
    for file, status_only, namespace in effects.status_files:
        for doc in _load_yaml_documents(directory / file):
            if not status_only:
                state.apply(doc, file, namespace)
            state.set_status(doc, f"{file} (status)", namespace)
    for file, namespace in effects.applied_files:
        for doc in _load_yaml_documents(directory / file):
            state.apply(doc, f"{file} (script)", namespace)
    state.unmodelled.extend(effects.unmodelled)


def replay(test: ChainsawTest) -> dict[tuple[int, int], Snapshot]:
    """The snapshot before every operation, keyed by (step number, operation number), plus
    (step number, 0) for the state after the whole step."""
    state = _State()
    snapshots: dict[tuple[int, int], Snapshot] = {}
    for step in test.steps:
        for op in step.operations:
            snapshots[(step.number, op.number)] = state.snapshot()
            if op.kind in ("apply", "create", "update"):
                for doc in op.documents:
                    state.apply(doc, op.file or "inline resource")
            elif op.kind == "delete":
                for ref in op.documents or ((op.ref,) if op.ref else ()):
                    state.delete(ref, f"step {step.number}")
            elif op.kind == "script" and op.script is not None:
                _run_script(state, op.script, test.directory)
            elif op.kind == "patch":
                state.unmodelled.append("a patch operation")
        snapshots[(step.number, 0)] = state.snapshot()
    return snapshots


# --------------------------------------------------------------------------------------------
# Assertion trees


_EXPRESSION = re.compile(r"^\((?:(\w+);)?(.+)\)$", re.DOTALL)
_FOREACH = re.compile(r"^~(\w+)?\.(.*)", re.DOTALL)
_BINDING = re.compile(r"(.*)\s*->\s*(\w+)$", re.DOTALL)
_VARIABLE = re.compile(r"\$(\w+)")


def _expression(text: str) -> str | None:
    """The JMESPath statement of a ``(expr)`` key or value, else None (a literal)."""
    if _FOREACH.match(text):
        raise UnsupportedAssertionError(f"foreach projection {text!r}")
    match = _EXPRESSION.match(text)
    if match is None:
        return None
    if _BINDING.match(text):
        raise UnsupportedAssertionError(f"binding projection {text!r}")
    if match.group(1) not in (None, "jp"):
        raise UnsupportedAssertionError(f"{match.group(1)} expression {text!r}")
    return match.group(2)


def _compile(statement: str) -> Any:
    def bind(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in BINDINGS:
            raise UnsupportedAssertionError(f"binding ${name}")
        return json.dumps(BINDINGS[name]).replace('"', "'")

    try:
        return jmespath.compile(_VARIABLE.sub(bind, statement))
    except jmespath.exceptions.JMESPathError as exc:
        raise UnsupportedAssertionError(f"JMESPath {statement!r}: {exc}") from exc


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(expected: Any, actual: Any) -> bool:
    """kyverno-json ``Equal``: same type and value; numbers compare numerically; nothing else
    converts (``"1"`` is not ``1``, ``"true"`` is not ``true``)."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if _is_number(expected) and _is_number(actual):
        return float(expected) == float(actual)
    if type(expected) is not type(actual):
        return False
    return bool(expected == actual)


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def match_tree(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Mismatches of ``actual`` against the assertion tree ``expected`` ([] means it matches).

    Raises ``UnsupportedAssertionError`` for Chainsaw forms not implemented here (foreach ``~``,
    ``->`` bindings, CEL expressions, unknown ``$bindings``).
    """
    if isinstance(expected, dict):
        return _match_map(expected, actual, path)
    if isinstance(expected, list):
        if actual is None:
            return [f"{path or '.'}: value is null"]
        if not isinstance(actual, list):
            return [f"{path or '.'}: expected a list, found {_show(actual)}"]
        if len(actual) != len(expected):
            return [
                f"{path or '.'}: lengths of lists don't match "
                f"(asserted {len(expected)}, found {len(actual)}: {_show(actual)})"
            ]
        out: list[str] = []
        for i, (exp, act) in enumerate(zip(expected, actual, strict=True)):
            out.extend(match_tree(exp, act, f"{path}[{i}]"))
        return out
    rhs = expected
    if isinstance(expected, str) and (statement := _expression(expected)) is not None:
        rhs = _compile(statement).search(actual)
    if _equal(rhs, actual):
        return []
    return [f"{path or '.'}: expected {_show(rhs)}, found {_show(actual)}"]


def _match_map(expected: dict[Any, Any], actual: Any, path: str) -> list[str]:
    if not expected:
        return [] if actual is not None else [f"{path or '.'}: must not be null"]
    out: list[str] = []
    for key, sub in expected.items():
        child = f"{path}.{key}" if path else str(key)
        statement = _expression(key) if isinstance(key, str) else None
        if statement is not None:
            projected = _compile(statement).search(actual)
        elif isinstance(actual, dict):
            if key not in actual:
                out.append(f"{child}: field not found")
                continue
            projected = actual[key]
        else:
            out.append(f"{path or '.'}: expected a map, found {_show(actual)}")
            continue
        out.extend(match_tree(sub, projected, child))
    return out


_STATUS_KEY = re.compile(r"^\(\s*status\b")


def split_status(tree: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(tree without status, the status parts): the top-level ``status`` key and top-level
    projections that read ``status`` (``(status.failed >= `1`)``)."""
    kept: dict[str, Any] = {}
    status: dict[str, Any] = {}
    for key, value in tree.items():
        if key == "status" or (isinstance(key, str) and _STATUS_KEY.match(key)):
            status[key] = value
        else:
            kept[key] = value
    return kept, status


def describe_target(tree: Mapping[str, Any]) -> str:
    """``Kind name`` or ``Kind with label k=v, …`` for tables and messages."""
    kind = str(tree.get("kind", "?"))
    meta = tree.get("metadata") or {}
    if meta.get("name"):
        return f"{kind} {meta['name']}"
    labels = meta.get("labels") or {}
    if labels:
        shown = ", ".join(f"{k}={v}" for k, v in labels.items())
        return f"{kind} with labels {shown}"
    return f"any {kind}"
