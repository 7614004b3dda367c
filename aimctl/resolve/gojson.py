"""Go's ``encoding/json`` for scalars, byte for byte: the one encoder behind the operator's
hash-input JSON (``naming.go_json``, §5.3) and its ``json.Marshal`` of merged engine args
(``envmerge.go_marshal``, §3.4.1).
"""

from __future__ import annotations

import re
from typing import Final

from aimctl.resolve.quantity import go_json_float

__all__ = ["go_json_scalar", "go_json_string"]

_JSON_SHORT: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}

_JSON_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')


def go_json_string(text: str) -> str:
    """A JSON string as Go's encoding/json writes it: ``<>&`` and U+2028/2029 escaped as ``\\u00XX``,
    other control characters escaped, everything else raw UTF-8; lone surrogates become U+FFFD.
    """
    if not _JSON_NEEDS_ESCAPE.search(text):
        return f'"{text}"'
    out = ['"']
    for c in text:
        code = ord(c)
        if c in _JSON_SHORT:
            out.append(_JSON_SHORT[c])
        elif code < 0x20 or c in "<>&" or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def go_json_scalar(value: object) -> str | None:
    """``null``, ``true``/``false``, a decimal integer, a float64 (:func:`go_json_float`) or a
    string as encoding/json writes them; ``None`` when ``value`` is not a scalar."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, str):
        return go_json_string(value)
    return None
