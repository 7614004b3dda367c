"""``aimctl plan``: a git revision's (or a directory's) render against the working tree's, with the
consequences a reviewer needs, in text, Markdown and JSON; hostile repositories and bases."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from aimctl.plan import compare
from tests.conftest import ROOT

PLATFORM = ROOT / "examples" / "platform"
HAS_GIT = shutil.which("git") is not None
pytestmark = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def _git(repo: Path, *args: str) -> str:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, **_GIT_ENV}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of examples/platform under ``platform/``, committed."""
    root = tmp_path / "repo"
    shutil.copytree(PLATFORM, root / "platform")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


SEARCH_SERVICES = Path("platform/teams/search/services.yaml")
SERVICE_ENV_EDIT = (
    "  replicas: 2\n  env:\n",
    '  replicas: 2\n  env:\n    - {name: X, value: "1"}\n',
)


def _plan_json(run_cli, repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("plan", "platform", "--base", "main", "-o", "json", *args, cwd=repo)
    assert result.exit_code in (0, 3), result.stderr
    return result.exit_code, json.loads(result.stdout)


def _consequences(report: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [
        dict(c, namespace=ns["namespace"], service=svc["service"])
        for ns in report["namespaces"]
        for svc in ns["services"]
        for c in svc["consequences"]
        if c["type"] == type_
    ]


def _pvc_size(repo: Path, name: str) -> str:
    """The size the working tree's render gives the PVC (from ``aimctl render``, not the plan)."""
    out = subprocess.run(
        [shutil.which("aimctl") or "aimctl", "render", "platform"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for doc in yaml.safe_load_all(out):
        if doc and doc["kind"] == "PersistentVolumeClaim" and doc["metadata"]["name"] == name:
            return str(doc["spec"]["resources"]["requests"]["storage"])
    raise AssertionError(name)


def test_unchanged_tree_plans_nothing_and_exits_0(run_cli, repo: Path) -> None:
    for fmt in ("text", "markdown", "json"):
        result = run_cli("plan", "platform", "--base", "main", "-o", fmt, cwd=repo)
        assert result.exit_code == 0, result.stderr
        assert "No changes" in result.stdout or '"changed": false' in result.stdout


def test_service_env_edit_reports_cache_replacement_size_and_restart_in_all_formats(
    run_cli, repo: Path
) -> None:
    _edit(repo / SEARCH_SERVICES, *SERVICE_ENV_EDIT)
    code, report = _plan_json(run_cli, repo)
    assert code == 3
    (replaced,) = _consequences(report, "cache-replaced")
    assert (replaced["namespace"], replaced["service"]) == ("search", "chat")
    size = _pvc_size(repo, replaced["new"])
    assert replaced["size"] == size
    assert report["summary"]["downloadBytes"] == replaced["bytes"] > 0
    (restart,) = _consequences(report, "service-restarted")
    assert (restart["namespace"], restart["service"]) == ("search", "chat")
    assert any(f.startswith("spec.predictor.containers[0].env") for f in restart["fields"])
    text = run_cli("plan", "platform", "--base", "main", cwd=repo)
    markdown = run_cli("plan", "platform", "--base", "main", "-o", "markdown", cwd=repo)
    for result in (text, markdown):
        assert result.exit_code == 3
        assert f"downloaded again ({size})" in result.stdout
        assert "restarts (new pods roll out)" in result.stdout
        assert replaced["new"] in result.stdout.replace("\\", "")
    assert markdown.stdout.startswith("### aimctl plan against `main (")
    assert "| added | PersistentVolumeClaim |" in markdown.stdout


def test_runtime_config_env_edit_restarts_services_and_keeps_the_caches(
    run_cli, repo: Path
) -> None:
    """Runtime-config env reaches the InferenceService and the download Job, not the artifact
    name (operator-behaviour.md §3.4.3): same PVC, new pods, and a Job whose immutable pod
    template changes under the operator's own (plain) objects."""
    _edit(repo / "platform/teams/search/runtime-config.yaml", "value: INFO", "value: DEBUG")
    code, report = _plan_json(run_cli, repo)
    assert code == 3
    assert _consequences(report, "cache-replaced") == []
    restarted = {(c["namespace"], c["service"]) for c in _consequences(report, "service-restarted")}
    assert restarted == {("search", "chat"), ("search", "assistant")}
    refused = _consequences(report, "immutable-change")
    assert refused and all(c["field"] == "spec.template" for c in refused)
    assert report["summary"]["refusedByApiServer"] == len(refused)


@pytest.mark.parametrize("profile", ["argocd", "flux"])
def test_gitops_profiles_turn_the_job_change_into_a_rerun(
    run_cli, repo: Path, profile: str
) -> None:
    _edit(repo / "platform/teams/search/runtime-config.yaml", "value: INFO", "value: DEBUG")
    code, report = _plan_json(run_cli, repo, "--gitops", profile)
    assert code == 3
    assert _consequences(report, "immutable-change") == []
    runs = _consequences(report, "job-run")
    assert {c["service"] for c in runs} == {"chat", "assistant"}


def test_lower_headroom_is_a_pvc_shrink(run_cli, repo: Path) -> None:
    _edit(
        repo / "platform/teams/research/runtime-config.yaml",
        "pvcHeadroomPercent: 15",
        "pvcHeadroomPercent: 5",
    )
    code, report = _plan_json(run_cli, repo)
    assert code == 3
    shrinks = _consequences(report, "pvc-shrink")
    assert shrinks and all(c["namespace"] == "research" for c in shrinks)
    assert all(c["severity"] == "danger" for c in shrinks)
    # under Flux the PVC is created once: the change is reported as not applied, not refused
    _, flux = _plan_json(run_cli, repo, "--gitops", "flux")
    assert _consequences(flux, "pvc-shrink") == []
    assert _consequences(flux, "pvc-not-updated")


def test_path_template_edit_changes_every_route_path(run_cli, repo: Path) -> None:
    _edit(
        repo / "platform/platform/cluster-runtime-config.yaml",
        'pathTemplate: "/{.metadata.namespace}/{.metadata.name}"',
        'pathTemplate: "/v2/{.metadata.namespace}/{.metadata.name}"',
    )
    code, report = _plan_json(run_cli, repo)
    assert code == 3
    routes = _consequences(report, "route-changed")
    assert routes
    for change in routes:
        assert change["pathsAfter"] == ["/v2" + p for p in change["pathsBefore"]]


def test_ingress_host_edit_is_a_route_host_change(run_cli, repo: Path) -> None:
    _edit(repo / "platform/aimctl.yaml", "host: search.ai.example.com", "host: s.ai.example.com")
    _, report = _plan_json(run_cli, repo)
    (change,) = [c for c in _consequences(report, "route-changed") if c["hostsBefore"]]
    assert (change["hostsBefore"], change["hostsAfter"]) == (
        ["search.ai.example.com"],
        ["s.ai.example.com"],
    )


def test_more_replicas_count_gpus_against_the_quota(run_cli, repo: Path) -> None:
    _, before = _plan_json(run_cli, repo)  # nothing changed yet: no GPU facts
    assert before["namespaces"] == []
    _edit(repo / SEARCH_SERVICES, "replicas: 2", "replicas: 3")
    _, report = _plan_json(run_cli, repo)
    (gpus,) = _consequences(report, "gpus")
    assert gpus["after"] == gpus["before"] + 1 and gpus["quota"] == 8
    (namespace,) = report["namespaces"]
    assert namespace["gpus"]["models"]
    _edit(repo / SEARCH_SERVICES, "replicas: 3", "replicas: 9")
    _, report = _plan_json(run_cli, repo)
    (exceeded,) = _consequences(report, "gpu-quota-exceeded")
    assert exceeded["after"] > exceeded["quota"] == 8 and exceeded["severity"] == "danger"


def test_removing_a_service_removes_its_pods_route_and_cache(run_cli, repo: Path) -> None:
    path = repo / SEARCH_SERVICES
    path.write_text(path.read_text().split("\n---\n")[0] + "\n")  # keep chat, drop assistant
    _, report = _plan_json(run_cli, repo)
    removed = {
        (kind, c["service"])
        for kind in ("service-removed", "cache-removed", "route-changed")
        for c in _consequences(report, kind)
    }
    assert ("service-removed", "assistant") in removed
    assert ("cache-removed", "assistant") in removed
    assert ("route-changed", "assistant") in removed


def test_base_directory_and_new_paths(run_cli, repo: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(repo / "platform", base / "platform")
    _edit(repo / SEARCH_SERVICES, *SERVICE_ENV_EDIT)
    result = run_cli("plan", "platform", "--base", str(base), "-o", "json", cwd=repo)
    assert result.exit_code == 3, result.stderr
    assert _consequences(json.loads(result.stdout), "cache-replaced")
    # a PATH the base does not have: everything is added
    shutil.rmtree(base / "platform")
    result = run_cli("plan", "platform", "--base", str(base), "-o", "json", cwd=repo)
    report = json.loads(result.stdout)
    assert result.exit_code == 3 and report["summary"]["removed"] == 0
    assert report["summary"]["added"] > 0


def test_plan_from_a_subdirectory_reads_the_same_place_at_the_revision(run_cli, repo: Path) -> None:
    _edit(repo / SEARCH_SERVICES, *SERVICE_ENV_EDIT)
    result = run_cli("plan", ".", "--base", "main", "-o", "json", cwd=repo / "platform")
    assert result.exit_code == 3, result.stderr
    assert _consequences(json.loads(result.stdout), "cache-replaced")


# -- errors and hostile input -------------------------------------------------------------------


def test_missing_revision_is_exit_1_with_a_clear_message(run_cli, repo: Path) -> None:
    result = run_cli("plan", "platform", "--base", "no-such-branch", cwd=repo)
    assert result.exit_code == 1
    assert "--base no-such-branch: no such commit" in result.stderr
    assert "Traceback" not in result.stderr
    as_json = run_cli("plan", "platform", "--base", "no-such-branch", "-o", "json", cwd=repo)
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert [d["code"] for d in report["diagnostics"]] == ["E_PLAN_BASE"]


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "-h"])
def test_revision_that_looks_like_an_option_is_refused(run_cli, repo: Path, ref: str) -> None:
    result = run_cli("plan", "platform", f"--base={ref}", cwd=repo)
    assert result.exit_code == 1
    assert "not a revision name" in result.stderr


def test_path_outside_the_repository_is_refused(run_cli, repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(PLATFORM, outside)
    result = run_cli("plan", str(outside), "--base", "main", cwd=repo)
    assert result.exit_code == 1
    assert "is outside the git repository" in result.stderr


def test_not_a_repository_asks_for_a_directory(run_cli, tmp_path: Path) -> None:
    tree = tmp_path / "plain"
    shutil.copytree(PLATFORM, tree / "platform")
    result = run_cli(
        "plan",
        "platform",
        "--base",
        "main",
        cwd=tree,
        env={"GIT_CEILING_DIRECTORIES": str(tmp_path)},
    )
    assert result.exit_code == 1
    assert "give --base a directory instead" in result.stderr


def test_huge_blob_is_refused_before_it_is_read(
    run_cli, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aimctl.gitread

    big = repo / "platform" / "teams" / "search" / "big.yaml"
    big.write_text("# " + "x" * 5000 + "\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "big")
    monkeypatch.setattr(aimctl.gitread, "MAX_BLOB_BYTES", 4096)
    result = run_cli("plan", "platform", "--base", "main", cwd=repo)
    assert result.exit_code == 1
    assert "big.yaml is 5003 bytes (the limit is 4096); not read" in result.stderr


def test_repository_config_cannot_run_programs(run_cli, repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = f"touch {marker}"
    for key in ("core.fsmonitor", "core.pager", "core.sshCommand", "core.askPass"):
        _git(repo, "config", key, command)
    _git(repo, "config", "filter.evil.smudge", command)
    _git(repo, "config", "diff.evil.textconv", command)
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n")
    hooks = repo / ".git" / "hooks"
    for hook in ("post-checkout", "pre-commit", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\n{command}\n")
        (hooks / hook).chmod(0o755)
    result = run_cli("plan", "platform", "--base", "main", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert not marker.exists()


def test_symlink_in_the_revision_leading_out_is_not_followed(
    run_cli, repo: Path, tmp_path: Path
) -> None:
    """The loader's rule for work trees holds at a revision too: a link leading outside the
    PATHs is never read (a ConfigMap it points at would show up as removed)."""
    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaked}\n")
    link = repo / "platform" / "teams" / "leak.yaml"
    link.symlink_to(outside)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "link")
    link.unlink()
    result = run_cli("plan", "platform", "--base", "main", cwd=repo)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "leaked" not in result.stdout + result.stderr


# -- the comparison on its own ------------------------------------------------------------------


def _rendered(run_cli, tree: Path) -> list[dict[str, Any]]:
    result = run_cli("render", str(tree), "--format", "json")
    assert result.exit_code == 0, result.stderr
    return list(json.loads(result.stdout)["items"])


def test_pvc_storage_class_change_on_a_kept_claim_is_immutable(run_cli) -> None:
    before = _rendered(run_cli, PLATFORM)
    after = json.loads(json.dumps(before))
    pvc = next(o for o in after if o["kind"] == "PersistentVolumeClaim")
    pvc["spec"]["storageClassName"] = "other"
    plan = compare("base", before, after)
    (change,) = [c for c in plan.consequences if c.type == "immutable-change"]
    assert change.facts["field"] == "spec.storageClassName"
    assert plan.changed and plan.count("changed") == 1


def test_cluster_gpus_change_is_reported(run_cli) -> None:
    objects = _rendered(run_cli, PLATFORM)
    plan = compare("base", objects, objects, (("MI300X", "MI325X"), ("MI300X",)))
    assert not plan.changed
    (change,) = plan.consequences
    assert change.type == "cluster-gpus" and "MI300X, MI325X -> MI300X" in change.message


def test_a_file_path_brings_its_project_file_from_the_revision(run_cli, repo: Path) -> None:
    """``aimctl.yaml`` beside a file PATH is the project file on both sides: without it at the
    revision, the base would lose the tenant's scaffolding and it would all look added."""
    worked = ROOT / "tests" / "cases" / "worked-example" / "input"
    solo = repo / "solo"
    solo.mkdir()
    parts = [(worked / n).read_text().strip() for n in ("platform.yaml", "ml-team.yaml")]
    (solo / "all.yaml").write_text("\n---\n".join(parts) + "\n")
    (solo / "aimctl.yaml").write_text(
        "apiVersion: aimctl.amd.com/v1alpha1\nkind: Project\n"
        "tenants:\n  - namespace: ml-team\n    quota: {gpus: 8}\n"
    )
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "solo")
    _edit(solo / "all.yaml", "  env:\n", '  env:\n    - {name: X, value: "1"}\n')
    result = run_cli("plan", "solo/all.yaml", "--base", "main", "-o", "json", cwd=repo)
    assert result.exit_code == 3, result.stderr
    report = json.loads(result.stdout)
    kinds = {o["kind"] for ns in report["namespaces"] for s in ns["services"] for o in s["objects"]}
    assert "ResourceQuota" not in kinds and "Namespace" not in kinds
    assert report["summary"]["added"] == report["summary"]["removed"] == 0


def test_smaller_quota_is_reported_even_when_the_services_stay(run_cli, repo: Path) -> None:
    _edit(repo / "platform/aimctl.yaml", "gpus: 8\n", "gpus: 4\n")
    code, report = _plan_json(run_cli, repo)
    assert code == 3
    (exceeded,) = _consequences(report, "gpu-quota-exceeded")
    assert exceeded["before"] == exceeded["after"] > exceeded["quota"] == 4
    assert "(was 8)" in exceeded["message"]


@pytest.mark.parametrize("name", ["..", ".git"])
def test_revision_with_a_path_that_could_escape_is_refused(
    run_cli, repo: Path, tmp_path: Path, name: str
) -> None:
    """A crafted tree (``git mktree`` accepts it) with a directory named ``..`` or ``.git``."""
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo,
        input="kind: ConfigMap\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    def mktree(listing: str) -> str:
        return subprocess.run(
            ["git", "mktree"], cwd=repo, input=listing, capture_output=True, text=True, check=True
        ).stdout.strip()

    inner = mktree(f"100644 blob {blob}\tescaped.yaml\n")
    outer = mktree(_git(repo, "ls-tree", "HEAD") + f"040000 tree {inner}\t{name}\n")
    commit = _git(repo, "commit-tree", outer, "-p", "HEAD", "-m", "crafted").strip()
    _git(repo, "update-ref", "refs/heads/crafted", commit)
    result = run_cli("plan", ".", "--base", "crafted", cwd=repo)
    assert result.exit_code == 1
    assert "the revision holds a path aimctl will not write" in result.stderr
    assert not (tmp_path / "escaped.yaml").exists()


NEW_SERVICE = """---
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: reasoner
  namespace: search
spec:
  model:
    name: llama-3-3-70b
"""


def test_a_new_service_starts_downloads_its_cache_and_takes_gpus(run_cli, repo: Path) -> None:
    path = repo / SEARCH_SERVICES
    path.write_text(path.read_text() + NEW_SERVICE)
    code, report = _plan_json(run_cli, repo)
    assert code == 3
    (namespace,) = report["namespaces"]
    (service,) = [s for s in namespace["services"] if s["service"] == "reasoner"]
    types = {c["type"] for c in service["consequences"]}
    assert {"service-started", "cache-added", "job-run", "route-changed"} <= types
    assert {o["action"] for o in service["objects"]} == {"added"}
    (cache,) = _consequences(report, "cache-added")
    assert cache["size"] == _pvc_size(repo, cache["new"])
    assert report["summary"]["downloadBytes"] == cache["bytes"]
    routes = {c["service"]: c for c in _consequences(report, "route-changed")}
    assert routes["reasoner"]["pathsBefore"] == []
    assert routes["reasoner"]["pathsAfter"] == ["/search/reasoner"]
    # the tenant Ingress gains a path: nothing is taken from existing clients
    assert routes[None]["severity"] == "warning" and "paths added" in routes[None]["message"]
    (gpus,) = _consequences(report, "gpus")
    assert gpus["after"] > gpus["before"]


def test_more_headroom_grows_a_kept_claim_unless_argocd_ignores_the_size(
    run_cli, repo: Path
) -> None:
    _edit(
        repo / "platform/teams/research/runtime-config.yaml",
        "pvcHeadroomPercent: 15",
        "pvcHeadroomPercent: 25",
    )
    _, report = _plan_json(run_cli, repo)
    grows = _consequences(report, "pvc-grow")
    assert grows and all(c["severity"] == "warning" for c in grows)
    assert _consequences(report, "pvc-shrink") == []
    _, argocd = _plan_json(run_cli, repo, "--gitops", "argocd")
    assert _consequences(argocd, "pvc-grow") == []
    assert argocd["changed"]  # the PVC's object still differs


def test_usage_and_directory_base_errors(run_cli, repo: Path, tmp_path: Path) -> None:
    assert run_cli("plan", "platform", cwd=repo).exit_code == 2  # --base is required
    bad = run_cli("plan", "platform", "--base", "main", "-o", "yaml", cwd=repo)
    assert bad.exit_code == 2
    base = tmp_path / "base"
    base.mkdir()
    outside = tmp_path / "outside"
    shutil.copytree(PLATFORM, outside)
    result = run_cli("plan", str(outside), "--base", str(base), cwd=repo)
    assert result.exit_code == 1
    assert "is outside the current directory" in result.stderr


def test_a_path_new_since_the_revision_is_all_added(run_cli, repo: Path) -> None:
    shutil.copytree(PLATFORM, repo / "second")
    result = run_cli("plan", "second", "--base", "main", "-o", "json", cwd=repo)
    assert result.exit_code == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["removed"] == report["summary"]["changed"] == 0
    assert report["summary"]["added"] > 0
    assert len(_consequences(report, "service-started")) == 6
