"""MergeEnvVars and the AIM_ENGINE_ARGS deep merge behave exactly as §3.4.1 describes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimctl.resolve.envmerge import go_marshal, merge_engine_args, merge_env_vars

ARGS = "AIM_ENGINE_ARGS"


def env(name: str, value: str | None = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name}
    if value is not None:
        entry["value"] = value
    entry.update(extra)
    return entry


def test_override_replaces_default_in_the_defaults_position() -> None:
    merged = merge_env_vars([env("A", "1"), env("B", "2")], [env("A", "x")])
    assert merged == [env("A", "x"), env("B", "2")]


def test_new_overrides_are_appended_in_override_order() -> None:
    merged = merge_env_vars([env("A", "1")], [env("C", "3"), env("B", "2")])
    assert merged == [env("A", "1"), env("C", "3"), env("B", "2")]


def test_later_duplicate_override_wins_the_index() -> None:
    merged = merge_env_vars([env("A", "1")], [env("A", "x"), env("A", "y")])
    assert merged == [env("A", "y")]


def test_duplicate_defaults_survive_and_only_the_first_is_replaced() -> None:
    merged = merge_env_vars([env("A", "1"), env("A", "2")], [env("A", "x")])
    assert merged == [env("A", "x"), env("A", "2")]


def test_unconsumed_duplicate_overrides_are_all_appended() -> None:
    merged = merge_env_vars([], [env("A", "x"), env("A", "y")])
    assert merged == [env("A", "x"), env("A", "y")]


def test_override_value_from_replaces_default_literal() -> None:
    secret = {"secretKeyRef": {"name": "s", "key": "k"}}
    merged = merge_env_vars([env("T", "plain")], [env("T", valueFrom=secret)])
    assert merged == [env("T", valueFrom=secret)]


def test_empty_merge_result_is_an_empty_list_standing_for_operator_null() -> None:
    assert merge_env_vars([], []) == []
    assert merge_env_vars(None, None) == []


def test_merge_does_not_modify_its_inputs_and_returns_new_entries() -> None:
    defaults = [env("A", "1", valueFrom=None)]
    overrides = [env("B", valueFrom={"fieldRef": {"fieldPath": "x"}})]
    before = copy.deepcopy((defaults, overrides))
    merged = merge_env_vars(defaults, overrides)
    merged[0]["value"] = "changed"
    merged.append(env("C", "3"))
    assert (defaults, overrides) == before
    assert merged[1] is not overrides[0]


def test_engine_args_is_deep_merged_only_for_json_keys() -> None:
    low = [env(ARGS, '{"a": 1, "n": {"x": 1}}')]
    high = [env(ARGS, '{"b": 2, "n": {"y": 2}}')]
    assert merge_env_vars(low, high) == high
    merged = merge_env_vars(low, high, frozenset({ARGS}))
    assert merged == [env(ARGS, '{"a":1,"b":2,"n":{"x":1,"y":2}}')]


def test_engine_args_merge_drops_value_from_on_either_side() -> None:
    low = [env(ARGS, '{"a":1}', valueFrom=None)]
    high = [env(ARGS, valueFrom={"configMapKeyRef": {"name": "c", "key": "k"}})]
    assert merge_env_vars(low, high, {ARGS}) == [env(ARGS, '{"a":1}')]


def test_engine_args_defined_by_one_layer_passes_through_untouched() -> None:
    raw = '{ "z": 1.0, "a": "<x>" }'
    assert merge_env_vars([env("X", "1")], [env(ARGS, raw)], {ARGS}) == [
        env("X", "1"),
        env(ARGS, raw),
    ]


@pytest.mark.parametrize(
    ("low", "high", "merged"),
    [
        ("", '{"a":1}', '{"a":1}'),
        ('{ "a" : 1 }', "", '{ "a" : 1 }'),
        ('{"a":1}', "[1,2]", "[1,2]"),
        ("[1]", '{"a":1}', '{"a":1}'),
        ("not json", '{"a":1}', '{"a":1}'),
        ('{"a":1}', "null", "null"),
        ('{"a":1}', '{"a":1e400}', '{"a":1e400}'),
        ('{"a":NaN}', '{"b":1}', '{"b":1}'),
        ('{"a":1} x', '{"b":1}', '{"b":1}'),
    ],
)
def test_engine_args_empty_or_non_object_takes_the_other_or_higher_verbatim(
    low: str, high: str, merged: str
) -> None:
    assert merge_engine_args(low, high) == merged


def test_engine_args_merge_replaces_non_object_values_with_higher() -> None:
    low = '{"list":[1,2],"obj":{"k":1},"s":"a"}'
    high = '{"list":[3],"obj":"flat","s":{"now":"obj"}}'
    assert merge_engine_args(low, high) == '{"list":[3],"obj":"flat","s":{"now":"obj"}}'


def test_engine_args_are_reencoded_go_style() -> None:
    low = '{"z":1.0,"b":100000000000000000000000,"tiny":0.0000001,"neg":-0}'
    high = '{"html":"<a&b>","u":"\\u00e9\\u2028","big":12345678901234567890}'
    assert merge_engine_args(low, high) == (
        '{"b":1e+23,"big":12345678901234567000,"html":"\\u003ca\\u0026b\\u003e","neg":-0,'
        '"tiny":1e-7,"u":"é\\u2028","z":1}'
    )


def test_engine_args_merge_keeps_last_duplicate_key() -> None:
    assert merge_engine_args('{"a":1,"a":2}', '{"b":true}') == '{"a":2,"b":true}'


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=3), _json_values, max_size=4))
def test_go_marshal_output_is_valid_compact_json_with_sorted_keys(value: dict[str, Any]) -> None:
    text = go_marshal(value)
    decoded = json.loads(text)
    assert decoded == value
    assert list(decoded) == sorted(decoded)


@given(
    st.dictionaries(st.text(max_size=3), st.integers(-100, 100), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(-100, 100), max_size=4),
)
def test_engine_args_merge_of_flat_objects_is_higher_over_lower(
    low: dict[str, int], high: dict[str, int]
) -> None:
    merged = merge_engine_args(json.dumps(low), json.dumps(high))
    assert json.loads(merged) == {**low, **high}
