"""Builds the part of this case that cannot be committed (see expected.txt)."""

from pathlib import Path

# one document: an anchored list of 100 items used 1,400 times, about 140,000 nodes (under the
# per-document limit of 200,000); repeated, the file as a whole expands far beyond it
DOC = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: team-a}}\n"
    "x: &a [" + ", ".join(["x"] * 100) + "]\ny: [" + ", ".join(["*a"] * 1400) + "]\n"
)


def generate(case: Path) -> None:
    text = "---\n".join(DOC.format(i=i) for i in range(20))
    (case / "input" / "amplified.yaml").write_text(text)
