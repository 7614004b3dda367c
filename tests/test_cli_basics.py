"""Entry points, version and usage errors."""

from __future__ import annotations

import subprocess
import sys

from aimctl import __version__


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m aimctl ARGS`` in a fresh process, as the console script runs."""
    return subprocess.run(
        [sys.executable, "-m", "aimctl", *args], capture_output=True, text=True, check=False
    )


VERSION_LINE = (
    f"aimctl {__version__} (renders AIM Engine 0.2.2 behaviour; accepts aim.eai.amd.com/v1alpha1 "
    "[0.2.2 schema] and v1alpha2 AIMService/AIMClusterProfile [0.2.5-cycle schema]; profile "
    "pipeline: validate only)\n"
)


def test_version_prints_on_stdout_with_the_operator_release(run_cli) -> None:
    result = run_cli("version")
    assert result.exit_code == 0
    assert result.stdout == VERSION_LINE


def test_dash_dash_version_prints_the_same_line(run_cli) -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == VERSION_LINE


def test_unknown_option_is_a_usage_error_with_exit_2(run_cli) -> None:
    result = run_cli("validate", "--no-such-flag", ".")
    assert result.exit_code == 2


def test_python_dash_m_behaves_like_the_script() -> None:
    proc = _script("version")
    assert proc.returncode == 0
    assert proc.stdout == VERSION_LINE


def test_help_lists_commands(run_cli) -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "validate" in result.stdout


def test_ctrl_c_during_start_up_exits_130_without_a_traceback() -> None:
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "aimctl", "render", "examples/quickstart"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.15)  # inside the imports
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    if proc.returncode == 0:  # the render finished first on a fast machine: nothing to check
        return
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_the_script_exits_with_every_code_and_all_its_output(run_cli, tmp_path) -> None:
    """The entry leaves with ``os._exit`` (no heap teardown): exit codes and buffered output
    must be exactly what ``sys.exit`` would give."""
    full = _script("render", "examples/quickstart")
    assert full.returncode == 0
    assert full.stdout == run_cli("render", "examples/quickstart").stdout
    assert full.stdout.count("\n---\n") >= 2
    missing = _script("render", str(tmp_path / "nothing-here"))
    assert missing.returncode == 1
    assert "no such file or directory" in missing.stderr
    usage = _script("render", "--no-such-flag")
    assert usage.returncode == 2
    assert "--no-such-flag" in usage.stderr
