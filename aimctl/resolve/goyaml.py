"""The bytes ``sigs.k8s.io/yaml.Marshal`` writes for a JSON-like value (operator 0.2.2 profiles).

The operator marshals its custom profile with ``sigs.k8s.io/yaml``: ``json.Marshal``, then
go-yaml v2 parses that JSON and writes it again. So every JSON number is a float64 first (an
integral one comes back as an int), mapping keys are sorted by go-yaml's key order, sequences sit
at their key's indentation, a string that would read as another type is double-quoted, one that
cannot be plain is single-quoted, and plain or quoted strings fold at spaces past column 80.

``marshal`` returns the text and whether every value was inside the subset reproduced here
(strings with line breaks are not: go-yaml writes them as literal blocks, whose edge cases are
not reproduced; they are written double-quoted instead; nor are keys over 128 bytes).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

__all__ = ["go_key_less", "marshal"]

_WIDTH = 80
_INDENT = 2
_BOOL_NULL = frozenset(
    [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "true",
        "True",
        "TRUE",
        "on",
        "On",
        "ON",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "false",
        "False",
        "FALSE",
        "off",
        "Off",
        "OFF",
        "~",
        "null",
        "Null",
        "NULL",
        ".nan",
        ".NaN",
        ".NAN",
        ".inf",
        ".Inf",
        ".INF",
        "+.inf",
        "+.Inf",
        "+.INF",
        "-.inf",
        "-.Inf",
        "-.INF",
        "<<",
    ]
)
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(([Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]*)?(Z|[-+][0-9]{1,2}(:[0-9]{2})?)?)?$"
)
_INT64 = (-(2**63), 2**63 - 1)
_ESCAPES = {
    0: "0",
    7: "a",
    8: "b",
    9: "t",
    10: "n",
    11: "v",
    12: "f",
    13: "r",
    0x1B: "e",
    0x22: '"',
    0x5C: "\\",
    0x85: "N",
    0xA0: "_",
    0x2028: "L",
    0x2029: "P",
}


def marshal(value: Any) -> tuple[str, bool]:
    """YAML text as the operator writes it, and whether it is exact (see the module doc)."""
    writer = _Writer()
    writer.node(_normalise(value), indent=0, top=True)
    return "".join(writer.out), writer.exact


def _go_exponent(number: float) -> str:
    """Go's shortest ``%e`` form: ``1e+21``, ``1.5e-07`` (at least two exponent digits)."""
    exact = Decimal(repr(abs(number)))
    digits = "".join(map(str, exact.as_tuple().digits)).rstrip("0") or "0"
    exponent = exact.adjusted()
    body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if number < 0 else ""
    return f"{sign}{body}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


def _go_float_g(number: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 64)``: the exponent form when the decimal exponent is
    below -4 or at least 6 (Go decides on precision 6 for the shortest form)."""
    if math.isinf(number):
        return ".inf" if number > 0 else "-.inf"
    if math.isnan(number):
        return ".nan"
    if number == 0:
        return "0"
    exponent = Decimal(repr(abs(number))).adjusted()
    if exponent < -4 or exponent >= 6:
        return _go_exponent(number)
    return format(Decimal(repr(number)).normalize(), "f")


def _number(value: int | float) -> int | float:
    """A JSON number after json.Unmarshal (float64), json.Marshal and go-yaml's parse: an
    integral value below 1e21 is written as digits, which go-yaml reads as an int again."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e21:
        whole = int(number)
        if _INT64[0] <= whole <= 2**64 - 1:
            return whole
    return number


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return str(value)


def go_key_less(a: str, b: str) -> bool:
    """go-yaml v2's map key order: letters by code point, non-letters before letters, digit
    runs by numeric value."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _sorted_keys(keys: list[str]) -> list[str]:
    import functools

    def compare(a: str, b: str) -> int:
        return -1 if go_key_less(a, b) else (1 if go_key_less(b, a) else 0)

    return sorted(keys, key=functools.cmp_to_key(compare))


def _printable(ch: str) -> bool:
    c = ord(ch)
    return (
        c == 0x0A
        or 0x20 <= c <= 0x7E
        or 0xA0 <= c <= 0xD7FF
        or (0xE000 <= c <= 0xFFFD and c != 0xFEFF)
    )


def _resolves_to_non_string(s: str) -> bool:
    if s == "" or s in _BOOL_NULL:
        return True
    if s[0] not in "+-.0123456789":
        return False
    plain = s.replace("_", "")
    if _TIMESTAMP.match(s) or _go_parse_int(plain):
        return True
    return bool(_FLOAT.match(plain)) or bool(re.match(r"^-?0b[01]+$", plain))


def _go_parse_int(s: str) -> bool:
    """Whether ``strconv.ParseInt(s, 0, 64)`` or ``ParseUint`` accepts ``s``."""
    m = re.match(r"^([-+]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]*|0[bB][01]+|[1-9][0-9]*)$", s)
    if not m:
        return False
    body = m.group(2)
    if body[:2] in ("0x", "0X"):
        value = int(body[2:], 16)
    elif body[:2] in ("0b", "0B"):
        value = int(body[2:], 2)
    elif body[:2] in ("0o", "0O"):
        if len(body) == 2:
            return False
        value = int(body[2:], 8)
    elif body.startswith("0") and len(body) > 1:
        value = int(body[1:], 8)
    else:
        value = int(body)
    if m.group(1) == "-":
        return -value >= _INT64[0]
    return value <= 2**64 - 1


def _style(s: str, key: bool) -> str:
    """go-yaml's choice for a one-line string: ``plain``, ``single`` or ``double``."""
    if _resolves_to_non_string(s) or _BASE60.match(s):
        return "double"
    if any(not _printable(ch) for ch in s):
        return "double"
    plain = not (s[0] == " " or s[-1] == " ")
    if s.startswith(("---", "...")):
        plain = False
    for i, ch in enumerate(s):
        followed_by_blank = i + 1 >= len(s) or s[i + 1] in " \t\n"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`" or (ch in "?:-" and followed_by_blank):
                plain = False
        elif (ch == ":" and followed_by_blank) or (ch == "#" and s[i - 1] in " \t"):
            plain = False
    del key
    return "plain" if plain else "single"


class _Writer:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.exact = True

    def write(self, text: str) -> None:
        self.out.append(text)
        if "\n" in text:
            self.column = len(text) - text.rindex("\n") - 1
        else:
            self.column += len(text)

    def newline(self, indent: int) -> None:
        self.write("\n" + " " * indent)

    def node(self, value: Any, indent: int, top: bool = False) -> None:
        if isinstance(value, dict) and value:
            self.mapping(value, indent, top)
        elif isinstance(value, list) and value:
            self.sequence(value, indent, top)
        else:
            if not top:
                self.write(" ")
            self.scalar(value, indent + _INDENT, key=False)
            self.write("\n")

    def mapping(self, value: dict[str, Any], indent: int, top: bool) -> None:
        if not top:
            self.newline(indent)
        for i, key in enumerate(_sorted_keys(list(value))):
            if i:
                self.write(" " * indent)
            self.scalar(key, indent + _INDENT, key=True)
            self.write(":")
            sub = value[key]
            if isinstance(sub, dict) and sub:
                self.mapping(sub, indent + _INDENT, top=False)
            elif isinstance(sub, list) and sub:
                self.sequence(sub, indent, top=False)  # sequences sit at their key's column
            else:
                self.node(sub, indent)

    def sequence(self, value: list[Any], indent: int, top: bool) -> None:
        if not top:
            self.newline(indent)
        for i, item in enumerate(value):
            if i:
                self.write(" " * indent)
            self.write("-")
            if isinstance(item, dict) and item:
                self.write(" ")
                self._inline_mapping(item, indent + _INDENT)
            elif isinstance(item, list) and item:
                self.write(" ")
                self._inline_sequence(item, indent + _INDENT)
            else:
                self.node(item, indent)

    def _inline_mapping(self, value: dict[str, Any], indent: int) -> None:
        """A mapping that starts right after ``- `` on the current line."""
        for i, key in enumerate(_sorted_keys(list(value))):
            if i:
                self.write(" " * indent)
            self.scalar(key, indent + _INDENT, key=True)
            self.write(":")
            sub = value[key]
            if isinstance(sub, dict) and sub:
                self.mapping(sub, indent + _INDENT, top=False)
            elif isinstance(sub, list) and sub:
                self.sequence(sub, indent, top=False)
            else:
                self.node(sub, indent)

    def _inline_sequence(self, value: list[Any], indent: int) -> None:
        for i, item in enumerate(value):
            if i:
                self.write(" " * indent)
            self.write("-")
            if isinstance(item, dict) and item:
                self.write(" ")
                self._inline_mapping(item, indent + _INDENT)
            elif isinstance(item, list) and item:
                self.write(" ")
                self._inline_sequence(item, indent + _INDENT)
            else:
                self.node(item, indent)

    def scalar(self, value: Any, indent: int, key: bool) -> None:
        if value is None:
            self.write("null")
        elif value is True:
            self.write("true")
        elif value is False:
            self.write("false")
        elif isinstance(value, int):
            self.write(str(value))
        elif isinstance(value, float):
            self.write(_go_float_g(value))
        elif isinstance(value, dict):
            self.write("{}")
        elif isinstance(value, list):
            self.write("[]")
        else:
            self.string(str(value), indent, key)

    def string(self, s: str, indent: int, key: bool) -> None:
        if key and len(s.encode()) > 128:
            self.exact = False  # go-yaml writes keys over 128 bytes as "? key" (not reproduced)
        if "\n" in s:
            self.exact = False  # go-yaml writes a literal block; written double-quoted here
            self._double(s, indent, breaks=not key)
            return
        style = _style(s, key)
        if style == "plain":
            self._folded(s, indent, breaks=not key, quote="")
        elif style == "single":
            self._folded(s.replace("'", "''"), indent, breaks=not key, quote="'")
        else:
            self._double(s, indent, breaks=not key)

    def _folded(self, s: str, indent: int, breaks: bool, quote: str) -> None:
        """Plain or single-quoted: a space past column 80 becomes a line break."""
        self.write(quote)
        spaces = False
        for i, ch in enumerate(s):
            if ch == " ":
                fold = breaks and not spaces and self.column > _WIDTH
                if fold and i + 1 < len(s) and s[i + 1] != " " and (not quote or i > 0):
                    self.newline(indent)
                else:
                    self.write(ch)
                spaces = True
            else:
                self.write(ch)
                spaces = False
        self.write(quote)

    def _double(self, s: str, indent: int, breaks: bool) -> None:
        self.write('"')
        spaces = False
        for i, ch in enumerate(s):
            code = ord(ch)
            if not _printable(ch) or ch in '"\\' or ch == "\n":
                if code in _ESCAPES:
                    self.write("\\" + _ESCAPES[code])
                elif code <= 0xFF:
                    self.write(f"\\x{code:02X}")
                elif code <= 0xFFFF:
                    self.write(f"\\u{code:04X}")
                else:
                    self.write(f"\\U{code:08X}")
                spaces = False
            elif ch == " ":
                if breaks and not spaces and self.column > _WIDTH and 0 < i < len(s) - 1:
                    self.newline(indent)
                    if s[i + 1] == " ":
                        self.write("\\")
                else:
                    self.write(ch)
                spaces = True
            else:
                self.write(ch)
                spaces = False
        self.write('"')
