"""The examples run as written: every YAML file under examples/ parses, every ``aimctl ...``
command in examples/ (YAML values, commented command lines, Markdown code blocks) and in the
README's code blocks names an existing subcommand with options that exist and values they accept
(checked against the typer app itself), and the CI examples install aimctl from its repository at
a pinned commit with the lock file, never from a package index by name."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer._click import ClickException  # typer bundles its own click

from aimctl.cli import app
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
YAML_FILES = sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yaml", ".yml"))
MARKDOWN = [ROOT / "README.md", *sorted(EXAMPLES.rglob("*.md"))]
CI = sorted((EXAMPLES / "ci").glob("*.yaml"))

# "aimctl" where a shell command starts: line start, after an operator, or after exec
_COMMAND = re.compile(r"(?:^|[;&|(]\s*|\bexec\s+)aimctl\s+(?P<rest>.*)$")
_OPERATOR = re.compile(r"^(\d*[<>].*|&&|\|\|?|;|&)$")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _exec_forms(node: Any) -> Iterator[str]:
    """Commands in exec form (``command: [aimctl, render, ...]``), as one line."""
    if isinstance(node, list):
        if node and node[0] == "aimctl" and all(isinstance(w, str) for w in node):
            yield shlex.join(node[1:])
        else:
            for item in node:
                yield from _exec_forms(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _exec_forms(value)


def _commands_in_text(text: str) -> Iterator[str]:
    for line in text.splitlines():
        match = _COMMAND.search(line.strip())
        if match:
            yield match.group("rest")


def _commands() -> list[tuple[str, str]]:
    """(where, the words after ``aimctl``) for every command in the examples and README."""
    found: list[tuple[str, str]] = []
    for path in YAML_FILES:
        where = path.relative_to(ROOT).as_posix()
        for doc in yaml.safe_load_all(path.read_text()):
            for text in _strings(doc):
                found.extend((where, c) for c in _commands_in_text(text))
            found.extend((where, c) for c in _exec_forms(doc))
        for line in path.read_text().splitlines():  # command lines indented inside a comment
            if re.match(r"#\s{2,}aimctl\s", line.strip()):
                found.extend((where, c) for c in _commands_in_text(line.strip().lstrip("# ")))
    for path in MARKDOWN:
        where = path.relative_to(ROOT).as_posix()
        blocks = re.findall(r"^```[^\n]*\n(.*?)^```", path.read_text(), flags=re.M | re.S)
        for block in blocks:
            found.extend((where, c) for c in _commands_in_text(block))
    return found


COMMANDS = _commands()


def _words(rest: str) -> list[str]:
    """The command's own words: up to the first shell operator, comments dropped, a shell
    expansion (``$VAR``, ``"${VAR:-.}"``) standing for one path-like word."""
    lexer = shlex.shlex(rest, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = []
    for word in lexer:
        if _OPERATOR.match(word):
            break
        words.append("X" if "$" in word else word)
    return words


def test_every_example_yaml_file_parses() -> None:
    assert YAML_FILES
    for path in YAML_FILES:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert docs, path


def test_the_commands_are_found() -> None:
    where = {w for w, _ in COMMANDS}
    assert {
        "README.md",
        "examples/ci/github-actions.yaml",
        "examples/ci/github-actions-plan.yaml",
        "examples/ci/gitlab-ci.yaml",
        "examples/flux/gitops.yaml",
        "examples/argocd/plugin.yaml",
    } <= where
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize(("where", "rest"), COMMANDS, ids=[f"{w}: {r}" for w, r in COMMANDS])
def test_every_aimctl_command_exists_with_those_options(where: str, rest: str) -> None:
    group = typer.main.get_command(app)
    assert hasattr(group, "get_command")
    words = _words(rest)
    with group.make_context("aimctl", ["version"], resilient_parsing=True) as parent:
        while words and words[0].startswith("-"):  # options of aimctl itself (--debug)
            assert any(words[0] in p.opts for p in group.params), f"{where}: {rest}"
            words.pop(0)
        assert words, f"{where}: no subcommand in {rest!r}"
        command = group.get_command(parent, words[0])
        assert command is not None, f"{where}: aimctl has no command {words[0]!r} ({rest!r})"
        try:
            command.make_context(words[0], words[1:], parent=parent)
        except ClickException as exc:  # unknown option, bad choice, missing argument
            pytest.fail(f"{where}: aimctl {rest!r}: {exc.format_message()}")


def test_the_option_check_catches_a_typo() -> None:
    """The test above would notice an option that does not exist."""
    group = typer.main.get_command(app)
    assert hasattr(group, "get_command")
    with group.make_context("aimctl", ["version"], resilient_parsing=True) as parent:
        render = group.get_command(parent, "render")
        assert render is not None
        with pytest.raises(ClickException):
            render.make_context("render", ["x", "--phase", "compute"], parent=parent)
        with pytest.raises(ClickException):
            render.make_context("render", ["x", "--no-such-option"], parent=parent)


@pytest.mark.parametrize("path", CI, ids=lambda p: p.name)
def test_ci_examples_install_aimctl_from_a_pinned_commit_with_the_lock_file(path: Path) -> None:
    text = path.read_text()
    installs = [
        line.strip().lstrip("- ").removeprefix("run: ")
        for line in text.splitlines()
        if "pip install" in line and not line.strip().startswith("#")
    ]
    assert installs, path
    for command in installs:
        words = shlex.split(command)
        assert words[:2] == ["pip", "install"]
        assert "-c" in words and words[words.index("-c") + 1].endswith("requirements-lock.txt")
        targets = [
            w for w in words[2:] if not w.startswith("-") and w != words[words.index("-c") + 1]
        ]
        # a local checkout of the repository, never a bare name an index would resolve
        assert targets and all(t.startswith(("/", "./")) for t in targets), command
    assert re.search(r"AIMCTL_REF: [0-9a-f]{40}\b", text), "pin a full commit SHA"
    code = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("#"))
    assert not re.search(r"pip install (-\S+ )*aimctl\b", code)
