"""Helpers for tests that hold a render with forked workers against the serial render."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def output_files(root: Path) -> dict[str, str]:
    """Every YAML file of an output directory, by its path below ``root``."""
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.yaml"))}


def same_with_workers(run_cli: Any, *args: str, jobs: str = "2", exit_code: int = 0) -> Any:
    """Run ``aimctl ARGS`` serially and with ``jobs`` workers; both must end with ``exit_code``
    and print the same bytes on stdout and stderr. Returns the serial result."""
    serial = run_cli(*args, "--jobs", "1")
    parallel = run_cli(*args, "--jobs", jobs)
    assert serial.exit_code == exit_code, serial.stderr
    assert parallel.exit_code == exit_code, parallel.stderr
    assert parallel.stdout == serial.stdout
    assert parallel.stderr == serial.stderr
    return serial
