"""GPU tables, normalisation, VRAM parsing and node affinity follow the operator (§3.8, §4.10.1)."""

from __future__ import annotations

import pytest

from aimctl.resolve.gpu import (
    DEVICE_ID_KEY,
    DEVICE_ID_TABLE,
    STATIC_VRAM,
    device_ids_for_model,
    gpu_model_from_node_labels,
    gpu_rank,
    model_for_device_id,
    node_affinity_for,
    normalize_gpu_model,
    parse_vram,
    static_vram_bytes,
)

G = 1 << 30


def _ids(affinity: dict[str, object] | None) -> list[str]:
    assert affinity is not None
    terms = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]  # type: ignore[index]
    (expression,) = terms[0]["matchExpressions"]
    assert expression["key"] == DEVICE_ID_KEY
    assert expression["operator"] == "In"
    return list(expression["values"])


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("mi300x", "MI300X"),
        ("Instinct MI325X", "MI325X"),
        ("MI300X (rev 2)", "MI300X"),
        ("AMD Instinct MI210", "MI210"),
        ("  amd_mi250x  ", "MI250X"),
        ("gfx:MI355X", "MI355X"),
        ("AMD", "AMD"),
        ("AMD INSTINCT", "AMD"),
        ("something", "SOMETHING"),
        ("", ""),
        ("   ", ""),
        ("---", "---"),
    ],
)
def test_normalize_gpu_model_picks_the_model_number_token(raw: str, normalized: str) -> None:
    assert normalize_gpu_model(raw) == normalized


# Typed from operator-behaviour.md §3.8, kept in the spec's own notation.
SPEC_DEVICE_TABLE = """
738c,738e→MI100; 7408,740c→MI250X; 740f,7410→MI210; 74a0→MI300A;
74a1,74a9,74b5,74bd→MI300X; 74a2,74a8,74b6→MI308X; 74a5,74b9→MI325X;
75a0,75b0→MI350X; 75a3,75b3→MI355X; 7460,7461→V710; 7448,744a→W7900;
7449,745e→W7800; 73a2→W6900X; 73a3→W6800; 73ab→W6800X; 73a1,73ae→V620;
7550→RX9070; 744c→RX7900; 73af→RX6900; 73bf→RX6800
"""
SPEC_VRAM = """
MI355X 288G, MI350X 288G, MI325X 256G, MI308X 128G, MI300X 192G, MI300A 128G, MI250X 128G,
MI210 64G, MI100 32G, V710 32G, W7900 48G, W7800 32G, W6900X 32G, W6800 32G, W6800X 32G,
V620 32G, RX9070 16G, RX7900 24G, RX6900 16G, RX6800 16G
"""


def test_device_id_table_is_the_spec_table() -> None:
    expected = {}
    for group in SPEC_DEVICE_TABLE.replace("\n", " ").split(";"):
        ids, model = group.strip().split("→")
        expected.update(dict.fromkeys(ids.split(","), model))
    assert dict(DEVICE_ID_TABLE) == expected


def test_static_vram_table_is_the_spec_table() -> None:
    pairs = (item.split() for item in SPEC_VRAM.replace("\n", " ").split(","))
    assert dict(STATIC_VRAM) == {model: vram for model, vram in pairs}


def test_device_ids_for_mi300x_are_sorted_reverse_lookup() -> None:
    assert device_ids_for_model("mi300x") == ["74a1", "74a9", "74b5", "74bd"]


def test_device_ids_for_unknown_model_are_empty() -> None:
    assert device_ids_for_model("MI400") == []


@pytest.mark.parametrize(
    ("device", "model"), [("74a1", "MI300X"), ("0x74A5", "MI325X"), ("0X75b3", "MI355X")]
)
def test_device_id_lookup_lowercases_and_strips_0x(device: str, model: str) -> None:
    assert model_for_device_id(device) == model


def test_unknown_device_id_becomes_amd_prefixed_upper_case() -> None:
    assert model_for_device_id("0xabcd") == "AMD-ABCD"


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("192G", 192 * G),
        ("192g", 192 * G),
        ("1T", 1 << 40),
        (" 64G ", 64 * G),
        ("196608", 196608),
        ("", 0),
        ("1.5T", 0),
        ("192GB", 0),
        ("192Gi", 0),
    ],
)
def test_parse_vram_knows_only_g_t_and_plain_bytes(text: str, size: int) -> None:
    assert parse_vram(text) == size


def test_static_vram_of_mi300x_is_192_gib() -> None:
    assert static_vram_bytes("Instinct MI300X") == 192 * G
    assert static_vram_bytes("MI400") is None


@pytest.mark.parametrize(
    ("model", "rank"),
    [("MI325X", 0), ("mi300x", 1), ("MI250X", 2), ("MI210", 3), ("Instinct MI300X", 1004)],
)
def test_gpu_rank_upper_cases_but_does_not_normalise(model: str, rank: int) -> None:
    assert gpu_rank(model) == rank


def test_node_gpu_model_prefers_device_id_label() -> None:
    labels = {"amd.com/gpu.device-id": " 74a1 ", "amd.com/gpu.family": "AI"}
    assert gpu_model_from_node_labels(labels) == "MI300X"


def test_node_gpu_model_falls_back_to_beta_device_id() -> None:
    assert gpu_model_from_node_labels({"beta.amd.com/gpu.device-id": "74a5"}) == "MI325X"


def test_node_gpu_model_reads_count_encoded_device_id_key_with_nonzero_value() -> None:
    labels = {"amd.com/gpu.device-id.74a0": "0", "amd.com/gpu.device-id.74a1": "8"}
    assert gpu_model_from_node_labels(labels) == "MI300X"


def test_node_gpu_model_falls_back_to_family_labels() -> None:
    assert gpu_model_from_node_labels({"amd.com/gpu.family": "mi300x"}) == "MI300X"
    assert gpu_model_from_node_labels({"beta.amd.com/gpu.family.AI": "1"}) == "AI"


def test_node_without_gpu_labels_has_no_model() -> None:
    assert gpu_model_from_node_labels({"kubernetes.io/os": "linux"}) == ""


def test_node_affinity_for_model_lists_its_device_ids() -> None:
    assert _ids(node_affinity_for("MI325X", None, None)) == ["74a5", "74b9"]


def test_node_affinity_for_unknown_model_is_none() -> None:
    assert node_affinity_for("MI400", None, None) is None


def test_node_affinity_for_min_vram_uses_present_models_with_enough_vram() -> None:
    present = {"MI300X": None, "MI210": None, "MI325X": None}
    assert _ids(node_affinity_for(None, 200 * G, present)) == ["74a5", "74b9"]


def test_node_affinity_for_min_vram_prefers_declared_vram_over_static_table() -> None:
    present = {"MI210": 512 * G}
    assert _ids(node_affinity_for(None, 200 * G, present)) == ["740f", "7410"]


def test_node_affinity_for_min_vram_assumes_every_model_when_inventory_unknown() -> None:
    ids = _ids(node_affinity_for(None, 256 * G, None))
    assert ids == sorted(["74a5", "74b9", "75a0", "75b0", "75a3", "75b3"])


def test_node_affinity_with_min_vram_nobody_meets_is_none() -> None:
    assert node_affinity_for(None, 1 << 50, {"MI300X"}) is None


def test_node_affinity_from_preselected_model_set() -> None:
    assert _ids(node_affinity_for(None, None, {"MI300X", "MI210"})) == [
        "740f",
        "7410",
        "74a1",
        "74a9",
        "74b5",
        "74bd",
    ]


def test_node_affinity_needs_model_or_min_vram() -> None:
    assert node_affinity_for(None, None, None) is None


def test_node_affinity_for_min_vram_without_gpu_requests_is_none() -> None:
    assert node_affinity_for(None, 64 * G, None, gpu_requests=0) is None
    assert node_affinity_for("MI300X", None, None, gpu_requests=0) is not None
