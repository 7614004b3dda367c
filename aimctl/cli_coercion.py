"""Option values typer would coerce with a pydantic ``TypeAdapter``, coerced directly when the
answer is plain: start-up without pydantic for a command that loads no models (a cached
``render --check`` imports no models at all).

Typer builds an adapter for every parameter it processes, including those left at ``None``;
that imports pydantic and builds some twenty validators (measured: a quarter of a second, most
of an up-to-date ``render --check``). ``Quick`` answers the cases whose result is obvious:
``None`` (typer answers it before the adapter too), an ``Enum`` member for an ``Enum``
parameter, an ``int`` within its bounds, a ``str``, a ``Path`` or list of them from strings.
Everything else, and any value the quick answer raises on, goes to typer's own coercion, so its
results and messages are unchanged (``tests/test_cli_coercion.py`` compares both).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer._param_types import coerce_cli_path  # typer's path checks, without the adapter
from typer.core import _TyperParameter

__all__ = ["Quick", "install"]

_PLAIN = object()  # no quick answer: typer decides


class Quick:
    """A parameter's runtime coercion: the quick answer when there is one, else typer's."""

    def __init__(self, param: _TyperParameter) -> None:
        self._param = param
        self._full: Any = None

    def coerce(self, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        try:
            answer = _quick(param, value, multi)
        except Exception:  # typer's coercion words the error
            answer = _PLAIN
        if answer is not _PLAIN:
            return answer
        if self._full is None:
            from typer._coercion import build_runtime_param

            self._full = build_runtime_param(self._param.type_descriptor)
        return self._full.coerce(value, param=param, ctx=ctx)


def install(params: list[Any]) -> None:
    """Give every typer parameter not yet coerced a ``Quick`` coercion."""
    for param in params:
        if isinstance(param, _TyperParameter) and param._runtime_param is None:
            param._runtime_param = Quick(param)  # type: ignore[assignment]


def _quick(param: _TyperParameter, value: Any, multi: bool) -> Any:
    descriptor = param.type_descriptor
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return _PLAIN
    annotation: Any = descriptor.annotation
    if multi:
        if get_origin(annotation) is not list or not isinstance(value, (list, tuple)):
            return _PLAIN
        (item,) = get_args(annotation)
        answers = [_leaf(param, item, v) for v in value]
        return _PLAIN if any(a is _PLAIN for a in answers) else answers
    return _leaf(param, annotation, value)


def _leaf(param: _TyperParameter, annotation: Any, value: Any) -> Any:
    info = param.type_descriptor.parameter_info
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return value if any(value is member for member in annotation) else _PLAIN
    if annotation is int:
        if type(value) is not int or info.clamp:
            return _PLAIN
        low, high = info.min, info.max
        inside = (low is None or value >= low) and (high is None or value <= high)
        return value if inside else _PLAIN
    if type(value) is not str or "\0" in value:
        return _PLAIN
    if annotation is str:
        return value
    if annotation is Path and info.path_type is None and not info.allow_dash:
        checked: Any = coerce_cli_path(value, info, path_type=None, param=param)
        return Path(checked)  # what typer's adapter makes of the string
    return _PLAIN
