"""Same input, same bytes: whatever the file order, the file names or PYTHONHASHSEED."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "quickstart"


def _render(tree: Path, env_seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": env_seed}
    proc = subprocess.run(
        [sys.executable, "-m", "aimctl", "render", str(tree)],
        capture_output=True,
        env=env,
        check=False,
        cwd=tree,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def _split_documents(tree: Path, target: Path) -> None:
    """Rewrite every multi-document file as one file per document, in reverse name order."""
    target.mkdir(parents=True)
    shutil.copy(tree / "aimctl.yaml", target / "aimctl.yaml")
    docs: list[str] = []
    for path in sorted(tree.rglob("*.yaml")):
        if path.name == "aimctl.yaml":
            continue
        docs.extend(d for d in path.read_text().split("\n---\n") if d.strip())
    for i, doc in enumerate(reversed(docs)):
        sub = target / f"z{i:03d}"
        sub.mkdir()
        (sub / f"renamed-{len(docs) - i}.yml").write_text(doc if doc.endswith("\n") else doc + "\n")


def test_output_is_identical_across_file_layout_and_hash_seed(tmp_path: Path) -> None:
    reshuffled = tmp_path / "reshuffled"
    _split_documents(EXAMPLE, reshuffled)
    first = _render(EXAMPLE, "0")
    assert first.startswith(b"---\napiVersion") or first.startswith(b"apiVersion")
    assert _render(reshuffled, "12345") == first


def test_two_renders_into_a_directory_are_byte_identical(tmp_path: Path, run_cli) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("render", str(EXAMPLE), "-o", str(a)).exit_code == 0
    assert run_cli("render", str(EXAMPLE), "-o", str(b)).exit_code == 0
    files_a = {p.relative_to(a): p.read_bytes() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b): p.read_bytes() for p in b.rglob("*") if p.is_file()}
    assert files_a == files_b
