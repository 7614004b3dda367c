"""AMD GPU facts the operator hard-codes: device IDs, VRAM, normalisation, ranking, node affinity.

Ported from ``internal/utils/resources.go`` and ``internal/aimservice/selection.go``
(operator-behaviour.md §3.3.2, §3.8, §4.10.1). Pure functions over plain values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Set
from types import MappingProxyType
from typing import Any, Final

from aimctl.resolve.naming import go_lower, go_trim_space, go_upper

__all__ = [
    "DEVICE_ID_KEY",
    "DEVICE_ID_TABLE",
    "GPU_RANK",
    "STATIC_VRAM",
    "device_ids_for_model",
    "gpu_model_from_node_labels",
    "gpu_rank",
    "model_for_device_id",
    "node_affinity_for",
    "normalize_gpu_model",
    "parse_vram",
    "static_vram_bytes",
]

DEVICE_ID_KEY: Final = "amd.com/gpu.device-id"
"""The only node label key the operator's node affinity uses (never the ``beta.`` one)."""

DEVICE_ID_TABLE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "738c": "MI100", "738e": "MI100",
        "7408": "MI250X", "740c": "MI250X",
        "740f": "MI210", "7410": "MI210",
        "74a0": "MI300A",
        "74a1": "MI300X", "74a9": "MI300X", "74b5": "MI300X", "74bd": "MI300X",
        "74a2": "MI308X", "74a8": "MI308X", "74b6": "MI308X",
        "74a5": "MI325X", "74b9": "MI325X",
        "75a0": "MI350X", "75b0": "MI350X",
        "75a3": "MI355X", "75b3": "MI355X",
        "7460": "V710", "7461": "V710",
        "7448": "W7900", "744a": "W7900",
        "7449": "W7800", "745e": "W7800",
        "73a2": "W6900X",
        "73a3": "W6800",
        "73ab": "W6800X",
        "73a1": "V620", "73ae": "V620",
        "7550": "RX9070",
        "744c": "RX7900",
        "73af": "RX6900",
        "73bf": "RX6800",
    }
)  # fmt: skip
"""PCI device ID (lower-case hex, no ``0x``) -> normalised AMD GPU model (§3.8)."""

STATIC_VRAM: Final[Mapping[str, str]] = MappingProxyType(
    {
        "MI355X": "288G", "MI350X": "288G", "MI325X": "256G", "MI308X": "128G",
        "MI300X": "192G", "MI300A": "128G", "MI250X": "128G", "MI210": "64G", "MI100": "32G",
        "V710": "32G", "W7900": "48G", "W7800": "32G", "W6900X": "32G", "W6800": "32G",
        "W6800X": "32G", "V620": "32G", "RX9070": "16G", "RX7900": "24G", "RX6900": "16G",
        "RX6800": "16G",
    }
)  # fmt: skip
"""VRAM per GPU used when a node has no ``amd.com/gpu.vram`` label, in the label's format (§3.8)."""

GPU_RANK: Final[Mapping[str, int]] = MappingProxyType(
    {"MI325X": 0, "MI300X": 1, "MI250X": 2, "MI210": 3}
)
"""Template-ranking score of a GPU model (§3.3.2 step 6.2); anything else scores 1004."""

_MODEL_TOKEN: Final = re.compile(
    r"(MI|ME|RX|RTX|GTX|A|H|L|T|V|K|P|QUADRO|TESLA|GRID)?[A-Z]*[0-9]+[A-Z0-9]*"
)
_SKIPPED_TOKENS: Final = frozenset({"AMD", "INSTINCT"})
_FAMILY_KEYS: Final = ("amd.com/gpu.family", "beta.amd.com/gpu.family")
_DEVICE_KEYS: Final = (DEVICE_ID_KEY, "beta.amd.com/gpu.device-id")


@functools.lru_cache(maxsize=8192)
def normalize_gpu_model(model: str) -> str:
    """NormalizeGPUModel (§3.8): ``mi300x`` -> ``MI300X``, ``Instinct MI325X`` -> ``MI325X``.

    Trim; ``_`` -> ``-``; upper-case; split on ``-``, space, ``/``, ``:``; the first token (skipping
    ``AMD`` and ``INSTINCT``) that looks like a model number wins, else the first token, else the
    upper-cased string. An empty (or all-space) input gives ``""``.
    """
    model = go_trim_space(model)
    if not model:
        return ""
    model = go_upper(model.replace("_", "-"))
    tokens = [t for t in re.split(r"[- /:]", model) if t]
    for token in tokens:
        token = go_trim_space(token)
        if token and token not in _SKIPPED_TOKENS and _MODEL_TOKEN.fullmatch(token):
            return token
    return tokens[0] if tokens else model


def model_for_device_id(device_id: str) -> str:
    """MapAMDDeviceIDToModel: lower-case, strip ``0x``; unknown IDs become ``AMD-<ID>``."""
    device_id = go_lower(device_id).removeprefix("0x")
    return DEVICE_ID_TABLE.get(device_id, "AMD-" + go_upper(device_id))


def device_ids_for_model(model: str) -> list[str]:
    """Every device ID whose model equals ``normalize_gpu_model(model)``, sorted ascending.

    The operator walks a Go map, so its order is random; aimctl sorts (§3.8).
    """
    normalized = normalize_gpu_model(model)
    return sorted(dev for dev, name in DEVICE_ID_TABLE.items() if name == normalized)


def parse_vram(text: str) -> int:
    """ParseVRAMToBytes: ``<n>G`` ×2^30, ``<n>T`` ×2^40, plain digits are bytes; anything else 0.

    A MiB label such as ``196608`` is therefore 196 608 bytes, exactly as in the operator (§11 #14).
    """
    if not text:
        return 0
    text = go_trim_space(go_upper(text))
    multiplier = 1
    if text.endswith("G"):
        multiplier, text = 1 << 30, text[:-1]
    elif text.endswith("T"):
        multiplier, text = 1 << 40, text[:-1]
    if not all("0" <= c <= "9" for c in text):
        return 0
    return int(text or "0") * multiplier


def static_vram_bytes(model: str) -> int | None:
    """VRAM of a model from the static table, in bytes; ``None`` when the model is unknown."""
    vram = STATIC_VRAM.get(normalize_gpu_model(model))
    return None if vram is None else parse_vram(vram)


def gpu_rank(model: str) -> int:
    """Ranking score of a template's GPU (upper-cased, *not* normalised): lower is better."""
    return GPU_RANK.get(go_upper(model), 1004)


def _label_value(labels: Mapping[str, str], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = go_trim_space(labels.get(key, ""))
        if value:
            return value
    return ""


def _label_suffix(labels: Mapping[str, str], keys: tuple[str, ...]) -> str:
    """Suffix of the first ``<key>.<suffix>`` label with a value other than empty/``0``.

    The operator walks a Go map (random order); aimctl takes keys in sorted order.
    """
    for key in keys:
        prefix = key + "."
        for label in sorted(labels):
            value = go_trim_space(labels[label])
            if label.startswith(prefix) and value not in ("", "0") and label[len(prefix) :]:
                return label[len(prefix) :]
    return ""


def gpu_model_from_node_labels(labels: Mapping[str, str]) -> str:
    """ExtractAMDModel (§3.8): device-id label, then count-encoded device-id key, then family.

    Returns the normalised model, or ``""`` when the node's labels name no AMD GPU.
    """
    if device := _label_value(labels, _DEVICE_KEYS) or _label_suffix(labels, _DEVICE_KEYS):
        return model_for_device_id(device)
    if family := _label_value(labels, _FAMILY_KEYS) or _label_suffix(labels, _FAMILY_KEYS):
        return normalize_gpu_model(family)
    return ""


def _present_vram(present: Mapping[str, int | None] | Set[str] | None) -> dict[str, int]:
    """Normalised model -> VRAM bytes (declared, else static table, else 0) for present GPUs."""
    if present is None:
        present = frozenset(DEVICE_ID_TABLE.values())
    declared: Mapping[str, int | None] = (
        present if isinstance(present, Mapping) else dict.fromkeys(present)
    )
    out: dict[str, int] = {}
    for model, vram in declared.items():
        name = normalize_gpu_model(model)
        out[name] = vram if vram is not None else (static_vram_bytes(name) or 0)
    return out


def node_affinity_for(
    model: str | None,
    min_vram_bytes: int | None,
    present_models: Mapping[str, int | None] | Set[str] | None,
    *,
    gpu_requests: int | None = None,
) -> dict[str, Any] | None:
    """The template's ``status.resolvedNodeAffinity`` (§4.10.1), or ``None`` for no affinity.

    * ``model`` set: the device IDs of that model (reverse table lookup).
    * else ``min_vram_bytes`` set: the IDs of every present GPU model whose VRAM is at least that
      many bytes. ``present_models`` maps model -> declared VRAM bytes (``None`` = static table) or
      is a plain set of models; ``None`` means "assume every known AMD model is present".
    * else ``present_models`` given: taken as the already-chosen candidate models (their IDs).
    * ``gpu_requests`` (when given) is the spec's ``hardware.gpu.requests``: without a model, a
      template that requests no GPU gets no affinity. Pass ``None`` if the caller checked this.

    No device IDs (e.g. unknown model ``MI400``) means no affinity at all. IDs are sorted.
    """
    model = go_trim_space(model or "")
    if not model and gpu_requests is not None and gpu_requests <= 0:
        return None
    if model:
        ids = device_ids_for_model(model)
    elif min_vram_bytes is not None or present_models is not None:
        need = min_vram_bytes or 0
        chosen = {m for m, vram in _present_vram(present_models).items() if vram >= need}
        ids = sorted({dev for dev, name in DEVICE_ID_TABLE.items() if name in chosen})
    else:
        return None
    if not ids:
        return None
    expression = {"key": DEVICE_ID_KEY, "operator": "In", "values": ids}
    return {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [expression]}]
        }
    }
