"""Output profiles per GitOps engine (``--gitops``, ``gitops:`` in the project file): the fields
and annotations each engine's documentation asks for on download Jobs and cache PVCs, and day 2 —
two renders, before and after an edit, never ask the engine for an immutable-field change or a
PVC shrink on an object that keeps its name.

The engine behaviour modelled here is the documented one: Flux ``kustomize.toolkit.fluxcd.io/ssa:
IfNotPresent`` applies an object only when it is absent and ``kustomize.toolkit.fluxcd.io/force:
Enabled`` recreates it when an immutable field changes (kustomize-controller, "Controlling the
apply behavior of resources"); Argo CD's ``RespectIgnoreDifferences=true`` keeps the live value of
the Application's ``ignoreDifferences`` fields when syncing an existing object (Argo CD, "Sync
Options"); both prune an object whose name left the render.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from aimctl.gitops import (
    ARGOCD_PVC_SYNC_OPTIONS,
    ARGOCD_SYNC_OPTIONS,
    FLUX_FORCE,
    FLUX_SSA,
    GitOps,
    apply_profile,
    profiled_job_name,
)
from aimctl.resolve.quantity import parse_quantity
from tests.conftest import ROOT

QUICKSTART = ROOT / "examples" / "quickstart"
RUNTIME_CONFIG = Path("ml-team") / "runtime-config.yaml"
APPLICATION = ROOT / "examples" / "argocd" / "application.yaml"
PROFILES = ["argocd", "flux"]

Key = tuple[str, str, str]


def _render(run_cli, tree: Path, *args: str) -> dict[Key, dict[str, Any]]:
    result = run_cli("render", str(tree), "-q", *args)
    assert result.exit_code == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    return {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d for d in docs}


def _of(objects: dict[Key, dict[str, Any]], kind: str) -> dict[Key, dict[str, Any]]:
    return {k: v for k, v in objects.items() if k[0] == kind}


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    return dict(obj["metadata"].get("annotations") or {})


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, root)
    return root


def _edit(tree: Path, old: str, new: str) -> None:
    path = tree / RUNTIME_CONFIG
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


ENV_EDIT = ("      value: INFO", "      value: DEBUG")  # VLLM_LOG_LEVEL of the namespace config
HEADROOM_CUT = ("pvcHeadroomPercent: 10", "pvcHeadroomPercent: 0")


# --- the fields and annotations of each profile ------------------------------------------------


def test_plain_is_the_operators_objects(run_cli) -> None:
    default = _render(run_cli, QUICKSTART)
    assert _render(run_cli, QUICKSTART, "--gitops", "plain") == default
    jobs = _of(default, "Job").values()
    assert jobs and all(j["spec"]["ttlSecondsAfterFinished"] == 600 for j in jobs)
    assert all(
        not _annotations(o)
        for o in default.values()
        if o["kind"] in ("Job", "PersistentVolumeClaim")
    )


def test_flux_profile_fields(run_cli) -> None:
    plain = _render(run_cli, QUICKSTART)
    flux = _render(run_cli, QUICKSTART, "--gitops", "flux")
    assert flux.keys() == plain.keys()  # names unchanged
    for key, job in _of(flux, "Job").items():
        assert "ttlSecondsAfterFinished" not in job["spec"]
        assert _annotations(job) == {FLUX_FORCE: "Enabled"}
        expected = dict(plain[key]["spec"])
        del expected["ttlSecondsAfterFinished"]
        assert job["spec"] == expected
    for key, pvc in _of(flux, "PersistentVolumeClaim").items():
        assert _annotations(pvc) == {FLUX_SSA: "IfNotPresent"}
        assert pvc["spec"] == plain[key]["spec"]
    others = {k: v for k, v in flux.items() if k[0] not in ("Job", "PersistentVolumeClaim")}
    assert others == {k: v for k, v in plain.items() if k in others}


def test_argocd_profile_fields(run_cli) -> None:
    plain = _render(run_cli, QUICKSTART)
    argocd = _render(run_cli, QUICKSTART, "--gitops", "argocd")
    plain_jobs = _of(plain, "Job")
    argocd_jobs = _of(argocd, "Job")
    assert len(argocd_jobs) == len(plain_jobs) > 0
    renamed = {}
    for (_, namespace, name), job in plain_jobs.items():
        spec = {k: v for k, v in job["spec"].items() if k != "ttlSecondsAfterFinished"}
        renamed[("Job", namespace, profiled_job_name(name, spec))] = spec
    assert argocd_jobs.keys() == renamed.keys()
    for key, job in argocd_jobs.items():
        assert job["spec"] == renamed[key]
        assert "ttlSecondsAfterFinished" not in job["spec"]
        assert not _annotations(job)
        assert len(key[2]) <= 63
    for key, pvc in _of(argocd, "PersistentVolumeClaim").items():
        assert _annotations(pvc) == {ARGOCD_SYNC_OPTIONS: ARGOCD_PVC_SYNC_OPTIONS}
        assert pvc["spec"] == plain[key]["spec"]
    # the volumes the renamed Jobs mount are the PVCs of the render
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for j in argocd_jobs.values()
        for v in j["spec"]["template"]["spec"]["volumes"]
    }
    assert claims == {k[2] for k in _of(argocd, "PersistentVolumeClaim")}


def test_profiled_job_name_is_a_dns_label_and_changes_with_the_spec() -> None:
    import re

    long_name = "a" * 54 + "-download-12345678"[:9]
    for name in ("short-download-1", long_name, "x" * 63):
        one = profiled_job_name(name, {"template": {"a": 1}})
        two = profiled_job_name(name, {"template": {"a": 2}})
        for out in (one, two):
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", out) and len(out) <= 63
        assert one != two
        assert one == profiled_job_name(name, {"template": {"a": 1}})


def test_apply_profile_leaves_other_kinds_and_plain_alone() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}
    assert apply_profile(job, GitOps.plain) is job
    for profile in (GitOps.argocd, GitOps.flux):
        assert apply_profile(svc, profile) is svc
        apply_profile(job, profile)
        assert job == {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "j"},
            "spec": {},
        }


def test_only_rendered_children_get_a_profile_not_pass_through_objects(run_cli, tree) -> None:
    (tree / "ml-team" / "my-job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: mine, namespace: ml-team}\n"
        "spec:\n  ttlSecondsAfterFinished: 60\n  template:\n    spec:\n      restartPolicy: Never\n"
        "      containers: [{name: c, image: busybox}]\n"
    )
    for profile in PROFILES:
        mine = _render(run_cli, tree, "--gitops", profile)[("Job", "ml-team", "mine")]
        assert mine["spec"]["ttlSecondsAfterFinished"] == 60 and not _annotations(mine)


# --- the project file ---------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_project_file_sets_the_profile_and_the_option_wins(run_cli, tree, profile: str) -> None:
    config = tree / "aimctl.yaml"
    config.write_text(config.read_text() + f"gitops: {profile}\n")
    assert _render(run_cli, tree) == _render(run_cli, QUICKSTART, "--gitops", profile)
    assert _render(run_cli, tree, "--gitops", "plain") == _render(run_cli, QUICKSTART)


def test_project_file_refuses_an_unknown_profile(run_cli, tree) -> None:
    config = tree / "aimctl.yaml"
    config.write_text(config.read_text() + "gitops: spinnaker\n")
    result = run_cli("render", str(tree))
    assert result.exit_code == 1
    assert "gitops" in result.stderr


@pytest.mark.parametrize("profile", PROFILES)
def test_check_and_diff_use_the_profile(run_cli, tmp_path: Path, profile: str) -> None:
    out = tmp_path / "out"
    assert run_cli("render", str(QUICKSTART), "-o", str(out), "--gitops", profile).exit_code == 0
    check = run_cli("render", str(QUICKSTART), "-o", str(out), "--check", "--gitops", profile)
    assert check.exit_code == 0, check.stderr
    assert run_cli("diff", str(QUICKSTART), "-o", str(out), "--gitops", profile).exit_code == 0
    assert run_cli("diff", str(QUICKSTART), "-o", str(out)).exit_code == 3


# --- day 2: two renders -------------------------------------------------------------------------


def _application_ignored_pointers(kind: str) -> set[str]:
    app = yaml.safe_load(APPLICATION.read_text())
    assert "RespectIgnoreDifferences=true" in app["spec"]["syncPolicy"]["syncOptions"]
    return {
        pointer
        for entry in app["spec"].get("ignoreDifferences", [])
        if entry["kind"] == kind
        for pointer in entry.get("jsonPointers", [])
    }


def _without(obj: dict[str, Any], pointer: str) -> dict[str, Any]:
    """``obj`` without the field at the JSON pointer (a deep copy)."""
    import copy

    out = copy.deepcopy(obj)
    *parents, last = pointer.strip("/").split("/")
    node = out
    for part in parents:
        node = node.get(part) or {}
    node.pop(last, None)
    return out


def _applied(obj: dict[str, Any], profile: str) -> dict[str, Any] | None:
    """What the engine applies to an object that already exists (None: nothing): Flux skips
    ``ssa: IfNotPresent`` objects; Argo CD keeps the live value of ignored fields of an object
    marked ``RespectIgnoreDifferences=true``."""
    annotations = _annotations(obj)
    if profile == "flux" and annotations.get(FLUX_SSA) == "IfNotPresent":
        return None
    if profile == "argocd" and "RespectIgnoreDifferences=true" in annotations.get(
        ARGOCD_SYNC_OPTIONS, ""
    ):
        for pointer in _application_ignored_pointers(obj["kind"]):
            obj = _without(obj, pointer)
    return obj


def _storage(pvc: dict[str, Any]) -> Any:
    return parse_quantity(str(pvc["spec"]["resources"]["requests"]["storage"]))


def _job_template_changes(before, after) -> list[Key]:
    jobs = _of(before, "Job")
    return [k for k in jobs.keys() & after.keys() if jobs[k]["spec"] != after[k]["spec"]]


def test_without_a_profile_the_edits_break_day_2(run_cli, tree) -> None:
    """The premise: under ``plain`` an env edit changes a same-named Job's pod template and a
    lower headroom shrinks a same-named PVC."""
    before = _render(run_cli, tree)
    _edit(tree, *ENV_EDIT)
    assert _job_template_changes(before, _render(run_cli, tree))
    _edit(tree, *HEADROOM_CUT)
    after = _render(run_cli, tree)
    shrunk = [
        k
        for k, pvc in _of(before, "PersistentVolumeClaim").items()
        if k in after and _storage(after[k]) < _storage(pvc)
    ]
    assert shrunk


@pytest.mark.parametrize("profile", PROFILES)
def test_env_edit_replaces_the_job_instead_of_patching_an_immutable_template(
    run_cli, tree, profile: str
) -> None:
    before = _render(run_cli, tree, "--gitops", profile)
    _edit(tree, *ENV_EDIT)
    after = _render(run_cli, tree, "--gitops", profile)
    changed = _job_template_changes(before, after)
    if profile == "argocd":
        # a changed template is a new name: Argo CD creates it and prunes the old one
        assert not changed
        new = _of(after, "Job").keys() - before.keys()
        gone = _of(before, "Job").keys() - after.keys()
        assert new and len(new) == len(gone)
        envs = [
            {
                e["name"]: e.get("value")
                for e in after[k]["spec"]["template"]["spec"]["containers"][0]["env"]
            }
            for k in new
        ]
        assert all(env.get("VLLM_LOG_LEVEL") == "DEBUG" for env in envs)
    else:
        # same name, new template: Flux recreates it (force) instead of failing the apply
        assert changed
        assert all(_annotations(after[k]).get(FLUX_FORCE) == "Enabled" for k in changed)
    # never a TTL that would let the engine re-create a finished Job, and so download again
    assert all("ttlSecondsAfterFinished" not in j["spec"] for j in _of(after, "Job").values())


@pytest.mark.parametrize("profile", PROFILES)
def test_lower_headroom_never_shrinks_or_replaces_a_pvc(run_cli, tree, profile: str) -> None:
    before = _render(run_cli, tree, "--gitops", profile)
    _edit(tree, *HEADROOM_CUT)
    after = _render(run_cli, tree, "--gitops", profile)
    pvcs = _of(before, "PersistentVolumeClaim")
    assert pvcs.keys() == _of(after, "PersistentVolumeClaim").keys()  # same names: no new volume
    desired_shrinks = [k for k in pvcs if _storage(after[k]) < _storage(pvcs[k])]
    assert desired_shrinks  # the render asks for less ...
    for key in pvcs:
        old, new = _applied(pvcs[key], profile), _applied(after[key], profile)
        if new is None:  # ... but the engine does not apply it to the existing PVC
            continue
        assert old is not None
        assert old["spec"] == new["spec"], key


def test_the_argocd_application_ignores_exactly_what_a_same_named_pvc_can_change(run_cli, tree):
    """Between two renders a same-named PVC can differ only in its size: its name hashes the
    storage class, and access modes are fixed. The example Application ignores that one field."""
    before = _render(run_cli, tree, "--gitops", "argocd")
    _edit(tree, *HEADROOM_CUT)
    resized = _render(run_cli, tree, "--gitops", "argocd")
    _edit(tree, "defaultStorageClassName: rwx-fast", "defaultStorageClassName: rwx-slow")
    reclassed = _render(run_cli, tree, "--gitops", "argocd")
    assert _application_ignored_pointers("PersistentVolumeClaim") == {
        "/spec/resources/requests/storage"
    }
    pvcs = _of(before, "PersistentVolumeClaim")
    assert pvcs and all(k in resized for k in pvcs)
    for key, pvc in pvcs.items():
        assert pvc != resized[key]
        assert _applied(pvc, "argocd") == _applied(resized[key], "argocd")
    # a new storage class is a new PVC (and a new download), never a patch
    assert not pvcs.keys() & _of(reclassed, "PersistentVolumeClaim").keys()
