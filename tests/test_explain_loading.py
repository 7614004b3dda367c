"""`explain` parses only the files that can affect the service, and says exactly what a full
load would have said (aimctl.pipeline.load.load_for_service)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimctl.pipeline import LoadOptions, load_for_service, load_inputs
from aimctl.pipeline import explain as explain_run
from benchmarks.generate import generate_tree
from tests.conftest import ROOT

SERVICE = """\
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: {name}
  namespace: {namespace}
spec:
  model:
    image: ghcr.io/example/llm:1.0
"""


def _services(tree: Path) -> list[str]:
    inputs = load_inputs(LoadOptions((tree,)))
    return [f"{e.key.namespace}/{e.key.name}" for e in inputs.catalog.of_kind("AIMService")]


def _full_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        explain_run, "load_for_service", lambda options, ns, name: load_inputs(options)
    )


def _explain_both_ways(run_cli, monkeypatch: pytest.MonkeyPatch, *args: str) -> None:  # type: ignore[no-untyped-def]
    filtered = run_cli("explain", *args)
    with monkeypatch.context() as full:
        _full_load(full)
        everything = run_cli("explain", *args)
    assert (filtered.exit_code, filtered.stdout, filtered.stderr) == (
        everything.exit_code,
        everything.stdout,
        everything.stderr,
    )


@pytest.fixture(scope="module")
def benchmark_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("bench")
    generate_tree(tree, 6, 10, seed=7)
    return tree


def test_every_service_of_the_benchmark_tree_explains_as_with_a_full_load(
    benchmark_tree: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _services(benchmark_tree)
    assert len(services) == 60
    for service in services:
        _explain_both_ways(run_cli, monkeypatch, str(benchmark_tree), service)
    _explain_both_ways(run_cli, monkeypatch, str(benchmark_tree), services[-1], "-o", "json")


@pytest.mark.parametrize("example", ["quickstart", "platform"])
def test_every_service_of_the_examples_explains_as_with_a_full_load(
    example: str, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = ROOT / "examples" / example
    for service in _services(tree):
        _explain_both_ways(run_cli, monkeypatch, str(tree), service, "-o", "json")


def test_only_files_that_mention_the_namespace_or_a_cluster_kind_are_parsed(
    benchmark_tree: Path,
) -> None:
    service = _services(benchmark_tree)[0]
    namespace, _, name = service.partition("/")
    inputs = load_for_service(LoadOptions((benchmark_tree,)), namespace, name)
    full = load_inputs(LoadOptions((benchmark_tree,)))
    assert len(inputs.files) < len(full.files) / 2
    namespaces = {e.key.namespace for e in inputs.catalog.of_kind("AIMService")}
    assert namespace in namespaces
    assert {e.key.name for e in inputs.catalog.of_kind("AIMClusterModel")} == {
        e.key.name for e in full.catalog.of_kind("AIMClusterModel")
    }


def test_an_unknown_service_still_gets_suggestions_from_every_file(
    write_tree, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(
        {
            "a.yaml": SERVICE.format(name="chat", namespace="team-a"),
            "b.yaml": SERVICE.format(name="chat", namespace="team-b"),
        }
    )
    _explain_both_ways(run_cli, monkeypatch, str(root), "team-c/chat")
    assert "team-a/chat" in run_cli("explain", str(root), "team-c/chat").stderr


def test_the_default_namespace_loads_everything(write_tree) -> None:
    root = write_tree(
        {
            "a.yaml": SERVICE.format(name="chat", namespace="team-a"),
            "b.yaml": SERVICE.replace("  namespace: {namespace}\n", "").format(name="bot"),
        }
    )
    inputs = load_for_service(LoadOptions((root,), namespace="default"), "default", "bot")
    assert len(inputs.files) == 2


def test_a_status_pointing_into_another_namespace_loads_everything(write_tree) -> None:
    status = (
        "status:\n  resolvedTemplate:\n    name: shared\n    namespace: team-b\n"
        "    scope: Namespace\n"
    )
    root = write_tree(
        {
            "a.yaml": SERVICE.format(name="chat", namespace="team-a") + status,
            "b.yaml": SERVICE.format(name="other", namespace="team-b"),
            "c.yaml": SERVICE.format(name="third", namespace="team-c"),
        }
    )
    inputs = load_for_service(LoadOptions((root,)), "team-a", "chat")
    assert len(inputs.files) == 3


def test_a_broken_file_that_cannot_affect_the_service_does_not_stop_explain(
    write_tree, run_cli
) -> None:
    root = write_tree(
        {
            "a.yaml": SERVICE.format(name="chat", namespace="team-a"),
            "b.yaml": "kind: [unclosed\n",
        }
    )
    result = run_cli("explain", str(root), "team-a/chat")
    assert result.stdout.startswith("AIMService team-a/chat")  # the trace, up to its own failure
    assert "b.yaml" not in result.stderr
    assert run_cli("validate", str(root)).exit_code == 1
