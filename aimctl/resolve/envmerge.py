"""The operator's env merge primitive and the ``AIM_ENGINE_ARGS`` JSON deep merge (§3.4.1).

Env entries are JSON-like dicts ``{"name": …, "value": …, "valueFrom": {…}}`` as in a manifest.
The operator's "null" (nil slice) result is represented as an empty list.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence, Set
from typing import Any

from aimctl.resolve.gojson import go_json_scalar, go_json_string

__all__ = ["go_marshal", "merge_engine_args", "merge_env_vars"]

EnvVar = dict[str, Any]


def merge_env_vars(
    defaults: Sequence[Mapping[str, Any]] | None,
    overrides: Sequence[Mapping[str, Any]] | None,
    json_keys: Set[str] = frozenset(),
) -> list[EnvVar]:
    """MergeEnvVars(defaults, overrides, jsonKeys), exactly as §3.4.1.

    * Overrides are indexed by name; a later duplicate in ``overrides`` wins in the index.
    * ``defaults`` are walked in order: a name found in the index and not yet consumed emits the
      override (for a name in ``json_keys``: ``{name, value: merge_engine_args(default, override)}``,
      dropping any ``valueFrom``) and is consumed; anything else (including a second default with a
      consumed name) is emitted unchanged, so duplicates survive.
    * Then every override whose name was not consumed is appended, in ``overrides`` order.
    * An empty result is ``[]`` (the operator's nil, i.e. the field is absent).

    Entries are shared with the inputs, not copied: callers treat env entries as immutable
    (nothing in aimctl modifies one after it is built), which keeps merging cheap.
    """
    if not overrides:
        return [dict(entry) for entry in defaults or ()]
    if not defaults:
        return [dict(entry) for entry in overrides]
    index = {str(entry.get("name")): entry for entry in overrides}
    consumed: set[str] = set()
    merged: list[EnvVar] = []
    for entry in defaults:
        name = str(entry.get("name"))
        if name in index and name not in consumed:
            winner = index[name]
            if name in json_keys:
                merged.append(_json_entry(name, entry, winner))
            else:
                merged.append(dict(winner))
            consumed.add(name)
        else:
            merged.append(dict(entry))
    merged += [dict(e) for e in overrides if str(e.get("name")) not in consumed]
    return merged


def _json_entry(name: str, low: Mapping[str, Any], high: Mapping[str, Any]) -> EnvVar:
    """The merged ``AIM_ENGINE_ARGS`` entry: name and value only (``value`` omitted when empty)."""
    value = merge_engine_args(str(low.get("value") or ""), str(high.get("value") or ""))
    return {"name": name, "value": value} if value else {"name": name}


def merge_engine_args(low: str, high: str) -> str:
    """Deep-merge two ``AIM_ENGINE_ARGS`` JSON values, ``high`` winning (§3.4.1).

    Either side empty -> the other, verbatim. Either side not a JSON *object* (invalid JSON, an
    array, ``null``, numbers out of float64 range…) -> ``high`` verbatim. Otherwise objects merge
    recursively (nested objects merged, any other value replaced by ``high``'s) and are re-encoded
    the Go way: compact, keys sorted, ``<>&`` escaped, numbers as float64 (``1`` not ``1.0``).
    """
    if not low:
        return high
    if not high:
        return low
    low_obj, high_obj = _parse_object(low), _parse_object(high)
    if low_obj is None or high_obj is None:
        return high
    return go_marshal(_deep_merge(low_obj, high_obj))


def _go_number(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"json: cannot unmarshal number {text} into a float64")
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"invalid character in JSON: {name}")


def _parse_object(text: str) -> dict[str, Any] | None:
    """``json.Unmarshal`` into ``map[string]any``: every number a float64; not an object -> None."""
    try:
        value = json.loads(
            text, parse_int=_go_number, parse_float=_go_number, parse_constant=_reject_constant
        )
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _deep_merge(low: Mapping[str, Any], high: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(low)
    for key, value in high.items():
        base = merged.get(key)
        if isinstance(base, Mapping) and isinstance(value, Mapping):
            merged[key] = _deep_merge(base, value)
        else:
            merged[key] = value
    return merged


def go_marshal(value: object) -> str:
    """``json.Marshal`` of a JSON-like value: objects with sorted keys, Go string escaping, float64
    numbers as ``gojson.go_json_scalar`` writes them (Python ``int`` as a decimal integer).
    """
    scalar = go_json_scalar(value)
    if scalar is not None:
        return scalar
    if isinstance(value, Mapping):
        items = (f"{go_json_string(str(k))}:{go_marshal(value[k])}" for k in sorted(value))
        return "{" + ",".join(items) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(go_marshal(item) for item in value) + "]"
    raise TypeError(f"json: unsupported type {type(value).__name__}")
