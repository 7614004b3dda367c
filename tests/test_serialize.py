"""The YAML serializer: quoting rules, exact layout, and round trips through YAML 1.1 and 1.2 readers.

Readers used as oracles:

* PyYAML ``SafeLoader`` (pure Python, YAML 1.1) and ``CSafeLoader`` (libyaml, the C library whose
  scanner go-yaml v2 — and so ``sigs.k8s.io/yaml``/kubectl — is a line-by-line port of);
* an emulation of go-yaml v2's implicit resolver (``resolve.go``), which is wider than PyYAML's
  (``y``/``n``, ``1e3``, ``0o17``, ``_`` anywhere in a number);
* ruamel.yaml ``typ="safe", pure=True`` (YAML 1.2).

Loaded data must be *identical*: same types (``True`` is not ``1``, a timestamp ``datetime`` is not
the string it came from, ``1.0`` is not ``1``), same values, same key order.
"""

from __future__ import annotations

import collections
import enum
import math
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from aimctl import serialize
from aimctl.emit import stream_text
from aimctl.serialize import dump_yaml

_RUAMEL_SAFE = YAML(typ="safe", pure=True)


def load_yaml11(text: str) -> object:
    return yaml.load(text, Loader=yaml.SafeLoader)


def load_yaml11_libyaml(text: str) -> object:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def load_yaml12(text: str) -> object:
    return _RUAMEL_SAFE.load(text)


def assert_identical(loaded: object, expected: object) -> None:
    """Equal values of the same types, dict keys in the same order (``True != 1`` here)."""
    assert type(loaded) is type(expected), (loaded, expected)
    if isinstance(expected, dict):
        assert isinstance(loaded, dict)
        assert list(loaded) == list(expected)
        for key, value in expected.items():
            assert_identical(loaded[key], value)
    elif isinstance(expected, list):
        assert isinstance(loaded, list)
        assert len(loaded) == len(expected)
        for got, want in zip(loaded, expected, strict=True):
            assert_identical(got, want)
    elif isinstance(expected, float):
        assert repr(loaded) == repr(expected)
    else:
        assert loaded == expected


# go-yaml v2 resolve.go: resolveMapList, then by first character: "." -> strconv.ParseFloat;
# "+-0-9" -> timestamp, ParseInt(base 0)/ParseUint/yamlStyleFloat after deleting every "_", "0b".
_GO_WORD_TEXT = (
    "y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF "
    "~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF <<"
)
_GO_WORDS = frozenset(_GO_WORD_TEXT.split())
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")


def go_yaml_v2_reads_as_non_string(plain: str) -> bool:
    """Would go-yaml v2 resolve this *plain* scalar to something other than a string?"""
    if plain == "" or plain in _GO_WORDS:
        return True
    if plain[0] == ".":
        return re.fullmatch(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?", plain) is not None
    if plain[0] not in "+-0123456789":
        return False
    if re.match(r"[0-9]{4}-", plain):  # over-approximates its timestamp formats
        return True
    digits = plain.replace("_", "")
    return bool(_GO_INT.fullmatch(digits) or _GO_FLOAT.fullmatch(digits))


def assert_plain_scalars_are_strings_for_go_yaml_v2(text: str) -> None:
    for document in yaml.compose_all(text, Loader=yaml.CSafeLoader):
        stack = [document]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                stack.extend(part for pair in node.value for part in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif (
                isinstance(node, yaml.ScalarNode)
                and node.style is None
                and node.tag == "tag:yaml.org,2002:str"
            ):
                assert not go_yaml_v2_reads_as_non_string(node.value), node.value


def assert_round_trips(obj: object) -> str:
    text = dump_yaml(obj)
    assert_identical(load_yaml11(text), obj)
    assert_identical(load_yaml11_libyaml(text), obj)
    assert_identical(load_yaml12(text), obj)
    assert_plain_scalars_are_strings_for_go_yaml_v2(text)
    return text


def value_line(s: str) -> str:
    """The emitted text for ``{"k": s}``, after checking that it round-trips everywhere."""
    return assert_round_trips({"k": s})


def assert_quoted(s: str) -> None:
    text = value_line(s)
    assert text.startswith('k: "'), text
    assert_round_trips({s: "v"})
    assert dump_yaml({s: "v"}).startswith('"'), f"key {s!r} must be quoted too"


def assert_plain(s: str) -> None:
    assert value_line(s) == f"k: {s}\n"
    assert dump_yaml({s: 1}) == f"{s}: 1\n"


# --- quoting rules, one named test per rule --------------------------------------------------------

_BOOL_WORD_TEXT = (
    "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF"
)
YAML11_BOOL_WORDS = _BOOL_WORD_TEXT.split()


@pytest.mark.parametrize("word", YAML11_BOOL_WORDS)
def test_yaml11_boolean_words_are_quoted(word: str) -> None:
    assert value_line(word) == f'k: "{word}"\n'


@pytest.mark.parametrize("word", ["null", "Null", "NULL", "~", ""])
def test_null_words_and_the_empty_string_are_quoted(word: str) -> None:
    assert value_line(word) == f'k: "{word}"\n'


@pytest.mark.parametrize("s", ["0777", "0o17", "0O17", "+0777", "00", "0"])
def test_octal_looking_string_is_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("s", ["0x1F", "0X1f", "0b101", "0B1", "+0x1F"])
def test_hex_and_binary_looking_strings_are_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("s", ["1_000", "1_", "_1", "0_x1F", "1__0.5", "_", "._"])
def test_underscore_separated_numbers_are_quoted(s: str) -> None:
    # go-yaml v2 deletes "_" before parsing ("0_x1F" is 31); ruamel reads "_1" as 1 and fails on "._"
    assert_quoted(s)


@pytest.mark.parametrize("s", ["1", "42", "+1", "-1", "+.5", "-.5", "-0"])
def test_integer_and_signed_number_strings_are_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("s", ["1.10", "1.0", "1.", "3.14", "1_0.5"])
def test_version_like_string_1_10_is_quoted(s: str) -> None:
    assert value_line(s) == f'k: "{s}"\n'


@pytest.mark.parametrize("s", ["1e3", "1E3", "1.0e+3", "6e-1", "1e", "2E+10"])
def test_exponent_number_strings_are_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("s", [".5", ".5e3", ".inf", ".Inf", "-.inf", "+.INF", ".nan", ".NaN"])
def test_leading_dot_floats_and_special_floats_are_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("s", ["1:20", "190:20:30", "1:20.5", "-1:20"])
def test_sexagesimal_strings_are_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize(
    "s",
    [
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14T21:59:43Z",
        "2001-12-14 21:59:43.10 -5",
        "2002-1-1",
    ],
)
def test_timestamp_strings_are_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("indicator", list("-?:,[]{}#&*!|>'\"%@`"))
def test_string_starting_with_an_indicator_is_quoted(indicator: str) -> None:
    assert_quoted(indicator)
    assert_quoted(indicator + "x")
    assert_quoted(indicator + " x")


@pytest.mark.parametrize("s", [" x", "x ", " ", "  x  ", "\tx", "x\t"])
def test_leading_or_trailing_whitespace_is_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("s", ["a: b", "a #b", "a:", "key: value # c"])
def test_colon_space_space_hash_and_trailing_colon_are_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("s", ["<<", "="])
def test_merge_and_value_keys_are_quoted(s: str) -> None:
    assert_quoted(s)


@pytest.mark.parametrize("s", ["---", "...", "... x", "--- x"])
def test_document_markers_are_quoted(s: str) -> None:
    assert_quoted(s)
    assert_round_trips(s)
    assert_round_trips([s])


@pytest.mark.parametrize(
    ("s", "escaped"),
    [
        ("\x00", "\\u0000"),
        ("\x1b", "\\u001b"),
        ("\x7f", "\\u007f"),
        ("\x85", "\\u0085"),
        ("\x9f", "\\u009f"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
        ("\ufeff", "\\ufeff"),
        ("\ufffe", "\\ufffe"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ('"hi" \\o/', '\\"hi\\" \\\\o/'),
    ],
)
def test_control_and_non_printable_characters_are_escaped(s: str, escaped: str) -> None:
    assert value_line(s) == f'k: "{escaped}"\n'


@pytest.mark.parametrize("s", ["héllo", "日本語", "🚀 launch", "naïve-π"])
def test_non_ascii_strings_are_double_quoted_without_escaping_them(s: str) -> None:
    assert value_line(s) == f'k: "{s}"\n'


@pytest.mark.parametrize(
    "s",
    [
        "qwen-chat",
        "serving.kserve.io/v1beta1",
        "amd.com/gpu",
        "16Gi",
        "500m",
        "1Ei",
        "v1.10",
        "1.2.3",
        "http://gateway.example:8080/v1/models",
        "a#b",
        "a,b",
        "hello world",
        "yes-please",
        "nope",
        "NO_PROXY",
        "Infinity",
        "x-1",
        "2024-release",
        "/models/qwen",
        "~user",
        "a:b",
    ],
)
def test_ordinary_strings_stay_plain(s: str) -> None:
    assert_plain(s)


@pytest.mark.parametrize("key", ["on", "y", "1.10", "0777", "", "a: b", "null", "-x", "a\nb"])
def test_keys_follow_the_same_quoting_rules(key: str) -> None:
    text = assert_round_trips({key: "v"})
    assert text.startswith('"'), text


def test_key_longer_than_the_implicit_key_limit_is_written_as_explicit_entry() -> None:
    long_key = "k" * 2000
    obj = {
        "a": 1,
        long_key: {"x": [1, "two"]},
        long_key + "-list": ["a"],
        long_key + "-block": "l1\nl2",
        long_key + "-scalar": "on",
        "z": 2,
    }
    text = assert_round_trips(obj)
    assert f"? {long_key}\n:\n  x:\n  - 1\n  - two\n" in text
    assert f'? {long_key}-scalar\n: "on"\n' in text
    assert_round_trips([obj])


# --- multi-line strings --------------------------------------------------------------------------


def test_multi_line_string_is_a_literal_block_with_strip_clip_or_keep_chomping() -> None:
    assert value_line("a\nb") == "k: |-\n  a\n  b\n"
    assert value_line("a\nb\n") == "k: |\n  a\n  b\n"
    assert value_line("a\nb\n\n") == "k: |+\n  a\n  b\n\n"
    assert value_line("a\n\nb") == "k: |-\n  a\n\n  b\n"


@pytest.mark.parametrize("s", [" lead\nx", "\tlead\nx", "\nfirst empty\n", "\n\n x"])
def test_literal_block_gets_an_indentation_indicator_when_it_starts_with_whitespace(s: str) -> None:
    assert value_line(s).startswith("k: |2")


def test_literal_block_in_a_list_item_is_indented_under_the_dash() -> None:
    text = assert_round_trips({"args": ["--x", " a\nb\n", {"script": "set -e\n  echo hi\n"}]})
    assert text == ('args:\n- "--x"\n- |2\n   a\n  b\n- script: |\n    set -e\n      echo hi\n')


@pytest.mark.parametrize(
    "s", ["a \nb", "a\t\nb", "a\nb ", "a\r\nb", "a\n\u2028b", "a\n\x85b", "\n", "\n\n", "a\n\x7f"]
)
def test_multi_line_string_with_trailing_whitespace_or_odd_breaks_is_double_quoted(s: str) -> None:
    assert value_line(s).startswith('k: "')


def test_top_level_multi_line_string_needing_an_indicator_is_double_quoted() -> None:
    assert assert_round_trips("a\nb") == "|-\n  a\n  b\n"
    assert assert_round_trips(" a\nb") == '" a\\nb"\n'


# --- other scalars ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (0.5, "0.5"),
        (-0.0, "-0.0"),
        (1e16, "1.0e+16"),
        (1.5e-07, "1.5e-07"),
        (1e-07, "1.0e-07"),
        (1e300, "1.0e+300"),
        (123456789.125, "123456789.125"),
    ],
)
def test_floats_are_written_so_both_yaml_versions_read_the_same_float(
    value: float, text: str
) -> None:
    assert assert_round_trips({"f": value}) == f"f: {text}\n"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_rejected(value: float) -> None:
    with pytest.raises(ValueError, match=r"at spec\.x\[1\]"):
        dump_yaml({"spec": {"x": [1, value]}})


def test_bools_ints_and_none_are_plain() -> None:
    obj = {"t": True, "f": False, "i": 0, "neg": -7, "big": 2**70, "none": None}
    text = assert_round_trips(obj)
    assert text == f"t: true\nf: false\ni: 0\nneg: -7\nbig: {2**70}\nnone: null\n"


def test_non_str_key_is_rejected_with_its_path() -> None:
    with pytest.raises(TypeError, match=r"not a str .*at metadata\.labels\.1"):
        dump_yaml({"metadata": {"labels": {1: "x"}}})


def test_unsupported_type_is_rejected_with_its_path() -> None:
    with pytest.raises(TypeError, match=r"set .*at spec\.items\[2\]"):
        dump_yaml({"spec": {"items": [1, 2, {3}]}})


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        dump_yaml({"k": "a\ud800b"})


class _Color(enum.StrEnum):
    RED = "on"


class _Level(enum.IntEnum):
    HIGH = 3


def test_subclasses_of_json_types_are_written_as_their_base_types() -> None:
    obj = {
        _Color.RED: _Color.RED,
        "level": _Level.HIGH,
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "tuple": ("x", ("z",)),
    }
    text = dump_yaml(obj)
    assert text == '"on": "on"\nlevel: 3\nordered:\n  b: 1\n  a: 2\ntuple:\n- x\n- - z\n'
    assert_identical(
        load_yaml11(text),
        {"on": "on", "level": 3, "ordered": {"b": 1, "a": 2}, "tuple": ["x", ["z"]]},
    )


# --- layout ----------------------------------------------------------------------------------------

NESTED: dict[str, Any] = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {
        "name": "qwen-chat-a04542d9",
        "namespace": "team-a",
        "labels": {"app.kubernetes.io/managed-by": "aimctl", "enabled": "on", "version": "1.10"},
        "annotations": {},
    },
    "spec": {
        "predictor": {
            "minReplicas": 1,
            "containers": [
                {
                    "name": "kserve-container",
                    "args": ["--port=8000", "serve"],
                    "env": [
                        {"name": "AIM_PRECISION", "value": "fp8"},
                        {"name": "VLLM_USE_V1", "value": "1"},
                        {"name": "SCRIPT", "value": "echo one\necho two\n"},
                    ],
                    "resources": {"limits": {"amd.com/gpu": 1, "memory": "64Gi"}, "requests": {}},
                }
            ],
            "tolerations": [],
            "matrix": [["a", "b"], [], [{"x": None, "w": 0.25}], True],
        }
    },
}

NESTED_YAML = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: qwen-chat-a04542d9
  namespace: team-a
  labels:
    app.kubernetes.io/managed-by: aimctl
    enabled: "on"
    version: "1.10"
  annotations: {}
spec:
  predictor:
    minReplicas: 1
    containers:
    - name: kserve-container
      args:
      - "--port=8000"
      - serve
      env:
      - name: AIM_PRECISION
        value: fp8
      - name: VLLM_USE_V1
        value: "1"
      - name: SCRIPT
        value: |
          echo one
          echo two
      resources:
        limits:
          amd.com/gpu: 1
          memory: 64Gi
        requests: {}
    tolerations: []
    matrix:
    - - a
      - b
    - []
    - - x: null
        w: 0.25
    - true
"""


def test_nested_object_layout_is_exact() -> None:
    assert assert_round_trips(NESTED) == NESTED_YAML


@pytest.mark.parametrize(
    ("obj", "text"),
    [({}, "{}\n"), ([], "[]\n"), (None, "null\n"), ("x", "x\n"), ("on", '"on"\n'), (3, "3\n")],
)
def test_top_level_scalars_and_empty_collections(obj: object, text: str) -> None:
    assert assert_round_trips(obj) == text


def test_long_strings_are_never_wrapped() -> None:
    long_value = "word " * 100 + "end"
    assert value_line(long_value) == f"k: {long_value}\n"


def test_output_is_deterministic_and_keeps_key_insertion_order() -> None:
    first = dump_yaml(NESTED)
    assert dump_yaml(NESTED) == first
    reordered = {key: NESTED[key] for key in reversed(list(NESTED))}
    text = dump_yaml(reordered)
    assert text != first
    top_level_keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert top_level_keys == ["spec", "metadata", "kind", "apiVersion"]


def test_output_does_not_depend_on_the_string_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = dump_yaml(NESTED)
    monkeypatch.setattr(serialize, "_CACHE_LIMIT", 2)
    serialize._VALUE_CACHE.clear()
    serialize._KEY_CACHE.clear()
    assert dump_yaml(NESTED) == expected
    assert dump_yaml(NESTED) == expected


NAME_ALPHABET = "aAeEfFlLnNoOrRsStTuUyYzZ09./-_:# "


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(NAME_ALPHABET, max_size=8),
        st.sampled_from(["y", "Yes", "NO", "oN", "OFF", "nUlL", "TRUE", "False", "/", "a.", "n-"]),
    )
)
def test_fast_path_for_name_like_strings_agrees_with_the_full_rules(s: str) -> None:
    assert serialize._is_plain(s) == serialize._plain_by_rules(s)


def test_stream_starts_every_document_with_a_separator() -> None:
    text = stream_text([{"a": 1}, [], "x\ny\n\n", None])
    assert text == "---\na: 1\n---\n[]\n---\n|+\n  x\n  y\n\n---\nnull\n"
    assert list(yaml.safe_load_all(text)) == [{"a": 1}, [], "x\ny\n\n", None]
    assert stream_text([]) == ""
    assert stream_text(iter([NESTED])) == "---\n" + NESTED_YAML


# --- round-trip properties -------------------------------------------------------------------------

_NUMBER_AND_DATE_LIKE_TEXT = (
    "null Null NULL ~ << = 0777 0o17 0x1F 0b101 1_000 +1 -1 1.10 1e3 .5 1. .inf -.inf .NaN "
    "1:20 190:20:30 2001-12-14 2001-12-14t21:59:43.10-05:00 0_x1F _ ._ 16Gi v1"
)
ADVERSARIAL = [
    *YAML11_BOOL_WORDS,
    *_NUMBER_AND_DATE_LIKE_TEXT.split(),
    "",
    " ",
    " lead",
    "trail ",
    "\ttab",
    "a\tb",
    "line1\nline2",
    "line\n",
    "\n",
    "a\n\n",
    " a\nb",
    "\n x",
    "a \nb",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x85",
    "\ufeff",
    "\x7f",
    "\x00",
    "🚀",
    "é",
    ": ",
    ":",
    "a:",
    " #",
    "#",
    "- ",
    "-",
    "---",
    "...",
    "? ",
    "|",
    ">",
    "'",
    '"',
    "\\",
    "%YAML",
    "@",
    "`",
    "&a",
    "*a",
    "!tag",
    "{}",
    "[]",
    ",",
]
# Starts and ends of lines that literal blocks must get right.
LINE_PARTS = [
    "",
    " ",
    "  x",
    "\t",
    "\tx",
    "x",
    "x ",
    "#",
    "- a",
    "---",
    "...",
    "a: b",
    "\u2028",
    "\r",
]
fragments = st.sampled_from(ADVERSARIAL)
strings = st.one_of(
    fragments,
    st.text(max_size=12),
    st.lists(fragments, min_size=2, max_size=4).map("".join),
    st.lists(st.one_of(fragments, st.text(max_size=3)), min_size=2, max_size=4).map("".join),
    st.lists(st.sampled_from(LINE_PARTS), min_size=1, max_size=4).map("\n".join),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    strings,
)
json_like = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(strings, children, max_size=4)
    ),
    max_leaves=24,
)
documents = st.one_of(st.dictionaries(strings, json_like, max_size=5), json_like)
round_trip_settings = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@round_trip_settings
@given(documents)
def test_round_trip_through_yaml11_pyyaml_is_identical(obj: object) -> None:
    assert_identical(load_yaml11(dump_yaml(obj)), obj)


@round_trip_settings
@given(documents)
def test_round_trip_through_yaml11_libyaml_is_identical(obj: object) -> None:
    assert_identical(load_yaml11_libyaml(dump_yaml(obj)), obj)


@round_trip_settings
@given(documents)
def test_round_trip_through_yaml12_ruamel_is_identical(obj: object) -> None:
    assert_identical(load_yaml12(dump_yaml(obj)), obj)


@round_trip_settings
@given(documents)
def test_no_plain_string_would_be_read_as_another_type_by_go_yaml_v2(obj: object) -> None:
    assert_plain_scalars_are_strings_for_go_yaml_v2(dump_yaml(obj))


@settings(round_trip_settings, max_examples=150)
@given(st.lists(documents, max_size=3))
def test_stream_round_trips_through_safe_load_all(objs: list[object]) -> None:
    text = stream_text(objs)
    assert_identical(list(yaml.load_all(text, Loader=yaml.SafeLoader)), objs)
    assert_identical(list(_RUAMEL_SAFE.load_all(text)), objs)
