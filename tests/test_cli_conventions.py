"""Command-line conventions (issue 22 item 4): every --help readable and with examples, bare
``aimctl`` is help, ``-o`` never silently turns a format word into a directory, global options
before or after the command, shell completion, and ``-`` reading a stream from stdin."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from typer._click import ClickException  # typer bundles its own click

from aimctl import cli
from aimctl.cli_options import EXAMPLES
from aimctl.errors import AimctlError
from tests.conftest import HAS_SHARED, ROOT, load_validator

QUICKSTART = ROOT / "examples" / "quickstart"
QUICKSTART_FILES = sorted(QUICKSTART.rglob("*.yaml"))
# Python type names and typer's raw argument names that must never reach --help
TYPE_NAMES = re.compile(r"<(str|int|float|bool|path|list|uuid|int range)\b|list\[|\{[a-z_]+\}")


def _group() -> typer.core.TyperGroup:
    group = typer.main.get_command(cli.app)
    assert isinstance(group, typer.core.TyperGroup)
    return group


COMMANDS = sorted(_group().commands)


def _choices(param: object) -> list[str]:
    descriptor = getattr(param, "type_descriptor", None)
    return [str(c) for c in getattr(descriptor, "choices", None) or ()]


def _stream(files: list[Path]) -> bytes:
    """The files as one YAML stream, as ``kustomize build`` or ``cat`` would pipe it."""
    return "".join(f"---\n{p.read_text(encoding='utf-8')}" for p in files).encode()


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch):
    """Feed bytes to the in-process CLI's standard input (not a terminal)."""

    def feed(data: bytes, tty: bool = False) -> None:
        stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        if tty:
            stream.isatty = lambda: True  # type: ignore[method-assign]
        monkeypatch.setattr(sys, "stdin", stream)

    return feed


# --- help ---------------------------------------------------------------------------------


def test_every_command_has_an_examples_entry_and_nothing_else_has_one() -> None:
    assert set(EXAMPLES) == {"aimctl", *COMMANDS}


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_shows_the_examples_and_no_python_type_names(run_cli, command: str) -> None:
    result = run_cli(*([command] if command else []), "--help")
    assert result.exit_code == 0, result.stderr
    help_text = result.stdout
    assert "\nExamples:\n" in help_text
    for line, note in EXAMPLES[command or "aimctl"]:
        assert re.search(rf"^  {re.escape(line)} +# {re.escape(note)}$", help_text, re.M), line
    assert not TYPE_NAMES.search(help_text), TYPE_NAMES.search(help_text)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_value_option_has_an_upper_case_metavar_or_lists_its_choices(command: str) -> None:
    group = _group()
    with group.make_context("aimctl", ["version"], resilient_parsing=True) as parent:
        cmd = group.get_command(parent, command)
        assert cmd is not None
        for param in cmd.params:
            if getattr(param, "is_flag", False) or param.name == "help":
                continue
            metavar = param.metavar
            choices = _choices(param)
            assert (metavar and metavar == metavar.upper()) or choices, (command, param.name)


def test_usage_line_names_the_arguments_by_their_metavar(run_cli) -> None:
    assert run_cli("render", "--help").stdout.startswith("Usage: aimctl render [OPTIONS] PATH...")
    assert run_cli("explain", "--help").stdout.startswith(
        "Usage: aimctl explain [OPTIONS] PATH... NAMESPACE/SERVICE [FIELD]"
    )


def _example_words() -> list[tuple[str, list[str]]]:
    found = []
    for command, rows in EXAMPLES.items():
        for line, _ in rows:
            rest = re.search(r"(?:^|[|(]\s*)aimctl (.*)$", line)
            assert rest, line
            words = shlex.split(rest.group(1).split(")")[0].split(">")[0])
            if words[0] != "COMMAND":  # the placeholder of `aimctl COMMAND --help`
                found.append((command, words))
    return found


@pytest.mark.parametrize(("command", "words"), _example_words(), ids=str)
def test_every_example_is_a_valid_command_line(command: str, words: list[str]) -> None:
    group = _group()
    with group.make_context("aimctl", ["version"], resilient_parsing=True) as parent:
        sub = group.get_command(parent, words[0])
        assert sub is not None, words
        assert command in ("aimctl", words[0]), "an example under another command"
        try:
            sub.make_context(words[0], words[1:], parent=parent)
        except ClickException as exc:
            pytest.fail(f"{words}: {exc.format_message()}")


def test_bare_aimctl_prints_help_on_stdout_and_exits_0(run_cli) -> None:
    result = run_cli()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: aimctl [OPTIONS] COMMAND")
    assert "Commands:" in result.stdout and "Examples:" in result.stdout
    assert result.stderr == ""


def test_bare_aimctl_in_the_argocd_plugin_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    """There stdout must carry manifests: help text would reach Argo CD as the app's output."""
    result = run_cli(cwd=tmp_path, env={"ARGOCD_APP_NAME": "demo", "ARGOCD_APP_SOURCE_PATH": "."})
    assert result.exit_code == 2
    assert result.stdout == ""


# --- -o -----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["json", "yaml", "text", "JSON", "markdown"])
@pytest.mark.parametrize("command", ["render", "diff"])
def test_a_format_word_for_the_output_directory_is_a_usage_error(
    run_cli, tmp_path: Path, command: str, word: str
) -> None:
    result = run_cli(command, str(QUICKSTART), "-o", word, cwd=tmp_path)
    assert result.exit_code == 2
    assert f"-o ./{word}" in result.stderr
    if command == "render":
        assert "--format json" in result.stderr and "--report json" in result.stderr
    assert not (tmp_path / word).exists() and result.stdout == ""


def test_the_directory_of_that_name_is_still_reachable(run_cli, tmp_path: Path) -> None:
    written = run_cli("render", str(QUICKSTART), "-o", "./json", cwd=tmp_path)
    assert written.exit_code == 0, written.stderr
    assert (tmp_path / "json" / "kustomization.yaml").is_file()
    long = run_cli("render", str(QUICKSTART), "--output-dir", "json/", "--check", cwd=tmp_path)
    assert long.exit_code == 0, long.stderr


def test_o_is_a_format_on_every_command_without_an_output_directory() -> None:
    group = _group()
    with group.make_context("aimctl", ["version"], resilient_parsing=True) as parent:
        for name in COMMANDS:
            cmd = group.get_command(parent, name)
            assert cmd is not None
            for param in cmd.params:
                if "-o" in getattr(param, "opts", ()):
                    expected = ["--output-dir"] if name in ("render", "diff") else ["--output"]
                    assert [o for o in param.opts if o != "-o"] == expected, name
                    if name not in ("render", "diff"):
                        assert set(_choices(param)) >= {"text", "json"}


# --- global options -----------------------------------------------------------------------

GLOBAL_OPTIONS = (("--debug",), ("--quiet", "-q"), ("--verbose", "-v"))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_accepts_the_global_options_after_it(command: str) -> None:
    group = _group()
    with group.make_context("aimctl", ["version"], resilient_parsing=True) as parent:
        cmd = group.get_command(parent, command)
        assert cmd is not None
        opts = {o for p in cmd.params for o in getattr(p, "opts", ())}
        for spellings in GLOBAL_OPTIONS:
            assert set(spellings) <= opts, (command, spellings)
    assert {o for p in group.params for o in getattr(p, "opts", ())} >= {
        o for spellings in GLOBAL_OPTIONS for o in spellings
    }


@pytest.fixture
def warned_and_broken(write_tree) -> Path:
    """One error (unknown field) and one warning (a reference validate cannot resolve)."""
    return write_tree(
        {
            "svc.yaml": """
            apiVersion: aim.eai.amd.com/v1alpha1
            kind: AIMService
            metadata: {name: chat, namespace: team}
            spec:
              model: {name: not-in-these-files}
              bogus: 1
            """
        }
    )


def test_quiet_before_or_after_prints_errors_only(run_cli, warned_and_broken: Path) -> None:
    loud = run_cli("validate", str(warned_and_broken))
    assert loud.exit_code == 1 and "invalid:" in loud.stderr
    assert "warning" in loud.stderr.lower()
    before = run_cli("-q", "validate", str(warned_and_broken))
    after = run_cli("validate", str(warned_and_broken), "--quiet")
    assert before.exit_code == after.exit_code == 1
    assert before.stderr == after.stderr
    assert "bogus" in before.stderr and "invalid:" not in before.stderr
    assert len(before.stderr.splitlines()) < len(loud.stderr.splitlines())


def test_verbose_before_or_after_adds_timings(run_cli) -> None:
    for args in (("-v", "validate", str(QUICKSTART)), ("validate", str(QUICKSTART), "-v")):
        result = run_cli(*args)
        assert result.exit_code == 0
        assert re.search(r"valid: .*\(\d+\.\d\ds\)", result.stderr), args
    for args in (("-v", "render", str(QUICKSTART)), ("render", str(QUICKSTART), "-v")):
        result = run_cli(*args)
        assert result.exit_code == 0 and re.search(r"load \d+\.\d\ds", result.stderr), args
    assert run_cli("-v", "version").stdout.count("\n") > 3  # the schemas and deviations


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_or_after_shows_the_traceback(run_cli, where: str) -> None:
    args = ["validate", str(QUICKSTART), "--operator-version", "9.9"]
    assert run_cli(*args).exit_code == 2  # a usage error, no traceback
    with pytest.raises(AimctlError):
        run_cli(*(["--debug", *args] if where == "before" else [*args, "--debug"]))


def test_config_before_the_command(run_cli, write_tree, tmp_path: Path) -> None:
    tree = write_tree({"a.yaml": (QUICKSTART / "ml-team" / "services.yaml").read_text()})
    broken = tmp_path / "project.yaml"
    broken.write_text("cluster: {gpus: 3}\n")
    before = run_cli("--config", str(broken), "validate", str(tree))
    after = run_cli("validate", str(tree), "--config", str(broken))
    assert before.exit_code == after.exit_code == 1
    assert before.stderr == after.stderr and "project.yaml" in before.stderr
    both = run_cli("--config", str(broken), "validate", str(tree), "--config", "other.yaml")
    assert both.exit_code == 2 and "--config" in both.stderr


# --- completion ---------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_the_shell(run_cli, shell: str) -> None:
    result = run_cli("completion", shell)
    assert result.exit_code == 0
    assert "_AIMCTL_COMPLETE=complete_" + shell in result.stdout
    assert "aimctl" in result.stdout and result.stderr == ""


def test_completion_of_an_unknown_shell_is_a_usage_error(run_cli) -> None:
    assert run_cli("completion", "tcsh").exit_code == 2


def test_the_completion_protocol_completes_commands_options_and_values(run_cli) -> None:
    def complete(words: str) -> list[str]:
        env = {
            "_AIMCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1),
        }
        result = run_cli(env=env)
        assert result.exit_code == 0, result.stderr
        return result.stdout.split()

    assert complete("aimctl ren") == ["render"]
    assert "--phase" in complete("aimctl render --ph")
    assert complete("aimctl render --phase ") == ["storage", "serving"]
    assert complete("aimctl completion ") == ["bash", "zsh", "fish"]


@pytest.mark.parametrize(
    ("shell", "env"),
    [
        ("zsh", {}),
        ("fish", {"_TYPER_COMPLETE_FISH_ACTION": "get-args"}),
    ],
)
def test_zsh_and_fish_completion_requests_are_answered(run_cli, shell: str, env: dict) -> None:
    request = {"_AIMCTL_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": "aimctl val"}
    result = run_cli(env={**request, **env})
    assert result.exit_code == 0, result.stderr
    assert "validate" in result.stdout and "render" not in result.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_bash_script_completes_through_the_installed_command(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "aimctl"
    if not script.is_file():
        pytest.skip("the aimctl console script is not installed beside this Python")
    code = (
        "source <(aimctl completion bash); COMP_WORDS=(aimctl val); COMP_CWORD=1; "
        '_aimctl_completion aimctl; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = {**os.environ, "PATH": f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        ["bash", "--norc", "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["validate"]


# --- `-` reads stdin ----------------------------------------------------------------------


def test_render_dash_reads_the_stream_from_stdin(run_cli, stdin) -> None:
    stdin(_stream(QUICKSTART_FILES[1:]))  # every file but aimctl.yaml
    assert QUICKSTART_FILES[0].name == "aimctl.yaml"
    piped = run_cli("render", "-", "--config", str(QUICKSTART / "aimctl.yaml"))
    assert piped.exit_code == 0, piped.stderr
    assert piped.stdout == run_cli("render", str(QUICKSTART)).stdout
    items = [o for o in yaml.safe_load_all(piped.stdout) if o]
    assert {o["kind"] for o in items} >= {"InferenceService", "HTTPRoute"}
    if HAS_SHARED:
        report = load_validator().validate_objects(items, require_namespace=True)
        assert report.ok, report.format()


def test_messages_and_provenance_name_stdin_with_its_lines(run_cli, stdin) -> None:
    service = (QUICKSTART / "ml-team" / "services.yaml").read_text()
    stdin(("# a comment\n" + service.replace("spec:", "spec:\n  bogus: 1", 1)).encode())
    result = run_cli("validate", "-")
    assert result.exit_code == 1
    first_spec = 1 + service.splitlines().index("spec:") + 1
    assert f"<stdin>:{first_spec + 1}: AIMService ml-team/" in result.stderr
    assert "spec.bogus" in result.stderr

    stdin(_stream(QUICKSTART_FILES[1:]))
    trace = run_cli(
        "explain", "-", "ml-team/qwen-chat", "env.VLLM_LOG_LEVEL", "-o", "json",
        "--config", str(QUICKSTART / "aimctl.yaml"),
    )  # fmt: skip
    assert trace.exit_code == 0, trace.stderr
    import json

    (value,) = json.loads(trace.stdout)["values"]
    assert value["origin"]["file"] == "<stdin>" and value["origin"]["line"] > 1


def test_stdin_is_bounded_like_a_file(run_cli, stdin, monkeypatch: pytest.MonkeyPatch) -> None:
    import aimctl.loader

    monkeypatch.setattr(aimctl.loader, "MAX_FILE_BYTES", 1024)
    stdin(b"# padding\n" * 200)
    result = run_cli("validate", "-")
    assert result.exit_code == 1
    assert result.stderr.startswith("<stdin>:") and "MiB" in result.stderr


def test_stdin_on_a_terminal_is_a_usage_error(run_cli, stdin) -> None:
    stdin(b"", tty=True)
    result = run_cli("render", "-")
    assert result.exit_code == 2 and "terminal" in result.stderr


def test_stdin_takes_no_project_file_from_the_current_directory(run_cli, stdin, write_tree) -> None:
    services = (QUICKSTART / "ml-team" / "services.yaml").read_text()
    # a broken project file: reading it fails the command
    cwd = write_tree({"aimctl.yaml": "cluster: {gpus: 3}\n", "services.yaml": services})
    assert run_cli("validate", "services.yaml", cwd=cwd).exit_code == 1  # read beside a file
    stdin(services.encode())
    result = run_cli("validate", "-", cwd=cwd)
    assert result.exit_code == 0, result.stderr


def test_stdin_next_to_paths_and_forked_workers(tmp_path: Path) -> None:
    """A real pipe, the cluster objects on stdin and the namespace files as a path, parsed by two
    forked workers (which must see the stream the parent read)."""
    proc = subprocess.run(
        [
            sys.executable, "-m", "aimctl", "render", "-", str(QUICKSTART / "ml-team"),
            "--config", str(QUICKSTART / "aimctl.yaml"), "--jobs", "2",
        ],
        input=_stream(sorted((QUICKSTART / "platform").glob("*.yaml"))),
        capture_output=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    reference = subprocess.run(
        [sys.executable, "-m", "aimctl", "render", str(QUICKSTART)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert proc.stdout == reference.stdout
