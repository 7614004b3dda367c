"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path

DOC = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: team-a}}\n"
    "x: &a [" + ", ".join(["x"] * 100) + "]\ny: [" + ", ".join(["*a"] * 1400) + "]\n"
)


def generate(case: Path) -> None:
    # each file under the per-file limit; together about 4,200,000 nodes
    for i in range(30):
        (case / "input" / f"part-{i:02}.yaml").write_text(DOC.format(i=i))
