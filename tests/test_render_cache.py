"""The render cache (aimctl/render_cache.py, aimctl/incremental.py): what it answers is what a
full render answers, byte for byte; a marker alone is never trusted."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate_tree
from tests.conftest import Result

Run = Callable[..., Result]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def base_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cache-base") / "tree"
    generate_tree(root, tenants=4, services=3, seed=3)
    return root


def _files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.yaml") if p.name != "aimctl.yaml")


def _mutate(tree: Path, choice: int, what: int) -> str:
    """One edit a user might make: a value in one file, a file removed, a tenant file added,
    a cluster-scoped file or the project file changed. Returns a label."""
    files = _files(tree)
    target = files[choice % len(files)]
    kind = what % 6
    if kind == 0:
        text = target.read_text(encoding="utf-8")
        target.write_text(
            text.replace("team: ", "team: x", 1).replace("replicas: 3", "replicas: 2")
        )
        return f"edit {target.name}"
    if kind == 1 and "tenants" in target.parts:
        target.unlink()
        return f"remove {target.name}"
    if kind == 2:
        extra = target.parent / "extra.yaml"
        namespace = target.parent.name if "tenants" in target.parts else "default"
        extra.write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            f"  name: extra\n  namespace: {namespace}\ndata:\n  k: v\n"
        )
        return f"add {extra}"
    if kind == 3:
        platform = sorted((tree / "platform").rglob("*.yaml"))
        path = platform[choice % len(platform)]
        path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n")
        return f"cluster {path.name}"
    if kind == 4:
        project = tree / "aimctl.yaml"
        project.write_text(project.read_text(encoding="utf-8") + "\n# changed\n")
        return "project"
    text = target.read_text(encoding="utf-8")
    target.write_text(text + "\n")  # same objects, other bytes
    return f"whitespace {target.name}"


@settings(
    max_examples=12,
    deadline=None,
    # no shrinking: every step re-renders, and the failing edits are printed as they are
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    # one work directory per example, removed first; the cache directory is shared on purpose
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 5)), min_size=1, max_size=3))
def test_cached_answers_equal_full_render(
    base_tree: Path, tmp_path: Path, run_cli: Run, edits: list[tuple[int, int]]
) -> None:
    work = tmp_path / "work"
    shutil.rmtree(work, ignore_errors=True)
    tree = work / "tree"
    shutil.copytree(base_tree, tree)
    out, ref = work / "out", work / "ref"
    first = run_cli("render", str(tree), "-o", str(out), "-q")
    assert first.exit_code == 0, first.stderr
    labels = [_mutate(tree, a, b) for a, b in edits]
    full_check = run_cli("render", str(tree), "-o", str(out), "--check", "--no-cache")
    cached_check = run_cli("render", str(tree), "-o", str(out), "--check")
    assert (cached_check.exit_code, cached_check.stderr) == (
        full_check.exit_code,
        full_check.stderr,
    ), labels
    full_diff = run_cli("diff", str(tree), "-o", str(out), "--no-cache")
    cached_diff = run_cli("diff", str(tree), "-o", str(out))
    assert (cached_diff.exit_code, cached_diff.stdout) == (full_diff.exit_code, full_diff.stdout), (
        labels
    )
    again = run_cli("render", str(tree), "-o", str(out), "-q")
    full = run_cli("render", str(tree), "-o", str(ref), "--no-cache", "-q")
    assert (again.exit_code, again.stderr) == (full.exit_code, full.stderr), labels
    if full.exit_code != 0:
        return  # an edit that breaks the inputs: refused alike, nothing written
    assert _snapshot(out) == _snapshot(ref), labels
    # and once more, unchanged: answered from the record, still equal
    assert run_cli("render", str(tree), "-o", str(out), "--check").exit_code == 0
    assert _snapshot(out) == _snapshot(ref), labels


def test_unchanged_tree_is_answered_from_the_record(
    base_tree: Path, tmp_path: Path, run_cli: Run
) -> None:
    tree, out = tmp_path / "tree", tmp_path / "out"
    shutil.copytree(base_tree, tree)
    assert run_cli("render", str(tree), "-o", str(out)).exit_code == 0
    result = run_cli("render", str(tree), "-o", str(out), "--check", "-v")
    assert result.exit_code == 0 and "cache: inputs and output unchanged" in result.stderr
    forced = run_cli("render", str(tree), "-o", str(out), "--check", "-v", "--no-cache")
    assert forced.exit_code == 0 and "cache:" not in forced.stderr


def test_one_namespace_change_renders_that_namespace_only(
    base_tree: Path, tmp_path: Path, run_cli: Run
) -> None:
    tree, out = tmp_path / "tree", tmp_path / "out"
    shutil.copytree(base_tree, tree)
    assert run_cli("render", str(tree), "-o", str(out)).exit_code == 0
    services = sorted((tree / "tenants").glob("*/services.yaml"))[0]
    services.write_text(services.read_text(encoding="utf-8").replace("team: ", "team: x", 1))
    result = run_cli("render", str(tree), "-o", str(out), "-v")
    assert result.exit_code == 0 and "cache: changed namespaces only" in result.stderr
    full = run_cli("render", str(tree), "-o", str(tmp_path / "ref"), "--no-cache")
    assert full.exit_code == 0
    assert _snapshot(out) == _snapshot(tmp_path / "ref")


def test_edited_output_file_is_noticed(base_tree: Path, tmp_path: Path, run_cli: Run) -> None:
    tree, out = tmp_path / "tree", tmp_path / "out"
    shutil.copytree(base_tree, tree)
    assert run_cli("render", str(tree), "-o", str(out)).exit_code == 0
    victim = sorted(out.rglob("inferenceservice-*.yaml"))[0]
    victim.write_text(victim.read_text(encoding="utf-8").replace("name:", "name: x", 1))
    result = run_cli("render", str(tree), "-o", str(out), "--check")
    assert result.exit_code == 3
    assert victim.name in result.stderr


def test_a_crafted_marker_is_not_trusted(
    base_tree: Path, tmp_path: Path, run_cli: Run, _cache_dir: Path
) -> None:
    """A marker copied beside hand-edited files (as a push to the output repository could do)
    has no trust record here: the check renders in full and reports the drift."""
    tree, out, other = tmp_path / "tree", tmp_path / "out", tmp_path / "other"
    shutil.copytree(base_tree, tree)
    assert run_cli("render", str(tree), "-o", str(out)).exit_code == 0
    shutil.copytree(out, other)
    victim = sorted(other.rglob("httproute-*.yaml"))[0]
    victim.write_text("tampered: true\n")
    result = run_cli("render", str(tree), "-o", str(other), "--check", "-v")
    assert result.exit_code == 3 and "cache: full render" in result.stderr
    # a fresh cache (a CI checkout) trusts nothing either
    shutil.rmtree(_cache_dir / "trust")
    result = run_cli("render", str(tree), "-o", str(out), "--check", "-v")
    assert result.exit_code == 0 and "cache: full render" in result.stderr


def test_cache_dir_is_private(base_tree: Path, tmp_path: Path, run_cli: Run) -> None:
    tree, out, cache = tmp_path / "tree", tmp_path / "out", tmp_path / "new-cache"
    shutil.copytree(base_tree, tree)
    env = {"AIMCTL_CACHE_DIR": str(cache)}
    assert run_cli("render", str(tree), "-o", str(out), env=env).exit_code == 0
    assert cache.stat().st_mode & 0o777 == 0o700
    records = list((cache / "trust").iterdir())
    assert records and all(r.stat().st_mode & 0o077 == 0 for r in records)
    cache.chmod(0o777)  # others may write: not used
    result = run_cli("render", str(tree), "-o", str(out), "--check", "-v", env=env)
    assert result.exit_code == 0 and "cache: full render" in result.stderr


def test_a_linked_template_is_part_of_the_key(
    base_tree: Path, tmp_path: Path, run_cli: Run
) -> None:
    """A template that is a symlink is read through the link by the render: the key hashes what
    it leads to, so editing the target is a change like any other."""
    tree, out, templates, real = (tmp_path / n for n in ("tree", "out", "tpl", "real"))
    shutil.copytree(base_tree, tree)
    shutil.copytree(Path(__file__).resolve().parents[1] / "templates", templates)
    real.mkdir()
    target = real / "pvc.yaml"
    (templates / "persistentvolumeclaim.yaml").rename(target)
    (templates / "persistentvolumeclaim.yaml").symlink_to(target)
    args = ("render", str(tree), "-o", str(out), "--templates", str(templates))
    assert run_cli(*args, cwd=tmp_path).exit_code == 0
    assert run_cli(*args, "--check", cwd=tmp_path).exit_code == 0
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace('  labels: "{{ pvc.labels }}"\n', ""), encoding="utf-8")
    full = run_cli(*args, "--check", "--no-cache", cwd=tmp_path)
    cached = run_cli(*args, "--check", cwd=tmp_path)
    assert full.exit_code == 3, full.stderr
    assert (cached.exit_code, cached.stderr) == (full.exit_code, full.stderr)


def _edit_one_namespace(tree: Path) -> str:
    """A label value in one tenant's services: the files of that namespace change, none is
    added or removed. Returns the namespace."""
    services = sorted((tree / "tenants").glob("*/services.yaml"))[0]
    services.write_text(services.read_text(encoding="utf-8").replace("team: ", "team: x", 1))
    return services.parent.name


def test_a_change_to_one_folder_swaps_that_folder_alone(
    base_tree: Path, tmp_path: Path, run_cli: Run
) -> None:
    """The other folders stay the very directories they were; the result is the full render's,
    and the record written with it vouches for DIR as it now is."""
    tree, out, ref = tmp_path / "tree", tmp_path / "out", tmp_path / "ref"
    shutil.copytree(base_tree, tree)
    assert run_cli("render", str(tree), "-o", str(out)).exit_code == 0
    before = {p.name: p.stat().st_ino for p in out.iterdir() if p.is_dir()}
    namespace = _edit_one_namespace(tree)
    result = run_cli("render", str(tree), "-o", str(out), "-v")
    assert result.exit_code == 0 and "cache: changed namespaces only" in result.stderr
    after = {p.name: p.stat().st_ino for p in out.iterdir() if p.is_dir()}
    assert after.keys() == before.keys() and len(after) > 2
    assert {name for name in after if after[name] != before[name]} == {namespace}
    assert run_cli("render", str(tree), "-o", str(ref), "--no-cache").exit_code == 0
    assert _snapshot(out) == _snapshot(ref)
    assert not list(tmp_path.glob(".out.*"))  # no staging tree left beside DIR
    again = run_cli("render", str(tree), "-o", str(out), "--check", "-v")
    assert again.exit_code == 0 and "cache: inputs and output unchanged" in again.stderr


@pytest.mark.parametrize("where", ["swapped", "other"])
def test_an_edit_after_a_folder_swap_is_noticed(
    base_tree: Path, tmp_path: Path, run_cli: Run, where: str
) -> None:
    """The signatures recorded after swapping one folder are DIR's: a later hand edit, in the
    swapped folder or in one left in place, sends ``--check`` to a full render."""
    tree, out = tmp_path / "tree", tmp_path / "out"
    shutil.copytree(base_tree, tree)
    assert run_cli("render", str(tree), "-o", str(out)).exit_code == 0
    namespace = _edit_one_namespace(tree)
    assert run_cli("render", str(tree), "-o", str(out)).exit_code == 0
    folders = sorted(p for p in out.iterdir() if p.is_dir() and p.name != "_cluster")
    folder = next(p for p in folders if (p.name == namespace) == (where == "swapped"))
    victim = sorted(folder.glob("*.yaml"))[0]
    with victim.open("a", encoding="utf-8") as handle:  # in place: same inode, same mtime tick
        handle.write("# edited\n")
    result = run_cli("render", str(tree), "-o", str(out), "--check", "-v")
    assert result.exit_code == 3 and "cache: full render" in result.stderr
    assert victim.name in result.stderr


def test_without_an_atomic_exchange_the_whole_tree_is_swapped(
    base_tree: Path, tmp_path: Path, run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where ``renameat2`` is missing, a folder cannot be exchanged: the partial render swaps
    the whole tree as before, with the same bytes."""
    from aimctl import emit

    tree, out, ref = tmp_path / "tree", tmp_path / "out", tmp_path / "ref"
    shutil.copytree(base_tree, tree)
    assert run_cli("render", str(tree), "-o", str(out)).exit_code == 0
    _edit_one_namespace(tree)
    calls: list[tuple[Path, Path]] = []

    def no_exchange(a: Path, b: Path) -> bool:
        calls.append((a, b))
        return False

    monkeypatch.setattr(emit, "_exchange", no_exchange)
    result = run_cli("render", str(tree), "-o", str(out), "-v")
    assert result.exit_code == 0 and "cache: changed namespaces only" in result.stderr
    assert len(calls) == 2  # the folder, then the whole tree (by two renames)
    assert run_cli("render", str(tree), "-o", str(ref), "--no-cache").exit_code == 0
    assert _snapshot(out) == _snapshot(ref)
    assert not list(tmp_path.glob(".out.*"))
    again = run_cli("render", str(tree), "-o", str(out), "--check", "-v")
    assert again.exit_code == 0 and "cache: inputs and output unchanged" in again.stderr
