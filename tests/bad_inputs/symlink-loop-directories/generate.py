"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path


def generate(case: Path) -> None:
    inp = case / "input"
    (inp / "sub").mkdir()
    (inp / "sub" / "up").symlink_to("..")
    (inp / "self").symlink_to(".")
    (inp / "a").symlink_to("b")
    (inp / "b").symlink_to("a")
