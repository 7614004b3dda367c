"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path


def generate(case: Path) -> None:
    depth = 200_000
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: a}\ndata:\n  x: "
    (case / "input" / "deep.yaml").write_text(text + "[" * depth + "]" * depth + "\n")
