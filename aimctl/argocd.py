"""The Argo CD config-management plugin's parameters: one table, read and announced from it.

Argo CD hands a plugin the values set in an Application's Parameters tab
(``spec.source.plugin.parameters``) as ``ARGOCD_APP_PARAMETERS`` (a JSON list of ``{name,
string|array|map}``) and as ``PARAM_<NAME>`` variables; ``spec.source.plugin.env`` arrives as
``ARGOCD_ENV_<NAME>``. ``PARAMETERS`` below is the only list of what aimctl reads: ``plugin_argv``
turns the values into ``render`` options, and ``examples/argocd/plugin.yaml`` announces exactly
this list with these defaults (``announced()``; ``tests/test_argocd_plugin.py`` compares them).

Every value is typed and checked here, with a message naming the parameter and the variable it
came from; values are passed as ``--option=VALUE`` so none is ever read as another option, and
there is no free-form argument string (``AIMCTL_ARGS`` is refused). A parameter missing from
every source takes its announced default, which in the plugin may differ from the command
line's: ``AIMCTL_JOBS`` is 1, so a repo-server shared by every Application is not forked into
one worker per CPU.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "MAX_PARAMETERS_BYTES",
    "PARAMETERS",
    "Parameter",
    "ParameterError",
    "announced",
    "plugin_argv",
]

Type = Literal["string", "boolean", "integer", "choice"]

_TRUE: Final = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE: Final = frozenset({"0", "false", "f", "no", "n", "off"})
MAX_PARAMETERS_BYTES: Final = 64 * 1024  # ARGOCD_APP_PARAMETERS larger than this is refused
_MAX_JOBS: Final = 1024  # cli.MAX_JOBS (not imported: the CLI imports this module)


@dataclass(frozen=True, slots=True)
class Parameter:
    """One plugin parameter: its name (without ``ARGOCD_ENV_``/``PARAM_``), the ``render``
    option it sets (``None``: the path after ``--``), its type, its default (``""``: none) and
    the title the Parameters tab shows."""

    name: str
    option: str | None
    type: Type
    default: str
    title: str
    choices: tuple[str, ...] = ()


PARAMETERS: Final[tuple[Parameter, ...]] = (
    Parameter(
        "AIMCTL_PATH",
        None,
        "string",
        ".",
        "Directory to render, relative to the Application's source path",
    ),
    Parameter(
        "AIMCTL_CONFIG",
        "--config",
        "string",
        "",
        "Project file (default: the aimctl.yaml that plugin discovery matched)",
    ),
    Parameter(
        "AIMCTL_TEMPLATES",
        "--templates",
        "string",
        "",
        "Directory of manifest templates to use instead of the built-in ones",
    ),
    Parameter(
        "AIMCTL_NAMESPACE",
        "--namespace",
        "string",
        "",
        "Namespace for inputs that name none (default: the Application's destination namespace)",
    ),
    Parameter(
        "AIMCTL_OPERATOR_VERSION",
        "--operator-version",
        "string",
        "",
        "AIM Engine release to render (default: operator in aimctl.yaml, else 0.2.2)",
    ),
    Parameter(
        "AIMCTL_GITOPS",
        "--gitops",
        "choice",
        "",
        "Output profile: plain, argocd or flux (default: gitops in aimctl.yaml, else argocd)",
        ("plain", "argocd", "flux"),
    ),
    Parameter(
        "AIMCTL_SYNC_WAVES",
        "--sync-waves",
        "boolean",
        "false",
        "Add sync-wave annotations (scaffolding, then PVCs and download Jobs, then serving)",
    ),
    Parameter(
        "AIMCTL_INCLUDE_INTERMEDIATES",
        "--include-intermediates",
        "boolean",
        "false",
        "Also render AIM intermediates (only for clusters that run the AIM operator)",
    ),
    Parameter(
        "AIMCTL_STRICT",
        "--strict",
        "boolean",
        "false",
        "Treat tenant problems (undeclared namespaces, quotas too small) as errors",
    ),
    Parameter(
        "AIMCTL_CREATE_NAMESPACES",
        "--create-namespaces",
        "boolean",
        "false",
        "Render a Namespace for namespaces AIM resources use but no tenant declares",
    ),
    Parameter(
        "AIMCTL_KINDS",
        "--kinds",
        "string",
        "",
        "Keep only these kinds (comma-separated; names, plurals or short names)",
    ),
    Parameter(
        "AIMCTL_EXCLUDE_KINDS",
        "--exclude-kinds",
        "string",
        "",
        "Leave out these kinds (comma-separated; names, plurals or short names)",
    ),
    Parameter(
        "AIMCTL_PHASE",
        "--phase",
        "choice",
        "",
        "Only one half of the render: storage or serving (default: both)",
        ("storage", "serving"),
    ),
    Parameter(
        "AIMCTL_TENANT",
        "--tenant",
        "string",
        "",
        "Only this tenant's objects (its namespace; needs paths in aimctl.yaml)",
    ),
    Parameter(
        "AIMCTL_PLATFORM",
        "--platform",
        "boolean",
        "false",
        "Only the platform's objects (needs paths in aimctl.yaml)",
    ),
    Parameter(
        "AIMCTL_JOBS",
        "--jobs",
        "integer",
        "1",
        "Worker processes (1: one process, as suits a shared repo-server; 0: one per CPU)",
    ),
)

_BY_NAME: Final = {p.name: p for p in PARAMETERS}
_REFUSED: Final = {
    "AIMCTL_ARGS": "free-form options are not read (they were split unquoted); set the typed "
    "parameter for each option instead",
}
_ENV_PREFIX: Final = "ARGOCD_ENV_"
_PARAM_PREFIX: Final = "PARAM_"


class ParameterError(Exception):
    """A parameter aimctl does not read, or a value of the wrong type (a usage error)."""


def announced() -> list[dict[str, Any]]:
    """``spec.parameters.static`` of ``plugin.yaml``: every parameter, its title and default."""
    out: list[dict[str, Any]] = []
    for p in PARAMETERS:
        entry: dict[str, Any] = {"name": p.name, "title": p.title}
        if p.default:
            entry["string"] = p.default
        out.append(entry)
    return out


def _suggest(name: str) -> str:
    from aimctl.suggest import closest

    close = closest(name.upper(), _BY_NAME)
    return f" (did you mean {close[0]}?)" if close else ""


def _shown(value: str) -> str:
    from aimctl.report import clean_line

    return clean_line(repr(value if len(value) <= 80 else value[:77] + "..."))


def _check_name(name: str, where: str) -> Parameter:
    if name in _REFUSED:
        raise ParameterError(f"{name} ({where}) is refused: {_REFUSED[name]}")
    parameter = _BY_NAME.get(name)
    if parameter is None:
        raise ParameterError(
            f"{name} ({where}) is not a parameter aimctl reads{_suggest(name)}; "
            "see the parameters announced in plugin.yaml"
        )
    return parameter


def _from_json(text: str) -> dict[str, tuple[str, str]]:
    """Values of ``ARGOCD_APP_PARAMETERS``: name -> (value, where)."""
    where = "ARGOCD_APP_PARAMETERS"
    if len(text.encode("utf-8", "surrogateescape")) > MAX_PARAMETERS_BYTES:
        raise ParameterError(f"{where} is larger than {MAX_PARAMETERS_BYTES} bytes")
    try:
        items = json.loads(text)
    except ValueError:
        raise ParameterError(f"{where} is not JSON (a list of {{name, string}})") from None
    if items is None:
        return {}
    if not isinstance(items, list):
        raise ParameterError(f"{where} is not a JSON list of {{name, string}}")
    out: dict[str, tuple[str, str]] = {}
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            raise ParameterError(f"{where} holds an entry without a name")
        parameter = _check_name(name, where)
        if name in out:
            raise ParameterError(f"{name} ({where}) is given twice")
        if "array" in item or "map" in item:
            raise ParameterError(
                f"{name} ({where}) takes a string, not an {'array' if 'array' in item else 'map'}"
            )
        value = item.get("string", "")
        if not isinstance(value, str):
            raise ParameterError(f"{name} ({where}) takes a string")
        out[parameter.name] = (value, where)
    return out


def _from_prefix(environ: Mapping[str, str], prefix: str) -> dict[str, tuple[str, str]]:
    """Values of the ``PARAM_AIMCTL_*`` or ``ARGOCD_ENV_AIMCTL_*`` variables."""
    out: dict[str, tuple[str, str]] = {}
    for key in sorted(environ):
        if not key.startswith(prefix + "AIMCTL_"):
            continue
        name = key[len(prefix) :]
        _check_name(name, key)
        out[name] = (environ[key], key)
    return out


def _option(parameter: Parameter, value: str, where: str) -> list[str]:
    """The ``render`` options for one value (checked against the parameter's type)."""
    label = f"{parameter.name} ({where})"
    if parameter.type == "boolean":
        word = value.strip().lower()
        if word not in _TRUE | _FALSE:
            raise ParameterError(f"{label}: {_shown(value)} is not true or false")
        return [str(parameter.option)] if word in _TRUE else []
    if parameter.type == "integer":
        text = value.strip()
        if not text.isascii() or not text.isdigit() or int(text) > _MAX_JOBS:
            raise ParameterError(
                f"{label}: {_shown(value)} is not a whole number from 0 to {_MAX_JOBS}"
            )
        return [f"{parameter.option}={int(text)}"]
    if parameter.type == "choice" and value not in parameter.choices:
        raise ParameterError(
            f"{label}: {_shown(value)} is not one of {', '.join(parameter.choices)}"
        )
    return [f"{parameter.option}={value}"]


def _values(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Every parameter that has a value: the Parameters tab (``ARGOCD_APP_PARAMETERS``, else
    ``PARAM_*``) before the Application's env (``ARGOCD_ENV_*``), then the announced default.
    An empty value counts as unset."""
    merged: dict[str, tuple[str, str]] = {}
    json_text = environ.get("ARGOCD_APP_PARAMETERS", "").strip()
    sources = [
        _from_json(json_text) if json_text else {},
        _from_prefix(environ, _PARAM_PREFIX),
        _from_prefix(environ, _ENV_PREFIX),
    ]
    for source in sources:
        for name, (value, where) in source.items():
            if name not in merged and value != "":
                merged[name] = (value, where)
    for p in PARAMETERS:
        if p.name not in merged and p.default:
            merged[p.name] = (p.default, "default")
    return merged


def plugin_argv(args: list[str], environ: Mapping[str, str]) -> list[str]:
    """``render``'s arguments with the plugin's parameters applied.

    ``args`` start with ``render``. The parameters' options go right after it, so an option
    written on the command line (later) wins; ``AIMCTL_PATH`` is joined to every path after
    ``--`` (``plugin.yaml`` passes ``.``, the Application's source path)."""
    values = _values(environ)
    options: list[str] = []
    for p in PARAMETERS:
        if p.name in values and p.option is not None:
            options += _option(p, *values[p.name])
    rest = list(args[1:])
    path, where = values.get("AIMCTL_PATH", (".", "default"))
    if path != ".":
        if "--" not in rest:
            raise ParameterError(
                f"AIMCTL_PATH ({where}) applies to the paths after '--' (as plugin.yaml passes "
                "them); the command line has no '--'"
            )
        cut = rest.index("--") + 1
        rest[cut:] = [_joined(p, path) for p in rest[cut:]]
    return [args[0], *options, *rest]


def _joined(base: str, path: str) -> str:
    from pathlib import PurePosixPath

    return (PurePosixPath(base) / path).as_posix()
