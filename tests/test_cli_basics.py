"""Entry points, version and usage errors."""

from __future__ import annotations

import subprocess
import sys

from aimctl import __version__


def test_version_prints_on_stdout(run_cli) -> None:
    result = run_cli("version")
    assert result.exit_code == 0
    assert result.stdout == f"aimctl {__version__}\n"


def test_unknown_option_is_a_usage_error_with_exit_2(run_cli) -> None:
    result = run_cli("validate", "--no-such-flag", ".")
    assert result.exit_code == 2


def test_python_dash_m_behaves_like_the_script() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aimctl", "version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout == f"aimctl {__version__}\n"


def test_help_lists_commands(run_cli) -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "validate" in result.stdout
