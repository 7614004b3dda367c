"""Numbers as Go and Kubernetes print them: quantities, float64, durations, PVC sizes.

Pure functions, ported rule by rule from ``k8s.io/apimachinery/pkg/api/resource`` (quantities),
``strconv``/``encoding/json`` (floats) and ``time`` (durations), as operator-behaviour.md needs them
(§4.2 request timeouts, §4.9 PVC sizes, §3.4.1 number re-encoding of ``AIM_ENGINE_ARGS``).
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Final, NamedTuple

__all__ = [
    "INT64_MAX",
    "canonical_quantity",
    "format_binary_quantity",
    "format_duration_ns",
    "format_gateway_duration",
    "format_go_duration",
    "go_float_g",
    "go_json_float",
    "parse_go_duration",
    "parse_quantity",
    "pvc_bytes",
    "pvc_size",
    "quantity_bytes",
]

_BINARY: Final = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL: Final = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DEC_SUFFIX: Final = {exp: suffix for suffix, exp in _DECIMAL.items()}
_BIN_SUFFIX: Final = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_QUANTITY_RE: Final = re.compile(
    r"([+-]?)0*([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*)([+-]?[0-9]*)\Z"
)
_MAX_INT64: Final = 2**63 - 1
INT64_MAX: Final = _MAX_INT64
_NANO: Final = 10**9
_GI: Final = 1 << 30
_MAX_EXPONENT: Final = 1000


class _Parsed(NamedTuple):
    """What ParseQuantity keeps: exact value, format, and the input when Go reuses it verbatim."""

    value: Fraction
    fmt: str
    cached: str | None


def _suffix(suffix: str) -> tuple[int, int, str]:
    """quantitySuffixer.interpret: (base, exponent, format) or ValueError."""
    if suffix in _BINARY:
        return 2, _BINARY[suffix], "BinarySI"
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], "DecimalSI"
    if len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        exponent = int(suffix[1:])
        if abs(exponent) > _MAX_EXPONENT:  # aimctl guard: Go would carry on with an int32 scale
            raise ValueError(f"quantity exponent {exponent} is out of range")
        return 10, exponent, "DecimalExponent"
    raise ValueError(f"unable to parse quantity's suffix {suffix!r}")


def _reuse_text(text: str, num: str, denom: str, exp: int, fmt: str) -> bool:
    """Go's fast path keeps the input string when it is already 'canonical' (quirks included)."""
    if fmt == "BinarySI":
        precision = 15 - len(num) - int(exp * 3 / 10) - 1 if not denom else -1
        return precision >= 0 and int(num) & 0x07 != 0
    shifted = num + denom
    scale = exp - len(denom)
    fast = 18 - len(shifted) >= 0 and scale >= -9
    return fast and scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"


def _parse(text: str) -> _Parsed:
    """ParseQuantity: sign, digits, optional fraction, suffix; rounds up to 1e-9; caps BinarySI."""
    if text == "0":
        return _Parsed(Fraction(0), "DecimalSI", "0")
    match = _QUANTITY_RE.fullmatch(text)
    if not text or match is None:
        raise ValueError(f"quantity {text!r} does not match the Kubernetes quantity grammar")
    sign, num, denom, letters, exp_digits = match.groups()
    num, denom = num or "0", denom or ""
    base, exp, fmt = _suffix(letters + exp_digits)
    magnitude = Fraction(int(num + denom), 10 ** len(denom))
    magnitude *= Fraction(base) ** exp
    cached = text if _reuse_text(text, num, denom, exp, fmt) else None
    if magnitude != 0:
        magnitude = Fraction(math.ceil(magnitude * _NANO), _NANO)
    if fmt == "BinarySI" and magnitude > _MAX_INT64:
        magnitude, cached = Fraction(_MAX_INT64), None
    if fmt == "BinarySI" and 0 < magnitude < 1:
        fmt = "DecimalSI"
    return _Parsed(-magnitude if sign == "-" else magnitude, fmt, cached)


@functools.lru_cache(maxsize=8192)
def parse_quantity(text: str) -> Fraction:
    """Exact value of a Kubernetes quantity (``1.5Gi``, ``500m``, ``1e3``), as ParseQuantity keeps it.

    Non-zero values are rounded away from zero to a multiple of 10^-9 and BinarySI values are capped
    at 2^63-1, like apimachinery. Raises ``ValueError`` for anything the API server would reject.
    """
    return _parse(text).value


@functools.lru_cache(maxsize=8192)
def quantity_bytes(text: str) -> int:
    """``Quantity.Value()``: the value rounded up (away from zero) to an integer."""
    value = parse_quantity(text)
    return math.ceil(value) if value >= 0 else -math.ceil(-value)


def _decimal_text(value: Fraction, fmt: str) -> str:
    """AsCanonicalBytes: integer mantissa, exponent a multiple of three, SI or ``e`` suffix."""
    mantissa, exp = int(abs(value) * _NANO), -9
    while mantissa % 10 == 0:
        mantissa, exp = mantissa // 10, exp + 1
    while exp % 3:
        mantissa, exp = mantissa * 10, exp - 1
    sign = "-" if value < 0 else ""
    if fmt == "DecimalSI" and exp in _DEC_SUFFIX:
        return f"{sign}{mantissa}{_DEC_SUFFIX[exp]}"
    return f"{sign}{mantissa}" + (f"e{exp}" if exp else "")


def _canonical(value: Fraction, fmt: str) -> str:
    """Quantity.String() for a parsed value (CanonicalizeBytes)."""
    if value == 0:
        return "0"
    if fmt == "BinarySI" and (-1024 < value < 1024 or value.denominator != 1):
        fmt = "DecimalSI"
    if fmt != "BinarySI":
        return _decimal_text(value, fmt)
    mantissa, exp = abs(int(value)), 0
    while mantissa % 1024 == 0:
        mantissa, exp = mantissa // 1024, exp + 1
    return f"{'-' if value < 0 else ''}{mantissa}{_BIN_SUFFIX[exp]}"


@functools.lru_cache(maxsize=8192)
def canonical_quantity(text: str) -> str:
    """What the API server stores for a quantity: ``resource.MustParse(text).String()``.

    ``1000m`` -> ``1``, ``1024Mi`` -> ``1Gi``, ``1536Mi`` stays. Go keeps an input it considers
    canonical verbatim, so ``+3Ki`` or ``0100`` come back unchanged, exactly as from the operator.
    """
    parsed = _parse(text)
    return parsed.cached if parsed.cached is not None else _canonical(parsed.value, parsed.fmt)


def format_binary_quantity(value: int) -> str:
    """``resource.NewQuantity(value, BinarySI).String()``: ``6Gi``, ``1Ti``; below 1024 decimal."""
    return _canonical(Fraction(value), "BinarySI")


@functools.lru_cache(maxsize=1024)
def pvc_size(size_bytes: int, headroom_percent: int) -> str:
    """PVC request for an artifact (§4.9).

    ``size × (1 + headroom/100)`` in float64, truncated to an integer, rounded up to a multiple of
    2^30 and printed as a binary quantity: 5Gi with 10 % -> ``6Gi``; 61Gi with 10 % -> ``68Gi``.
    """
    return format_binary_quantity(pvc_bytes(size_bytes, headroom_percent))


def pvc_bytes(size_bytes: int, headroom_percent: int) -> int:
    """The PVC request of ``pvc_size`` in bytes (may exceed int64: callers check)."""
    with_headroom = int(float(size_bytes) * (1.0 + float(headroom_percent) / 100.0))
    return -(-with_headroom // _GI) * _GI


def _shortest(value: float) -> tuple[str, int]:
    """Shortest round-trip digits and decimal point position: |value| = 0.DIGITS × 10^dp."""
    if value == 0:
        return "", 0
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    full = "".join(map(str, digit_tuple))
    digits = full.rstrip("0")
    return digits, len(full) + int(exponent)


def _fmt_f(neg: bool, digits: str, dp: int) -> str:
    """strconv 'f' with precision -1."""
    whole = (digits[:dp] + "0" * (dp - len(digits))) if dp > 0 else "0"
    frac = "".join(digits[i] if i >= 0 else "0" for i in range(dp, len(digits)))
    return ("-" if neg else "") + whole + ("." + frac if frac else "")


def _fmt_e(neg: bool, digits: str, dp: int) -> str:
    """strconv 'e' with precision -1 (at least two exponent digits)."""
    exp = dp - 1 if digits else 0
    digits = digits or "0"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if neg else ''}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def go_json_float(value: float) -> str:
    """How encoding/json writes a float64 (§3.4.1).

    strconv 'f' form with the shortest digits (integral values have no decimal point: ``3``); the
    'e' form only for magnitudes below 1e-6 or from 1e21 on, with ``e-07`` shortened to ``e-7``.
    """
    if math.isinf(value) or math.isnan(value):
        raise ValueError(f"json: unsupported value: {value}")
    digits, dp = _shortest(value)
    neg = math.copysign(1.0, value) < 0
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        return re.sub(r"e-0(\d)\Z", r"e-\1", _fmt_e(neg, digits, dp))
    return _fmt_f(neg, digits, dp)


def go_float_g(value: float) -> str:
    """``fmt.Sprint(float64)``: shortest %g, the 'e' form when the exponent is < -4 or >= 6."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    digits, dp = _shortest(value)
    neg = math.copysign(1.0, value) < 0
    exp = dp - 1 if digits else 0
    if exp < -4 or exp >= 6:
        return _fmt_e(neg, digits, dp)
    return _fmt_f(neg, digits, dp)


_NS_PER_UNIT: Final = {
    b"ns": 1,
    b"us": 1_000,
    "\u00b5s".encode(): 1_000,
    "\u03bcs".encode(): 1_000,
    b"ms": 1_000_000,
    b"s": 1_000_000_000,
    b"m": 60_000_000_000,
    b"h": 3_600_000_000_000,
}
_I64_LIMIT: Final = 1 << 63


def _leading_int(s: bytes) -> tuple[int, bytes]:
    """time.leadingInt: consume [0-9]*; overflow past 2^63 is an error."""
    i, x = 0, 0
    while i < len(s) and 48 <= s[i] <= 57:
        if x > _I64_LIMIT // 10:
            raise ValueError("overflow")
        x = x * 10 + s[i] - 48
        if x > _I64_LIMIT:
            raise ValueError("overflow")
        i += 1
    return x, s[i:]


def _leading_fraction(s: bytes) -> tuple[int, float, bytes]:
    """time.leadingFraction: digits after the point; stops gaining precision on overflow."""
    i, x, scale, overflow = 0, 0, 1.0, False
    while i < len(s) and 48 <= s[i] <= 57:
        if not overflow:
            y = x * 10 + s[i] - 48
            if x > (_I64_LIMIT - 1) // 10 or y > _I64_LIMIT:
                overflow = True
            else:
                x, scale = y, scale * 10
        i += 1
    return x, scale, s[i:]


def _duration_term(s: bytes, orig: str) -> tuple[int, bytes]:
    """One ``<number><unit>`` term of a Go duration, in nanoseconds."""
    if not (s[:1] == b"." or s[:1].isdigit()):
        raise ValueError(f"time: invalid duration {orig!r}")
    before = len(s)
    try:
        whole, s = _leading_int(s)
    except ValueError:
        raise ValueError(f"time: invalid duration {orig!r}") from None
    pre, post, frac, scale = before != len(s), False, 0, 1.0
    if s[:1] == b".":
        s = s[1:]
        before = len(s)
        frac, scale, s = _leading_fraction(s)
        post = before != len(s)
    if not pre and not post:
        raise ValueError(f"time: invalid duration {orig!r}")
    i = 0
    while i < len(s) and not (s[i] == 46 or 48 <= s[i] <= 57):
        i += 1
    if i == 0:
        raise ValueError(f"time: missing unit in duration {orig!r}")
    unit = _NS_PER_UNIT.get(s[:i])
    if unit is None:
        raise ValueError(
            f"time: unknown unit {s[:i].decode(errors='replace')!r} in duration {orig!r}"
        )
    if whole > _I64_LIMIT // unit:
        raise ValueError(f"time: invalid duration {orig!r}")
    whole *= unit
    if frac > 0:
        whole += int(float(frac) * (float(unit) / scale))
        if whole > _I64_LIMIT:
            raise ValueError(f"time: invalid duration {orig!r}")
    return whole, s[i:]


def parse_go_duration(text: str) -> int:
    """``time.ParseDuration`` in nanoseconds: ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`` or ``0``.

    Units ns, us, µs, μs, ms, s, m, h; fractions of a unit are computed in float64 as Go does.
    Raises ``ValueError`` with Go's message for anything Go rejects.
    """
    s, neg = text.encode("utf-8", "surrogatepass"), False
    if s[:1] in (b"-", b"+"):
        neg, s = s[:1] == b"-", s[1:]
    if s == b"0":
        return 0
    if not s:
        raise ValueError(f"time: invalid duration {text!r}")
    total = 0
    while s:
        term, s = _duration_term(s, text)
        total += term
        if total > _I64_LIMIT:
            raise ValueError(f"time: invalid duration {text!r}")
    if neg:
        return -total
    if total > _I64_LIMIT - 1:
        raise ValueError(f"time: invalid duration {text!r}")
    return total


def _frac(value: int, prec: int) -> tuple[str, int]:
    """time.fmtFrac: the fraction value/10^prec without trailing zeros, and the integer part."""
    digits = ""
    printing = False
    for _ in range(prec):
        digit = value % 10
        printing = printing or digit != 0
        if printing:
            digits = str(digit) + digits
        value //= 10
    return ("." + digits if printing else ""), value


def format_duration_ns(ns: int) -> str:
    """``time.Duration.String()``: ``2m0s``, ``1h0m0s``, ``1.5s``, ``500ms``, ``0s``."""
    neg, u = ns < 0, abs(ns)
    if u == 0:
        return "0s"
    if u < 1_000_000_000:
        unit, prec = ("ns", 0) if u < 1_000 else ("\u00b5s", 3) if u < 1_000_000 else ("ms", 6)
        frac, whole = _frac(u, prec)
        text = f"{whole}{frac}{unit}"
    else:
        frac, secs = _frac(u, 9)
        text = f"{secs % 60}{frac}s"
        minutes = secs // 60
        if minutes:
            text = f"{minutes % 60}m{text}"
            if minutes // 60:
                text = f"{minutes // 60}h{text}"
    return ("-" if neg else "") + text


@functools.lru_cache(maxsize=8192)
def format_go_duration(text: str) -> str:
    """A ``metav1.Duration`` string as the operator writes it into the HTTPRoute (§4.2).

    ``time.ParseDuration`` then ``Duration.String()``: ``120s`` -> ``2m0s``, ``1h`` -> ``1h0m0s``,
    ``90s`` -> ``1m30s``, ``500ms`` -> ``500ms``, ``1.5s`` -> ``1.5s``, ``0`` -> ``0s``.
    """
    return format_duration_ns(parse_go_duration(text))


_GATEWAY_DURATION: Final = re.compile(r"([0-9]{1,5}(h|m|s|ms)){1,4}")
_MS: Final = 1_000_000


@functools.lru_cache(maxsize=8192)
def format_gateway_duration(text: str) -> str:
    """A ``metav1.Duration`` string as a Gateway API Duration (GEP-2257), for HTTPRoute timeouts.

    ``time.ParseDuration``, then Go's ``Duration.String()`` where that already matches Gateway
    API's ``^([0-9]{1,5}(h|m|s|ms)){1,4}$`` (``120s`` -> ``2m0s``, ``500ms`` -> ``500ms``): the
    same text as before. Fractions of a second, which ``String()`` prints as ``1.5s``, become
    milliseconds (``1500ms`` and ``1.5s`` -> ``1s500ms``; ``90.25s`` -> ``1m30s250ms``).
    Raises ``ValueError`` for what the API server would refuse: negative durations, a precision
    finer than a millisecond, more than 99999 hours.
    """
    ns = parse_go_duration(text)
    if ns < 0:
        raise ValueError("a Gateway API duration cannot be negative")
    if ns % _MS:
        raise ValueError("a Gateway API duration has at most millisecond precision")
    whole, millis = divmod(ns, _NANO)
    out = format_duration_ns(whole * _NANO) if whole else ""
    if millis or not whole:
        out += f"{millis // _MS}ms" if millis else "0s"
    if not _GATEWAY_DURATION.fullmatch(out):
        raise ValueError(f"{out} is beyond a Gateway API duration (at most 99999h)")
    return out
