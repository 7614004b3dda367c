"""Template resolution (§3.3): an explicit name, automatic selection with its stages and exact
ranking, sticky status references, and the derived template (§4.5), end to end through the CLI.

Operator behaviour as operator-behaviour.md states it; builders and runners in ``tests/resolve_kit.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aimctl.resolve.templates import TemplateIndex
from tests.resolve_kit import (
    Doc,
    WriteTree,
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    container,
    explain,
    frozen,
    line_of,
    located,
    model,
    of_kind,
    one,
    project,
    render,
    render_errors,
    render_stderr,
    selected_template,
    selects_or_refuses,
    service,
    template,
    the_error,
    tree,
)


def _candidates(trace: Doc) -> dict[str, Doc]:
    return {row["template"]: row for row in trace["template"]["candidates"]}


def _at_model_reference(error: Doc, root: Path, file: str = "svc.yaml") -> None:
    """An automatic-selection error points at the service's model reference (``model:``/``name:``)."""
    assert error["file"] == file, error
    assert error["line"] in (line_of(root, file, "model:"), line_of(root, file, "name: m")), error


# --- explicit template name (§3.3.1) ---------------------------------------------------------------


def test_explicit_template_namespace_over_cluster(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("t", gpu="MI300X"),
        template("t", cluster=True, gpu="MI325X"),
        service(template={"name": "t"}),
    )
    selected = explain(run_cli, root, "team/svc")["template"]["selected"]
    assert (selected["kind"], selected["namespace"]) == ("AIMServiceTemplate", "team")


def test_explicit_template_falls_back_to_cluster_template(write_tree, run_cli) -> None:
    root = tree(write_tree, model(), template("t", cluster=True), service(template={"name": "t"}))
    items = render(run_cli, root)
    assert selected_template(items) == "t"
    assert explain(run_cli, root, "team/svc")["template"]["selected"]["kind"] == (
        "AIMClusterServiceTemplate"
    )


def test_explicit_template_is_used_without_the_selection_filters(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("best"),
        template("slow", type_="unoptimized", gpu="MI210"),
        service(template={"name": "slow"}),
    )
    assert selected_template(render(run_cli, root)) == "slow"


def test_explicit_template_not_found_is_an_error_at_the_template_name(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={"models.yaml": base(), "svc.yaml": [service(template={"name": "nope"})]},
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NOT_FOUND")
    located(error, root, "svc.yaml", "name: nope")
    assert 'template "nope" not found' in error["message"]


def test_explicit_template_with_overrides_is_looked_up_by_its_derived_name(
    write_tree, run_cli
) -> None:
    """The quirk of §3.3.1: the namespace base template is never looked up by its base name."""
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template("my-template")],
            "svc.yaml": [
                service(template={"name": "my-template"}, overrides={"metric": "latency"})
            ],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NOT_FOUND")
    assert 'template "my-template-ovr-latency-817c" not found' in error["message"]  # §5.6 vector
    located(error, root, "svc.yaml", "name: my-template")


def test_explicit_template_with_overrides_finds_the_cluster_template_by_base_name(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        model(),
        template("my-template", cluster=True),
        service(template={"name": "my-template"}, overrides={"metric": "latency"}),
    )
    assert selected_template(render(run_cli, root)) == "my-template"


def test_explicit_template_with_overrides_finds_an_existing_derived_template(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        model(),
        template("my-template"),
        template("my-template-ovr-latency-817c"),
        service(template={"name": "my-template"}, overrides={"metric": "latency"}),
    )
    assert selected_template(render(run_cli, root)) == "my-template-ovr-latency-817c"


@pytest.mark.parametrize("state", ["Failed", "NotAvailable", "Progressing"])
def test_explicit_template_that_is_not_ready_is_an_error(write_tree, run_cli, state: str) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False, status=frozen(state))],
            "svc.yaml": [service(template={"name": "t"})],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NOT_READY")
    located(error, root, "svc.yaml", "name: t")


def test_explicit_template_that_needs_discovery_is_an_error_saying_how_to_fix_it(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False)],
            "svc.yaml": [service(template={"name": "t"})],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NEEDS_DISCOVERY")
    located(error, root, "svc.yaml", "name: t")
    assert "modelSources" in error["hint"]


def test_selected_template_without_model_sources_is_an_error(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base()[:1],
        template(sources=False, status=frozen(sources=False)),
        service(),
    )
    assert "no model sources" in the_error(run_cli, root, "E_TEMPLATE_NO_MODEL_SOURCES")["message"]


def test_template_without_model_sources_is_an_error_at_the_template(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False, status=frozen(sources=False))],
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NO_MODEL_SOURCES")
    assert error["file"] == "models.yaml"
    assert error["line"] >= line_of(root, "models.yaml", "kind: AIMServiceTemplate")


# --- automatic selection: candidates and stages (§3.3.2) -------------------------------------------


def test_no_template_for_the_model_is_an_error(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), model("other"), template(model_name="other")],
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_NO_TEMPLATE")
    assert error["file"] == "svc.yaml"
    assert error["line"] in (
        line_of(root, "svc.yaml", "model:"),
        line_of(root, "svc.yaml", "name: m"),
    )


def test_only_ready_templates_are_selectable(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(
            "absent", gpu="MI325X", sources=False, status=frozen("NotAvailable", gpu="MI325X")
        ),
        template("ok"),
        service(),
    )
    # NotAvailable, not Failed: a Failed template would also keep the model from being Ready (§4.11)
    assert selected_template(render(run_cli, root)) == "ok"
    rows = _candidates(explain(run_cli, root, "team/svc"))
    assert rows["absent"]["reason"] == "TemplateNotAvailable"


@pytest.mark.parametrize("state", ["Failed", "Progressing"])
def test_a_non_ready_template_of_the_model_blocks_its_services(
    write_tree, run_cli, state: str
) -> None:
    root = tree(
        write_tree,
        model(),
        template("broken", gpu="MI325X", sources=False, status=frozen(state, gpu="MI325X")),
        template("ok"),
        service(),
    )
    the_error(run_cli, root, "E_MODEL_NOT_READY")


def test_no_ready_template_is_a_template_not_ready_error(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False, status=frozen("Progressing"))],
            "svc.yaml": [service()],
        },
    )
    _at_model_reference(the_error(run_cli, root, "E_TEMPLATE_NOT_READY"), root)


def test_templates_needing_discovery_fail_selection_saying_how_to_fix_it(
    write_tree, run_cli
) -> None:
    root = tree(write_tree, model(), template(sources=False), service())
    (error,) = render_errors(run_cli, root)
    assert error["code"] in ("E_TEMPLATE_NEEDS_DISCOVERY", "E_TEMPLATE_NOT_READY")
    assert "modelSources" in error["message"] + (error["hint"] or "")


def test_unoptimized_template_is_dropped_without_allow_unoptimized(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("fast", type_="unoptimized", gpu="MI325X"),
        template("ok", gpu="MI210"),
        service(),
    )
    assert selected_template(render(run_cli, root)) == "ok"
    rows = _candidates(explain(run_cli, root, "team/svc"))
    assert rows["fast"]["reason"] == "UnoptimizedTemplateFiltered"


@pytest.mark.parametrize("type_", ["unoptimized", "preview", None])
def test_only_non_optimized_templates_is_an_error(write_tree, run_cli, type_: str | None) -> None:
    root = tree(
        write_tree,
        files={"models.yaml": [model(), template(type_=type_)], "svc.yaml": [service()]},
    )
    _at_model_reference(the_error(run_cli, root, "E_ONLY_UNOPTIMIZED"), root)


@pytest.mark.parametrize("type_", ["unoptimized", "preview", None])
def test_allow_unoptimized_accepts_non_optimized_templates(
    write_tree, run_cli, type_: str | None
) -> None:
    root = tree(
        write_tree, model(), template(type_=type_), service(template={"allowUnoptimized": True})
    )
    assert selected_template(render(run_cli, root)) == "t"


def test_template_without_a_profile_counts_as_unoptimized(write_tree, run_cli) -> None:
    no_profile = frozen(type_=None)
    root = tree(write_tree, model(), template(sources=False, status=no_profile), service())
    the_error(run_cli, root, "E_ONLY_UNOPTIMIZED")
    root = tree(
        write_tree,
        model(),
        template(sources=False, status=no_profile),
        service(template={"allowUnoptimized": True}),
    )
    assert selected_template(render(run_cli, root)) == "t"


@pytest.mark.parametrize(
    ("spec_type", "status_type", "selectable"),
    [("optimized", "preview", False), ("unoptimized", "optimized", True)],
)
def test_template_spec_type_is_ignored_when_the_status_is_frozen(
    write_tree, run_cli, spec_type: str, status_type: str, selectable: bool
) -> None:
    """The profile type comes from the status; spec.type counts only for inline-source templates."""
    root = tree(
        write_tree,
        model(),
        template(type_=spec_type, sources=False, status=frozen(type_=status_type)),
        service(),
    )
    selects_or_refuses(run_cli, root, selectable, "E_ONLY_UNOPTIMIZED")


def test_allow_unoptimized_still_prefers_optimized(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("u", type_="unoptimized", gpu="MI325X"),
        template("o", gpu="MI210"),
        service(template={"allowUnoptimized": True}),
    )
    assert selected_template(render(run_cli, root)) == "o"


def _override_tree(write_tree: WriteTree, overrides: Doc, *templates: Doc) -> Path:
    return tree(write_tree, model(), *templates, service(overrides=overrides))


def test_metric_override_filters_candidates(write_tree, run_cli) -> None:
    root = _override_tree(
        write_tree,
        {"metric": "throughput"},
        template("lat", metric="latency"),
        template("thr", metric="throughput"),
    )
    assert selected_template(render(run_cli, root)) == "thr"


def test_precision_override_filters_candidates(write_tree, run_cli) -> None:
    root = _override_tree(
        write_tree,
        {"precision": "fp16"},
        template("fp8", precision="fp8"),
        template("fp16", precision="fp16"),
    )
    assert selected_template(render(run_cli, root)) == "fp16"


@pytest.mark.parametrize("written", ["MI300X", "mi300x", "Instinct MI300X"])
def test_gpu_model_override_compares_normalised_names_case_insensitively(
    write_tree, run_cli, written: str
) -> None:
    root = _override_tree(
        write_tree,
        {"hardware": {"gpu": {"model": written}}},
        template("mi325x", gpu="MI325X"),
        template("mi300x", gpu="MI300X"),
    )
    assert selected_template(render(run_cli, root)) == "mi300x"


def test_gpu_count_override_filters_candidates(write_tree, run_cli) -> None:
    root = _override_tree(
        write_tree,
        {"hardware": {"gpu": {"requests": 2}}},
        template("one", count=1),
        template("two", count=2),
    )
    assert selected_template(render(run_cli, root)) == "two"


def test_gpu_model_override_keeps_candidates_without_a_gpu_model(write_tree, run_cli) -> None:
    root = _override_tree(
        write_tree,
        {"hardware": {"gpu": {"model": "MI300X"}}},
        template("mi325x", gpu="MI325X"),
        template("cpu", gpu=None, count=0),
    )
    assert selected_template(render(run_cli, root)) == "cpu"


def test_metric_override_rejects_candidates_with_unknown_metric(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(metric=None)],
            "svc.yaml": [service(overrides={"metric": "latency"})],
        },
    )
    _at_model_reference(the_error(run_cli, root, "E_NO_TEMPLATE"), root)
    rows = _candidates(explain(run_cli, root, "team/svc"))
    assert rows["t"]["reason"] == "ServiceOverridesNotMatched"


def test_metric_and_precision_overrides_compare_case_insensitively(write_tree) -> None:
    """The operator compares with EqualFold; the CRD enums keep inputs lower-case, so this checks
    the selection function directly with a discovered profile written ``Latency``/``FP8``."""
    from aimctl.pipeline import LoadOptions, load_inputs
    from aimctl.resolve.inventory import GpuInventory
    from aimctl.resolve.model import resolve_model
    from aimctl.resolve.selection import select_template

    root = tree(
        write_tree,
        model(),
        template(sources=False, status=frozen(), metric=None, precision=None),
        service(overrides={"metric": "latency", "precision": "fp8"}),
    )
    inputs = load_inputs(LoadOptions(paths=(root,)))
    assert not inputs.has_errors, inputs.diagnostics
    inventory = GpuInventory.from_project(inputs.project)
    index = TemplateIndex.build(inputs.catalog, inventory)
    view = index.get("team", "t")
    assert view is not None
    view.status["profile"]["metadata"].update(metric="Latency", precision="FP8")
    (svc,) = inputs.catalog.of_kind("AIMService")
    resolved, problems = resolve_model(inputs.catalog, svc)
    assert resolved is not None and not problems
    selection, problems = select_template(index, svc, resolved, inventory)
    assert problems == []
    assert selection.template is view


def test_cluster_gpus_drop_templates_for_gpus_not_on_the_nodes(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("mi325x", gpu="MI325X"),
        template("mi300x", gpu="MI300X"),
        service(),
        files={"aimctl.yaml": [project(["MI300X"])]},
    )
    items, stderr = render_stderr(run_cli, root)
    assert selected_template(items) == "mi300x"
    assert "assumed" not in stderr


def test_frozen_ready_template_for_a_missing_gpu_is_dropped(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(hw=False, sources=False, status=frozen(gpu="MI325X")),
        service(),
        files={"aimctl.yaml": [project(["MI300X"])]},
    )
    the_error(run_cli, root, "E_NO_TEMPLATE")
    rows = _candidates(explain(run_cli, root, "team/svc"))
    assert rows["t"]["reason"] == "RequiredGPUNotInCluster"


def test_cluster_gpu_names_are_normalised(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        service(),
        files={"aimctl.yaml": [project(["Instinct MI300X"])]},
    )
    assert selected_template(render(run_cli, root)) == "t"


@pytest.mark.parametrize(
    ("gpus", "available"),
    [([{"model": "MI300X"}], False), ([{"model": "MI300X", "vram": "256Gi"}], True)],
    ids=["table-vram-192G", "declared-vram-256Gi"],
)
def test_min_vram_template_needs_a_cluster_gpu_with_enough_vram(
    write_tree, run_cli, gpus: list[Doc], available: bool
) -> None:
    root = tree(
        write_tree,
        model(),
        template(hardware={"gpu": {"requests": 1, "minVram": "200Gi"}}),
        service(),
        files={"aimctl.yaml": [project(gpus)]},
    )
    selects_or_refuses(run_cli, root, available, "E_TEMPLATE_NOT_READY")


@pytest.mark.parametrize(
    ("gpus", "available"), [([], False), (["MI210"], True)], ids=["no-gpus", "some-gpu"]
)
def test_template_requesting_gpus_without_a_model_needs_any_cluster_gpu(
    write_tree, run_cli, gpus: list[str], available: bool
) -> None:
    root = tree(
        write_tree,
        model(),
        template(gpu=None, count=1),
        service(),
        files={"aimctl.yaml": [project(gpus)]},
    )
    selects_or_refuses(run_cli, root, available, "E_TEMPLATE_NOT_READY")


def test_without_cluster_gpus_every_gpu_is_assumed_and_said_once(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(gpu="MI355X"),
        service("a"),
        service("b"),
    )
    items, stderr = render_stderr(run_cli, root)
    assert {selected_template([i]) for i in of_kind(items, "InferenceService")} == {"t"}
    assert stderr.count("assumed") == 1


def test_namespace_candidates_drop_cluster_candidates(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        model(cluster=True),
        template("cluster-best", cluster=True, gpu="MI325X"),
        template("namespace-ok", gpu="MI210"),
        service(),
    )
    assert selected_template(render(run_cli, root)) == "namespace-ok"


def test_cluster_candidates_kept_when_no_namespace_candidate_survives(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        model(cluster=True),
        template("cluster-ok", cluster=True, gpu="MI210"),
        template("namespace-absent", sources=False, status=frozen("NotAvailable")),
        service(),
    )
    assert selected_template(render(run_cli, root)) == "cluster-ok"


def test_namespace_template_of_a_cluster_model_never_becomes_ready(write_tree, run_cli) -> None:
    root = tree(write_tree, model(cluster=True), template(), service())
    the_error(run_cli, root, "E_TEMPLATE_NOT_READY")


# --- automatic selection: ranking (§3.3.2 step 6) --------------------------------------------------

RANKED_PAIRS = [
    # (what decides, better template attributes, worse template attributes)
    ("type optimized", {"type_": "optimized"}, {"type_": "preview"}),
    ("type preview", {"type_": "preview"}, {"type_": "unoptimized"}),
    ("type known", {"type_": "unoptimized"}, {"type_": None}),
    ("gpu MI325X", {"gpu": "MI325X"}, {"gpu": "MI300X"}),
    ("gpu MI300X", {"gpu": "MI300X"}, {"gpu": "MI250X"}),
    ("gpu MI250X", {"gpu": "MI250X"}, {"gpu": "MI210"}),
    ("gpu MI210 over MI355X", {"gpu": "MI210"}, {"gpu": "MI355X"}),
    ("gpu MI210 over MI300A", {"gpu": "MI210"}, {"gpu": "MI300A"}),
    ("gpu MI210 over CPU", {"gpu": "MI210"}, {"gpu": None, "count": 0}),
    ("gpu not normalised", {"gpu": "MI210"}, {"gpu": "Instinct MI300X"}),
    ("gpu upper-cased", {"gpu": "mi300x"}, {"gpu": "MI250X"}),
    ("metric latency", {"metric": "latency"}, {"metric": "throughput"}),
    ("metric known", {"metric": "throughput"}, {"metric": None}),
    ("precision fp4", {"precision": "fp4"}, {"precision": "int4"}),
    ("precision int4", {"precision": "int4"}, {"precision": "fp8"}),
    ("precision fp8", {"precision": "fp8"}, {"precision": "int8"}),
    ("precision int8", {"precision": "int8"}, {"precision": "fp16"}),
    ("precision fp16", {"precision": "fp16"}, {"precision": "bf16"}),
    ("precision bf16", {"precision": "bf16"}, {"precision": "fp32"}),
    ("precision fp32", {"precision": "fp32"}, {"precision": "auto"}),
    ("precision fp32 over none", {"precision": "fp32"}, {"precision": None}),
    (
        "type before gpu",
        {"type_": "optimized", "gpu": "MI210"},
        {"type_": "preview", "gpu": "MI325X"},
    ),
    (
        "gpu before metric",
        {"gpu": "MI325X", "metric": "throughput"},
        {"gpu": "MI300X", "metric": "latency"},
    ),
    (
        "metric before precision",
        {"metric": "latency", "precision": "fp32"},
        {"metric": "throughput", "precision": "fp4"},
    ),
]


@pytest.mark.parametrize(
    ("better", "worse"), [(b, w) for _, b, w in RANKED_PAIRS], ids=[i for i, _, _ in RANKED_PAIRS]
)
def test_ranking_selects_the_better_template_whatever_the_candidate_order(
    write_tree, run_cli, better: dict[str, Any], worse: dict[str, Any]
) -> None:
    """Two services, one where the better template sorts first and one where it sorts last."""
    root = tree(
        write_tree,
        model("x"),
        template("a-better", model_name="x", **better),
        template("z-worse", model_name="x", **worse),
        service("sx", model={"name": "x"}, template={"allowUnoptimized": True}),
        model("y"),
        template("a-worse", model_name="y", **worse),
        template("z-better", model_name="y", **better),
        service("sy", model={"name": "y"}, template={"allowUnoptimized": True}),
    )
    chosen = {
        isvc["metadata"]["labels"]["aim.eai.amd.com/service.name"]: selected_template([isvc])
        for isvc in of_kind(render(run_cli, root), "InferenceService")
    }
    assert chosen == {"sx": "a-better", "sy": "z-better"}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"count": 1}, {"count": 2}),
        ({"gpu": "MI355X"}, {"gpu": "MI300A"}),
        ({"gpu": "MI355X"}, {"gpu": None, "count": 0}),
        ({"precision": "auto"}, {"precision": None}),
    ],
    ids=["gpu-count-not-ranked", "unknown-gpus", "unknown-gpu-and-cpu", "auto-and-no-precision"],
)
def test_tie_on_the_best_rank_is_an_ambiguous_selection_error(
    write_tree, run_cli, first: Doc, second: Doc
) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template("a", **first), template("b", **second)],
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_AMBIGUOUS")
    _at_model_reference(error, root)
    assert "team/a" in error["message"] and "team/b" in error["message"]


def test_tie_below_the_best_rank_is_not_ambiguous(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("best", gpu="MI325X"),
        template("tie-a", gpu="MI210", count=1),
        template("tie-b", gpu="MI210", count=2),
        service(),
    )
    assert selected_template(render(run_cli, root)) == "best"


# --- sticky status references (§3.2 step 0, §3.3 step 0) -------------------------------------------


def test_sticky_resolved_template_short_circuits_selection(write_tree, run_cli) -> None:
    sticky = {"resolvedTemplate": {"name": "worse", "namespace": "team", "scope": "Namespace"}}
    root = tree(
        write_tree,
        model(),
        template("best", gpu="MI325X"),
        template("worse", gpu="MI210"),
        service(status=sticky),
    )
    assert selected_template(render(run_cli, root)) == "worse"


def test_sticky_cluster_template_reference(write_tree, run_cli) -> None:
    sticky = {"resolvedTemplate": {"name": "pinned", "scope": "Cluster"}}
    root = tree(
        write_tree,
        *base(),
        template("pinned", cluster=True, model_name="something-else"),
        service(status=sticky),
    )
    assert selected_template(render(run_cli, root)) == "pinned"


@pytest.mark.parametrize("present", [False, True], ids=["missing", "not-ready"])
def test_sticky_resolved_template_is_ignored_unless_it_exists_and_is_ready(
    write_tree, run_cli, present: bool
) -> None:
    sticky = {"resolvedTemplate": {"name": "gone", "namespace": "team", "scope": "Namespace"}}
    docs = [model(), template("fresh", gpu="MI210"), service(status=sticky)]
    if present:
        docs.append(template("gone", gpu="MI325X", sources=False, status=frozen("NotAvailable")))
    root = tree(write_tree, *docs)
    assert selected_template(render(run_cli, root)) == "fresh"


def test_sticky_resolved_model_short_circuits_model_lookup(write_tree, run_cli) -> None:
    sticky = {"resolvedModel": {"name": "pinned", "namespace": "team", "scope": "Namespace"}}
    root = tree(
        write_tree,
        *base(),
        model("pinned", image="example.com/pinned:1"),
        template("pinned-t", model_name="pinned"),
        service(status=sticky),
    )
    items = render(run_cli, root)
    assert container(items)["image"] == "example.com/pinned:1"
    assert selected_template(items) == "pinned-t"


def test_sticky_resolved_model_is_ignored_when_not_ready(write_tree, run_cli) -> None:
    sticky = {"resolvedModel": {"name": "pinned", "namespace": "team", "scope": "Namespace"}}
    root = tree(
        write_tree,
        *base(),
        model("pinned", image="example.com/pinned:1", status={"status": "Failed"}),
        template("pinned-t", model_name="pinned"),
        service(status=sticky),
    )
    assert container(render(run_cli, root))["image"] == "example.com/m:1"


# --- derived template (§4.5) -------------------------------------------------------------------------


def test_overrides_on_a_namespace_template_plan_a_derived_template(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("base", gpu="MI300X", count=4, metric="throughput", precision="fp8"),
        service(
            overrides={
                "metric": "throughput",
                "precision": "fp8",
                "hardware": {"gpu": {"model": "MI300X", "requests": 4}},
            }
        ),
    )
    items = render(run_cli, root, "--include-intermediates")
    assert selected_template(items) == "base"
    derived = one(items, "AIMServiceTemplate")
    assert derived["metadata"]["name"] == "base-ovr-mi300x-4gpu-fp8-throughput-b295"  # §5.6
    assert derived["metadata"]["labels"]["aim.eai.amd.com/origin"] == "derived"
    assert derived["spec"]["caching"] == {"enabled": True}
    assert derived["spec"]["runtimeConfigName"] == "default"


def test_overrides_on_a_cluster_template_plan_no_derived_template(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(cluster=True),
        template(cluster=True, metric="throughput"),
        service(overrides={"metric": "throughput"}),
    )
    assert of_kind(render(run_cli, root, "--include-intermediates"), "AIMServiceTemplate") == []
