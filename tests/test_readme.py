"""README's set-up commands are the ones CI runs."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _fenced_commands(section: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"## {re.escape(section)}\n(.*?)\n## ", text, re.S)
    assert match, f"README has no '## {section}' section"
    blocks = re.findall(r"```bash\n(.*?)```", match.group(1), re.S)
    return [ln for b in blocks for ln in b.splitlines() if ln.strip() and not ln.startswith("#")]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    (command,) = _fenced_commands("Run the tests")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in ci


def test_readme_quick_start_renders_the_bundled_example() -> None:
    (command,) = _fenced_commands("Quick start")
    assert command.startswith(
        "pip install -c requirements-lock.txt . && aimctl render examples/quickstart"
    )


def test_every_install_takes_the_lock() -> None:
    (test_command,) = _fenced_commands("Run the tests")
    dockerfile = (ROOT / "examples" / "argocd" / "Dockerfile").read_text()
    assert test_command.startswith("pip install -c requirements-lock.txt ")
    assert "-c requirements-lock.txt" in dockerfile  # tests/test_argocd_image.py: every install
    assert (ROOT / "requirements-lock.txt").is_file()
