"""Shared fixtures: inline input trees, the real CLI, and the ../shared validator."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
HAS_SHARED = (SHARED / "upstream").is_dir() and (SHARED / "tools").is_dir()
needs_shared = pytest.mark.skipif(
    not HAS_SHARED, reason="../shared (upstream data, schemas, validator) is not beside the project"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/cases/*/expected from the current output (review the diff!)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


WriteTree = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_tree(tmp_path: Path) -> WriteTree:
    """Write ``{relative path: YAML text}`` under a fresh directory and return it."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "tree"
        root.mkdir(exist_ok=True)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run ``aimctl ARGS`` in-process through the real entry point; capture both streams."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        from aimctl import cli

        out, err = _Capture(), _Capture()
        with pytest.MonkeyPatch.context() as mp:
            if cwd is not None:
                mp.chdir(cwd)
            for key, value in (env or {}).items():
                mp.setenv(key, value)
            mp.setattr(sys, "stdout", out)
            mp.setattr(sys, "stderr", err)
            mp.setattr(sys, "argv", ["aimctl", *args])
            cli._STATE["debug"] = False
            try:
                cli.main()
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        return Result(code, out.getvalue(), err.getvalue())

    return run


class _Capture:
    """A text stream that rich and click accept (not a TTY)."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.encoding = "utf-8"

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("not a real file")

    def getvalue(self) -> str:
        return "".join(self._parts)


def load_validator() -> ModuleType:
    """``../shared/tools/validate_manifests.py`` as a module (callers skip without ../shared)."""
    name = "validate_manifests"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SHARED / "tools" / "validate_manifests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def resolve_all_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """The keyword arguments of every ``resolve.run.resolve_all`` call the test makes."""
    import aimctl.resolve.run

    real = aimctl.resolve.run.resolve_all
    calls: list[dict[str, object]] = []

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aimctl.resolve.run, "resolve_all", counting)
    return calls


@pytest.fixture
def three_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--jobs 3`` gets three workers whatever this machine has (aimctl caps jobs at the CPUs
    available), so the parallel paths are exercised on a one- or two-core runner too."""
    import aimctl.parallel

    monkeypatch.setattr(aimctl.parallel, "available_cpus", lambda: 3)


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own ``$AIMCTL_CACHE_DIR`` (never the user's ``~/.cache/aimctl``)."""
    path = tmp_path_factory.mktemp("aimctl-cache")
    path.chmod(0o700)
    monkeypatch.setenv("AIMCTL_CACHE_DIR", str(path))
    return path
