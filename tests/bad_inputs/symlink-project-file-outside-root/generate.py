"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path


def generate(case: Path) -> None:
    outside = case / "outside"
    outside.mkdir()
    (outside / "shadow").write_text("root:hf_ForeignProjectLine:19000:0:99999:7:::\n")
    (case / "input" / "aimctl.yaml").symlink_to("../outside/shadow")
