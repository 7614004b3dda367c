"""A deterministic YAML emitter for plain JSON-like data (the one serializer aimctl writes with).

Input is made of ``dict`` (``str`` keys, emitted in insertion order — the caller orders keys),
``list``/``tuple``, ``str``, ``bool``, ``int``, ``float`` and ``None``. Output layout, fixed:

* block style, 2-space indentation, list items kubectl-style (the ``-`` at the parent key's column);
  a mapping or list inside a list starts on the dash line (``- name: x``, ``- - a``);
* ``{}`` / ``[]`` for empty collections, ``null``, ``true``/``false``, ints as written, floats in a
  form YAML 1.1 and 1.2 both read back as the same float (``1.0``, ``1.0e+16``); NaN and
  infinities are rejected with ``ValueError`` (Kubernetes converts YAML to JSON, which has neither);
* a string is written plain only when it is printable ASCII and no YAML 1.1 (PyYAML, go-yaml v2 as
  used by Kubernetes) or YAML 1.2 (ruamel) reader could take it for anything but that string —
  no bool/null words (incl. ``y``/``n``/``on``/``off``), nothing numeric-looking (octal, hex,
  binary, ``_`` separators, exponents, sexagesimal, ``.inf``/``.nan``), no timestamps, no leading
  indicator or space, no trailing space or ``:``, no ``": "`` or ``" #"``, not ``<<``/``=``.
  Otherwise it is double-quoted with JSON escapes; non-ASCII printable characters stay as they
  are, YAML non-printables, the line breaks U+0085/U+2028/U+2029 and U+FEFF are ``\\u``-escaped;
* a multi-line string is a literal block (``|``, ``|-`` or ``|+``; indentation indicator ``2`` when
  its first line starts with a space or tab, or it starts with a line break) when every character
  is printable and no line ends in a space or tab (editors strip those); otherwise double-quoted;
* keys follow the same rules (never block style); a key longer than YAML's 1024-character simple
  key limit is written as an explicit ``? key`` / ``: value`` entry;
* lines are never wrapped; the text ends with exactly one newline (unless the last scalar keeps
  trailing blank lines with ``|+``).

Streams of several documents are joined by ``aimctl.emit.stream_text``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from aimctl.provenance import FieldPath, format_path

__all__ = ["dump_yaml"]

# --- scalar classification (only on cache misses) -------------------------------------------------

_PLAIN_UNSAFE = re.compile(
    r"""
      \A[-?:,\[\]{}\#&*!|>'"%@`\ ]        # starts with an indicator or a space
    | \A\.\.\.                           # document end marker at column 0
    | \ \Z | :\Z                         # trailing space, trailing colon (a mapping key)
    | :\  | \ \#                         # "key: value", "value # comment"
    | \A[0-9]{4}-[0-9]                   # anything timestamp-like (YAML 1.1 and 1.2 resolvers)
    | \A(?:<<|=|~)\Z                     # merge key, YAML 1.1 value key, null
    | \A(?i:y|yes|n|no|true|false|on|off|null)\Z      # bools of YAML 1.1 and 1.2, null
    | \A[-+]?(?:                         # numbers of YAML 1.1 / 1.2 / go-yaml v2, generously:
          0[bBoOxX][0-9a-fA-F_]*                       #   0b101, 0o17, 0x1F
        | [0-9_][0-9_:]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9_]*)?   # 0777, 1_000, 1:20, 1.10, 1e3, 1.
        | \.[0-9_]+(?:[eE][-+]?[0-9_]*)?               #   .5, .5e3
        | \.(?i:inf|nan)                               #   .inf, .NaN
      )\Z
    """,
    re.VERBOSE,
)
# go-yaml v2 deletes every "_" before it tries a number ("0_x1F" is 31 there).
_NUMBER_WITHOUT_UNDERSCORES = re.compile(
    r"[-+]?(?:0[bBoOxX][0-9a-fA-F]*|[0-9][0-9:]*(?:\.[0-9]*)?(?:[eE][-+]?[0-9]*)?|\.[0-9])"
)
# Characters a double-quoted scalar must escape on top of what json.dumps escapes: YAML
# non-printables (DEL, C1 controls, U+FFFE/U+FFFF), line breaks YAML folds (U+0085, U+2028,
# U+2029) and the byte order mark.
_DQ_EXTRA_ESCAPES = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A literal block may hold only printable characters other than line breaks besides "\n" (tab
# included), and no line may end in a space or tab.
_BLOCK_UNSAFE = re.compile(
    "[^\n\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    "|[ \t]\n|[ \t]\\Z"
)
# A fast path for names, labels and paths: a letter or "/" first, then only letters, digits and
# ".", "/", "-" (no "_": go-yaml drops it before reading a number). Such a string has no
# indicator, space, colon, "#" or leading digit or dot, so of everything _PLAIN_UNSAFE matches
# it can only be one of these words (in any case).
_NAME_LIKE = re.compile(r"[A-Za-z/][A-Za-z0-9./-]*").fullmatch
_PLAIN_WORDS = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null"})
_LONGEST_WORD = 5
_MAX_SIMPLE_KEY = 1000  # YAML readers reject implicit keys over 1024 characters
_CACHE_LIMIT = 1 << 16
_CACHEABLE_LENGTH = 256
_BLOCK = ""  # value-cache marker: "write this string as a literal block"

_VALUE_CACHE: dict[str, str] = {}
_KEY_CACHE: dict[str, str] = {}
_value_get = _VALUE_CACHE.get  # the caches are cleared, never replaced
_key_get = _KEY_CACHE.get


def _escape_extra(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _is_plain(s: str) -> bool:
    """True when ``s`` may be written unquoted and reads back as this string in YAML 1.1 and 1.2."""
    if _NAME_LIKE(s):  # most strings of a manifest; of what _PLAIN_UNSAFE refuses, only words
        return len(s) > _LONGEST_WORD or s.lower() not in _PLAIN_WORDS
    return _plain_by_rules(s)


def _plain_by_rules(s: str) -> bool:
    """``_is_plain`` without its fast path for name-like strings."""
    if not s or not s.isascii() or not s.isprintable() or _PLAIN_UNSAFE.search(s):
        return False
    return "_" not in s or not _NUMBER_WITHOUT_UNDERSCORES.fullmatch(s.replace("_", ""))


def _quote(s: str) -> str:
    if _SURROGATE.search(s):
        raise ValueError(f"string {s!r} contains a lone surrogate and cannot be written as UTF-8")
    text = json.dumps(s, ensure_ascii=False)
    return _DQ_EXTRA_ESCAPES.sub(_escape_extra, text) if _DQ_EXTRA_ESCAPES.search(text) else text


def _inline(s: str) -> str:
    return s if _is_plain(s) else _quote(s)


def _remember(cache: dict[str, str], s: str, text: str) -> None:
    if len(s) <= _CACHEABLE_LENGTH:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[s] = text


def _render_key(key: object) -> str:
    if type(key) is not str:
        if not isinstance(key, str):
            raise TypeError(f"mapping key {key!r} is a {type(key).__name__}, not a str")
        key = str.__str__(key)
    text = _inline(key)
    _remember(_KEY_CACHE, key, text)
    return text


def _render_value(s: str) -> str:
    """The inline form of ``s``, or ``_BLOCK`` when it is written as a literal block."""
    block = "\n" in s and s.strip("\n") and not _BLOCK_UNSAFE.search(s)
    text = _BLOCK if block else _inline(s)
    _remember(_VALUE_CACHE, s, text)
    return text


def _format_float(x: float) -> str:
    if not math.isfinite(x):
        raise ValueError(f"float {x!r} has no JSON form and is not allowed in a manifest")
    text = float.__repr__(x)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:  # "1e+16": YAML 1.1 needs a dot in the mantissa
        return f"{mantissa}.0e{exponent}"
    return text


_EXACT_TYPES = frozenset({dict, list, str, int, bool, float, type(None)})


def _coerce(value: object) -> object:
    """Subclasses of the JSON-like types (StrEnum, OrderedDict, tuple…) as their base type."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):  # bool cannot be subclassed, so this is int or an IntEnum
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    raise TypeError(f"cannot write a {type(value).__name__} ({value!r}) as YAML")


# --- emitters ---------------------------------------------------------------------------------
# ``indent`` is the column of a collection's keys or dashes; ``first`` replaces ``indent`` on its
# very first line, which lets a collection start on its parent's dash line ("- name: x", "- - a").
# Type checks are exact (``type(v) is str``) for speed; other types take the slow ``else`` path.


def _emit_block(head: str, s: str, content_indent: str, append: Callable[[str], None]) -> None:
    """``head|…`` then the lines of ``s`` (which contains a ``\\n``) at ``content_indent``."""
    indicator = "2" if s[0] in " \t\n" else ""
    if s[-1] != "\n":
        chomp = "-"
    else:
        chomp = "+" if s.endswith("\n\n") else ""
        s = s[:-1]
    append(f"{head}|{indicator}{chomp}\n")
    for line in s.split("\n"):
        append(f"{content_indent}{line}\n" if line else "\n")


def _emit_map(
    mapping: dict[Any, Any], indent: str, first: str, append: Callable[[str], None]
) -> None:
    prefix = first
    for key, value in mapping.items():
        k = _key_get(key)
        if k is None:
            k = _render_key(key)
            if len(k) > _MAX_SIMPLE_KEY:
                _emit_explicit_entry(k, value, prefix, indent, append)
                prefix = indent
                continue
        t = type(value)
        if t is str:
            v = _value_get(value)
            if v is None:
                v = _render_value(value)
            if v:
                append(f"{prefix}{k}: {v}\n")
            else:
                _emit_block(f"{prefix}{k}: ", value, indent + "  ", append)
        elif t is dict:
            if value:
                append(f"{prefix}{k}:\n")
                child = indent + "  "
                _emit_map(value, child, child, append)
            else:
                append(f"{prefix}{k}: {{}}\n")
        elif t is list:
            if value:
                append(f"{prefix}{k}:\n")
                _emit_seq(value, indent, indent, append)
            else:
                append(f"{prefix}{k}: []\n")
        elif t is int:
            append(f"{prefix}{k}: {value}\n")
        elif t is bool:
            append(f"{prefix}{k}: true\n" if value else f"{prefix}{k}: false\n")
        elif value is None:
            append(f"{prefix}{k}: null\n")
        elif t is float:
            append(f"{prefix}{k}: {_format_float(value)}\n")
        else:
            _emit_map({key: _coerce(value)}, indent, prefix, append)
        prefix = indent


def _emit_seq(seq: list[Any], indent: str, first: str, append: Callable[[str], None]) -> None:
    prefix = first
    for value in seq:
        t = type(value)
        if t is str:
            v = _value_get(value)
            if v is None:
                v = _render_value(value)
            if v:
                append(f"{prefix}- {v}\n")
            else:
                _emit_block(f"{prefix}- ", value, indent + "  ", append)
        elif t is dict:
            if value:
                _emit_map(value, indent + "  ", f"{prefix}- ", append)
            else:
                append(f"{prefix}- {{}}\n")
        elif t is list:
            if value:
                _emit_seq(value, indent + "  ", f"{prefix}- ", append)
            else:
                append(f"{prefix}- []\n")
        elif t is int:
            append(f"{prefix}- {value}\n")
        elif t is bool:
            append(f"{prefix}- true\n" if value else f"{prefix}- false\n")
        elif value is None:
            append(f"{prefix}- null\n")
        elif t is float:
            append(f"{prefix}- {_format_float(value)}\n")
        else:
            _emit_seq([_coerce(value)], indent, prefix, append)
        prefix = indent


def _emit_explicit_entry(
    k: str, value: object, prefix: str, indent: str, append: Callable[[str], None]
) -> None:
    """``? key`` / ``: value``, for keys longer than an implicit key may be."""
    append(f"{prefix}? {k}\n")
    child = indent + "  "
    if type(value) not in _EXACT_TYPES:
        value = _coerce(value)
    if type(value) is dict and value:
        append(f"{indent}:\n")
        _emit_map(value, child, child, append)
    elif type(value) is list and value:
        append(f"{indent}:\n")
        _emit_seq(value, child, child, append)
    elif type(value) is str and not _render_value(value):
        _emit_block(f"{indent}: ", value, child, append)
    else:
        append(f"{indent}: {_scalar_text(value)}\n")


def _scalar_text(value: object) -> str:
    """Inline text of a scalar or an empty collection (never a block)."""
    if type(value) is str:
        return _render_value(value) or _quote(value)
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        return _format_float(value)
    if value is None:
        return "null"
    return "{}" if type(value) is dict else "[]"


def _emit_document(obj: object, append: Callable[[str], None]) -> None:
    try:
        if type(obj) not in _EXACT_TYPES:
            obj = _coerce(obj)
        if type(obj) is dict and obj:
            _emit_map(obj, "", "", append)
        elif type(obj) is list and obj:
            _emit_seq(obj, "", "", append)
        elif type(obj) is str and not _render_value(obj) and obj[0] not in " \t\n":
            # Readers disagree on what an indentation indicator means at document level, so a
            # top-level string that would need one is double-quoted instead.
            _emit_block("", obj, "  ", append)
        else:
            append(f"{_scalar_text(obj)}\n")
    except (TypeError, ValueError) as exc:
        path = _find_problem(obj, ())
        if path is None or type(exc) not in (TypeError, ValueError):
            raise
        raise type(exc)(f"{exc} (at {format_path(path) or 'the document root'})") from None


def _find_problem(value: object, path: FieldPath) -> FieldPath | None:
    """Path of the first value ``dump_yaml`` cannot write (slow; only called after an error)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or _SURROGATE.search(key):
                return (*path, repr(key))
            found = _find_problem(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _find_problem(item, (*path, index))
            if found is not None:
                return found
    elif isinstance(value, float):
        return None if math.isfinite(value) else path
    elif isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    elif not (value is None or isinstance(value, int)):
        return path
    return None


# --- public API -------------------------------------------------------------------------------


def dump_yaml(obj: object) -> str:
    """One YAML document (no ``---``) for JSON-like ``obj``, ending with a newline.

    Same data in, same text out: keys stay in insertion order, nothing is sorted or wrapped.
    Raises ``TypeError`` for a type outside dict/list/tuple/str/bool/int/float/None or a non-str
    key, ``ValueError`` for NaN, infinities and lone surrogates; the message names the field path.
    """
    out: list[str] = []
    _emit_document(obj, out.append)
    return "".join(out)
