"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path


def generate(case: Path) -> None:
    name = "a" * (1024 * 1024)
    text = (
        "apiVersion: aim.eai.amd.com/v1alpha1\nkind: AIMClusterModel\nmetadata:\n"
        f"  name: {name}\nspec:\n  image: example.com/llama:1.0\n"
    )
    (case / "input" / "huge.yaml").write_text(text)
