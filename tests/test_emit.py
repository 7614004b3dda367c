"""Output directories: layout, atomic replacement, stale files, ownership, locking, drift checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aimctl.emit import MARKER, build_files, object_sort_key, output_lock, write_dir
from aimctl.errors import EmitError
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "quickstart"


def _obj(kind: str, name: str, namespace: str | None = None, api: str = "v1") -> dict[str, object]:
    meta: dict[str, object] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def test_objects_sort_by_kind_rank_then_namespace_then_name() -> None:
    objs = [
        _obj("HTTPRoute", "r", "a", "gateway.networking.k8s.io/v1"),
        _obj("ConfigMap", "c", "a"),
        _obj("PersistentVolumeClaim", "p", "b"),
        _obj("PersistentVolumeClaim", "p", "a"),
        _obj("Namespace", "z"),
        _obj("InferenceService", "i", "a", "serving.kserve.io/v1beta1"),
        _obj("Job", "j", "a", "batch/v1"),
    ]
    kinds = [
        (o["kind"], o["metadata"].get("namespace", None)) for o in sorted(objs, key=object_sort_key)
    ]  # type: ignore[index, operator]
    assert kinds == [
        ("Namespace", None),
        ("PersistentVolumeClaim", "a"),
        ("PersistentVolumeClaim", "b"),
        ("Job", "a"),
        ("InferenceService", "a"),
        ("HTTPRoute", "a"),
        ("ConfigMap", "a"),
    ]


def test_files_are_laid_out_per_namespace_with_a_kustomization() -> None:
    files = build_files([_obj("Namespace", "team-a"), _obj("ConfigMap", "cfg", "team-a")])
    assert list(files) == [
        "_cluster/namespace-team-a.yaml",
        "team-a/configmap-cfg.yaml",
        "kustomization.yaml",
    ]
    assert (
        "- _cluster/namespace-team-a.yaml\n- team-a/configmap-cfg.yaml\n"
        in files["kustomization.yaml"]
    )
    assert "sortOptions:\n  order: fifo\n" in files["kustomization.yaml"]


@pytest.mark.parametrize("name", ["../escape", "a/b", "UPPER", "", "x" * 300 + "/"])
def test_unsafe_names_never_become_paths(name: str) -> None:
    with pytest.raises(EmitError, match="not a valid Kubernetes name"):
        build_files([_obj("ConfigMap", name, "ns")])


def test_rewrite_removes_stale_files_and_keeps_the_marker(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_dir(build_files([_obj("ConfigMap", "old", "ns")]), out)
    write_dir(build_files([_obj("ConfigMap", "new", "ns")]), out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        MARKER,
        "kustomization.yaml",
        "ns/configmap-new.yaml",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")], "no staging dirs left"


def test_refuses_a_non_empty_directory_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(EmitError, match="did not write"):
        write_dir(build_files([_obj("ConfigMap", "c", "ns")]), out)
    assert (out / "precious.txt").read_text() == "keep me"


def test_a_second_writer_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with (
        output_lock(out),
        pytest.raises(EmitError, match="another aimctl render"),
        output_lock(out),
    ):
        pass
    assert not (out / "out.lock").exists(), "the lock lives beside DIR, never inside it"


def test_check_reports_drift_with_exit_3_and_up_to_date_with_exit_0(
    tmp_path: Path, run_cli
) -> None:
    out = tmp_path / "out"
    assert run_cli("render", str(EXAMPLE), "-o", str(out)).exit_code == 0
    clean = run_cli("render", str(EXAMPLE), "-o", str(out), "--check")
    assert clean.exit_code == 0, clean.stderr
    assert "up to date" in clean.stderr
    victim = next(out.glob("ml-team/inferenceservice-*.yaml"))
    victim.write_text(victim.read_text().replace("minReplicas: 1", "minReplicas: 2", 1))
    (out / "ml-team" / "configmap-stale.yaml").write_text("x: 1\n")
    drift = run_cli("render", str(EXAMPLE), "-o", str(out), "--check")
    assert drift.exit_code == 3
    assert f"changed: {victim}" in drift.stderr
    assert "removed: " in drift.stderr and "configmap-stale.yaml" in drift.stderr
    assert drift.stdout == ""


def test_check_json_report(tmp_path: Path, run_cli) -> None:
    import json

    out = tmp_path / "out"
    result = run_cli("render", str(EXAMPLE), "-o", str(out), "--check", "--report", "json")
    assert result.exit_code == 3
    body = json.loads(result.stdout)
    assert body["upToDate"] is False and "kustomization.yaml" in body["added"]


def test_failed_render_leaves_the_previous_output_untouched(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "out"
    assert run_cli("render", str(EXAMPLE), "-o", str(out)).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "svc.yaml").write_text(
        "apiVersion: aim.eai.amd.com/v1alpha1\nkind: AIMService\nmetadata: {name: x, namespace: y}\n"
        "spec: {model: {name: missing}}\n"
    )
    assert run_cli("render", str(bad), "-o", str(out)).exit_code == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_stdout_carries_only_yaml_even_with_warnings(run_cli) -> None:
    import yaml

    result = run_cli("render", str(ROOT / "tests" / "cases" / "custom-model" / "input"))
    assert result.exit_code == 0, result.stderr
    assert "warning" in result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    assert docs and all(isinstance(d, dict) and "kind" in d for d in docs)


def test_json_format_prints_a_v1_list(run_cli) -> None:
    import json

    result = run_cli("render", str(EXAMPLE), "--format", "json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["apiVersion"] == "v1" and body["kind"] == "List" and len(body["items"]) == 9


def test_empty_render_is_an_error_unless_allowed(tmp_path: Path, run_cli) -> None:
    (tmp_path / "cm.yaml").write_text("# nothing\n")
    assert run_cli("render", str(tmp_path)).exit_code == 1
    assert run_cli("render", str(tmp_path), "--allow-empty").exit_code == 0


def test_diff_shows_a_unified_diff_and_exits_3_then_0_when_clean(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "out"
    assert run_cli("render", str(EXAMPLE), "-o", str(out)).exit_code == 0
    clean = run_cli("diff", str(EXAMPLE), "-o", str(out))
    assert clean.exit_code == 0 and clean.stdout == ""
    assert "no differences" in clean.stderr
    victim = next(out.glob("ml-team/inferenceservice-qwen-chat-*.yaml"))
    victim.write_text(victim.read_text().replace("maxReplicas: 1", "maxReplicas: 4", 1))
    changed = run_cli("diff", str(EXAMPLE), "-o", str(out))
    assert changed.exit_code == 3
    rel = victim.relative_to(out).as_posix()
    assert f"--- a/{rel}\n+++ b/{rel}\n" in changed.stdout
    assert "-    maxReplicas: 4\n+    maxReplicas: 1\n" in changed.stdout
    assert "\x1b[" not in changed.stdout, "no colour when stdout is not a terminal"


def test_diff_lists_files_that_would_be_added_or_removed(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "out"
    assert run_cli("render", str(EXAMPLE), "-o", str(out)).exit_code == 0
    (out / "ml-team" / "configmap-extra.yaml").write_text("kind: ConfigMap\n")
    next(out.glob("ml-team/httproute-*.yaml")).unlink()
    result = run_cli("diff", str(EXAMPLE), "-o", str(out))
    assert result.exit_code == 3
    assert "--- a/ml-team/configmap-extra.yaml\n+++ /dev/null\n" in result.stdout
    assert "--- /dev/null\n+++ b/ml-team/httproute-" in result.stdout


def _files_of(*objects: dict[str, object]) -> dict[str, str]:
    return build_files(list(objects))


def test_a_rewrite_keeps_unchanged_files_as_they_were_and_rewrites_changed_ones(
    tmp_path: Path,
) -> None:
    """Unchanged files are hard-linked from the tree being replaced (no new inode), changed ones
    are written afresh; afterwards every file has one link: the old tree is gone."""
    out = tmp_path / "out"
    same, changing = _obj("ConfigMap", "same", "ns"), _obj("ConfigMap", "changing", "ns")
    write_dir(_files_of(same, changing), out)
    kept = (out / "ns/configmap-same.yaml").stat().st_ino
    replaced = (out / "ns/configmap-changing.yaml").stat().st_ino
    changed = {**changing, "data": {"k": "v2"}}
    files = _files_of(same, changed)
    write_dir(files, out)
    assert (out / "ns/configmap-same.yaml").stat().st_ino == kept
    assert (out / "ns/configmap-changing.yaml").stat().st_ino != replaced
    for rel, text in files.items():
        assert (out / rel).read_text() == text
        assert (out / rel).stat().st_nlink == 1


def test_a_rewrite_never_keeps_a_file_someone_edited_or_chmodded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = _files_of(_obj("ConfigMap", "a", "ns"), _obj("ConfigMap", "b", "ns"))
    write_dir(files, out)
    edited, chmodded = out / "ns/configmap-a.yaml", out / "ns/configmap-b.yaml"
    edited.write_text(edited.read_text().replace("ConfigMap", "ConfigMaq"))  # same size
    chmodded.chmod(0o600)
    write_dir(files, out)
    assert edited.read_text() == files["ns/configmap-a.yaml"]
    assert chmodded.stat().st_mode & 0o777 != 0o600


def test_a_rewrite_never_links_through_symlinks_or_to_files_linked_elsewhere(
    tmp_path: Path,
) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    files = _files_of(_obj("ConfigMap", "a", "ns"), _obj("ConfigMap", "b", "other"))
    write_dir(files, out)
    # a folder of the old tree replaced by a symlink to an identical file elsewhere
    outside.mkdir()
    (outside / "configmap-a.yaml").write_text(files["ns/configmap-a.yaml"])
    for child in (out / "ns").iterdir():
        child.unlink()
    (out / "ns").rmdir()
    (out / "ns").symlink_to(outside)
    # a file of the old tree that also has a name outside it
    os.link(out / "other/configmap-b.yaml", tmp_path / "second-name.yaml")
    write_dir(files, out)
    assert (outside / "configmap-a.yaml").stat().st_nlink == 1
    assert (out / "ns").is_dir() and not (out / "ns").is_symlink()
    assert (tmp_path / "second-name.yaml").stat().st_nlink == 1
    assert (out / "other/configmap-b.yaml").stat().st_nlink == 1


def test_drift_counts_every_file_below_the_directory_but_the_marker(tmp_path: Path) -> None:
    from aimctl.emit import compare_dir

    out = tmp_path / "out"
    files = _files_of(_obj("ConfigMap", "a", "ns"), _obj("ClusterRole", "r"))
    write_dir(files, out)
    assert compare_dir(files, out).clean
    (out / "ns" / "configmap-a.yaml").write_bytes(b"caf\xe9\n")  # not UTF-8: changed
    (out / "ns" / "deep").mkdir()
    (out / "ns" / "deep" / "stray.yaml").write_text("x: 1\n")  # nested and unknown: removed
    (out / MARKER).write_text("edited marker\n")  # never compared
    drift = compare_dir(files, out)
    assert drift.changed == ["ns/configmap-a.yaml"]
    assert drift.removed == ["ns/deep/stray.yaml"]
    assert drift.added == []


def test_the_signatures_a_write_reports_are_those_of_the_tree_it_leaves(tmp_path: Path) -> None:
    """``write_dir(signatures=)`` stands for a walk of DIR afterwards (the trust record keeps
    them): written files as written, linked ones as they are once the old tree is deleted —
    on a new directory, on a rewrite that links unchanged files, and with ``reuse``."""
    from aimctl.render_cache import output_signatures

    out = tmp_path / "out"
    objects = [_obj("ConfigMap", f"c{i}", f"ns{i % 3}") for i in range(9)]
    objects.append(_obj("ClusterRole", "r"))
    files = _files_of(*objects)
    taken: dict[str, tuple[int, int, int, int, int]] = {}
    write_dir(files, out, signatures=taken)
    assert taken == output_signatures(out) and len(taken) == len(files)
    changed = _files_of(*objects[:-2], {**objects[-2], "data": {"k": "v"}})
    taken = {}
    write_dir(changed, out, signatures=taken)
    assert taken == output_signatures(out) and len(taken) == len(changed)
    assert all((out / rel).stat().st_nlink == 1 for rel in changed)
    # a partial write: one namespace written, the other files reused as they are
    mine = {rel: text for rel, text in changed.items() if rel.startswith("ns1/")}
    mine["ns1/configmap-c1.yaml"] = "apiVersion: v1\nkind: ConfigMap\n"
    mine["kustomization.yaml"] = changed["kustomization.yaml"]
    reuse = frozenset(rel for rel in changed if rel not in mine)
    taken = {}
    write_dir(mine, out, reuse=reuse, signatures=taken)
    assert taken == output_signatures(out) and set(taken) == set(changed)
    assert (out / "ns1/configmap-c1.yaml").read_text() == mine["ns1/configmap-c1.yaml"]
    assert all((out / rel).read_text() == changed[rel] for rel in reuse)
    assert all((out / rel).stat().st_nlink == 1 for rel in changed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging tree left


def test_reuse_never_reaches_through_a_symlinked_folder(tmp_path: Path) -> None:
    """Files to reuse are linked from real folders of the old tree only: a folder replaced by
    a symlink makes the write fail (DIR as it was), never links a file from elsewhere."""
    out, outside = tmp_path / "out", tmp_path / "outside"
    files = _files_of(_obj("ConfigMap", "a", "ns"), _obj("ConfigMap", "b", "other"))
    write_dir(files, out)
    outside.mkdir()
    (outside / "configmap-a.yaml").write_text("secret: 1\n")
    for child in (out / "ns").iterdir():
        child.unlink()
    (out / "ns").rmdir()
    (out / "ns").symlink_to(outside)
    mine = {"other/configmap-b.yaml": files["other/configmap-b.yaml"], "kustomization.yaml": ""}
    with pytest.raises(EmitError):
        write_dir(mine, out, reuse=frozenset({"ns/configmap-a.yaml"}))
    assert (out / "ns").is_symlink() and (outside / "configmap-a.yaml").stat().st_nlink == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "outside"]


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_ino)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_swap_folder_replaces_one_folder_and_the_marker(tmp_path: Path) -> None:
    from aimctl.emit import swap_folder

    out = tmp_path / "out"
    files = {"a/x.yaml": "x: 1\n", "a/y.yaml": "y: 1\n", "b/z.yaml": "z: 1\n"}
    write_dir({**files, "kustomization.yaml": "k\n"}, out, "old marker\n")
    before = _tree(out)
    signatures: dict[str, tuple[int, int, int, int, int]] = {}
    assert swap_folder(out, "a", {"x.yaml": "x: 2\n"}, ["y.yaml"], "new marker\n", signatures)
    after = _tree(out)
    assert after["a/x.yaml"][0] == b"x: 2\n" and after[MARKER][0] == b"new marker\n"
    assert after["a/y.yaml"] == before["a/y.yaml"]  # linked, not written again
    assert after["b/z.yaml"] == before["b/z.yaml"]
    assert sorted(signatures) == ["a/x.yaml", "a/y.yaml"]
    assert signatures["a/y.yaml"][0] == os.stat(out / "a/y.yaml").st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging tree left


def test_swap_folder_puts_the_old_folder_back_when_the_marker_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aimctl import emit

    out = tmp_path / "out"
    write_dir({"a/x.yaml": "x: 1\n", "kustomization.yaml": "k\n"}, out, "old marker\n")
    before = _tree(out)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(emit.os, "replace", refuse)
    with pytest.raises(EmitError, match="cannot write the output"):
        emit.swap_folder(out, "a", {"x.yaml": "x: 2\n"}, [], "new marker\n", {})
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


KUSTOMIZATION_PATHS = [
    "_cluster/namespace-a.yaml",
    "ml-team/inferenceservice-chat.yaml",
    "2024-10/configmap-x.yaml",  # timestamp-like: quoted
    "0ns/configmap-x.yaml",
    "y/n",
    "a/b:",
    "a/b #c",
    "a/ b",
    "a/b\nc/d",  # a line break in a path: no longer one line
    "",
    "ab",  # no "/": a word or a number may hide in such a path
    "on",
    "1e3",
    "/abs.yaml",
    "./rel.yaml",
    "-a/b.yaml",
    "A/B.yaml",
    "ns/é.yaml",
    "ns/x.yaml\t",
]


def test_the_kustomization_is_what_the_emitter_writes_for_it() -> None:
    """``kustomization_text`` writes the list of plain paths itself: the same text as
    ``dump_yaml`` of the whole mapping, for lists of every kind of path."""
    import random

    from aimctl.emit import kustomization_text
    from aimctl.serialize import dump_yaml

    def emitted(paths: list[str]) -> str:
        head = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
        return dump_yaml({**head, "resources": paths, "sortOptions": {"order": "fifo"}})

    rnd = random.Random(23)
    plain = [f"ns-{i}/inferenceservice-svc-{i}.yaml" for i in range(50)]
    lists = [[], plain, *([path] for path in KUSTOMIZATION_PATHS)]
    lists += [[*plain[:3], path, *plain[3:6]] for path in KUSTOMIZATION_PATHS]
    alphabet = "az09._/-:# \n\"'y_AZé\t"
    for _ in range(3000):
        size = rnd.randint(1, 4)
        lists.append(
            ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 10))) for _ in range(size)]
        )
    for paths in lists:
        assert kustomization_text(paths) == emitted(paths), paths
