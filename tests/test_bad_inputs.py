"""The hostile-input corpus (tests/bad_inputs/): clear messages, exit codes, nothing written.

Every case runs ``aimctl render input -o out`` and ``aimctl validate input`` from a temporary copy
of its directory. The expectations live beside the inputs in ``expected.txt`` (format in
tests/bad_inputs/README.md). Cases where aimctl misbehaves today are marked ``xfail(strict=True)``
with the bug in the reason: fix aimctl, then drop the mark.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
COMMANDS = ("render", "validate")
MAX_STDERR_BYTES = 64 * 1024  # no message may echo a huge input back

# aimctl bugs found by this corpus (reported; aimctl's code is not changed by these tests).
KNOWN_BUGS: dict[str, str] = {}

_DIRECTIVE = re.compile(r"^(?:(?P<cmd>render|validate) )?(?P<key>exit|absent): ?(?P<value>.*)$")
_SCOPED = re.compile(r"^(?P<cmd>render|validate): (?P<value>.*)$")


@dataclass
class Expectation:
    exit: dict[str, set[int]] = field(default_factory=lambda: {c: {1} for c in COMMANDS})
    fragments: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in COMMANDS})
    absent: list[str] = field(default_factory=list)


def parse_expected(text: str) -> Expectation:
    exp = Expectation()
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if m := _DIRECTIVE.match(line):
            commands = [m["cmd"]] if m["cmd"] else list(COMMANDS)
            if m["key"] == "exit":
                for cmd in commands:
                    exp.exit[cmd] = {int(code) for code in m["value"].split("|")}
            else:
                assert not m["cmd"], f"absent: applies to every command: {line!r}"
                exp.absent.append(m["value"])
        elif m := _SCOPED.match(line):
            exp.fragments[m["cmd"]].append(m["value"])
        else:
            for cmd in COMMANDS:
                exp.fragments[cmd].append(line)
    return exp


# ---- checks shared with test_fuzz_inputs.py and test_output_safety.py ----------------------------

_LOCATED = re.compile(r"^(?P<file>[^\s:][^:]*?)(?::\d+){0,2}: ")
_NOT_A_FILE = {"warning", "error", "valid", "invalid"}


def unlocated_lines(stderr: str, cwd: Path, tree: Path) -> list[str]:
    """Error lines of ``stderr`` that do not start with a path inside ``tree`` (relative to cwd).

    Summary lines (``valid:``/``invalid:``), global warnings (``warning: ...``) and the ``wrote``
    line are not error lines.
    """
    bad: list[str] = []
    tree = Path(os.path.abspath(tree))
    for line in re.split(r"\r\n|\n|\r", stderr):  # what a terminal breaks lines on
        if not line.strip() or line.startswith(("valid: ", "invalid: ", "warning: ", "wrote ")):
            continue
        m = _LOCATED.match(line)
        if m is None or m["file"] in _NOT_A_FILE:
            bad.append(line)
            continue
        where = Path(os.path.normpath(os.path.join(os.path.abspath(cwd), m["file"])))
        if where != tree and tree not in where.parents:
            bad.append(line)
    return bad


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (relative POSIX path -> bytes); symlinks are recorded, not read."""
    out: dict[str, bytes] = {}
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = b"-> " + str(path.readlink()).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out


def temp_dirs_beside(out: Path) -> list[str]:
    """Staging or old trees (``.DIR.new-*``, ``.DIR.old-*``) left next to the output directory."""
    prefixes = (f".{out.name}.new-", f".{out.name}.old-")
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(prefixes))


def run_in_process(run_cli: Callable[..., object], *args: str, cwd: Path) -> object:
    """The real entry point in-process; any exception other than SystemExit fails the test."""
    try:
        return run_cli(*args, cwd=cwd)
    except Exception as exc:  # a crash: what the user would see as a traceback
        pytest.fail(f"aimctl {' '.join(args)} raised {type(exc).__name__}: {exc}"[:2000])


# ---- the corpus ----------------------------------------------------------------------------------


def _cases() -> list[object]:
    names = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.txt").is_file())
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(reason=KNOWN_BUGS[name], strict=True)]
            if name in KNOWN_BUGS
            else [],
        )
        for name in names
    ]


def _materialise(name: str, tmp_path: Path) -> Path:
    """Copy the case to tmp (symlinks as links) and run its generate.py there."""
    source = CORPUS / name
    case = tmp_path / name
    case.mkdir()
    if (source / "input").is_dir():
        shutil.copytree(source / "input", case / "input", symlinks=True)
    else:
        (case / "input").mkdir()
    generator = source / "generate.py"
    if generator.is_file():
        spec = importlib.util.spec_from_file_location(f"bad_inputs_{name}", generator)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.generate(case)
    return case


def test_corpus_has_at_least_30_cases() -> None:
    cases = [p for p in CORPUS.iterdir() if (p / "expected.txt").is_file()]
    assert len(cases) >= 30
    for case in cases:
        exp = parse_expected((case / "expected.txt").read_text(encoding="utf-8"))
        assert exp.fragments["render"] and exp.fragments["validate"], f"{case.name}: no fragment"


@pytest.mark.parametrize("name", _cases())
def test_bad_input(name: str, tmp_path: Path, run_cli) -> None:
    exp = parse_expected((CORPUS / name / "expected.txt").read_text(encoding="utf-8"))
    case = _materialise(name, tmp_path)
    before = sorted(p.name for p in case.iterdir())
    inputs = snapshot(case / "input")
    problems: list[str] = []
    for command in COMMANDS:
        args = ("render", "input", "-o", "out") if command == "render" else ("validate", "input")
        result = run_in_process(run_cli, *args, cwd=case)
        shown = f"aimctl {' '.join(args)} -> exit {result.exit_code}\n{result.stderr[:4000]}"
        if result.exit_code not in exp.exit[command]:
            problems.append(f"exit {result.exit_code}, expected {exp.exit[command]}: {shown}")
        if "Traceback" in result.stderr:
            problems.append(f"traceback: {shown}")
        if len(result.stderr.encode()) > MAX_STDERR_BYTES:
            problems.append(f"stderr is {len(result.stderr.encode())} bytes: {shown[:500]}")
        for fragment in exp.fragments[command]:
            if fragment not in result.stderr:
                problems.append(f"missing {fragment!r}: {shown}")
        for secret in exp.absent:
            if secret in result.stderr or secret in result.stdout:
                problems.append(f"{secret!r} must never be printed: {shown}")
        if unlocated := unlocated_lines(result.stderr, case, case / "input"):
            problems.append(f"error lines without a file of the tree: {unlocated}: {shown}")
        if command == "render":
            after = sorted(p.name for p in case.iterdir())
            if result.exit_code != 0:
                if after != before:
                    problems.append(f"a failed render wrote {sorted(set(after) - set(before))}")
            else:
                written = snapshot(case / "out")
                if sorted(set(after) - set(before)) != ["out"]:  # DIR.lock removed
                    problems.append(f"render left {sorted(set(after) - set(before))}")
                if ".aimctl-output" not in written or "kustomization.yaml" not in written:
                    problems.append(f"incomplete output directory: {sorted(written)}")
    assert snapshot(case / "input") == inputs, "aimctl must never modify its inputs"
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("name", _cases())
def test_validate_strict_fails_wherever_render_fails(name: str, tmp_path: Path, run_cli) -> None:
    """``validate --strict`` (the pre-commit hook) predicts ``render``: it never passes an input
    that ``render`` refuses, so a hook-clean commit cannot break the sync."""
    case = _materialise(name, tmp_path)
    rendered = run_in_process(run_cli, "render", "input", "-o", "out", cwd=case)
    validated = run_in_process(run_cli, "validate", "--strict", "input", cwd=case)
    if rendered.exit_code != 0:
        assert validated.exit_code != 0, (
            f"render exit {rendered.exit_code} but validate --strict passed:\n{rendered.stderr}"
        )


def test_the_validate_hook_runs_validate_strict() -> None:
    import yaml

    hooks = yaml.safe_load((CORPUS.parent.parent / ".pre-commit-hooks.yaml").read_text())
    validate = next(h for h in hooks if h["id"] == "aimctl-validate")
    assert validate["entry"].split() == ["aimctl", "validate", "--strict"]
