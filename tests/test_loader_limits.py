"""The loader's limits speak aimctl's words, at the right line, whatever PyYAML/libyaml version.

libyaml 0.2.6 (PyYAML 6.0.4) added a nesting limit of its own (1,000 levels) that fires while its
scanner looks ahead, before any event for the outer levels exists, in libyaml's words. aimctl's
own limit (64 levels) must still be the one reported, at the line of the 65th level. The cases
below run against whatever PyYAML is installed (the lock pins one; ``scripts/deps.py yaml-limits``
runs this file under each PyYAML release listed there), and ``test_a_parser_that_refuses_while_
looking_ahead_...`` imitates such a parser whatever the installed version does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from aimctl import loader
from aimctl.loader import MAX_DEPTH, MAX_EXPANDED_NODES, _InputError, parse_text

NESTING = f"nesting deeper than {MAX_DEPTH} levels"


def _block_mapping(levels: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "leaf\n"


def _block_sequence(levels: int) -> str:
    return "".join(" " * i + "-\n" for i in range(levels)) + " " * levels + "leaf\n"


# name -> (text, line of the level past MAX_DEPTH)
DEEP: dict[str, tuple[str, int]] = {
    "flow past libyaml's limit on one line": ("a: " + "[" * 2000 + "]" * 2000 + "\n", 1),
    "flow mappings past libyaml's limit": ("x: 1\ny:\n  " + "{a: " * 1001 + "}" * 1001, 3),
    "flow just past aimctl's limit": ("a:\n  b: " + "[" * 70 + "]" * 70 + "\n", 2),
    "block mappings past libyaml's limit": (_block_mapping(1200), MAX_DEPTH + 1),
    "block sequences past libyaml's limit": (_block_sequence(1200), MAX_DEPTH + 1),
    "block then flow": (_block_mapping(40)[:-5] + "[" * 1200 + "]" * 1200 + "\n", 41),
    "after 3,000 ordinary lines": ("c: d\n" * 3000 + "a: " + "[" * 1500 + "]" * 1500, 3001),
    "in the second document": ("a: 1\n---\nb: " + "[" * 2000 + "]" * 2000 + "\n", 3),
    "never closed": ("a: " + "[" * 2000, 1),
    "large file (event scan before composing)": ("a: " + "[" * 60000 + "]" * 60000 + "\n", 1),
}


def _error(text: str) -> _InputError:
    with pytest.raises(_InputError) as caught:
        list(parse_text(text))
    return caught.value


@pytest.mark.parametrize("name", DEEP)
def test_nesting_past_the_limit_is_reported_in_aimctls_words_at_its_line(name: str) -> None:
    text, line = DEEP[name]
    error = _error(text)
    assert (error.message, error.line) == (NESTING, line), yaml.__version__


def test_nesting_up_to_the_limit_loads() -> None:
    text = "a: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n"
    ((_, _, data),) = parse_text(text)
    depth, value = 0, data["a"]
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert (depth, value) == (MAX_DEPTH - 1, 1)


def test_a_syntax_error_stays_a_syntax_error() -> None:
    error = _error("a: [1, 2\nb: 3\n")
    assert NESTING not in error.message
    assert error.line == 2


def test_alias_expansion_limit_is_aimctls() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    error = _error("\n".join(lines) + "\n")
    assert error.message == f"aliases expand to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)"


def test_file_size_limit_is_aimctls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 1024 * 1024)
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * (1024 * 1024) + "\n")
    _, problems = loader.load_file(big, "big.yaml")
    assert [p.message for p in problems] == ["yaml: file is larger than 1 MiB"]


def _understated_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fstat`` says 10 bytes, as for a file that grew after the check (or a /proc file)."""
    real_fstat = os.fstat

    def fstat(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, 0, 0, 10, 0, 0, 0))

    monkeypatch.setattr(loader.os, "fstat", fstat)


def test_a_file_larger_than_its_fstat_is_read_to_its_end_and_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grown = tmp_path / "grown.yaml"
    grown.write_text("a: " + "x" * 3_000_000 + "\n")
    _understated_size(monkeypatch)
    assert loader.read_regular_or_none(grown) is not None
    docs, problems = loader.load_file(grown, "grown.yaml")
    assert problems == [] and docs[0].data == {"a": "x" * 3_000_000}
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 2 * 1024 * 1024)
    _, problems = loader.load_file(grown, "grown.yaml")
    assert [p.message for p in problems] == ["yaml: file is larger than 2 MiB"]


class _ScannerError(yaml.scanner.ScannerError):
    pass


def _refusing_parse(limit: int) -> Any:
    """``yaml.parse`` of a parser whose own nesting limit is ``limit`` and that refuses while it
    looks ahead: no event at all for a text that nests that deep, an error in foreign words."""
    real_parse = yaml.parse

    def parse(text: str, Loader: Any) -> Iterator[yaml.Event]:
        depth = 0
        for index, char in enumerate(text):
            depth += char in "[{"
            depth -= char in "]}"
            if depth >= limit:
                line = text.count("\n", 0, index)
                mark = yaml.Mark("<text>", index, line, 0, None, None)
                raise _ScannerError("while doing something", mark, "some other words", mark)
        yield from real_parse(text, Loader=Loader)

    return parse


@pytest.mark.parametrize("limit", [MAX_DEPTH + 1, 100, 1000])
def test_a_parser_that_refuses_while_looking_ahead_does_not_speak_for_aimctl(
    limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader.yaml, "parse", _refusing_parse(limit))
    text = "ok: 1\nx:\n  y: " + "[" * 5000 + "]" * 5000 + "\n"
    error = _error(text)
    assert (error.message, error.line) == (NESTING, 3)


def test_without_libyaml_aimctl_says_so_in_one_line(tmp_path: Path) -> None:
    script = (
        "import sys, yaml\n"
        "del yaml.CSafeLoader\n"
        "sys.argv = ['aimctl', 'validate', '.']\n"
        "from aimctl._entry import main\n"
        "main()\n"
    )
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert "without libyaml" in line and "yaml.CSafeLoader" in line


def test_the_pyyaml_internals_the_loader_relies_on_are_still_there() -> None:
    """The fast path (loader._construct_plain, _CountingLoader, _Loader.resolve) uses PyYAML
    state that is not public API; a release that renames or drops any of it fails here, loudly,
    rather than quietly leaking memory or losing the alias count."""
    from yaml.constructor import BaseConstructor
    from yaml.resolver import BaseResolver

    from aimctl.libyaml import CSafeLoader

    probe = CSafeLoader("a: &x [1]\nb: *x\n")
    try:
        node = probe.get_single_node()
        probe.construct_document(node)
        for name in ("constructed_objects", "recursive_objects", "state_generators"):
            assert hasattr(probe, name), name
        assert probe.constructed_objects == {} and probe.state_generators == []
    finally:
        probe.dispose()
    assert "tag:yaml.org,2002:timestamp" in {
        tag for entries in CSafeLoader.yaml_implicit_resolvers.values() for tag, _ in entries
    }
    for name in ("construct_object", "construct_document", "yaml_constructors"):
        assert hasattr(BaseConstructor, name), name
    for name in ("resolve", "descend_resolver", "ascend_resolver"):
        assert hasattr(BaseResolver, name), name
