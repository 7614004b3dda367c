"""The loader's direct node walk builds exactly what PyYAML's own constructor builds.

``aimctl.loader`` memoises scalar tags and walks anchor-free documents itself (design §7: load is
on the hot path). These tests hold it to PyYAML's generic constructor with the same resolver and
constructors (go-yaml v2's scalar types, ``aimctl.goscalars``): same values, same types, same
key order, and an error wherever the generic path raises one.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimctl import loader


class _Reference(loader._Loader):
    """aimctl's loader through PyYAML's generic ``construct_document`` (go-yaml v2 scalar types,
    JSON keys, duplicate check), which the direct walk must match."""


def _reference(text: str) -> tuple[str, Any]:
    try:
        return "ok", list(yaml.load_all(text, Loader=_Reference))
    except (yaml.YAMLError, ValueError, TypeError):
        return "error", None


def _ours(text: str) -> tuple[str, Any]:
    try:
        return "ok", [data for _, _, data in loader.parse_text(text)]
    except (loader._InputError, ValueError, TypeError):
        return "error", None


def _typed(value: Any) -> Any:
    """Values with their types spelled out (1 == 1.0 == True in Python; YAML tells them apart)."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, repr(value))


def _same(text: str) -> None:
    expected, ours = _reference(text), _ours(text)
    assert ours[0] == expected[0], text
    if expected[0] == "ok":
        assert _typed(ours[1]) == _typed(expected[1]), text


_ATOMS = [
    "yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "", "true", "False", "TRUE",
    "0x1F", "0o17", "017", "0b101", "1_000", "+1", "-0", "190:20:30", "1e3", "1.5", ".5",
    ".inf", "-.Inf", ".nan", "=", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "a b",
    "'quoted'", '"esc\\n"', "'yes'", '"1"', "!!binary aGVsbG8=", "!!str 1", "!!int 3",
    "!!float 1", "!!null x", "!!bool yes", "!!set {a, b}", "!!omap [ {a: 1} ]", "[1, 2]",
    "{x: y}", "!custom tag",
]  # fmt: skip
_KEYS = [*_ATOMS[:30], "name", "spec", "? [a]", "? {b: c}", "<<"]


@st.composite
def _flow(draw: st.DrawFn, depth: int = 0) -> str:
    shape = draw(st.integers(0, 2)) if depth < 3 else 0
    if shape == 0:
        return draw(st.sampled_from(_ATOMS))
    items = draw(st.lists(_flow(depth + 1), max_size=3))
    if shape == 1:
        return "[" + ", ".join(items) + "]"
    keys = draw(st.lists(st.sampled_from(_ATOMS[:30]), min_size=len(items), max_size=len(items)))
    return "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items, strict=True)) + "}"


@st.composite
def _block(draw: st.DrawFn, depth: int = 0, indent: str = "") -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(_KEYS))
        nested = depth < 3 and draw(st.booleans())
        if not nested:
            lines.append(f"{indent}{key}: {draw(_flow())}")
        elif draw(st.booleans()):
            lines.append(f"{indent}{key}:")
            lines.extend(draw(_block(depth + 1, indent + "  ")))
        else:
            lines.append(f"{indent}{key}:")
            lines.extend(f"{indent}- {draw(_flow())}" for _ in range(draw(st.integers(1, 3))))
    return lines


@settings(max_examples=400, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_block(), min_size=1, max_size=3))
def test_random_documents_construct_as_pyyaml_does(documents: list[list[str]]) -> None:
    _same("---\n".join("\n".join(lines) + "\n" for lines in documents))


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key: both raise
        "yes: 1\ntrue: 2\n",  # distinct spellings of one key "true": both raise
        "1: a\n1.0: b\n0x1: c\n",
        "? [a, b]\n: 1\n",  # complex key: PyYAML's own path
        "a: !!binary aGVsbG8=\nb: !!set {x, y}\n",
        "a: !!int nope\n",  # PyYAML raises ValueError; so do we
        "a: !unknown x\n",
        "=: 1\n",
        "- [[[[]]]]\n- {}\n- ''\n",
        "plain scalar document\n",
    ],
)
def test_edge_documents_construct_as_pyyaml_does(text: str) -> None:
    _same(text)


def test_a_document_nested_past_the_limit_is_refused_with_its_line() -> None:
    deep = "{a: " * (loader.MAX_DEPTH + 2) + "1" + "}" * (loader.MAX_DEPTH + 2)
    with pytest.raises(loader._InputError, match="nesting deeper") as caught:
        list(loader.parse_text(f"ok: 1\n---\nx: {deep}\n"))
    assert caught.value.line == 3


def test_nesting_at_the_limit_is_accepted() -> None:
    nested = "{a: " * loader.MAX_DEPTH + "1" + "}" * loader.MAX_DEPTH
    (_, _, data), *_ = list(loader.parse_text(f"{nested}\n"))
    for _ in range(loader.MAX_DEPTH):
        data = data["a"]
    assert data == 1
