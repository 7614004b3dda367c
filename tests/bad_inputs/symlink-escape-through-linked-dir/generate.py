"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path


def generate(case: Path) -> None:
    outside = case / "outside"
    outside.mkdir()
    (outside / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaked-from-outside, namespace: a}\n"
    )
    real = case / "input" / "real"
    real.mkdir()
    (real / "leak.yaml").symlink_to("../../outside/cm.yaml")
    (case / "input" / "alias").symlink_to("real")
