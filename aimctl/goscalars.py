"""Plain YAML scalars typed as Kubernetes types them, and the JSON value the API server receives.

``kubectl apply`` turns YAML into JSON with ``sigs.k8s.io/yaml``, whose reader is its copy of
go-yaml v2 (``goyaml.v2/resolve.go``). That reader is neither YAML 1.1 nor YAML 1.2:

* booleans are ``y Y yes Yes YES true True TRUE on On ON`` and their ``n``/``no``/``false``/``off``
  spellings, nothing else (``yES`` is a string);
* nulls are the empty scalar, ``~``, ``null``, ``Null``, ``NULL``;
* a scalar starting with a digit or a sign is, in this order: an integer as Go's
  ``strconv.ParseInt(s, 0, 64)`` reads it after every ``_`` is removed (``0x1F``, ``0o17``,
  ``0b101``, ``017`` octal), an unsigned one up to 2^64-1, a float matching
  ``[-+]?(.D+|D+(.D*)?)([eE][-+]?D+)?`` that does not overflow (``1e3``, ``1.``, ``08``), the
  ``0b`` forms, a hexadecimal/octal/binary integer of any size, else a string (``1:30``, ``1e999``);
* a scalar starting with ``.`` is a float when Go parses it (``.5``), or one of the ``.inf``/``.nan``
  spellings; anything else, ``=`` included, is a string. Timestamps stay strings.

The JSON side: an integral float is written without a fraction (``1e3`` reaches the API server as
``1000``), NaN and infinities cannot be written at all (kubectl refuses the file), and mapping
keys become strings (``true``, ``1``, a float as Go's ``%g`` of its float32 value).
"""

from __future__ import annotations

import math
import re
import struct
from decimal import Decimal
from typing import Any

__all__ = [
    "BOOL",
    "FLOAT",
    "INT",
    "MERGE",
    "NULL",
    "STR",
    "NotJson",
    "json_key",
    "key_text",
    "plain_tag",
    "resolve_plain",
    "typed",
]

_PREFIX = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, MERGE = (
    _PREFIX + name for name in ("str", "int", "float", "bool", "null", "merge")
)

_WORDS: dict[str, tuple[str, Any]] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), (BOOL, True)),
    **dict.fromkeys(("on", "On", "ON"), (BOOL, True)),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), (BOOL, False)),
    **dict.fromkeys(("off", "Off", "OFF"), (BOOL, False)),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), (NULL, None)),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), (FLOAT, math.nan)),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), (FLOAT, math.inf)),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), (FLOAT, -math.inf)),
}
# go-yaml looks at the first byte: only these may start a non-string scalar
_HINTED = frozenset("+-0123456789yYnNtTfFoO~.")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)\Z")
_GO_UINT = re.compile(r"(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)\Z")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?\Z")  # what Go's ParseFloat takes after '.'
_BINARY = re.compile(r"[-+]?[01]+\Z")  # strconv.ParseInt(s, 2, 64) after the "0b" of go-yaml
_MAX_DIGITS = 100  # longer integers are typed but not converted (int() of huge text is slow)


def _go_unsigned(body: str) -> int:
    """The value of an unsigned literal ``_GO_UINT`` matched (``0`` alone and ``017`` octal)."""
    if body[:2] in ("0x", "0X"):
        return int(body[2:], 16)
    if body[:2] in ("0b", "0B"):
        return int(body[2:], 2)
    if body[:2] in ("0o", "0O"):
        return int(body[2:], 8)
    if body.startswith("0"):
        return int(body, 8)
    return int(body)


def _float(text: str) -> float | None:
    """Go's ``strconv.ParseFloat(text, 64)`` for texts the patterns above admit; None on overflow
    (Go reports ErrRange there and go-yaml goes on to the next reading)."""
    value = float(text)
    return None if math.isinf(value) else value


def resolve_plain(text: str) -> tuple[str, Any]:
    """The tag and value go-yaml v2 gives the plain (unquoted) scalar ``text``."""
    word = _WORDS.get(text)
    if word is not None:
        return word
    if text == "<<":
        return MERGE, text  # only meaningful as a key; a "<<" value reads back as this text
    first = text[:1]
    if first not in _HINTED:
        return STR, text
    if first == ".":
        if _DOT_FLOAT.match(text):
            value = _float(text)
            if value is not None:
                return FLOAT, value
        return STR, text
    if first not in "+-0123456789":
        return STR, text  # y, n, t, f, o, ~ starts: only the words above are not strings
    plain = text.replace("_", "")
    signed = _GO_INT.match(plain)
    if signed is not None and len(plain) > _MAX_DIGITS:
        return INT, None  # far beyond 64 bits; the loader refuses it without converting
    if signed is not None:
        number = _go_unsigned(signed.group(2))
        number = -number if signed.group(1) == "-" else number
        if _INT64_MIN <= number <= _INT64_MAX:
            return INT, number
    unsigned = _GO_UINT.match(plain)
    if unsigned is not None and _go_unsigned(plain) <= _UINT64_MAX:
        return INT, _go_unsigned(plain)
    if _YAML_FLOAT.match(plain):
        value = _float(plain)
        if value is not None:
            return FLOAT, value
    if plain.startswith("0b") and _BINARY.match(plain[2:]):
        number = int(plain[2:], 2)  # "0b-101" is -5 here: go-yaml parses what follows "0b"
        if _INT64_MIN <= number <= _INT64_MAX or (plain[2] not in "+-" and number <= _UINT64_MAX):
            return INT, number
    if unsigned is not None:
        return INT, _go_unsigned(plain)  # beyond uint64: go-yaml keeps it as a big integer
    return STR, text


def plain_tag(text: str) -> str:
    """The tag of the plain scalar ``text`` (what the loader's resolver answers)."""
    return resolve_plain(text)[0]


class NotJson(ValueError):
    """A value kubectl cannot turn into JSON (NaN, an infinity), or a tagged scalar go-yaml
    cannot read as its tag."""


def typed(tag: str, text: str) -> Any:
    """The JSON-ready value of a scalar ``text`` tagged (explicitly or implicitly) ``tag``.

    An integral float becomes the integer JSON writes for it (Go's ``json.Marshal`` gives
    ``1000`` for ``1e3``, ``100000000000000000000`` for ``1e20``; from 1e21 on, an exponent).
    """
    if tag == MERGE:
        return text  # "<<" where a value is expected is just that text
    found, value = resolve_plain(text)
    if found == MERGE:
        found, value = STR, text
    if found != tag:
        if tag == FLOAT and found == INT:
            found, value = FLOAT, float(value)
        elif tag == STR:
            return text
        else:
            raise NotJson(f"{text!r} is not a {tag.removeprefix(_PREFIX)}")
    if found == FLOAT:
        if math.isnan(value) or math.isinf(value):
            raise NotJson(
                f"{text} is not a number JSON can carry (NaN and infinities have no JSON form), "
                "so kubectl would refuse the file; quote it if it is text"
            )
        if value.is_integer() and abs(value) < 1e21:
            return int(Decimal(repr(value)))  # Go writes the shortest digits, then zeros
    return value


def key_text(tag: str, text: str) -> str:
    """The JSON key a scalar key ``text`` tagged ``tag`` becomes (``y`` -> ``"true"``, ``1e6`` ->
    ``"1e+06"``); ValueError for the keys sigs.k8s.io/yaml refuses."""
    if tag in (STR, MERGE):
        return text
    found, value = resolve_plain(text)
    if found != tag and not (tag == FLOAT and found == INT):
        raise NotJson(f"{text!r} is not a {tag.removeprefix(_PREFIX)}")
    if tag == FLOAT:
        value = float(value)
    if tag == INT and value is None:
        raise ValueError(f"a mapping key Kubernetes cannot use: {text[:40]}... (quote it)")
    return json_key(value)


def json_key(key: Any) -> str:
    """The string ``sigs.k8s.io/yaml`` makes of a mapping key go-yaml typed; ValueError for the
    keys it refuses (null, integers beyond int64, anything not a scalar)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int) and _INT64_MIN <= key <= _INT64_MAX:
        return str(key)
    if isinstance(key, float):
        return _go_float32_g(key)
    shown = "null" if key is None else str(key)
    raise ValueError(f"a mapping key Kubernetes cannot use: {shown} (quote it)")


def _go_float32_g(number: float) -> str:
    """``strconv.FormatFloat(number, 'g', -1, 32)`` with go-yaml's spellings of NaN/infinity."""
    if math.isnan(number):
        return ".nan"
    if math.isinf(number):
        return ".inf" if number > 0 else "-.inf"
    single = struct.unpack("f", struct.pack("f", number))[0]
    if single == 0:
        return "-0" if math.copysign(1.0, single) < 0 else "0"
    for digits_wanted in range(1, 10):  # the shortest decimal that reads back as this float32
        text = f"{single:.{digits_wanted - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text)
    digits = mantissa.replace("-", "").replace(".", "").rstrip("0") or "0"
    sign = "-" if single < 0 else ""
    if exponent < -4 or exponent >= 6:  # %e when shortest (Go decides on precision 6)
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"
    return sign + format(Decimal(digits).scaleb(exponent - len(digits) + 1), "f")
