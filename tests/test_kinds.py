"""``--kinds`` / ``--exclude-kinds`` take kind names as kubectl does (any case, resource plurals,
short names) for the kinds aimctl emits and the pass-through kinds of the inputs; anything else
is a usage error with a suggestion. The plurals and short names match the CRDs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from aimctl.kinds import SHORT_NAMES, emittable_kinds, plural, resolve_kinds
from tests.conftest import ROOT, SHARED, needs_shared

QUICKSTART = ROOT / "examples" / "quickstart"


def _kinds(stdout: str) -> set[str]:
    return {d["kind"] for d in yaml.safe_load_all(stdout) if d}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("InferenceService,PersistentVolumeClaim", {"InferenceService", "PersistentVolumeClaim"}),
        ("inferenceservice,PERSISTENTVOLUMECLAIM", {"InferenceService", "PersistentVolumeClaim"}),
        ("inferenceservices,persistentvolumeclaims", {"InferenceService", "PersistentVolumeClaim"}),
        ("isvc,pvc", {"InferenceService", "PersistentVolumeClaim"}),
        ("jobs, HTTPRoutes", {"Job", "HTTPRoute"}),
    ],
)
def test_names_plurals_and_short_names_select_the_same_kinds(
    names: str, expected: set[str], run_cli: Any
) -> None:
    result = run_cli("render", str(QUICKSTART), "--kinds", names)
    assert result.exit_code == 0, result.stderr
    assert _kinds(result.stdout) == expected & _kinds(run_cli("render", str(QUICKSTART)).stdout)


def test_exclude_kinds_takes_the_same_names(run_cli: Any) -> None:
    full = _kinds(run_cli("render", str(QUICKSTART)).stdout)
    result = run_cli("render", str(QUICKSTART), "--exclude-kinds", "pvc,JOBS")
    assert result.exit_code == 0, result.stderr
    assert _kinds(result.stdout) == full - {"PersistentVolumeClaim", "Job"}


@pytest.mark.parametrize(
    ("option", "names", "hint"),
    [
        ("--kinds", "InferenceServise", "did you mean InferenceService?"),
        ("--kinds", "pvcs", "did you mean PersistentVolumeClaim?"),
        ("--exclude-kinds", "jbo", "did you mean Job?"),
        ("--exclude-kinds", "Job,isvcs", "did you mean InferenceService?"),
    ],
)
def test_an_unknown_name_is_a_usage_error_with_a_suggestion(
    option: str, names: str, hint: str, run_cli: Any
) -> None:
    result = run_cli("render", str(QUICKSTART), option, names)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert option in result.stderr and "unknown kind" in result.stderr
    assert hint in result.stderr


def test_a_pass_through_kind_of_the_inputs_is_named_like_the_others(
    tmp_path: Path, run_cli: Any
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    (tree / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: extra, namespace: ml-team}\n"
        "spec: {ports: [{port: 80}]}\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: ml-team}\n",
        encoding="utf-8",
    )
    for names in ("svc,widgets", "Service,widget", "services,WIDGET"):
        result = run_cli("render", str(tree), "--kinds", names)
        assert result.exit_code == 0, result.stderr
        assert _kinds(result.stdout) == {"Service", "Widget"}
    # a short name counts only for a kind that is there
    assert run_cli("render", str(QUICKSTART), "--kinds", "svc").exit_code == 2


def test_plural_follows_the_api_servers_rule() -> None:
    assert [plural(k) for k in ("Ingress", "NetworkPolicy", "Gateway", "Job", "HTTPRoute")] == [
        "ingresses",
        "networkpolicies",
        "gateways",
        "jobs",
        "httproutes",
    ]


def test_resolve_kinds_reports_every_unknown_name() -> None:
    kinds, problem = resolve_kinds({"Job", "foo", "bar"}, set())
    assert kinds == {"Job"}
    assert "unknown kinds 'bar', 'foo'" in problem


def _crd_names() -> dict[str, dict[str, Any]]:
    names: dict[str, dict[str, Any]] = {}
    files = [SHARED / "upstream" / "aim-engine-0.2.2" / "crds.yaml"]
    files += sorted((SHARED / "upstream" / "crds").rglob("*.yaml"))
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                spec_names = doc["spec"]["names"]
                names[spec_names["kind"]] = spec_names
    return names


@needs_shared
def test_plurals_and_short_names_of_the_emitted_custom_kinds_are_the_crds() -> None:
    crds = _crd_names()
    custom = sorted(k for k in emittable_kinds() if k in crds)
    assert {"InferenceService", "HTTPRoute", "AIMService", "AIMTemplateCache"} <= set(custom)
    for kind in custom:
        assert plural(kind) == crds[kind]["plural"], kind
        assert SHORT_NAMES.get(kind, ()) == tuple(crds[kind].get("shortNames", ())), kind
