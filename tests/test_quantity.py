"""Quantities, float64 and durations print exactly as Go and apimachinery print them (§4.2, §4.9)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimctl.resolve.quantity import (
    canonical_quantity,
    format_binary_quantity,
    format_duration_ns,
    format_go_duration,
    go_float_g,
    go_json_float,
    parse_go_duration,
    parse_quantity,
    pvc_size,
    quantity_bytes,
)

GI = 1 << 30

# --- PVC size (§4.9) ----------------------------------------------------------------------------


def test_pvc_size_of_5gi_with_10_percent_headroom_is_6gi() -> None:
    assert pvc_size(5 * GI, 10) == "6Gi"


def test_pvc_size_of_61gi_with_10_percent_headroom_is_68gi() -> None:
    assert pvc_size(61 * GI, 10) == "68Gi"


def test_pvc_size_rounds_up_to_whole_gibibytes() -> None:
    assert pvc_size(1, 0) == "1Gi"
    assert pvc_size(GI, 0) == "1Gi"
    assert pvc_size(GI + 1, 0) == "2Gi"


def test_pvc_size_that_is_a_multiple_of_1024_gi_is_rendered_in_ti() -> None:
    assert pvc_size(1024 * GI, 0) == "1Ti"
    assert pvc_size(2000 * GI, 5) == "2100Gi"
    assert pvc_size(2048 * GI, 0) == "2Ti"


def test_pvc_size_multiplies_in_float64_and_truncates_before_rounding() -> None:
    # 10 GiB * 1.1 in float64 is a hair above 11 GiB, so it rounds up to 12Gi.
    expected = -(-int(float(10 * GI) * 1.1) // GI)
    assert pvc_size(10 * GI, 10) == f"{expected}Gi"


def test_pvc_size_of_zero_bytes_is_zero() -> None:
    assert pvc_size(0, 10) == "0"


# --- quantities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5Gi", 5 * GI),
        ("1.5Gi", Fraction(3, 2) * GI),
        ("500m", Fraction(1, 2)),
        ("1e3", 1000),
        ("1E3", 1000),
        ("2k", 2000),
        ("1M", 10**6),
        ("1E", 10**18),
        ("-1.5", Fraction(-3, 2)),
        ("+.5", Fraction(1, 2)),
        ("1.", 1),
        ("0", 0),
        ("1n", Fraction(1, 10**9)),
        ("1e-12", Fraction(1, 10**9)),
        ("100u", Fraction(1, 10**4)),
    ],
)
def test_parse_quantity_returns_exact_value(text: str, value: Fraction | int) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1K", "1Gb", "1.5.5", "1Mi5", "1 Gi", "1e"])
def test_parse_quantity_rejects_what_the_api_server_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


@pytest.mark.parametrize("text", ["Gi", "-", "."])
def test_parse_quantity_accepts_a_missing_number_as_zero_like_go(text: str) -> None:
    assert parse_quantity(text) == 0


def test_parse_quantity_rounds_sub_nano_values_up() -> None:
    assert parse_quantity("0.0000000001") == Fraction(1, 10**9)


def test_parse_quantity_caps_binary_values_at_int64_max() -> None:
    assert parse_quantity("9999999Ei") == 2**63 - 1


def test_parse_quantity_refuses_absurd_exponents_instead_of_hanging() -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_quantity("1e999999999")


def test_quantity_bytes_rounds_up_like_quantity_value() -> None:
    assert quantity_bytes("1.5") == 2
    assert quantity_bytes("61Gi") == 61 * GI
    assert quantity_bytes("-1.5") == -2


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1000m", "1"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("2000", "2k"),
        ("1500", "1500"),
        ("0.1Ki", "102400m"),
        ("1.5Ki", "1536"),
        ("1024", "1024"),
        ("1e-12", "1e-9"),
        ("12e6", "12e6"),
        ("12000e3", "12e6"),
        ("-1.5Gi", "-1536Mi"),
        ("0Ki", "0"),
        ("0", "0"),
        ("100m", "100m"),
    ],
)
def test_canonical_quantity_matches_apimachinery_string(text: str, canonical: str) -> None:
    assert canonical_quantity(text) == canonical


@pytest.mark.parametrize("text", ["+3Ki", "0100", "1E3", "+1"])
def test_canonical_quantity_keeps_inputs_go_considers_canonical_verbatim(text: str) -> None:
    assert canonical_quantity(text) == text


def test_binary_quantity_below_1024_prints_as_decimal_si() -> None:
    assert format_binary_quantity(1000) == "1k"
    assert format_binary_quantity(6 * GI) == "6Gi"
    assert format_binary_quantity(GI + 1) == "1073741825"


@given(st.integers(min_value=0, max_value=2**62))
def test_binary_quantity_round_trips_through_parse(value: int) -> None:
    assert parse_quantity(format_binary_quantity(value)) == value


# --- float64 as encoding/json writes it ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (0.0, "0"),
        (-0.0, "-0"),
        (3.14, "3.14"),
        (0.1, "0.1"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (1e-6, "0.000001"),
        (1e-10, "1e-10"),
        (123456789.0, "123456789"),
        (12345678901234567890.0, "12345678901234567000"),
        (5e-324, "5e-324"),
    ],
)
def test_go_json_float_matches_encoding_json(value: float, text: str) -> None:
    assert go_json_float(value) == text


def test_go_json_float_rejects_infinity_and_nan() -> None:
    with pytest.raises(ValueError):
        go_json_float(float("inf"))
    with pytest.raises(ValueError):
        go_json_float(float("nan"))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_go_json_float_round_trips(value: float) -> None:
    assert float(go_json_float(value)) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [(21.0, "21"), (1e6, "1e+06"), (123456.0, "123456"), (1e-5, "1e-05"), (0.5, "0.5")],
)
def test_go_float_g_matches_fmt_sprint(value: float, text: str) -> None:
    assert go_float_g(value) == text


# --- durations (§4.2) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "rendered"),
    [
        ("120s", "2m0s"),
        ("1h", "1h0m0s"),
        ("90s", "1m30s"),
        ("500ms", "500ms"),
        ("1.5s", "1.5s"),
        ("0", "0s"),
        ("1h30m", "1h30m0s"),
        ("2m0s", "2m0s"),
    ],
)
def test_request_timeout_is_rendered_as_go_duration_string(written: str, rendered: str) -> None:
    assert format_go_duration(written) == rendered


@pytest.mark.parametrize(
    ("written", "rendered"),
    [
        ("-1.5h", "-1h30m0s"),
        ("+5s", "5s"),
        ("1us", "1µs"),
        ("1µs", "1µs"),
        ("1μs", "1µs"),
        ("1500ns", "1.5µs"),
        (".5s", "500ms"),
        ("1.s", "1s"),
        ("1.000000001s", "1.000000001s"),
        ("0.1ns", "0s"),
        ("2562047h47m16.854775807s", "2562047h47m16.854775807s"),
        ("1h1h", "2h0m0s"),
        ("-0", "0s"),
    ],
)
def test_go_duration_parse_and_string_edge_cases(written: str, rendered: str) -> None:
    assert format_go_duration(written) == rendered


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("", "invalid duration"),
        ("1", "missing unit"),
        ("1d", "unknown unit"),
        (".s", "invalid duration"),
        ("-", "invalid duration"),
        ("s", "invalid duration"),
        ("2562048h", "invalid duration"),
        ("1 s", "unknown unit"),
    ],
)
def test_go_duration_parse_rejects_what_go_rejects(written: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_go_duration(written)


@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_go_duration_string_round_trips_through_parse(ns: int) -> None:
    assert parse_go_duration(format_duration_ns(ns)) == ns
