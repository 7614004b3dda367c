"""The AIM models accept exactly what the real CRD schemas (plus their CEL rules) accept.

For each kind, documents are generated from ``../shared/schemas/crd-aim-0.2.2`` (operator release
0.2.2, the schema aimctl accepts) — a few "maximal" ones with
every field, random valid ones, then single mutations (wrong types, unknown and snake_case
fields, enum/pattern/length/range violations, missing required fields, nulls, CEL breakers). The
oracle is the way ``../shared/tools/validate_manifests.py`` checks a custom resource — drop nulls,
apply CRD defaults, Draft 7 schema, CEL rules (cel-python) — plus two checks the API server makes
that JSON Schema cannot express: ``format: int32/int64`` ranges and unique keys in
``x-kubernetes-list-type: map`` lists. Every document must get the same verdict from both sides,
and a rejected one must be rejected at a matching field path. Seeded, so every run is the same.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import ValidationError

from aimctl.model import (
    AIM_KINDS,
    AIM_V1ALPHA2_KINDS,
    CLUSTER_SCOPED_KINDS,
    CLUSTER_SCOPED_V1ALPHA2_KINDS,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCHEMAS = SHARED / "schemas" / "crd-aim-0.2.2"
SCHEMAS_V1ALPHA2 = SHARED / "schemas" / "crd-aim-528af2c"
# Models under test, by "Kind" (v1alpha1, the 0.2.2 CRDs) or "Kind/v1alpha2" (the 528af2c CRDs).
MODELS: dict[str, Any] = {
    **AIM_KINDS,
    **{f"{kind}/v1alpha2": cls for kind, cls in AIM_V1ALPHA2_KINDS.items()},
}
VALIDATOR = SHARED / "tools" / "validate_manifests.py"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(
        not (SCHEMAS.is_dir() and VALIDATOR.is_file()),
        reason=f"CRD schemas and validator not found under {SHARED}",
    ),
]

Path_ = tuple[str | int, ...]
Json = Any
BASES_PER_KIND = 70
MUTANTS_PER_KIND = 210
INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
PATTERN_SAMPLES: dict[str, list[str]] = {
    _SUBDOMAIN: ["a", "my-name", "a.b-c.d9"],
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": ["a", "ns-1"],
    r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$": ["", "v1", "a.b_c-D"],
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$": ["app", "example.com/app-x", "A_b.c"],
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?"
    r"(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$": ["1", "61", "10Gi", "500m", "1.5", "+2", "1e3", ".5"],
    r"^[a-zA-Z0-9_-]+/[a-zA-Z0-9._-]+$": ["org/model", "meta-llama/Llama-3.1-8B", "a_b/c.d"],
    r"^(hf|s3)://[^ \t\r\n]+$": ["hf://org/model", "s3://bucket/path/x"],
    r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$": ["AllGood", "A:b,c_1"],
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$": ["Ready", "example.com/Thing"],
    r"^$|" + _SUBDOMAIN: ["", "gateway.networking.k8s.io"],
    r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$": ["Gateway", "Service-1"],
    r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$": ["MI300X", "mi325x", "R9700.a_b-c"],
}
PLAIN_STRINGS = ["a", "x-1", "", "hello world", "MI300X", "Ünï", "yes"]
MAP_KEYS = ["k", "cpu", "amd.com/gpu"]
WRONG_TYPES: dict[str, list[Json]] = {
    "string": [7, True, ["x"], {"a": "b"}, 1.5],
    "integer": ["1", 1.5, True, [1]],
    "boolean": ["yes", "true", 1, 0],
    "object": ["x", [1], 3],
    "array": ["x", {"a": 1}, 3],
    "int-or-string": [1.5, True, [1], {"a": 1}],
}


def _load_validator() -> ModuleType:
    name = "validate_manifests"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, VALIDATOR)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# --------------------------------------------------------------------------- schema helpers


def _type(schema: dict[str, Any]) -> str | None:
    if schema.get("x-kubernetes-int-or-string"):
        return "int-or-string"
    kind = schema.get("type")
    if isinstance(kind, list):
        return next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _enum(schema: dict[str, Any]) -> list[Json] | None:
    if "enum" in schema:
        return list(schema["enum"])
    for part in schema.get("allOf", []):
        if "enum" in part:
            return list(part["enum"])
    return None


def _child(schema: dict[str, Any], key: str | int) -> dict[str, Any] | None:
    if isinstance(key, int):
        items = schema.get("items")
        return items if isinstance(items, dict) else None
    props: dict[str, dict[str, Any]] = schema.get("properties") or {}
    if key in props:
        return props[key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _walk(
    schema: dict[str, Any], value: Json, path: Path_ = ()
) -> Iterator[tuple[Path_, dict[str, Any], Json]]:
    yield path, schema, value
    if isinstance(value, dict):
        items: list[tuple[str | int, Json]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return
    for key, sub in items:
        child = _child(schema, key)
        if child is not None:
            yield from _walk(child, sub, (*path, key))


def _get(doc: Json, path: Path_) -> Json:
    for key in path:
        doc = doc[key]
    return doc


def _put(doc: Json, path: Path_, value: Json) -> None:
    _get(doc, path[:-1])[path[-1]] = value


# --------------------------------------------------------------------------- generation


class Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def value(self, schema: dict[str, Any], depth: int, full: bool) -> Json:
        enum = _enum(schema)
        if "const" in schema:
            return schema["const"]
        if enum is not None:
            return self.rng.choice(enum)
        kind = _type(schema)
        if kind is None:
            return self.rng.choice([{"tp": 8, "args": ["--x", 1]}, [1, "a"], "free", 3])
        return getattr(self, f"_{kind.replace('-', '_')}")(schema, depth, full)

    def _object(self, schema: dict[str, Any], depth: int, full: bool) -> Json:
        props: dict[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        if not props and isinstance(extra, dict):
            count = 1 if full else self.rng.randint(0, 2)
            names = schema.get("propertyNames", {}).get("pattern")
            pool = PATTERN_SAMPLES[names] if names else MAP_KEYS
            return {self.rng.choice(pool): self.value(extra, depth + 1, full) for _ in range(count)}
        if not props:
            return self.rng.choice([{}, {"a": 1}])
        required = set(schema.get("required", []))
        chance = 1.0 if full else (0.55 if depth < 3 else 0.3)
        out = {}
        for name, sub in props.items():
            if name in required or self.rng.random() < chance:
                out[name] = self.value(sub, depth + 1, full)
        return out

    def _array(self, schema: dict[str, Any], depth: int, full: bool) -> Json:
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 2), low + 2)
        count = max(low, 1) if full else self.rng.randint(low, high)
        items = [self.value(schema["items"], depth + 1, full) for _ in range(count)]
        keys = schema.get("x-kubernetes-list-map-keys")
        if keys and self.rng.random() < 0.95:  # mostly unique keys; sometimes a duplicate
            for i, item in enumerate(items[1:], start=1):
                item[keys[0]] = f"{item[keys[0]]}{i}"
        return items

    def _string(self, schema: dict[str, Any], depth: int, full: bool) -> Json:
        if schema.get("format") == "date-time":
            return "2024-01-01T00:00:00Z"
        pool = PATTERN_SAMPLES[schema["pattern"]] if "pattern" in schema else PLAIN_STRINGS
        low, high = schema.get("minLength", 0), schema.get("maxLength", 10**6)
        fitting = [s for s in pool if low <= len(s) <= high]
        return self.rng.choice(fitting)

    def _integer(self, schema: dict[str, Any], depth: int, full: bool) -> Json:
        low, high = INT_BOUNDS.get(schema.get("format", ""), (-(2**40), 2**40))
        low, high = max(low, schema.get("minimum", low)), min(high, schema.get("maximum", high))
        return self.rng.choice([low, high, *(v for v in (0, 1, 7, 100) if low <= v <= high)])

    def _boolean(self, schema: dict[str, Any], depth: int, full: bool) -> Json:
        return self.rng.random() < 0.5

    def _int_or_string(self, schema: dict[str, Any], depth: int, full: bool) -> Json:
        if self.rng.random() < 0.3:
            return self.rng.choice([0, 1, 61, 2**33])
        return self.rng.choice(PATTERN_SAMPLES[schema["pattern"]])

    def document(self, kind: str, schema: dict[str, Any], full: bool) -> Json:
        props = schema["properties"]
        meta = self._object(props["metadata"], 1, full)
        meta["name"] = self.rng.choice(PATTERN_SAMPLES[_SUBDOMAIN])
        if kind in CLUSTER_SCOPED_KINDS | CLUSTER_SCOPED_V1ALPHA2_KINDS:
            meta.pop("namespace", None)
        doc = {"apiVersion": props["apiVersion"]["const"], "kind": kind, "metadata": meta}
        if full or self.rng.random() < 0.9:
            doc["spec"] = self.value(props["spec"], 1, full)
        elif self.rng.random() < 0.5:
            doc["spec"] = None
        if full or self.rng.random() < 0.4:
            doc["status"] = self.value(props["status"], 1, full)
        if self.rng.random() < 0.85:
            _satisfy_cel(doc, self.rng)
        return doc


def _satisfy_cel(doc: Json, rng: random.Random) -> None:
    """Nudge a generated document towards the CEL rules, so most bases are valid."""
    for node in _dicts(doc):
        model = node.get("model")
        if isinstance(model, dict) and {"name", "image", "custom"} & model.keys():
            keep = rng.choice(sorted({"name", "image", "custom"} & model.keys()))
            for key in {"name", "image", "custom"} - {keep}:
                model.pop(key, None)
        for key in ("hardware", "resolvedHardware"):
            hardware = node.get(key)
            if isinstance(hardware, dict) and not {"gpu", "cpu"} & hardware.keys():
                hardware["cpu"] = {"requests": "1"}
        gpu = node.get("gpu")
        if isinstance(gpu, dict) and gpu.get("model") and "minVram" in gpu:
            del gpu[rng.choice(["model", "minVram"])]
    spec = doc.get("spec")
    if isinstance(spec, dict) and spec.get("modelSources") and spec.get("customTemplates"):
        for template in spec["customTemplates"]:
            template.setdefault("hardware", {"gpu": {"requests": 1}})
    for node in _dicts(spec):
        if "customProfile" in node:  # 0.2.2: customProfile needs aimId, modelId, hardware, ...
            _complete_custom_profile(node)
    if doc["kind"] == "AIMService" and doc["apiVersion"].endswith("/v1alpha2"):
        # Root rules: a spec with model or profile; profile excludes template; overrides need it.
        spec = doc["spec"] = spec if isinstance(spec, dict) else {}
        if "profile" in spec and "template" in spec:
            spec.pop(rng.choice(["profile", "template"]))
        if "profile" not in spec:
            spec.pop("profileOverrides", None)
            spec.setdefault("model", {"name": "m"})


def _complete_custom_profile(node: dict[str, Any]) -> None:
    node.setdefault("aimId", "org/family")
    node.setdefault("modelId", "org/model")
    node.setdefault("hardware", {"gpu": {"requests": 1}})
    if "modelName" not in node:  # AIMModel.spec.customTemplates[] keep them under profile
        profile = node.setdefault("profile", {})
        profile.setdefault("metric", "latency")
        profile.setdefault("precision", "fp8")
    else:
        node.setdefault("metric", "latency")
        node.setdefault("precision", "fp8")


def _dicts(value: Json) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for sub in value.values():
            yield from _dicts(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from _dicts(sub)


# --------------------------------------------------------------------------- mutations

Mutation = Callable[[Json, dict[str, Any], random.Random], bool]


def _nodes(
    doc: Json, schema: dict[str, Any], keep: Callable[[Path_, dict[str, Any], Json], bool]
) -> list[tuple[Path_, dict[str, Any], Json]]:
    return [n for n in _walk(schema, doc) if n[0] and keep(*n)]


def _pick(
    doc: Json,
    schema: dict[str, Any],
    rng: random.Random,
    keep: Callable[[Path_, dict[str, Any], Json], bool],
) -> tuple[Path_, dict[str, Any], Json] | None:
    nodes = _nodes(doc, schema, keep)
    return rng.choice(nodes) if nodes else None


def _wrong_type(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
    node = _pick(doc, schema, rng, lambda p, s, v: _type(s) in WRONG_TYPES and "const" not in s)
    if node is None:
        return False
    _put(doc, node[0], rng.choice(WRONG_TYPES[_type(node[1]) or ""]))
    return True


def _closed(s: dict[str, Any], v: Json) -> bool:
    return (
        isinstance(v, dict) and bool(s.get("properties")) and s.get("additionalProperties") is False
    )


def _unknown_field(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
    node = _pick(doc, schema, rng, lambda p, s, v: _closed(s, v))
    if node is None:
        return False
    node[2][rng.choice(["bogusField", "Name", "sourceURI"])] = "x"
    return True


def _snake_case_field(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
    def camel(p: Path_, s: dict[str, Any], v: Json) -> bool:
        return isinstance(p[-1], str) and bool(re.search(r"[a-z][A-Z]", p[-1]))

    node = _pick(
        doc,
        schema,
        rng,
        lambda p, s, v: camel(p, s, v) and _closed(_get_schema(schema, p[:-1]), _get(doc, p[:-1])),
    )
    if node is None:
        return False
    path = node[0]
    parent, key = _get(doc, path[:-1]), str(path[-1])
    parent[re.sub(r"(?<=[a-z])([A-Z])", lambda m: "_" + m[1].lower(), key)] = parent.pop(key)
    return True


def _get_schema(schema: dict[str, Any], path: Path_) -> dict[str, Any]:
    for key in path:
        child = _child(schema, key)
        assert child is not None
        schema = child
    return schema


def _set_bad(
    keep: Callable[[dict[str, Any]], bool], bad: Callable[[dict[str, Any], random.Random], Json]
) -> Mutation:
    def mutate(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
        node = _pick(doc, schema, rng, lambda p, s, v: keep(s))
        if node is None:
            return False
        _put(doc, node[0], bad(node[1], rng))
        return True

    return mutate


def _out_of_range(s: dict[str, Any], rng: random.Random) -> Json:
    choices = []
    if "minimum" in s:
        choices.append(s["minimum"] - 1)
    if "maximum" in s:
        choices.append(s["maximum"] + 1)
    if s.get("format") in INT_BOUNDS:
        low, high = INT_BOUNDS[s["format"]]
        choices += [low - 1, high + 1]
    return rng.choice(choices)


def _drop_required(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
    node = _pick(doc, schema, rng, lambda p, s, v: isinstance(v, dict) and bool(s.get("required")))
    if node is None:
        return False
    del node[2][rng.choice(node[1]["required"])]
    return True


def _null_field(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
    def is_property(p: Path_, s: dict[str, Any], v: Json) -> bool:
        return isinstance(p[-1], str) and p[-1] in (
            _get_schema(schema, p[:-1]).get("properties") or {}
        )

    node = _pick(doc, schema, rng, is_property)
    if node is None or node[0] in {("metadata",), ("metadata", "name"), ("kind",), ("apiVersion",)}:
        return False
    _put(doc, node[0], None)
    return True


def _empty(node: dict[str, Any], key: str) -> None:
    node[key] = {}


def _model_and_min_vram(gpu: dict[str, Any]) -> None:
    gpu.update(model="MI300X", minVram="64Gi")


def _two_models(model: dict[str, Any]) -> None:
    model.update(name="a", image="b")


def _no_model(model: dict[str, Any]) -> None:
    for key in ("name", "image", "custom"):
        model.pop(key, None)


def _sources_without_hardware(spec: dict[str, Any]) -> None:
    spec["modelSources"] = [{"modelId": "a/b", "sourceUri": "hf://a/b"}]
    spec["customTemplates"] = [{"name": "t"}]
    spec.pop("custom", None)


def _break_cel(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
    spec = doc.get("spec")
    targets: list[Callable[[], None]] = []
    for node in (*_dicts(spec), *_dicts(doc.get("status"))):
        for key in ("hardware", "resolvedHardware"):
            if isinstance(node.get(key), dict):
                targets.append(functools.partial(_empty, node, key))
        if isinstance(node.get("gpu"), dict):
            targets.append(functools.partial(_model_and_min_vram, node["gpu"]))
        model = node.get("model")
        if isinstance(model, dict) and {"name", "image", "custom"} & model.keys():
            targets.append(functools.partial(_two_models, model))
            targets.append(functools.partial(_no_model, model))
        if "customProfile" in node:
            targets.append(functools.partial(_custom_profile_without_fields, node, rng))
    if isinstance(spec, dict) and doc["kind"] in {"AIMModel", "AIMClusterModel"}:
        targets.append(functools.partial(_sources_without_hardware, spec))
    if isinstance(spec, dict) and doc["apiVersion"].endswith("/v1alpha2") and "image" not in spec:
        targets.append(functools.partial(_break_service_root_rules, spec, rng))
    if not targets:
        return False
    rng.choice(targets)()
    return True


def _break_service_root_rules(spec: dict[str, Any], rng: random.Random) -> None:
    """v1alpha2 AIMService: overrides without a profile, profile with template, or neither."""
    choice = rng.randrange(3)
    if choice == 0:
        spec.pop("profile", None)
        spec["profileOverrides"] = {"engineArgs": {"x": 1}}
        spec.setdefault("model", {"name": "m"})
    elif choice == 1:
        spec["profile"] = {"name": "p"}
        spec["template"] = {"name": "t"}
    else:
        spec.pop("profile", None)
        spec.pop("model", None)
        spec.pop("profileOverrides", None)


def _custom_profile_without_fields(node: dict[str, Any], rng: random.Random) -> None:
    needed = ["aimId", "modelId", "hardware", "metric", "precision", "profile"]
    node.pop(rng.choice([k for k in needed if k in node] or ["aimId"]), None)


def _drop_optional(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
    def optional(p: Path_, s: dict[str, Any], v: Json) -> bool:
        parent = _get_schema(schema, p[:-1])
        props = parent.get("properties") or {}
        return isinstance(p[-1], str) and p[-1] in props and p[-1] not in parent.get("required", [])

    node = _pick(doc, schema, rng, optional)
    if node is None or (node[0][0] == "metadata" and node[0][-1] == "name"):
        return False
    del _get(doc, node[0][:-1])[node[0][-1]]
    return True


def _add_map_entry(doc: Json, schema: dict[str, Any], rng: random.Random) -> bool:
    node = _pick(
        doc,
        schema,
        rng,
        lambda p, s, v: (
            isinstance(v, dict)
            and not s.get("properties")
            and isinstance(s.get("additionalProperties"), dict)
        ),
    )
    if node is None:
        return False
    names = node[1].get("propertyNames", {}).get("pattern")
    key = rng.choice(PATTERN_SAMPLES[names] if names else [*MAP_KEYS, "", "Bad Key!"])
    node[2][key] = Generator(rng).value(node[1]["additionalProperties"], 3, False)
    return True


def _boundary(s: dict[str, Any], rng: random.Random) -> Json:
    low, high = INT_BOUNDS.get(s.get("format", ""), (-(2**62), 2**62))
    return rng.choice([s.get("minimum", low), s.get("maximum", high)])


MUTATIONS: dict[str, Mutation] = {
    "drop-optional": _drop_optional,
    "map-entry": _add_map_entry,
    "boundary": _set_bad(lambda s: _type(s) == "integer", _boundary),
    "wrong-type": _wrong_type,
    "unknown-field": _unknown_field,
    "snake-case-field": _snake_case_field,
    "enum": _set_bad(lambda s: _enum(s) is not None, lambda s, r: "Bogus"),
    "const": _set_bad(lambda s: "const" in s, lambda s, r: "v1"),
    "pattern": _set_bad(lambda s: "pattern" in s, lambda s, r: "Not Valid!"),
    "max-length": _set_bad(lambda s: "maxLength" in s, lambda s, r: "a" * (s["maxLength"] + 1)),
    "min-length": _set_bad(lambda s: s.get("minLength", 0) > 0, lambda s, r: ""),
    "min-items": _set_bad(lambda s: s.get("minItems", 0) > 0, lambda s, r: []),
    "max-items": _set_bad(
        lambda s: "maxItems" in s,
        lambda s, r: [Generator(r).value(s["items"], 3, False) for _ in range(s["maxItems"] + 1)],
    ),
    "out-of-range": _set_bad(
        lambda s: _type(s) == "integer" and bool({"minimum", "maximum", "format"} & s.keys()),
        _out_of_range,
    ),
    "missing-required": _drop_required,
    "null": _null_field,
    "cel": _break_cel,
}


# --------------------------------------------------------------------------- the two judges


class Oracle:
    def __init__(self) -> None:
        self.vm = _load_validator()
        self.cel = self.vm.Cel("on")
        self.cel_results: dict[tuple[str, str], bool] = {}
        self.schemas: dict[str, tuple[dict[str, Any], Any]] = {}
        for key in MODELS:
            kind, _, version = key.partition("/")
            folder = SCHEMAS_V1ALPHA2 if version else SCHEMAS
            name = f"{kind.lower()}-aim.eai.amd.com-{version or 'v1alpha1'}.json"
            schema = json.loads((folder / name).read_text(encoding="utf-8"))
            self.schemas[key] = (schema, self.vm.jsonschema.Draft7Validator(schema))

    def errors(self, kind: str, doc: Json) -> list[Path_]:
        schema, validator = self.schemas[kind]
        obj = self.vm.prune_nulls(doc)  # a fresh copy of every dict and list
        self.vm.apply_defaults(schema, obj)
        found = [tuple(e.absolute_path) for e in validator.iter_errors(obj)]
        for path, sub, value in _walk(schema, obj):
            if not self._cel_ok(sub, value) or not _server_ok(sub, value):
                found.append(path)
        return found

    def _cel_ok(self, schema: dict[str, Any], value: Json) -> bool:
        """What ``validate_manifests.Cel.check`` decides, memoised per (rule, value)."""
        ok = True
        for rule in schema.get("x-kubernetes-validations") or []:
            expr = rule["rule"]
            if "oldSelf" in expr or value is None:
                continue  # transition rules need the previous object
            key = (expr, json.dumps(value, sort_keys=True))
            if key not in self.cel_results:
                self.cel_results[key] = self._cel_passes(expr, value)
            ok = ok and self.cel_results[key]
        return ok

    def _cel_passes(self, expr: str, value: Json) -> bool:
        program = self.cel._program(expr)
        assert program is not None, expr
        try:
            result = program.evaluate({"self": self.cel.celpy.json_to_cel(value)})
        except Exception:  # an evaluation error means "cannot check", as in validate_manifests
            return True
        return isinstance(result, Exception) or bool(result)


def _server_ok(schema: dict[str, Any], value: Json) -> bool:
    """``format: int32/int64`` range and list-map key uniqueness (the validator skips both)."""
    bounds = INT_BOUNDS.get(schema.get("format", ""))
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if bounds and is_int and not bounds[0] <= value <= bounds[1]:
        return False
    keys = schema.get("x-kubernetes-list-map-keys")
    if keys and isinstance(value, list) and all(isinstance(v, dict) for v in value):
        seen = [tuple(json.dumps(v.get(k)) for k in keys) for v in value]
        return len(seen) == len(set(seen))
    return True


def _model_errors(kind: str, doc: Json) -> list[Path_]:
    try:
        MODELS[kind].model_validate(doc)
    except ValidationError as exc:
        return [tuple(e["loc"]) for e in exc.errors()]
    return []


def _paths_meet(oracle: list[Path_], model: list[Path_]) -> bool:
    return any(m[: len(o)] == o or o[: len(m)] == m for o in oracle for m in model)


# --------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    pytest.importorskip("celpy", reason="cel-python evaluates the CRDs' CEL rules")
    return Oracle()


def _documents(kind: str, schema: dict[str, Any], rng: random.Random) -> Iterator[tuple[str, Json]]:
    gen = Generator(rng)
    real_kind = kind.partition("/")[0]
    bases = [gen.document(real_kind, schema, full=i < 6) for i in range(BASES_PER_KIND)]
    for i, base in enumerate(bases):
        yield f"base-{i}", base
    names = sorted(MUTATIONS)
    made = attempts = 0
    while made < MUTANTS_PER_KIND and attempts < 5 * MUTANTS_PER_KIND:
        name = names[attempts % len(names)]
        attempts += 1
        doc = copy.deepcopy(rng.choice(bases))
        if MUTATIONS[name](doc, schema, rng):  # False: this base has no node to mutate
            made += 1
            yield name, doc


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_models_agree_with_crd_schema_and_cel(kind: str, oracle: Oracle) -> None:
    schema = oracle.schemas[kind][0]
    rng = random.Random(f"aimctl-crosscheck-{kind}")
    verdicts = {"accepted": 0, "rejected": 0}
    for label, doc in _documents(kind, schema, rng):
        expected = oracle.errors(kind, doc)
        got = _model_errors(kind, doc)
        detail = f"{label}: oracle {expected} model {got}\n{json.dumps(doc, indent=1)[:3000]}"
        assert bool(expected) == bool(got), detail
        if expected:
            assert _paths_meet(expected, got), detail
        verdicts["rejected" if expected else "accepted"] += 1
    total = verdicts["accepted"] + verdicts["rejected"]
    assert total == BASES_PER_KIND + MUTANTS_PER_KIND
    assert verdicts["accepted"] >= 0.25 * total and verdicts["rejected"] >= 0.25 * total, verdicts


def test_every_schema_pattern_has_samples(oracle: Oracle) -> None:
    patterns = {
        s["pattern"]
        for schema, _ in oracle.schemas.values()
        for _, s, _ in _walk_schema(schema)
        if "pattern" in s
    }
    assert patterns <= PATTERN_SAMPLES.keys()
    for pattern, samples in PATTERN_SAMPLES.items():
        assert all(re.search(pattern, s) for s in samples), pattern


def _walk_schema(
    schema: dict[str, Any], path: Path_ = ()
) -> Iterator[tuple[Path_, dict[str, Any], None]]:
    yield path, schema, None
    for name, sub in (schema.get("properties") or {}).items():
        yield from _walk_schema(sub, (*path, name))
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from _walk_schema(schema[key], (*path, key))


def test_model_fields_and_defaults_mirror_the_crd(oracle: Oracle) -> None:
    """Walk each CRD schema beside the model's JSON schema: same property names and required
    fields everywhere, the CRD's defaults under spec, and no default at all under status."""
    for kind, (crd, _) in oracle.schemas.items():
        mine = MODELS[kind].model_json_schema(by_alias=True, mode="validation")
        _compare_properties(kind, crd, mine, mine.get("$defs", {}), ())


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            if len(options) != 1:
                return schema
            schema = options[0]
        else:
            return schema


def _compare_properties(
    kind: str, crd: dict[str, Any], mine: dict[str, Any], defs: dict[str, Any], path: Path_
) -> None:
    mine = _resolve(mine, defs)
    crd_props = crd.get("properties") or {}
    if not crd_props:
        if crd.get("items") and mine.get("items"):
            _compare_properties(kind, crd["items"], mine["items"], defs, (*path, 0))
        extra = crd.get("additionalProperties")
        if isinstance(extra, dict) and isinstance(mine.get("additionalProperties"), dict):
            _compare_properties(kind, extra, mine["additionalProperties"], defs, (*path, "*"))
        return
    my_props = mine.get("properties") or {}
    assert set(crd_props) == set(my_props), (kind, path, set(crd_props) ^ set(my_props))
    if path != ("metadata",):  # the CRD wants name or generateName; aimctl wants a name
        assert set(crd.get("required", [])) == set(mine.get("required", [])), (kind, path)
    for name, sub in crd_props.items():
        where = (*path, name)
        mine_default = my_props[name].get("default")
        if where[0] == "status":  # aimctl never defaults a status
            assert mine_default is None, (kind, where, mine_default)
        else:
            assert mine_default == sub.get("default"), (kind, where, mine_default)
        _compare_properties(kind, sub, my_props[name], defs, where)
