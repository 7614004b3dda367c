"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path


def generate(case: Path) -> None:
    with open(case / "input" / "big.yaml", "wb") as handle:
        handle.truncate(33 * 1024 * 1024)
