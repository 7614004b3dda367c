"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path


def generate(case: Path) -> None:
    outside = case / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\n"
        "stringData: {token: hf_OutsideSecret}\n"
    )
    (case / "input" / "secret.yaml").symlink_to("../outside/secret.yaml")
    (case / "input" / "passwd.yaml").symlink_to("/etc/passwd")
