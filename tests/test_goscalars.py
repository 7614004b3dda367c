"""Plain scalars read as Kubernetes reads them: the JSON ``kubectl apply`` would send.

kubectl (and the API server for YAML bodies) reads YAML with sigs.k8s.io/yaml, i.e. its copy of
go-yaml v2 (``goyaml.v2/resolve.go``), then writes JSON with Go's ``encoding/json``. Each row is a
plain scalar as written after ``v: `` in a manifest, and the JSON text of the value the API server
receives (``ERROR`` where kubectl refuses the file). The comment says which rule decides.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aimctl import loader

ERROR = "ERROR"

TABLE = [
    # -- booleans: go-yaml v2's map, exact spellings only
    ("y", "true"),  # the one-letter yes; YAML 1.1 (PyYAML) leaves it a string
    ("Y", "true"),  # upper-case form is in the map too
    ("yes", "true"),  # YAML 1.1 word
    ("Yes", "true"),  # capitalised form
    ("YES", "true"),  # all-caps form
    ("yES", '"yES"'),  # mixed case is not in the map: a string
    ("true", "true"),  # the JSON spelling
    ("True", "true"),  # capitalised
    ("TRUE", "true"),  # all caps
    ("tRUE", '"tRUE"'),  # not in the map
    ("on", "true"),  # YAML 1.1 word
    ("On", "true"),  # capitalised
    ("ON", "true"),  # all caps
    ("n", "false"),  # the one-letter no
    ("N", "false"),  # upper-case
    ("no", "false"),  # YAML 1.1 word
    ("No", "false"),  # capitalised
    ("NO", "false"),  # all caps (the Norway problem)
    ("false", "false"),  # the JSON spelling
    ("False", "false"),  # capitalised
    ("off", "false"),  # YAML 1.1 word
    ("Off", "false"),  # capitalised
    ("OFF", "false"),  # all caps
    ("t", '"t"'),  # 't' starts words of the map but is not one
    ("f", '"f"'),  # likewise
    ("o", '"o"'),  # likewise
    ("yess", '"yess"'),  # near-miss: a string
    # -- nulls
    ("~", "null"),  # tilde
    ("null", "null"),  # word
    ("Null", "null"),  # capitalised
    ("NULL", "null"),  # all caps
    ("nULL", '"nULL"'),  # not in the map
    ("", "null"),  # empty value
    ("None", '"None"'),  # Python's spelling means nothing to Go
    # -- strings that other readers type
    ("=", '"="'),  # YAML 1.1's value key: go-yaml has no rule for '=', a plain string
    ("<<", '"<<"'),  # the merge key is only special as a key
    ("1:30", '"1:30"'),  # base-60 numbers were dropped by go-yaml on purpose
    ("190:20:30", '"190:20:30"'),  # likewise
    ("2024-01-02", '"2024-01-02"'),  # a timestamp, kept as its text when the target is untyped
    ("2001-12-14t21:59:43.10-05:00", '"2001-12-14t21:59:43.10-05:00"'),  # likewise
    ("12:00", '"12:00"'),  # clock time: base 60 in YAML 1.1, a string here
    ("v1", '"v1"'),  # starts with a letter outside the hint table
    ("_1", '"_1"'),  # '_' is not a hint character: a string, though digits follow
    ("-", None),  # (not a scalar: a block sequence entry; see the YAML error test)
    ("+", '"+"'),  # a lone sign is no number
    ("-x", '"-x"'),  # sign then letters
    ("1a", '"1a"'),  # digit then letters
    ("0x", '"0x"'),  # prefix without digits
    ("0xG", '"0xG"'),  # not a hex digit
    ("08", "8"),  # not octal, but the float pattern matches: 8.0, sent as 8
    ("09.5", "9.5"),  # float with a leading zero
    ("1e999", '"1e999"'),  # overflows float64: Go's ParseFloat fails, the text stays
    ("-1e999", '"-1e999"'),  # likewise negative
    (".5.", '".5."'),  # not a float after the dot: a string
    (".", '"."'),  # a lone dot
    (".e3", '".e3"'),  # no digits before the exponent
    (".inF", '".inF"'),  # mixed-case infinity is not in the map
    ("0x1p-2", '"0x1p-2"'),  # Go hex float: not a yaml-style float, not an integer
    ("1_000.5", "1000.5"),  # underscores are dropped before the number rules
    # -- integers: Go's strconv.ParseInt(s, 0, 64) after removing '_'
    ("0", "0"),  # zero
    ("-0", "0"),  # negative zero is the integer 0
    ("+1", "1"),  # explicit plus sign
    ("-17", "-17"),  # negative
    ("1_000", "1000"),  # digit separators
    ("1__0", "10"),  # every '_' is removed, even doubled
    ("1_", "1"),  # trailing '_' too
    ("0x1F", "31"),  # hexadecimal
    ("0X1f", "31"),  # upper-case prefix, lower-case digits
    ("-0x1F", "-31"),  # signed hexadecimal
    ("0x_1F", "31"),  # '_' after the prefix
    ("0o17", "15"),  # Go's 0o octal; YAML 1.1 leaves it a string
    ("0O17", "15"),  # upper-case prefix
    ("017", "15"),  # leading zero: octal, as in YAML 1.1
    ("0b101", "5"),  # binary
    ("0B101", "5"),  # upper-case binary prefix
    ("-0b101", "-5"),  # signed binary
    ("0b-101", "-5"),  # go-yaml's own "0b" rule parses what follows, sign included
    ("9223372036854775807", "9223372036854775807"),  # int64 max
    ("-9223372036854775808", "-9223372036854775808"),  # int64 min
    ("18446744073709551615", "18446744073709551615"),  # uint64 max: ParseUint takes it
    (
        "18446744073709551616",
        "18446744073709552000",
    ),  # 2^64: a float; Go writes its shortest digits
    ("-9223372036854775809", "-9223372036854776000"),  # below int64: a float, likewise
    ("0x10000000000000000", "18446744073709551616"),  # beyond uint64 in hex: big integer
    # -- floats: the yaml-style pattern, then Go's ParseFloat; integral ones are sent as integers
    ("1e3", "1000"),  # exponent without a dot; YAML 1.1 leaves it a string
    ("1E3", "1000"),  # upper-case exponent
    ("1e+3", "1000"),  # signed exponent
    ("1.5e3", "1500"),  # mantissa with fraction
    ("2.5e-3", "0.0025"),  # small number
    ("1.5", "1.5"),  # plain decimal
    ("-1.5", "-1.5"),  # signed
    ("1.", "1"),  # trailing dot: the float 1.0, sent as 1
    ("1.0", "1"),  # Go's json writes 1.0 as 1
    (".5", "0.5"),  # leading dot
    ("-.5", "-0.5"),  # signed leading dot
    ("+.5", "0.5"),  # plus sign
    ("1e20", "100000000000000000000"),  # below 1e21 Go writes every digit
    ("1e21", "1e+21"),  # from 1e21 on, an exponent
    ("1e-400", "0"),  # underflow is zero, not an error
    # -- NaN and infinities have no JSON form: kubectl cannot send the file
    (".inf", ERROR),  # positive infinity
    (".Inf", ERROR),  # capitalised
    ("+.INF", ERROR),  # signed all caps
    ("-.inf", ERROR),  # negative infinity
    (".nan", ERROR),  # not a number
    (".NaN", ERROR),  # mixed spelling in the map
]


def _value_json(text: str) -> str:
    try:
        ((_, _, data),) = list(loader.parse_text(f"v: {text}\n"))
    except loader._InputError:
        return ERROR
    return json.dumps(data["v"])


@pytest.mark.parametrize(
    ("text", "expected"), [r for r in TABLE if r[1] is not None], ids=lambda v: repr(v)
)
def test_scalar_reaches_the_api_server_as_kubernetes_reads_it(text: str, expected: str) -> None:
    assert _value_json(text) == expected


def test_table_covers_the_edge_scalars() -> None:
    assert len(TABLE) >= 90
    assert len({text for text, _ in TABLE}) == len(TABLE)


def test_quoted_scalars_are_always_strings() -> None:
    for text in ("y", "1e3", "0o17", "~", ".inf", "="):
        ((_, _, data),) = list(loader.parse_text(f"a: '{text}'\nb: \"{text}\"\n"))
        assert data == {"a": text, "b": text}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("y", "true"),  # a boolean key becomes its JSON spelling
        ("no", "false"),  # likewise
        ("1", "1"),  # an integer key, in decimal
        ("0x1F", "31"),  # any integer form, in decimal
        ("1.5", "1.5"),  # a float key: Go's %g of the float32 value
        ("1e6", "1e+06"),  # %g switches to an exponent at 1e6
        ("0.1", "0.1"),  # shortest float32 digits
        ("=", "="),  # a string key
    ],
)
def test_mapping_keys_become_the_strings_sigs_k8s_yaml_makes(key: str, expected: str) -> None:
    ((_, _, data),) = list(loader.parse_text(f"{key}: x\n"))
    assert data == {expected: "x"}


@pytest.mark.parametrize(
    "text",
    [
        "~: x\n",  # a null key: sigs.k8s.io/yaml refuses it
        "y: 1\nyes: 2\n",  # both keys are "true"
        "1: a\n'1': b\n",  # both keys are "1"
    ],
)
def test_keys_kubernetes_cannot_use_are_errors(text: str) -> None:
    with pytest.raises(loader._InputError):
        list(loader.parse_text(text))


QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"


@pytest.mark.parametrize("written", ["y", "no", "on", "1e3", "0o17"])
def test_a_string_field_given_a_boolean_or_number_says_to_quote_it(
    written: str, tmp_path: Path, run_cli
) -> None:
    tree = tmp_path / "q"
    shutil.copytree(QUICKSTART, tree)
    config = tree / "ml-team" / "runtime-config.yaml"
    config.write_text(config.read_text().replace("value: INFO", f"value: {written}"))
    result = run_cli("validate", "q", cwd=tmp_path)
    assert result.exit_code == 1
    line = next(x for x in result.stderr.splitlines() if "spec.env[1].value" in x)
    assert line.startswith("q/ml-team/runtime-config.yaml:15:")
    assert f'write "{written}" in quotes' in line
