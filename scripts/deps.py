"""Dependency upkeep: refresh the lock, test the floors, check the YAML limits across PyYAMLs.

    python scripts/deps.py lock              # newest releases within pyproject's ranges -> lock, then the suite
    python scripts/deps.py floors            # every runtime dependency at its floor, then the suite
    python scripts/deps.py yaml-limits 6.0.3 6.0.4   # the loader-limit tests under each PyYAML

Each command builds a fresh virtualenv under a temporary directory (PyPI access needed) and
exits non-zero when an install or a test fails, so an upgrade is a reviewed change of
``requirements-lock.txt``, never a surprise in CI. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-lock.txt"
CHECKS = "ruff check . && ruff format --check . && mypy aimctl && pytest"
LIMIT_TESTS = [
    "tests/test_loader_limits.py",
    "tests/test_validate_cli.py",
    "tests/test_bad_inputs.py",
]


def _run(command: list[str] | str, venv: Path | None = None) -> None:
    env = dict(os.environ)
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    print("+", command if isinstance(command, str) else " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True, shell=isinstance(command, str))


def _venv(where: Path) -> Path:
    venv = where / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    return venv


def _pip(venv: Path, *args: str) -> None:
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *args])


def lock(test: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv = _venv(Path(tmp))
        _pip(venv, "-e", ".[test]")
        frozen = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        pins = sorted(
            (ln for ln in frozen.splitlines() if "==" in ln and not ln.startswith("#")),
            key=str.lower,
        )
        header = (
            "# Exact versions of every runtime and test dependency, direct and transitive.\n"
            "# Made by `python scripts/deps.py lock` (newest releases within pyproject.toml's\n"
            f"# ranges) on Python {platform.python_version()}, {sys.platform} "
            f"{platform.machine()}.\n"
            "# Used as constraints: pip install -c requirements-lock.txt -e '.[test]'\n"
        )
        LOCK.write_text(header + "\n".join(pins) + "\n", encoding="utf-8")
        print(f"wrote {LOCK.relative_to(ROOT)} ({len(pins)} packages)")
        if test:
            _run(CHECKS, venv)


def _floors() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = []
    for requirement in project["dependencies"]:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*>=\s*([^,;\s]+)", requirement)
        if not match:
            raise SystemExit(f"no floor (>=) in dependency {requirement!r}")
        pins.append(f"{match.group(1)}=={match.group(2)}")
    return pins


def _runtime_closure(venv: Path, pins: list[str]) -> set[str]:
    """Normalised names of the packages the runtime floors pull in (pip's dry-run report)."""
    report = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--dry-run",
            "--ignore-installed",
            "--report",
            "-",
            *pins,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return {_normal(item["metadata"]["name"]) for item in json.loads(report)["install"]}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def floors() -> None:
    """Runtime dependencies at their floors (with what those pull in, resolved anew); the test
    tools at their locked versions, so a failure is the floors', not a new test tool's."""
    with tempfile.TemporaryDirectory() as tmp:
        pins = _floors()
        print("floors:", ", ".join(pins))
        venv = _venv(Path(tmp))
        runtime = _runtime_closure(venv, pins)
        locked = [
            ln
            for ln in LOCK.read_text(encoding="utf-8").splitlines()
            if ln and not ln.startswith("#") and _normal(ln.partition("==")[0]) not in runtime
        ]
        constraints = Path(tmp) / "floors.txt"
        constraints.write_text("\n".join(pins + locked) + "\n", encoding="utf-8")
        _pip(venv, "-c", str(constraints), "-e", ".[test]")
        _run(CHECKS, venv)


def yaml_limits(versions: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv = _venv(Path(tmp))
        _pip(venv, "-c", str(LOCK), "-e", ".[test]")
        for version in versions:
            _pip(venv, f"pyyaml=={version}")
            _run(["pytest", "-p", "no:cacheprovider", *LIMIT_TESTS], venv)
            print(f"PyYAML {version}: the loader-limit tests pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    lock_cmd = sub.add_parser("lock", help="refresh requirements-lock.txt and run the suite")
    lock_cmd.add_argument("--no-test", action="store_true", help="only write the lock")
    sub.add_parser("floors", help="run the suite with every runtime dependency at its floor")
    limits = sub.add_parser("yaml-limits", help="run the loader-limit tests under PyYAML VERSIONs")
    limits.add_argument("versions", nargs="+", metavar="VERSION")
    args = parser.parse_args()
    try:
        if args.command == "lock":
            lock(test=not args.no_test)
        elif args.command == "floors":
            floors()
        else:
            yaml_limits(args.versions)
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"failed ({exc.returncode}): {exc.cmd}") from None


if __name__ == "__main__":
    main()
