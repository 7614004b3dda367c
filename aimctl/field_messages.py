"""Schema errors in aimctl's own words: what is wrong with a value and how to write it instead.

The pydantic models report an error type and its constraint (a pattern, a bound, the allowed
literals); the sentence a user reads is built here, never taken from the library. Patterns the
CRDs share (quantities, names, label values, model IDs) are named in domain words with a
corrected example where one can be guessed (``61GB`` -> ``61G or 61Gi``, ``Qwen_Chat`` ->
``qwen-chat``).
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

from aimctl.model.scalars import (
    DNS1123_LABEL_PATTERN,
    DNS1123_SUBDOMAIN_PATTERN,
    LABEL_VALUE_PATTERN,
    MODEL_ID_PATTERN,
    QUALIFIED_NAME_PATTERN,
    QUANTITY_PATTERN,
    SOURCE_URI_PATTERN,
)
from aimctl.suggest import did_you_mean

__all__ = ["describe_error", "duration_advice", "fields_at", "literals_at", "quantity_advice"]

_NAME_RULE = "lower-case letters, digits and '-', starting and ending with a letter or digit"
_UNITS = "Ki Mi Gi Ti Pi Ei count in 1024s, k M G T P E in 1000s"


def quantity_advice(text: str) -> str:
    """Why ``text`` is not a Kubernetes quantity, with the spelling that was probably meant."""
    m = re.fullmatch(
        r"\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))\s*([kKmMgGtTpPeE]?)([iI]?)[bB]?\s*", text
    )
    if m and (m.group(2) or text.strip() != m.group(1)):
        number, unit, binary = m.groups()
        unit = unit.upper() if unit not in ("k", "K") else "k"
        if not unit:
            return f"{text!r} is not a Kubernetes quantity: write {number} (bytes need no unit)"
        as_binary = ("K" if unit == "k" else unit) + "i"
        if binary:
            return f"{text!r} is not a Kubernetes quantity: write {number}{as_binary}"
        return (
            f"{text!r} is not a Kubernetes quantity: write {number}{unit} or {number}{as_binary} "
            f"({_UNITS}; no 'B', no space)"
        )
    return (
        f"{text!r} is not a Kubernetes quantity: write a number with an optional unit, "
        f"e.g. 61Gi or 500M ({_UNITS})"
    )


_DURATION_WORDS = {
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "ms": "ms", "millisecond": "ms", "milliseconds": "ms",
}  # fmt: skip


def duration_advice(text: str) -> str:
    """Why ``text`` is not a duration, with the spelling that was probably meant."""
    parts = re.findall(r"([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)", text)
    units = [_DURATION_WORDS.get(word.lower()) for _, word in parts]
    if len(parts) == 1 and parts[0][1].lower() in ("d", "day", "days") and "." not in parts[0][0]:
        parts, units = [(str(int(parts[0][0]) * 24), "h")], ["h"]  # Go durations have no days
    guess = "".join(f"{number}{unit}" for (number, _), unit in zip(parts, units, strict=True))
    example = f"write {guess}" if parts and all(units) and guess != text else "write e.g. 2m"
    return (
        f"{text!r} is not a duration: {example} (a number and a unit, no spaces: "
        "h, m, s or ms, combined as in 1h30m)"
    )


def _name_example(text: str, dots: bool) -> str:
    allowed = "a-z0-9.-" if dots else "a-z0-9-"
    fixed = re.sub(f"[^{allowed}]+", "-", text.lower()).strip("-.")
    if dots:
        fixed = re.sub(r"-*\.+-*", ".", fixed)
    return f", e.g. {fixed!r}" if fixed and fixed != text else ""


def _pattern_words(pattern: str, value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if pattern == QUANTITY_PATTERN:
        return quantity_advice(text)
    if pattern in (DNS1123_SUBDOMAIN_PATTERN, r"^$|" + DNS1123_SUBDOMAIN_PATTERN):
        return (
            f"{text!r} is not a valid Kubernetes name: use lower-case letters, digits, '-' and "
            f"'.', starting and ending with a letter or digit{_name_example(text, dots=True)}"
        )
    if pattern == DNS1123_LABEL_PATTERN:
        return f"{text!r} is not a valid DNS label: use {_NAME_RULE}{_name_example(text, False)}"
    if pattern == LABEL_VALUE_PATTERN:
        return (
            f"{text!r} is not a valid label value: letters, digits, '-', '_' and '.', starting "
            "and ending with a letter or digit"
        )
    if pattern == QUALIFIED_NAME_PATTERN:
        return (
            f"{text!r} is not a valid label or annotation key: an optional DNS prefix and '/', "
            "then letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
        )
    if pattern == MODEL_ID_PATTERN:
        return f"{text!r} is not a model ID: write ORGANISATION/MODEL, e.g. 'Qwen/Qwen3-32B'"
    if pattern == SOURCE_URI_PATTERN:
        return f"{text!r} is not a model source: write hf://ORG/MODEL or s3://BUCKET/PATH"
    return f"{text!r} does not have the form this field requires"


def _what(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "null"
    return "a value of another type"


_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "list_type": "a list (lines starting with '- ')",
}


def _type_words(kind: str, value: Any, written: str | None) -> str:
    message = f"expected {_EXPECTED[kind]}, got {_what(value)}"
    if kind == "string_type" and isinstance(value, bool | int | float):
        shown = written if written is not None else ("true" if value is True else str(value))
        if isinstance(value, bool):
            message += (
                f": Kubernetes reads an unquoted {shown} as a boolean (as it reads y, yes, on, "
                f'n, no, off); write "{shown}" in quotes'
            )
        else:
            message += (
                f': Kubernetes reads an unquoted {shown} as a number; write "{shown}" in quotes'
            )
    elif kind == "bool_type" and isinstance(value, str):
        message += " (write true or false, without quotes)"
    elif (
        kind in ("int_type", "int_from_float")
        and isinstance(value, str)
        and value.strip().lstrip("+-").isdigit()
    ):
        message += " (write the number without quotes)"
    return message


def describe_error(
    err: Any, written: str | None = None, fields: Iterable[str] = (), literals: Iterable[str] = ()
) -> str:
    """One pydantic error as aimctl says it.

    ``written``: the scalar as the file spells it (``y``, ``1e3``), when known. ``fields``: the
    fields allowed where an unknown one was found. ``literals``: the values an enum allows.
    """
    kind = str(err["type"])
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        return _pattern_words(str(ctx.get("pattern", "")), value)
    if kind in ("literal_error", "enum"):
        allowed = list(literals) or re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        shown = repr(value) if isinstance(value, str) else _what(value)
        hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
        return f"{shown} is not one of {', '.join(allowed)}{hint}"
    if kind in _EXPECTED:
        return _type_words(kind, value, written)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "?")
        word = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        return f"{value} is out of range: must be {word} {bound}"
    if kind in ("string_too_long", "too_long"):
        unit = "characters" if kind == "string_too_long" else "items"
        return f"too long: at most {ctx.get('max_length', '?')} {unit}"
    if kind in ("string_too_short", "too_short"):
        least = ctx.get("min_length", 1)
        if least == 1:
            return "must not be empty"
        unit = "characters" if kind == "string_too_short" else "items"
        return f"too short: at least {least} {unit}"
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        if error is not None:
            return str(error)  # aimctl's own validators raise these
    return f"invalid value ({kind.replace('_', ' ')})"


# ---- what a model allows at a location (unknown-field and enum suggestions) -----------------


def _models_in(annotation: Any) -> list[Any]:
    """Pydantic model classes inside an annotation (Optional, list, dict, Annotated, unions)."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[Any] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out


def _literals_in(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(m.value) for m in annotation]
    out: list[str] = []
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated) or origin is None:
        for arg in typing.get_args(annotation):
            out.extend(_literals_in(arg))
    return out


def _field_named(model: Any, key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _walk(model: Any, path: tuple[int | str, ...]) -> list[Any]:
    """The field infos ``path`` may lead to (several when a union offers several models)."""
    infos: list[Any] = []
    models = [model]
    for i, part in enumerate(path):
        if isinstance(part, int):
            continue
        infos = [f for m in models if (f := _field_named(m, part)) is not None]
        if i < len(path) - 1:
            models = [m for info in infos for m in _models_in(info.annotation)]
    return infos


def fields_at(model: Any, path: tuple[int | str, ...]) -> list[str]:
    """The YAML keys allowed in the mapping at ``path`` (empty when it cannot be told)."""
    if model is None:
        return []
    models = [model]
    if path:
        models = [m for info in _walk(model, path) for m in _models_in(info.annotation)]
    return sorted({info.alias or name for m in models for name, info in m.model_fields.items()})


def literals_at(model: Any, path: tuple[int | str, ...]) -> list[str]:
    """The values an enum field at ``path`` allows, in declaration order."""
    if model is None or not path:
        return []
    seen: dict[str, None] = {}
    for info in _walk(model, path):
        for literal in _literals_in(info.annotation):
            seen.setdefault(literal, None)
    return list(seen)
