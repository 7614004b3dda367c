"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path


def generate(case: Path) -> None:
    (case / "input" / "many.yaml").write_text("--- {}\n" * 20_001)
