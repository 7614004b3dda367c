"""aimctl/cli_coercion.py: the quick coercion of option values answers exactly as typer's own
(same value and type, or the same error), for every parameter of every command."""

from __future__ import annotations

import subprocess
import sys
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import typer
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

from aimctl.cli import app
from aimctl.cli_coercion import Quick

_STRINGS = ["x", "", "a//b/", "-", "a\0b", "3", "-1", "0", "1025", "yaml", "JSON", "\udcff", " 2 "]


def _parameters() -> list[tuple[Any, _TyperParameter]]:
    group = typer.main.get_command(app)
    ctx = typer.Context(group)
    found: list[tuple[Any, _TyperParameter]] = []
    commands = [group, *group.commands.values()]  # type: ignore[attr-defined]
    for command in commands:
        for param in command.get_params(ctx):
            if isinstance(param, _TyperParameter):
                found.append((typer.Context(command), param))
    return found


def _values(param: _TyperParameter) -> list[Any]:
    annotation = param.type_descriptor.annotation
    values: list[Any] = [None, 0, 5, 2000, -3, True, False, 1.5, Path("p"), *_STRINGS]
    values += [tuple(_STRINGS[:3]), ("x",), (), [Path("a"), "b"], ("a\0b",)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values += list(annotation)
    return values


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        value = run()
    except Exception as exc:  # the same exception either way is the point
        return "error", (type(exc), str(exc))
    return "value", (
        type(value),
        value,
        [type(v) for v in value] if isinstance(value, list) else None,
    )


def test_quick_coercion_answers_as_typer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").mkdir()
    (tmp_path / "3").write_text("")
    params = _parameters()
    assert len(params) > 60
    quick_answers = 0
    for ctx, param in params:
        full = build_runtime_param(param.type_descriptor)
        for value in _values(param):
            quick = Quick(param)
            expected = _outcome(partial(full.coerce, value, param=param, ctx=ctx))
            got = _outcome(partial(quick.coerce, value, param=param, ctx=ctx))
            assert got == expected, (param.name, value)
            quick_answers += quick._full is None
    assert quick_answers > 200  # most values were answered without typer's adapters


def test_cached_check_imports_no_pydantic(tmp_path: Path) -> None:
    """Parsing the options of a cached ``render --check`` imports no pydantic (the models load on
    a miss only); ``-j 2`` or ``--format json`` still go through typer's adapters."""
    code = (
        "import sys; from aimctl.cli import app; import typer\n"
        "cmd = typer.main.get_command(app)\n"
        "ctx = cmd.make_context('aimctl', ['-q', 'render'])\n"
        "sub = cmd.commands['render']\n"
        "sub.make_context('render', ['t', 'u', '-o', 'out', '--check'], parent=ctx)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout.strip() == "[]"
