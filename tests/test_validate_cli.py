"""`aimctl validate`: every user mistake is one clear FILE:LINE message, exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import WriteTree

SERVICE = """
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: chat
  namespace: team-a
spec:
  model:
    name: llama
"""

MODEL = """
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModel
metadata:
  name: llama
spec:
  image: example.com/llama:1.0
"""


def _only_error_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if not ln.startswith(("valid:", "invalid:"))]
    assert len(lines) == 1, stderr
    return lines[0]


def test_valid_tree_exits_zero_with_one_line_summary(run_cli) -> None:
    from tests.conftest import ROOT

    result = run_cli("validate", "examples/quickstart", cwd=ROOT)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip().splitlines() == [
        "valid: 9 documents in 5 files: 0 errors, 0 warnings"
    ]
    assert result.stdout == ""


def test_a_tree_render_would_refuse_is_valid_with_a_warning(write_tree: WriteTree, run_cli) -> None:
    root = write_tree({"svc.yaml": SERVICE, "model.yaml": MODEL})  # no template for the model
    result = run_cli("validate", str(root))
    assert result.exit_code == 0, result.stderr
    assert "warning: AIMService team-a/chat: spec.model" in result.stderr
    assert run_cli("validate", "--strict", str(root)).exit_code == 1


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("apiVersion: v1\nkind: [\n", "yaml:", 3),
        ("a: 1\na: 2\n", "duplicate key 'a' (first defined on line 1)", 2),
        ("- 1\n- 2\n", "document 1 is a list, not a mapping", 1),
        ("just a string\n", "document 1 is a string, not a mapping", 1),
    ],
    ids=["syntax-error", "duplicate-key", "list-document", "scalar-document"],
)
def test_broken_yaml_is_reported_with_file_and_line(
    write_tree: WriteTree, run_cli, text: str, fragment: str, line: int
) -> None:
    root = write_tree({"bad.yaml": text})
    result = run_cli("validate", str(root), cwd=root)
    assert result.exit_code == 1
    message = _only_error_line(result.stderr)
    assert message.startswith(f"bad.yaml:{line}"), message
    assert fragment in message
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            ("    name: llama\n", "    name: 42\n"),
            'svc.yaml:8: AIMService team-a/chat: spec.model.name: expected a string, got the number 42: Kubernetes reads an unquoted 42 as a number; write "42" in quotes',
        ),
        (
            ("    name: llama\n", "    name: llama\n  replicaz: 2\n"),
            "svc.yaml:9: AIMService team-a/chat: spec.replicaz: unknown field",
        ),
        (
            ("  model:\n    name: llama\n", "  caching:\n    mode: Sometimes\n"),
            "AIMService team-a/chat: spec",
        ),
        (
            ("    name: llama\n", "    name: llama\n  caching:\n    mode: Sometimes\n"),
            "svc.yaml:10: AIMService team-a/chat: spec.caching.mode: 'Sometimes' is not one of Dedicated, Shared, Auto, Always, Never",
        ),
        (
            ("    name: llama\n", "    name: llama\n    image: x:1\n"),
            "exactly one of name, image, or custom must be specified",
        ),
        (("    name: llama\n", "    name: yes\n"), 'write "yes" in quotes'),
    ],
    ids=[
        "wrong-type",
        "unknown-field",
        "missing-required",
        "enum",
        "cel-exactly-one",
        "yaml11-boolean",
    ],
)
def test_schema_problems_name_file_line_resource_and_field(
    write_tree: WriteTree, run_cli, mutation: tuple[str, str], expected: str
) -> None:
    old, new = mutation
    root = write_tree({"svc.yaml": SERVICE.replace(old, new, 1)})
    result = run_cli("validate", str(root), cwd=root)
    assert result.exit_code == 1, result.stderr
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_empty_tree_is_an_error(tmp_path: Path, run_cli) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("validate", str(tmp_path / "empty"))
    assert result.exit_code == 1
    assert "no *.yaml or *.yml files found" in result.stderr


def test_missing_path_is_an_error(tmp_path: Path, run_cli) -> None:
    result = run_cli("validate", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert "no such file or directory" in result.stderr


def test_non_utf8_file_names_line_and_byte(tmp_path: Path, run_cli) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"kind: Foo\nname: caf\xe9\n")
    result = run_cli("validate", str(tmp_path), cwd=tmp_path)
    assert result.exit_code == 1
    assert _only_error_line(result.stderr).startswith("latin1.yaml:2")
    assert "not valid UTF-8 (byte 0xe9" in result.stderr


def test_alias_bomb_is_refused_quickly(tmp_path: Path, run_cli) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    result = run_cli("validate", str(tmp_path), cwd=tmp_path)
    assert result.exit_code == 1
    assert "alias bomb" in _only_error_line(result.stderr)


def test_deep_nesting_is_refused_without_crashing(tmp_path: Path, run_cli) -> None:
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 60000 + "]" * 60000 + "\n")
    result = run_cli("validate", str(tmp_path), cwd=tmp_path)
    assert result.exit_code == 1
    assert "nesting deeper than" in _only_error_line(result.stderr)


def test_all_problems_are_reported_sorted_by_file_and_line(write_tree: WriteTree, run_cli) -> None:
    root = write_tree(
        {
            "b.yaml": SERVICE.replace("name: llama", "name: 1"),
            "a.yaml": "x: 1\nx: 2\n",
            "c.yaml": SERVICE.replace("  model:\n", "  replicas: nope\n  model:\n"),
        }
    )
    result = run_cli("validate", str(root), cwd=root)
    assert result.exit_code == 1
    lines = [ln for ln in result.stderr.splitlines() if not ln.startswith("invalid:")]
    assert [ln.split(":")[0] for ln in lines] == ["a.yaml", "b.yaml", "c.yaml"]


def test_secret_objects_are_refused_without_echoing_values(write_tree: WriteTree, run_cli) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hf\nstringData:\n  token: hf_supersecret\n"
    root = write_tree({"s.yaml": secret})
    result = run_cli("validate", str(root), cwd=root)
    assert result.exit_code == 1
    assert "s.yaml:1: Secret default/hf: Secret objects are refused" in result.stderr
    assert "hf_supersecret" not in result.stderr + result.stdout


def test_duplicate_objects_name_both_locations(write_tree: WriteTree, run_cli) -> None:
    root = write_tree({"one.yaml": MODEL, "two.yaml": MODEL})
    result = run_cli("validate", str(root), cwd=root)
    assert result.exit_code == 1
    assert "two.yaml:4: AIMClusterModel llama: metadata.name: duplicate object" in result.stderr
    assert "also defined in one.yaml" in result.stderr


def test_cluster_scoped_kind_with_namespace_is_an_error(write_tree: WriteTree, run_cli) -> None:
    root = write_tree(
        {"m.yaml": MODEL.replace("  name: llama\n", "  name: llama\n  namespace: x\n")}
    )
    result = run_cli("validate", str(root), cwd=root)
    assert result.exit_code == 1
    assert "metadata.namespace: AIMClusterModel is cluster-scoped" in result.stderr


def test_namespace_defaults_to_default_or_the_option(write_tree: WriteTree, run_cli) -> None:
    root = write_tree(
        {"svc.yaml": SERVICE.replace("  namespace: team-a\n", "").replace("name: 1", "")}
    )
    bad = write_tree(
        {"svc.yaml": SERVICE.replace("  namespace: team-a\n", "").replace("name: llama", "name: 1")}
    )
    assert "AIMService default/chat" in run_cli("validate", str(bad), cwd=root).stderr
    assert (
        "AIMService team-z/chat" in run_cli("validate", "-n", "team-z", str(bad), cwd=root).stderr
    )


def test_unresolved_reference_is_a_warning_not_an_error(write_tree: WriteTree, run_cli) -> None:
    root = write_tree({"svc.yaml": SERVICE})
    result = run_cli("validate", str(root), cwd=root)
    assert result.exit_code == 0
    assert (
        'svc.yaml:8: warning: AIMService team-a/chat: spec.model.name: model "llama" not found'
        in result.stderr
    )


def test_json_report_has_stable_keys(write_tree: WriteTree, run_cli) -> None:
    import json

    root = write_tree({"svc.yaml": SERVICE.replace("name: llama", "name: 1")})
    result = run_cli("validate", str(root), "--output", "json", cwd=root)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert list(report) == [
        "ok",
        "errors",
        "warnings",
        "files",
        "documents",
        "operatorVersion",
        "diagnostics",
    ]
    (diag,) = report["diagnostics"]
    assert diag["file"] == "svc.yaml" and diag["line"] == 8
    assert diag["resource"] == {"kind": "AIMService", "namespace": "team-a", "name": "chat"}
    assert diag["field"] == "spec.model.name"


def test_debug_flag_shows_no_traceback_for_handled_errors(write_tree: WriteTree, run_cli) -> None:
    root = write_tree({"bad.yaml": "a: [\n"})
    result = run_cli("--debug", "validate", str(root), cwd=root)
    assert result.exit_code == 1


def test_literal_credential_env_is_a_warning_that_never_prints_the_value(
    write_tree: WriteTree, run_cli
) -> None:
    svc = SERVICE + "  env:\n    - name: HF_TOKEN\n      value: hf_verysecret\n"
    root = write_tree({"svc.yaml": svc, "model.yaml": MODEL})
    result = run_cli("validate", str(root), cwd=root)
    assert result.exit_code == 0
    assert (
        "svc.yaml:11: warning: AIMService team-a/chat: spec.env[0].value: env HF_TOKEN has a literal value"
        in result.stderr
    )
    assert "valueFrom.secretKeyRef" in result.stderr
    assert "hf_verysecret" not in result.stderr + result.stdout
