"""Label propagation and its glob patterns follow the operator and Go's filepath.Match (§6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimctl.resolve.labels import glob_match, labels_to_propagate, propagate_labels

# --- glob semantics -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        ("team-*", "team-alpha"),
        ("org.example/*", "org.example/cost"),
        ("compliance.*/severity", "compliance.sec/severity"),
        ("*", "plain"),
        ("a?c", "abc"),
        ("a?c", "aéc"),
        ("[a-c]x", "bx"),
        ("[^a-c]x", "dx"),
        ("[!a-c]x", "!x"),
        ("\\*", "*"),
        ("[\\]]", "]"),
        ("*.io/*", "x.io/y"),
        ("a*b*c", "aXbYc"),
        ("", ""),
    ],
)
def test_glob_matches_like_go_filepath_match(pattern: str, key: str) -> None:
    assert glob_match(pattern, key)


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        ("team-*", "example.com/team-x"),
        ("*", "example.com/team"),
        ("a?c", "a/c"),
        ("[^a-c]x", "bx"),
        ("[!a-c]x", "dx"),
        ("team-*", "team"),
        ("a*", "xa"),
        ("abc", "ab"),
    ],
)
def test_glob_does_not_match(pattern: str, key: str) -> None:
    assert not glob_match(pattern, key)


@pytest.mark.parametrize("pattern", ["a[", "[]a]", "a\\", "[a-]", "*[", "x*[z", "[-a]"])
def test_malformed_glob_pattern_never_matches(pattern: str) -> None:
    for key in ("a", "x", "xyz", "a[", "]a]", ""):
        assert not glob_match(pattern, key)


@given(st.text(alphabet="ab./-", max_size=12))
def test_star_matches_exactly_the_keys_without_a_slash(key: str) -> None:
    assert glob_match("*", key) == ("/" not in key)


@given(st.text(alphabet="ab./-", max_size=12))
def test_pattern_without_metacharacters_matches_only_itself(key: str) -> None:
    assert glob_match(key, key)
    assert not glob_match(key + "x", key)


# --- propagation --------------------------------------------------------------------------------

PARENT = {
    "aim.eai.amd.com/service.name": "qwen-chat",
    "team-alpha": "yes",
    "example.com/team-x": "no",
    "env": "test",
}


def test_aim_labels_are_always_propagated_even_when_disabled() -> None:
    assert propagate_labels(PARENT, {}, False, ["*"]) == {
        "aim.eai.amd.com/service.name": "qwen-chat"
    }


def test_user_labels_need_enabled_propagation_and_a_matching_pattern() -> None:
    child = propagate_labels(PARENT, {}, True, ["team-*"])
    assert child == {"aim.eai.amd.com/service.name": "qwen-chat", "team-alpha": "yes"}


def test_enabled_propagation_with_empty_pattern_list_copies_only_aim_labels() -> None:
    assert list(propagate_labels(PARENT, {}, True, [])) == ["aim.eai.amd.com/service.name"]


def test_child_builder_labels_are_never_overwritten() -> None:
    child = {"aim.eai.amd.com/service.name": "builder", "team-alpha": "child"}
    merged = propagate_labels(PARENT, child, True, ["team-*"])
    assert merged == child


def test_propagated_labels_follow_the_child_labels_in_sorted_order() -> None:
    parent = {"z-team": "1", "aim.eai.amd.com/b": "2", "a-team": "3"}
    merged = propagate_labels(parent, {"own": "0"}, True, ["*-team"])
    assert list(merged) == ["own", "a-team", "aim.eai.amd.com/b", "z-team"]


def test_malformed_pattern_is_ignored_but_others_still_apply() -> None:
    assert labels_to_propagate({"env": "x"}, True, ["[", "e*"]) == {"env": "x"}


def test_propagation_does_not_modify_its_inputs() -> None:
    parent, child = dict(PARENT), {"own": "0"}
    propagate_labels(parent, child, True, ["*"])
    assert parent == PARENT and child == {"own": "0"}
