"""The AIM models accept every upstream AIM input and reject the documented-but-wrong examples.

Inputs come from ``../shared/upstream/aim-engine`` (samples, e2e inputs, doc examples); the
index's ``failures`` say where the six invalid doc examples break the CRDs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from aimctl.model import AIM_API_VERSION, AIM_KINDS

SHARED = Path(__file__).resolve().parents[2] / "shared"
UPSTREAM = SHARED / "upstream" / "aim-engine"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not UPSTREAM.is_dir(), reason=f"upstream data not found at {UPSTREAM}"),
]


def _aim_documents(path: Path) -> list[dict[str, Any]]:
    # Unquoted timestamps become datetimes here; the models keep them as RFC 3339 strings.
    docs = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    return [
        d
        for d in docs
        if isinstance(d, dict) and str(d.get("apiVersion", "")).startswith("aim.eai.amd.com/")
    ]


def _rel(path: Path) -> str:
    return str(path.relative_to(UPSTREAM))


def _input_files() -> list[Path]:
    if not UPSTREAM.is_dir():
        return []
    samples = [p for p in (UPSTREAM / "samples").glob("*.yaml") if p.name != "kustomization.yaml"]
    e2e = [p for p in (UPSTREAM / "e2e").rglob("*.yaml") if p.name != "chainsaw-test.yaml"]
    return sorted(samples) + sorted(e2e)


def _doc_examples(valid: bool) -> list[dict[str, Any]]:
    index = UPSTREAM / "doc-examples-index.json"
    if not index.is_file():
        return []
    examples: list[dict[str, Any]] = json.loads(index.read_text(encoding="utf-8"))["examples"]
    return [e for e in examples if e["valid"] is valid]


def _validate(doc: dict[str, Any]) -> None:
    assert doc["apiVersion"] == AIM_API_VERSION
    AIM_KINDS[doc["kind"]].model_validate(doc)


@pytest.mark.parametrize("path", _input_files(), ids=_rel)
def test_upstream_sample_and_e2e_inputs_validate(path: Path) -> None:
    for doc in _aim_documents(path):
        _validate(doc)


def test_upstream_inputs_cover_every_kind() -> None:
    kinds = {doc["kind"] for path in _input_files() for doc in _aim_documents(path)}
    assert kinds == set(AIM_KINDS)


@pytest.mark.parametrize("example", _doc_examples(valid=True), ids=lambda e: e["file"])
def test_valid_doc_examples_validate(example: dict[str, Any]) -> None:
    docs = _aim_documents(UPSTREAM / "doc-examples" / example["file"])
    assert docs, "an indexed doc example holds at least one AIM document"
    for doc in docs:
        _validate(doc)


_FAILURE = re.compile(r"^(?P<kind>\w+) (?P<ident>\S+): (?P<path>\S+): (?P<message>.*)$")
_REQUIRED = re.compile(r"^'(?P<field>\w+)' is a required property$")


def _path_tuple(text: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        parts.append(int(index) if index else name)
    return tuple(parts)


def _expected_paths(
    failures: list[str],
) -> tuple[set[tuple[str | int, ...]], set[tuple[str | int, ...]]]:
    """(paths a schema check must report, paths only a CEL rule reports)."""
    schema_paths: set[tuple[str | int, ...]] = set()
    cel_paths: set[tuple[str | int, ...]] = set()
    for failure in failures:
        match = _FAILURE.match(failure)
        assert match, failure
        path = _path_tuple(match["path"])
        required = _REQUIRED.match(match["message"])
        if required:
            schema_paths.add((*path, required["field"]))
        elif "(x-kubernetes-validations:" in match["message"]:
            cel_paths.add(path)
        else:
            schema_paths.add(path)
    return schema_paths, cel_paths


@pytest.mark.parametrize("example", _doc_examples(valid=False), ids=lambda e: e["file"])
def test_invalid_doc_examples_fail_at_the_indexed_paths(example: dict[str, Any]) -> None:
    schema_paths, cel_paths = _expected_paths(example["failures"])
    failing_kinds = {f.split(" ", 1)[0] for f in example["failures"]}
    found: set[tuple[str | int, ...]] = set()
    for doc in _aim_documents(UPSTREAM / "doc-examples" / example["file"]):
        if doc["kind"] not in failing_kinds:
            _validate(doc)
            continue
        with pytest.raises(ValidationError) as info:
            _validate(doc)
        found |= {tuple(err["loc"]) for err in info.value.errors()}
    # Every schema-level failure is reported; a CEL rule may stay silent when fields already
    # failed (pydantic runs a model's rules only once its fields are valid).
    assert schema_paths <= found
    assert found <= schema_paths | cel_paths


def test_six_doc_examples_are_marked_invalid() -> None:
    assert len(_doc_examples(valid=False)) == 6
