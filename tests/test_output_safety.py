"""Output safety of ``render -o DIR``: interrupts, concurrent renders, file-name collisions.

A render is killed (SIGINT, SIGKILL) at several points while it writes a large tree into a DIR that
holds an earlier render: DIR must stay byte-identical (or be the complete new render, never a mix).
Two renders into the same DIR: the loser gets a clear lock error and DIR is one complete render.
Objects whose file names collide (also only by case, for case-insensitive file systems) are refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.test_bad_inputs import snapshot, temp_dirs_beside, unlocated_lines

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "quickstart"
SERVICES = 200
LOCKED = "another aimctl render is writing this directory"


def _service(i: int, variant: str) -> str:
    """An AIMService shaped like the quickstart's llama-assistant."""
    return textwrap.dedent(
        f"""\
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMService
        metadata:
          name: assistant-{i:04d}
          namespace: team-{i % 10}
          labels:
            team: {variant}
            cost-center: "{4700 + i % 7}"
        spec:
          model:
            name: llama-3-1-8b
          minReplicas: 1
          maxReplicas: 3
          env:
            - name: HF_TOKEN
              valueFrom:
                secretKeyRef:
                  name: hf-token
                  key: token
            - name: VLLM_LOG_LEVEL
              value: DEBUG
        """
    )


def make_large_tree(root: Path, services: int = SERVICES, variant: str = "a") -> Path:
    """The quickstart platform (runtime config, cluster models and templates) + many services."""
    root.mkdir(parents=True)
    shutil.copy(EXAMPLE / "aimctl.yaml", root / "aimctl.yaml")
    shutil.copytree(EXAMPLE / "platform", root / "platform")
    (root / "services.yaml").write_text(
        "---\n".join(_service(i, variant) for i in range(services)), encoding="utf-8"
    )
    return root


def aimctl_in_process(*args: str, cwd: Path) -> tuple[int, str, str]:
    """``aimctl ARGS`` in-process through the real entry point (for module-scoped fixtures)."""
    from aimctl import cli
    from tests.conftest import _Capture

    out, err = _Capture(), _Capture()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        mp.setattr(sys, "argv", ["aimctl", *args])
        mp.setattr(sys, "stdout", out)
        mp.setattr(sys, "stderr", err)
        cli._STATE["debug"] = False
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@dataclass(frozen=True)
class Trees:
    base: Path
    big_a: Path
    big_b: Path
    small: Path
    ref_a: dict[str, bytes]
    ref_b: dict[str, bytes]
    ref_small: dict[str, bytes]


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    """Two large trees (same files, other bytes), the quickstart, and their reference renders."""
    base = tmp_path_factory.mktemp("trees")
    big_a = make_large_tree(base / "big-a", variant="a")
    big_b = make_large_tree(base / "big-b", variant="b")
    small = EXAMPLE
    refs = []
    for tree in (big_a, big_b, small):
        out = base / f"ref-{tree.name}"
        code, _, err = aimctl_in_process("render", str(tree), "-o", str(out), cwd=base)
        assert code == 0, err
        refs.append(snapshot(out))
    assert refs[0].keys() == refs[1].keys() and refs[0] != refs[1]
    assert len(refs[0]) > 2 * SERVICES
    return Trees(base, big_a, big_b, small, *refs)


@pytest.fixture
def earlier_render(tmp_path: Path, trees: Trees) -> Path:
    """``tmp_path/out`` holding an earlier good render (of the quickstart)."""
    out = tmp_path / "out"
    code, _, err = aimctl_in_process("render", str(trees.small), "-o", str(out), cwd=tmp_path)
    assert code == 0, err
    assert snapshot(out) == trees.ref_small
    return out


def _spawn(tree: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    return subprocess.Popen(
        [sys.executable, "-m", "aimctl", "render", str(tree), "-o", out.name, "--no-progress"],
        cwd=out.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _staging(out: Path) -> list[Path]:
    return [out.parent / n for n in temp_dirs_beside(out) if n.startswith(f".{out.name}.new-")]


def _staged_files(out: Path) -> int:
    return sum(len(files) for stage in _staging(out) for _, _, files in os.walk(stage))


def _wait_until(proc: subprocess.Popen[str], ready: Callable[[], bool], limit: float = 60) -> bool:
    """Poll every millisecond until ``ready()``; False if the process ended first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if ready():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.001)
    raise AssertionError("the render neither progressed nor ended in time")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Started renders; any still running at the end are continued and killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        with contextlib.suppress(ValueError):  # already communicated
            proc.communicate(timeout=60)
        if proc.stderr is not None:
            proc.stderr.close()


# ---- interrupts ----------------------------------------------------------------------------------


def _after(seconds: float) -> Callable[[], bool]:
    start = time.monotonic()
    return lambda: time.monotonic() - start >= seconds


KILL_POINTS: dict[str, Callable[[Path], Callable[[], bool]]] = {
    # somewhere in start-up, loading or resolving (wherever 0.3 s lands on this machine)
    "after-0.3s": lambda out: _after(0.3),
    # the staging directory beside DIR has just been created
    "staging-created": lambda out: lambda: bool(_staging(out)),
    # a third of the files are written into the staging directory
    "files-staged": lambda out: lambda: _staged_files(out) >= SERVICES * 2 // 3,
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_killed_render_leaves_dir_as_it_was(
    sig: signal.Signals,
    point: str,
    trees: Trees,
    earlier_render: Path,
    processes: list[subprocess.Popen[str]],
) -> None:
    out = earlier_render
    before = snapshot(out)
    proc = _spawn(trees.big_a, out)
    processes.append(proc)
    reached = _wait_until(proc, KILL_POINTS[point](out))
    if reached:
        proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    after = snapshot(out)
    leftovers = temp_dirs_beside(out)

    if proc.returncode == 0:  # it finished before the signal: then DIR is the complete new render
        assert point == "after-0.3s", f"the render outran the {point} kill point"
        assert after == trees.ref_a
        assert leftovers == []
        return
    assert reached
    assert after == before, f"DIR changed after {sig.name} at {point}"
    if sig == signal.SIGINT:
        assert proc.returncode in (1, 130, -signal.SIGINT), stderr
        # Known bug, pinned deterministically by test_interrupt_right_after_staging_is_created:
        # a Ctrl-C landing just after mkdtemp leaves an *empty* .DIR.new-*. Anything else left
        # behind (a staging dir with files, an .old-* tree) fails here.
        stale = [out.parent / name for name in leftovers]
        assert all(".new-" in p.name and not any(p.iterdir()) for p in stale), leftovers
        assert len(stale) <= 1, "an interrupted render must remove its staging directory"
        if point != "after-0.3s":  # Ctrl-C during Python's own start-up may print a traceback
            assert "Traceback" not in stderr, stderr
    else:
        assert proc.returncode == -signal.SIGKILL
        # SIGKILL cannot be handled: a staging directory may stay behind (reported), never an
        # .old-* tree, and never anything inside DIR.
        assert all(".new-" in name for name in leftovers), leftovers

    # the next render ignores (or cleans up) whatever the killed one left, and succeeds
    code, _, err = aimctl_in_process("render", str(trees.small), "-o", out.name, cwd=out.parent)
    assert code == 0, err
    assert snapshot(out) == trees.ref_small
    assert set(temp_dirs_beside(out)) <= set(leftovers)


def test_next_render_removes_a_stale_staging_dir(
    trees: Trees, earlier_render: Path, run_cli
) -> None:
    out = earlier_render
    stale = out.parent / f".{out.name}.new-k1ll3d00"  # what SIGKILL during the write leaves
    (stale / "team-0").mkdir(parents=True)
    (stale / "team-0" / "inferenceservice-half.yaml").write_text("apiVersion: serving.kse")
    result = run_cli("render", str(trees.small), "-o", out.name, cwd=out.parent)
    assert result.exit_code == 0, result.stderr
    assert snapshot(out) == trees.ref_small
    assert temp_dirs_beside(out) == []


def test_interrupt_right_after_staging_is_created(
    trees: Trees, earlier_render: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C delivered the instant ``mkdtemp`` returns (the subprocess tests hit this by chance)."""
    import tempfile

    out = earlier_render
    before = snapshot(out)
    real_mkdtemp = tempfile.mkdtemp

    def interrupted(*args: Any, **kwargs: Any) -> str:
        real_mkdtemp(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(tempfile, "mkdtemp", interrupted)
    with contextlib.suppress(KeyboardInterrupt):
        aimctl_in_process("render", str(trees.small), "-o", out.name, cwd=out.parent)
    monkeypatch.undo()
    assert snapshot(out) == before
    assert temp_dirs_beside(out) == []


# ---- concurrency ---------------------------------------------------------------------------------


def test_render_into_a_locked_dir_fails_clearly_and_leaves_it(
    trees: Trees, earlier_render: Path, run_cli
) -> None:
    out = earlier_render
    before = snapshot(out)
    with open(out.parent / f"{out.name}.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running render does
        result = run_cli("render", str(trees.small), "-o", out.name, cwd=out.parent)
    assert result.exit_code == 1, result.stderr
    assert LOCKED in result.stderr
    assert f"{out.name}.lock" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(out) == before
    assert temp_dirs_beside(out) == []
    assert not (out / f"{out.name}.lock").exists(), "the lock lives beside DIR, never inside it"


def test_second_render_loses_while_the_first_is_writing(
    trees: Trees, earlier_render: Path, run_cli, processes: list[subprocess.Popen[str]]
) -> None:
    """Render A is frozen (SIGSTOP) mid-write; render B into the same DIR must fail, not mix."""
    out = earlier_render
    before = snapshot(out)
    first = _spawn(trees.big_a, out)
    processes.append(first)
    assert _wait_until(first, lambda: _staged_files(out) > 0), first.communicate()[1]
    first.send_signal(signal.SIGSTOP)
    try:
        assert _staging(out), "render A must still be writing (it holds the lock)"
        second = run_cli("render", str(trees.small), "-o", out.name, cwd=out.parent)
        assert second.exit_code == 1, second.stderr
        assert LOCKED in second.stderr
        assert not unlocated_lines(second.stderr, out.parent, out.parent / f"{out.name}")
        assert snapshot(out) == before, "the loser must not touch DIR"
    finally:
        first.send_signal(signal.SIGCONT)
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert snapshot(out) == trees.ref_a
    assert temp_dirs_beside(out) == []


def test_simultaneous_renders_never_interleave(
    trees: Trees, earlier_render: Path, processes: list[subprocess.Popen[str]]
) -> None:
    out = earlier_render
    racers = [_spawn(trees.big_a, out), _spawn(trees.big_b, out)]
    processes.extend(racers)
    errors = [proc.communicate(timeout=120)[1] for proc in racers]
    results = [(proc.returncode, err) for proc, err in zip(racers, errors, strict=True)]
    for code, err in results:
        assert code in (0, 1), err
        assert "Traceback" not in err, err
        if code == 1:
            assert LOCKED in err, err
    assert any(code == 0 for code, _ in results), results
    after = snapshot(out)
    assert after in (trees.ref_a, trees.ref_b), "DIR must be one complete render, never a mix"
    assert temp_dirs_beside(out) == []


# ---- file names ----------------------------------------------------------------------------------

_CM = "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: team-a\n"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("v1", "ConfigMap"), ("example.com/v1", "Configmap")),  # differ only by case
        (("a.example.com/v1", "Widget"), ("b.example.com/v1", "Widget")),  # identical
    ],
    ids=["case-only", "same-name"],
)
def test_objects_with_colliding_file_names_are_refused(
    first: tuple[str, str], second: tuple[str, str], earlier_render: Path, run_cli
) -> None:
    out = earlier_render
    tree = out.parent / "tree"
    tree.mkdir()
    for index, (api, kind) in enumerate((first, second)):
        (tree / f"{index}.yaml").write_text(_CM.format(api=api, kind=kind, name="x"))
    before = snapshot(out)
    result = _checked_run(run_cli, "render", "tree", "-o", out.name, cwd=out.parent)
    assert result.exit_code == 1, result.stderr
    assert "tree/0.yaml" in result.stderr or "tree/1.yaml" in result.stderr, result.stderr
    assert not unlocated_lines(result.stderr, out.parent, tree)
    assert snapshot(out) == before
    assert temp_dirs_beside(out) == []


def test_rendered_file_names_never_differ_only_by_case(trees: Trees) -> None:
    for ref in (trees.ref_a, trees.ref_small):
        folded = [name.lower() for name in ref]
        assert len(set(folded)) == len(folded)
        assert all(name == name.lower() or name == ".aimctl-output" for name in ref)


@pytest.mark.parametrize(
    "document",
    [
        _CM.format(api="v1", kind="ConfigMap", name="a" * 250),
        _CM.format(api="v1", kind="ConfigMap", name="cm") + "data:\n  on: enabled\n  2: two\n",
    ],
    ids=["name-250-chars", "non-string-keys"],
)
def test_valid_pass_through_objects_render_or_fail_cleanly(
    document: str, earlier_render: Path, run_cli
) -> None:
    """Either written (exit 0) or refused with a message naming the file (exit 1); never a crash."""
    out = earlier_render
    tree = out.parent / "tree"
    tree.mkdir()
    (tree / "cm.yaml").write_text(document)
    before = snapshot(out)
    result = _checked_run(run_cli, "render", "tree", "-o", out.name, cwd=out.parent)
    assert result.exit_code in (0, 1), result.stderr
    assert not unlocated_lines(result.stderr, out.parent, tree)
    if result.exit_code == 1:
        assert "tree/cm.yaml" in result.stderr
        assert snapshot(out) == before
    assert temp_dirs_beside(out) == []


# ---- the output directory itself -----------------------------------------------------------------


@pytest.mark.parametrize("obstacle", ["lock-is-a-directory", "parent-is-a-file"])
def test_unwritable_output_fails_with_a_message(
    obstacle: str, tmp_path: Path, trees: Trees, run_cli
) -> None:
    if obstacle == "lock-is-a-directory":
        (tmp_path / "out.lock").mkdir()
        target = "out"
    else:
        (tmp_path / "file").write_text("not a directory\n")
        target = "file/out"
    result = _checked_run(run_cli, "render", str(trees.small), "-o", target, cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert "out" in result.stderr and "Traceback" not in result.stderr


def test_output_dir_that_is_a_symlink_is_refused(tmp_path: Path, trees: Trees, run_cli) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine\n")
    (tmp_path / "out").symlink_to(elsewhere)
    result = run_cli("render", str(trees.small), "-o", "out", cwd=tmp_path)
    assert result.exit_code == 1
    assert "out: output path exists and is not a directory aimctl wrote" in result.stderr
    assert snapshot(elsewhere) == {"keep.txt": b"mine\n"}


def test_non_empty_dir_aimctl_did_not_write_is_refused(
    tmp_path: Path, trees: Trees, run_cli
) -> None:
    out = tmp_path / "out"
    (out / "team-0").mkdir(parents=True)
    (out / "team-0" / "precious.yaml").write_text("kind: Precious\n")
    result = run_cli("render", str(trees.small), "-o", "out", cwd=tmp_path)
    assert result.exit_code == 1
    assert "refusing to overwrite a non-empty directory aimctl did not write" in result.stderr
    assert snapshot(out) == {"team-0/precious.yaml": b"kind: Precious\n"}
    assert temp_dirs_beside(out) == []


def test_output_dir_permissions_follow_the_umask(earlier_render: Path, trees: Trees) -> None:
    out = earlier_render
    out.chmod(0o755)
    old = os.umask(0o022)
    try:
        code, _, err = aimctl_in_process("render", str(trees.small), "-o", out.name, cwd=out.parent)
    finally:
        os.umask(old)
    assert code == 0, err
    assert out.stat().st_mode & 0o777 == 0o755


def _checked_run(run_cli: Callable[..., Any], *args: str, cwd: Path) -> Any:
    """``run_cli`` that turns an exception (a traceback for the user) into a test failure."""
    try:
        return run_cli(*args, cwd=cwd)
    except Exception as exc:
        pytest.fail(f"aimctl {' '.join(args)} raised {type(exc).__name__}: {exc}"[:2000])
