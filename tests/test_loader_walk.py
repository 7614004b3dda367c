"""The input walk (``loader.collect_files``): which files it finds and how it names them.

The walk builds paths as text; these cases pin that text to what ``pathlib`` gives (a root of
``.``, an absolute root, a trailing slash) and the link rules: a link is followed only inside the
roots, a link to an ancestor or a loop is not, and a target reached twice keeps its first name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aimctl.loader import collect_files, load_paths

_DOC = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n"


def _tree(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    (repo / "sub2").mkdir()
    (repo / ".hidden").mkdir()
    (repo / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    for name, ns in [
        ("a.yaml", "team-a"),
        ("b.yml", "team-b"),
        ("sub/c.yaml", "team-c"),
        ("sub2/d.yaml", "team-d"),
        (".hidden/x.yaml", "team-x"),
        (".h.yaml", "team-h"),
        ("out/e.yaml", "team-e"),
        ("aimctl.yaml", "team-p"),
    ]:
        (repo / name).write_text(_DOC.format(name=name.replace("/", "-"), ns=ns), "utf-8")
    (repo / "out" / ".aimctl-output").write_text("", "utf-8")
    (repo / "notes.md").write_text("# notes\n", "utf-8")
    (repo / "data.json").write_text("{}\n", "utf-8")
    (repo / "kustomization.yaml").write_text("resources: []\n", "utf-8")
    (tmp_path / "elsewhere" / "f.yaml").write_text(_DOC.format(name="f", ns="team-f"), "utf-8")
    (repo / "link.yaml").symlink_to(repo / "sub" / "c.yaml")  # inside: named as reached first
    (repo / "outside.yaml").symlink_to(tmp_path / "elsewhere" / "f.yaml")  # outside: never read
    (repo / "broken.yaml").symlink_to(repo / "missing.yaml")
    (repo / "sub" / "up").symlink_to(repo)  # an ancestor: not walked again
    (repo / "sub" / "same").symlink_to(repo / "sub2")  # sorts before sub2: sub2 is reached here
    (repo / "outdir").symlink_to(tmp_path / "elsewhere")
    return repo


_FOUND = ["a.yaml", "b.yml", "link.yaml", "sub/same/d.yaml"]


@pytest.mark.parametrize("root", ["repo", "repo/", "./repo", ".", "ABSOLUTE"])
def test_walk_names_files_as_pathlib_would(
    root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _tree(tmp_path)
    monkeypatch.chdir(repo if root == "." else tmp_path)
    given = Path(repo if root == "ABSOLUTE" else root)
    files, problems = collect_files([given])
    assert files == [given / name for name in _FOUND]
    assert [str(f) for f in files] == [str(given / name) for name in _FOUND]
    skipped = sorted((d.code, Path(d.file or "").name) for d in problems)
    assert skipped == [
        ("W_OUTPUT_DIR_SKIPPED", "out"),
        ("W_SKIPPED", "data.json"),
        ("W_SKIPPED", "kustomization.yaml"),
    ]


def test_walk_skips_what_it_is_told_and_roots_overlap_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    files, _ = collect_files([Path("repo"), Path("repo/sub2")], skip=[Path("repo/a.yaml")])
    assert [f.as_posix() for f in files] == [
        "repo/b.yml",
        "repo/link.yaml",
        "repo/sub/same/d.yaml",
    ]


def test_mentions_filter_keeps_the_files_that_name_a_needle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    everything = load_paths([Path("repo")])
    assert everything.files == [f"repo/{name}" for name in _FOUND]
    some = load_paths([Path("repo")], mentions=("team-b", "team-d"))
    assert some.files == ["repo/b.yml", "repo/sub/same/d.yaml"]
    assert [d.data["metadata"]["namespace"] for d in some.documents] == ["team-b", "team-d"]
