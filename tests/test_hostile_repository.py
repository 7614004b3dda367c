"""Hostile repositories and Application parameters (issue 16): every class through the real CLI.

Whoever edits the repository or the Argo CD Application must not run code, read files outside the
checkout, leak secrets, or make the plugin print an empty or non-manifest stdout with exit 0
(Argo CD would prune the app). Each test states the class it covers; docs/security.md has the
threat model. Hostile trees that fit the corpus format live in tests/bad_inputs/.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_resolve_precedence import check_schemas

QUICKSTART = ROOT / "examples" / "quickstart"
TEMPLATES = ROOT / "templates"
TENANTS = """\
tenants:
  - namespace: ml-team
    admins: [{kind: Group, name: ml-admins}]
"""


def _plugin_env(source_path: str = "apps/ml", **extra: str) -> dict[str, str]:
    return {"ARGOCD_APP_NAME": "ml", "ARGOCD_APP_SOURCE_PATH": source_path, **extra}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A CMP work directory: this Application's repository (``repo/``, source path ``apps/ml``
    holding the quickstart plus tenants) and another Application's source beside it."""
    app = tmp_path / "repo" / "apps" / "ml"
    shutil.copytree(QUICKSTART, app)
    with (app / "aimctl.yaml").open("a", encoding="utf-8") as handle:
        handle.write(TENANTS)
    shutil.copytree(TEMPLATES, tmp_path / "repo" / "templates")
    other = tmp_path / "other-app"
    other.mkdir()
    (other / "aimctl.yaml").write_text("token: FOREIGN_CONTENT_42\n", encoding="utf-8")
    (other / "secret.yaml").write_text("FOREIGN_CONTENT_42: [\n", encoding="utf-8")
    return app


def _assert_refused(result: Any, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "FOREIGN_CONTENT_42" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def _docs(stdout: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(stdout) if d]


# ---- class 1: templates run sandboxed; a templates dir outside the checkout is refused ----------


def _hostile_templates(tmp_path: Path, expression: str) -> Path:
    templates = tmp_path / "hostile-templates"
    shutil.copytree(TEMPLATES, templates)
    path = templates / "inferenceservice.yaml"
    text = path.read_text(encoding="utf-8")
    assert 'name: "{{ isvc.name }}"' in text
    path.write_text(text.replace('name: "{{ isvc.name }}"', f'name: "{expression}"', 1))
    return templates


@pytest.mark.parametrize(
    "expression",
    [
        "{{ isvc.name.__class__.__mro__[1].__subclasses__() | length }}",
        "{{ (isvc.name | attr('__class__')).__name__ }}",
        "{{ isvc.name.format.__globals__ }}",
        "{{ isvc.name * 100000000 }}",
        "{{ 7 ** 99999999 }}",
        "{{ isvc.labels.clear() }}",
    ],
)
def test_templates_cannot_reach_python_internals_or_exhaust_memory(
    expression: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    templates = _hostile_templates(tmp_path, expression)
    result = run_cli("render", str(QUICKSTART), "--templates", str(templates), cwd=tmp_path)
    _assert_refused(result, 1, "inferenceservice.yaml:7:")
    assert "unsafe" in result.stderr or "refused" in result.stderr or "not safely" in result.stderr


def test_plugin_refuses_a_templates_dir_outside_the_checkout(
    checkout: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    outside = _hostile_templates(tmp_path, "{{ isvc.name }}")
    env = _plugin_env(ARGOCD_ENV_AIMCTL_TEMPLATES=str(outside))
    result = run_cli("render", ".", cwd=checkout, env=env)
    _assert_refused(result, 1, "hostile-templates: --templates leads outside the repository")


def test_plugin_accepts_templates_elsewhere_in_the_same_repository(
    checkout: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli(
        "render", ".", "--templates", "../../templates", cwd=checkout, env=_plugin_env()
    )
    assert result.exit_code == 0, result.stderr
    check_schemas(_docs(result.stdout))


# ---- class 2: inputs confined to the checkout; the project file's symlink rule -----------------


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("render", "../../../other-app"), "../../../other-app: PATH leads outside"),
        (("render", ".", "../../../other-app/secret.yaml"), "secret.yaml: PATH leads outside"),
        (("render", ".", "--config", "../../../other-app/aimctl.yaml"), "--config leads outside"),
        (("validate", "../../../other-app"), "PATH leads outside"),
        (("explain", ".", "../../../other-app", "ml-team/qwen-chat"), "PATH leads outside"),
    ],
)
def test_plugin_refuses_inputs_outside_the_checkout_without_reading_them(
    args: tuple[str, ...], shown: str, checkout: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli(*args, cwd=checkout, env=_plugin_env())
    _assert_refused(result, 1, shown)


def test_plugin_refuses_a_symlink_into_another_application(
    checkout: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (checkout / "linked").symlink_to(tmp_path / "other-app")
    result = run_cli("render", "linked", cwd=checkout, env=_plugin_env())
    _assert_refused(result, 1, "linked: PATH leads outside")


def test_source_path_that_is_not_the_working_directory_tail_confines_to_the_working_directory(
    checkout: Path, run_cli: Callable[..., Any]
) -> None:
    env = _plugin_env(source_path="../elsewhere")
    result = run_cli("render", ".", "--templates", "../../templates", cwd=checkout, env=env)
    _assert_refused(result, 1, "--templates leads outside")


def test_project_file_symlink_leading_out_is_refused_and_never_echoed(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    (tree / "aimctl.yaml").unlink()
    foreign = tmp_path / "shadow"
    foreign.write_text("root:FOREIGN_CONTENT_42:19000:0:99999:7:::\n", encoding="utf-8")
    (tree / "aimctl.yaml").symlink_to(foreign)
    for command in ("render", "validate"):
        result = run_cli(command, "tree", cwd=tmp_path)
        _assert_refused(result, 1, "tree/aimctl.yaml: project file is a symlink leading outside")


# ---- class 6: plugin stdout is a manifest stream or the command fails ---------------------------


@pytest.mark.parametrize("kinds", ["InferenceServise", "isvcs,Job", "Jbo"])
def test_unknown_kinds_are_a_usage_error(kinds: str, run_cli: Callable[..., Any]) -> None:
    result = run_cli("render", str(QUICKSTART), "--kinds", kinds)
    _assert_refused(result, 2, "--kinds", "unknown kind")


@pytest.mark.parametrize("kinds", ["", " , ", ","])
def test_kinds_naming_no_kind_are_a_usage_error(
    kinds: str, checkout: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli("render", str(QUICKSTART), "--kinds", kinds)
    _assert_refused(result, 2, "names no kind")
    if kinds:  # click takes an empty variable as unset: no filter, the full render
        env = _plugin_env(ARGOCD_ENV_AIMCTL_KINDS=kinds)
        _assert_refused(run_cli("render", ".", cwd=checkout, env=env), 2, "names no kind")


def test_kinds_that_keep_nothing_fail_unless_allow_empty(run_cli: Callable[..., Any]) -> None:
    result = run_cli("render", str(QUICKSTART), "--kinds", "Ingress")
    _assert_refused(result, 1, "nothing left after --kinds Ingress; pass --allow-empty")
    accepted = run_cli("render", str(QUICKSTART), "--kinds", "Ingress", "--allow-empty")
    assert accepted.exit_code == 0 and accepted.stdout == "", accepted.stderr


def test_kinds_may_name_a_pass_through_kind_of_the_inputs(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    (tree / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: ml-team}\n"
        "data: {a: b}\n",
        encoding="utf-8",
    )
    result = run_cli("render", str(tree), "--kinds", "ConfigMap")
    assert result.exit_code == 0, result.stderr
    assert [d["kind"] for d in _docs(result.stdout)] == ["ConfigMap"]


@pytest.mark.parametrize(
    "args",
    [
        ("render", "--help"),
        ("render", ".", "--no-progress", "--help"),
        ("render", ".", "-o", "out"),
        ("render", ".", "-o", "out", "--check"),
        ("render", "-o", "--no-progress"),  # AIMCTL_PATH=-o
    ],
)
def test_plugin_never_prints_non_manifests_with_exit_0(
    args: tuple[str, ...], checkout: Path, run_cli: Callable[..., Any]
) -> None:
    before = sorted(p.name for p in checkout.iterdir())
    result = run_cli(*args, cwd=checkout, env=_plugin_env())
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in checkout.iterdir()) == before


def test_plugin_command_is_exec_form_with_the_path_after_a_double_dash() -> None:
    plugin = yaml.safe_load((ROOT / "examples" / "argocd" / "plugin.yaml").read_text())
    generate = plugin["spec"]["generate"]
    command = [*generate["command"], *generate.get("args", [])]
    assert command[:2] == ["aimctl", "render"]  # no shell: nothing expanded, split or globbed
    assert command[-2:] == ["--", "."]
    assert not any("$" in word for word in command)


# ---- class 7: AIMCTL_PATH names a subdirectory: the discovered project file still applies -----


def test_plugin_subdirectory_keeps_the_discovered_project_file(
    checkout: Path, run_cli: Callable[..., Any]
) -> None:
    (checkout / "aim").mkdir()
    for name in ("ml-team", "platform"):
        (checkout / name).rename(checkout / "aim" / name)
    env = _plugin_env(ARGOCD_ENV_AIMCTL_PATH="aim")
    result = run_cli("render", "--", ".", cwd=checkout, env=env)
    assert result.exit_code == 0, result.stderr
    docs = _docs(result.stdout)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("Namespace", "ml-team") in kinds  # the tenant scaffolding did not vanish
    check_schemas(docs)


def test_plugin_with_two_project_files_fails(checkout: Path, run_cli: Callable[..., Any]) -> None:
    shutil.copy(QUICKSTART / "aimctl.yaml", checkout / "ml-team" / "aimctl.yaml")
    result = run_cli("render", "ml-team", cwd=checkout, env=_plugin_env())
    _assert_refused(result, 1, "aimctl.yaml: two project files")


def _aimctl(*args: str, cwd: Path, timeout: float = 60, **kwargs: Any) -> Any:
    """``python -m aimctl ARGS`` in a fresh process with a time limit (a hang is a failure)."""
    import subprocess
    import sys

    if "stdout" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run(
        [sys.executable, "-m", "aimctl", *args],
        cwd=cwd,
        timeout=timeout,
        check=False,
        **kwargs,
    )


# ---- class 3: diff reads DIR without following links, and only aimctl's own output --------------


def test_diff_does_not_follow_symlinks_inside_dir(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    assert run_cli("render", str(QUICKSTART), "-o", "out", cwd=tmp_path).exit_code == 0
    foreign = tmp_path / "environ"
    foreign.write_text("CI_TOKEN=FOREIGN_CONTENT_42\n", encoding="utf-8")
    (tmp_path / "out" / "x.yaml").symlink_to(foreign)
    (tmp_path / "out" / "ml-team" / "y.yaml").symlink_to(foreign)
    result = run_cli("diff", str(QUICKSTART), "-o", "out", cwd=tmp_path)
    assert result.exit_code == 3, result.stderr
    assert "FOREIGN_CONTENT_42" not in result.stdout + result.stderr
    assert "a/x.yaml" in result.stdout and "not shown" in result.stdout


def test_diff_refuses_a_directory_aimctl_did_not_write(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd.yaml").write_text("root: FOREIGN_CONTENT_42\n", encoding="utf-8")
    result = run_cli("diff", str(QUICKSTART), "-o", "etc", cwd=tmp_path)
    _assert_refused(result, 1, "etc: not a directory aimctl wrote (no .aimctl-output marker)")
    (tmp_path / "link").symlink_to(tmp_path / "etc")
    result = run_cli("diff", str(QUICKSTART), "-o", "link", cwd=tmp_path)
    _assert_refused(result, 1, "link: not a directory aimctl wrote (a symlink")


# ---- class 4: an output directory never contains an input; output in the input is skipped ------


@pytest.mark.parametrize(("source", "out"), [("out/src", "out"), (".", "."), ("out", "out")])
def test_render_refuses_an_output_dir_holding_an_input(
    source: str, out: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    assert run_cli("render", str(QUICKSTART), "-o", "out", cwd=work).exit_code == 0
    shutil.copytree(QUICKSTART, work / "out" / "src")
    if source == ".":
        shutil.copy(QUICKSTART / "aimctl.yaml", work / "aimctl.yaml")
    before = sorted(p.relative_to(work).as_posix() for p in work.rglob("*"))
    result = run_cli("render", source, "-o", out, cwd=work)
    _assert_refused(result, 1, "output directory contains the input")
    assert sorted(p.relative_to(work).as_posix() for p in work.rglob("*")) == before


def test_an_output_dir_inside_the_input_tree_is_skipped_with_a_warning(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    assert run_cli("render", "tree", "-o", "tree/deploy", cwd=tmp_path).exit_code == 0
    result = run_cli("render", "tree", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "tree/deploy: warning: skipped: an aimctl output directory" in result.stderr
    assert result.stdout == run_cli("render", str(QUICKSTART)).stdout


# ---- class 12: non-regular files, unreadable and deep directories -------------------------------


def test_fifo_and_device_named_yaml_are_refused_without_hanging(tmp_path: Path) -> None:
    import os

    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    os.mkfifo(tree / "pipe.yaml")
    (tree / "zero.yaml").symlink_to("/dev/zero")  # a link inside the tree is not the point here
    os.symlink("/dev/zero", tree / "ml-team" / "dev.yaml")
    result = _aimctl("render", "tree", "--jobs", "1", cwd=tmp_path, timeout=60, text=True)
    assert result.returncode == 1, result.stderr
    assert "tree/pipe.yaml: not a regular file" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    fifo_root = _aimctl("render", "tree/pipe.yaml", cwd=tmp_path, timeout=60, text=True)
    assert fifo_root.returncode == 1 and "not a regular file" in fifo_root.stderr


def test_unreadable_directory_is_an_error_not_a_partial_render(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every directory")
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    (tree / "ml-team").chmod(0)
    try:
        result = run_cli("render", "tree", cwd=tmp_path)
    finally:
        (tree / "ml-team").chmod(0o755)
    _assert_refused(result, 1, "tree/ml-team: cannot read directory: Permission denied")


def _nest(base: Path, name: str, levels: int) -> None:
    """``levels`` nested directories ``name`` below ``base``, built relative to a descriptor
    (the full path may exceed PATH_MAX)."""
    import os

    fd = os.open(base, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir(name, dir_fd=fd)
            nxt = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
    finally:
        os.close(fd)


def _unnest(base: Path, name: str) -> None:
    """Remove what ``_nest`` built, one level at a time, without recursion."""
    top, spare = base / name, base / f"{name}.spare"
    while top.is_dir():
        child = top / name
        if not child.is_dir():
            top.rmdir()
            break
        child.rename(spare)
        top.rmdir()
        spare.rename(top)


def test_deep_directories_are_walked_without_recursion(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    _nest(tree, "d", 1100)
    try:
        result = run_cli("render", "tree", cwd=tmp_path)
    finally:
        _unnest(tree, "d")  # shutil.rmtree (pytest's clean-up) recurses and would fail
    assert result.exit_code == 0, result.stderr[-2000:]
    assert result.stdout == run_cli("render", str(QUICKSTART)).stdout


def test_over_long_directories_are_an_error_not_skipped(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    _nest(tree, "d" * 200, 30)
    result = run_cli("render", "tree", cwd=tmp_path)
    _assert_refused(result, 1, "cannot read directory: File name too long")


# ---- class 20: terminal escape sequences never reach the terminal -------------------------------


def test_escape_sequences_in_names_and_arguments_are_escaped(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    evil = "out\x1b]0;pwned\x07"
    assert run_cli("render", str(QUICKSTART), "-o", evil, cwd=tmp_path).exit_code == 0
    (tmp_path / evil / "ml-team" / "x\x1b[2J.yaml").write_text("a: b\n", encoding="utf-8")
    check = run_cli("render", str(QUICKSTART), "-o", evil, "--check", cwd=tmp_path)
    assert check.exit_code == 3
    assert "\x1b" not in check.stderr and "\x07" not in check.stderr
    assert "\\x1b[2J" in check.stderr
    diff = run_cli("diff", str(QUICKSTART), "-o", evil, cwd=tmp_path)
    assert diff.exit_code == 3 and "\x1b" not in diff.stdout + diff.stderr


# ---- class 13: no traceback on a broken stdout; UTF-8 whatever the locale -----------------------


@pytest.mark.parametrize("target", ["full", "closed"])
def test_a_full_or_closed_stdout_is_one_line_not_a_traceback(target: str, tmp_path: Path) -> None:
    import subprocess

    if target == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full" if target == "full" else "/dev/null", "wb") as sink:
        stdout: Any = sink if target == "full" else subprocess.DEVNULL
        if target == "closed":
            import sys

            proc = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import os,sys; os.close(1); sys.argv=['aimctl',"
                    f"'render',{str(QUICKSTART)!r}]; from aimctl._entry import main; main()",
                ],
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
            )
        else:
            proc = _aimctl(
                "render",
                str(QUICKSTART),
                cwd=tmp_path,
                stdout=stdout,
                stderr=subprocess.PIPE,
                text=True,
            )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "cannot write the result to stdout" in proc.stderr


def test_output_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    (tree / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ml-team}\n"
        "data: {greeting: grüße}\n",
        encoding="utf-8",
    )
    import os

    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C"}
    proc = _aimctl("render", "tree", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert 'greeting: "grüße"'.encode() in proc.stdout


# ---- class 21: --strict names the object; an invalid --namespace is a usage error --------------


def test_strict_undeclared_namespace_names_the_object_file_and_line(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    with (tree / "aimctl.yaml").open("a", encoding="utf-8") as handle:
        handle.write("tenants:\n  - namespace: other\n")
    result = run_cli("render", "tree", "--strict", cwd=tmp_path)
    _assert_refused(result, 1, "tree/ml-team/services.yaml:6: AIMService ml-team/qwen-chat")
    assert result.stderr.count("is not a declared tenant") == 1, result.stderr


@pytest.mark.parametrize("namespace", ["Bad_NS", "ns\n", "a" * 64, "-x"])
def test_invalid_namespace_option_is_a_usage_error(
    namespace: str, checkout: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli("render", str(QUICKSTART), "--namespace", namespace)
    _assert_refused(result, 2, "--namespace")
    env = _plugin_env(ARGOCD_APP_NAMESPACE=namespace)
    _assert_refused(run_cli("validate", ".", cwd=checkout, env=env), 2, "ARGOCD_APP_NAMESPACE")


# ---- class 19: the swap, the stale-tree clean-up and the lock ------------------------------------


def test_no_lock_file_is_left_beside_dir_and_dot_keeps_it_outside(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    assert run_cli("render", str(QUICKSTART), "-o", "out", cwd=tmp_path).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    here = tmp_path / "here"
    here.mkdir()
    result = run_cli("render", str(QUICKSTART), "-o", ".", cwd=here)
    assert result.exit_code == 0, result.stderr
    assert not list(here.glob("*.lock")) and not (here / ".lock").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "out"]


def test_a_tree_moved_aside_by_an_interrupted_swap_is_restored(tmp_path: Path) -> None:
    from aimctl.emit import MARKER, _clean_stale

    aside = tmp_path / ".out.old-abc123"
    aside.mkdir()
    (aside / MARKER).write_text("aimctl\n")
    (aside / "kustomization.yaml").write_text("resources: []\n")
    _clean_stale(tmp_path / "out")
    assert (tmp_path / "out" / "kustomization.yaml").read_text() == "resources: []\n"
    assert not aside.exists()


def test_stale_tree_clean_up_escapes_the_dir_name(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    other = tmp_path / ".out.new-someone-elses"
    other.mkdir()
    (other / "keep").write_text("x")
    assert run_cli("render", str(QUICKSTART), "-o", "o[u]t", cwd=tmp_path).exit_code == 0
    assert (other / "keep").exists()


# ---- class 18: a pass-through object may not stand in for, or redefine, what aimctl renders ------

_IMPOSTORS = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: aim-engine-artifact-status-updater
  namespace: ml-team
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: ml-team}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: aim-engine-artifact-status-updater
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: aim-engine-aimservice-viewer-role
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
"""


@pytest.mark.parametrize("output", [False, True])
def test_pass_through_objects_cannot_impersonate_rendered_ones(
    output: bool, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    (tree / "rbac.yaml").write_text(_IMPOSTORS, encoding="utf-8")
    args = ("render", "tree", *(("-o", "out") if output else ()))
    result = run_cli(*args, cwd=tmp_path)
    _assert_refused(
        result,
        1,
        "tree/rbac.yaml:4: RoleBinding.rbac.authorization.k8s.io ml-team/aim-engine-artifact-"
        "status-updater: metadata.name:",
        "tree/rbac.yaml:12: ClusterRole.rbac.authorization.k8s.io aim-engine-artifact-status-"
        "updater: metadata.name: ClusterRole aim-engine-artifact-status-updater redefines",
        "tree/rbac.yaml:18:",
    )
    assert not (tmp_path / "out").exists()


# ---- class 9: objects larger than the API server stores ----------------------------------------


@pytest.mark.parametrize("where", ["pass-through", "service env"])
def test_objects_over_etcds_limit_are_refused(
    where: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    big = "x" * (2 * 1024 * 1024)
    if where == "pass-through":
        (tree / "cm.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: ml-team}\n"
            f"data: {{blob: {big}}}\n",
            encoding="utf-8",
        )
        expected = "tree/cm.yaml:1: ConfigMap ml-team/big: the object would be"
    else:
        services = tree / "ml-team" / "services.yaml"
        text = services.read_text(encoding="utf-8")
        services.write_text(text.replace("value: DEBUG", f"value: {big}", 1), encoding="utf-8")
        expected = "InferenceService ml-team/qwen-chat"
    for extra in ((), ("-o", "out")):
        result = run_cli("render", "tree", *extra, cwd=tmp_path)
        _assert_refused(result, 1, expected, "etcd's 1.5 MiB request limit")
        assert big not in result.stderr
        assert not (tmp_path / "out").exists()


# ---- class 11: memory follows the YAML, not the file count ---------------------------------------


def test_no_loader_outlives_its_file_with_the_cyclic_collector_off(tmp_path: Path) -> None:
    import gc

    from aimctl import loader

    for i in range(200):
        (tmp_path / f"f{i}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{a: [b]}}\n",
            encoding="utf-8",
        )
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()  # as the CLI runs
    try:
        result = loader.load_paths([tmp_path])
        alive = sum(1 for o in gc.get_objects() if isinstance(o, loader._Loader))
    finally:
        if was_enabled:
            gc.enable()
    assert len(result.documents) == 200
    assert alive == 0
