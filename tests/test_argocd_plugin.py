"""The Argo CD plugin as the CMP server runs it: plugin.yaml announces exactly the parameters
aimctl reads (aimctl/argocd.py), with the defaults it applies; values arrive as
ARGOCD_APP_PARAMETERS, PARAM_* or ARGOCD_ENV_* and give the same render; anything else is a usage
error before anything is printed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from aimctl import argocd
from aimctl.argocd import PARAMETERS, ParameterError, announced, plugin_argv
from aimctl.pipeline import PROJECT_FILE
from tests.conftest import ROOT
from tests.test_gitops import plugin_generate

PLUGIN = ROOT / "examples" / "argocd" / "plugin.yaml"
QUICKSTART = ROOT / "examples" / "quickstart"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"


def _plugin() -> dict[str, Any]:
    plugin = yaml.safe_load(PLUGIN.read_text())
    assert isinstance(plugin, dict)
    return plugin


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(QUICKSTART, app)
    return app


# ---- announced exactly as read -----------------------------------------------------------------


def test_plugin_yaml_announces_exactly_the_parameters_table() -> None:
    static = _plugin()["spec"]["parameters"]["static"]
    assert static == announced(), "run python scripts/plugin_params.py"
    assert len({p.name for p in PARAMETERS}) == len(PARAMETERS)


@pytest.mark.parametrize(
    "entry", _plugin()["spec"]["parameters"]["static"], ids=lambda e: str(e["name"])
)
def test_every_announced_parameter_is_read(entry: dict[str, Any]) -> None:
    """A parameter plugin.yaml announces but aimctl ignored would fail here: a value other than
    its default changes the render command."""
    parameter = next(p for p in PARAMETERS if p.name == entry["name"])
    value = {
        "boolean": "true",
        "integer": "2",
        "choice": parameter.choices[-1] if parameter.choices else "",
        "string": "sub",
    }[parameter.type]
    assert value != entry.get("string", "")
    base = ["render", "--", "."]
    assert plugin_argv(base, {f"PARAM_{entry['name']}": value}) != plugin_argv(base, {})


def test_a_parameter_aimctl_does_not_read_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ParameterError, match=r"AIMCTL_SYNC_WAVE \(PARAM_AIMCTL_SYNC_WAVE\).*"):
        plugin_argv(["render", "--", "."], {"PARAM_AIMCTL_SYNC_WAVE": "true"})
    with pytest.raises(ParameterError, match="did you mean AIMCTL_SYNC_WAVES"):
        plugin_argv(["render", "--", "."], {"ARGOCD_ENV_AIMCTL_SYNC_WAVE": "true"})


def test_the_plugin_defaults_are_applied() -> None:
    """AIMCTL_JOBS is 1 in the plugin (a shared repo-server is not forked into one worker per
    CPU); sync waves stay off; nothing else is added."""
    assert plugin_argv(["render", "--", "."], {}) == ["render", "--jobs=1", "--", "."]


def test_the_jobs_limit_is_the_command_lines() -> None:
    from aimctl.cli import MAX_JOBS

    assert argocd._MAX_JOBS == MAX_JOBS


# ---- the plugin as the CMP server runs it ------------------------------------------------------


def test_discovery_matches_the_project_file_render_uses() -> None:
    plugin = _plugin()
    assert plugin["spec"]["discover"] == {"fileName": f"./{PROJECT_FILE}"}
    generate = plugin["spec"]["generate"]
    assert [*generate["command"], *generate.get("args", [])][-2:] == ["--", "."]


VALUES = {"AIMCTL_KINDS": "isvc,PersistentVolumeClaims", "AIMCTL_SYNC_WAVES": "true"}


@pytest.mark.parametrize("source", ["ARGOCD_APP_PARAMETERS", "PARAM_", "ARGOCD_ENV_"])
def test_every_source_of_parameters_gives_the_same_render(app: Path, source: str) -> None:
    if source == "ARGOCD_APP_PARAMETERS":
        env = {source: json.dumps([{"name": k, "string": v} for k, v in VALUES.items()])}
    else:
        env = {source + k: v for k, v in VALUES.items()}
    result = plugin_generate(app, env)
    assert result.returncode == 0, result.stderr
    docs = _docs(result.stdout)
    assert {d["kind"] for d in docs} == {"InferenceService", "PersistentVolumeClaim"}
    waves = {d["kind"]: d["metadata"]["annotations"][SYNC_WAVE] for d in docs}
    assert waves == {"PersistentVolumeClaim": "-1", "InferenceService": "0"}


def test_announced_defaults_equal_the_behaviour(app: Path) -> None:
    """Every announced default, given explicitly, renders what no parameter renders."""
    plain = plugin_generate(app, {})
    assert plain.returncode == 0, plain.stderr
    assert SYNC_WAVE not in plain.stdout  # sync waves are off unless asked for
    defaults = [{"name": e["name"], "string": e["string"]} for e in announced() if "string" in e]
    assert {d["name"] for d in defaults} >= {"AIMCTL_SYNC_WAVES", "AIMCTL_JOBS", "AIMCTL_PATH"}
    explicit = plugin_generate(app, {"ARGOCD_APP_PARAMETERS": json.dumps(defaults)})
    assert explicit.returncode == 0, explicit.stderr
    assert explicit.stdout == plain.stdout


def test_the_parameters_tab_wins_over_the_applications_env(app: Path) -> None:
    env = {
        "ARGOCD_APP_PARAMETERS": json.dumps([{"name": "AIMCTL_KINDS", "string": "Job"}]),
        "PARAM_AIMCTL_KINDS": "Job",
        "ARGOCD_ENV_AIMCTL_KINDS": "InferenceService",
    }
    result = plugin_generate(app, env)
    assert result.returncode == 0, result.stderr
    assert {d["kind"] for d in _docs(result.stdout)} == {"Job"}


def test_aimctl_path_names_a_subdirectory_of_the_application(app: Path) -> None:
    everything = plugin_generate(app, {})
    (app / "aim").mkdir()
    for name in ("ml-team", "platform"):
        (app / name).rename(app / "aim" / name)
    result = plugin_generate(app, {"PARAM_AIMCTL_PATH": "aim"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == everything.stdout  # and the discovered project file still applies
    assert plugin_generate(app, {}).returncode == 0  # "." holds aim/ too
    missing = plugin_generate(app, {"PARAM_AIMCTL_PATH": "--help"})
    assert missing.returncode != 0 and missing.stdout == ""  # a path, never an option
    assert "--help" in missing.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ARGOCD_ENV_AIMCTL_ARGS": "--sync-waves"},
            "AIMCTL_ARGS (ARGOCD_ENV_AIMCTL_ARGS) is refused",
        ),
        ({"PARAM_AIMCTL_ARGS": "-o /tmp/x"}, "AIMCTL_ARGS (PARAM_AIMCTL_ARGS) is refused"),
        (
            {"ARGOCD_APP_PARAMETERS": '[{"name": "AIMCTL_ARGS", "string": "x"}]'},
            "AIMCTL_ARGS (ARGOCD_APP_PARAMETERS) is refused",
        ),
        ({"PARAM_AIMCTL_JOBS": "two"}, "AIMCTL_JOBS (PARAM_AIMCTL_JOBS): 'two' is not a whole"),
        ({"PARAM_AIMCTL_JOBS": "99999"}, "is not a whole number from 0 to 1024"),
        ({"PARAM_AIMCTL_SYNC_WAVES": "maybe"}, "'maybe' is not true or false"),
        ({"PARAM_AIMCTL_GITOPS": "fluxcd"}, "is not one of plain, argocd, flux"),
        ({"ARGOCD_APP_PARAMETERS": "[{"}, "ARGOCD_APP_PARAMETERS is not JSON"),
        ({"ARGOCD_APP_PARAMETERS": '{"name": "x"}'}, "is not a JSON list"),
        (
            {"ARGOCD_APP_PARAMETERS": '[{"name": "AIMCTL_KINDS", "array": ["Job"]}]'},
            "AIMCTL_KINDS (ARGOCD_APP_PARAMETERS) takes a string, not an array",
        ),
        (
            {"ARGOCD_APP_PARAMETERS": json.dumps([{"name": "AIMCTL_KINDS", "string": "Job"}] * 2)},
            "is given twice",
        ),
        (
            {"ARGOCD_APP_PARAMETERS": json.dumps([{"name": "x" * 70000}])},
            "ARGOCD_APP_PARAMETERS is larger than 65536 bytes",
        ),
        ({"PARAM_AIMCTL_KINDS": "isvcs"}, "unknown kind 'isvcs'"),
    ],
)
def test_wrong_parameters_are_usage_errors_before_anything_is_printed(
    app: Path, env: dict[str, str], message: str
) -> None:
    result = plugin_generate(app, env)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_option_on_the_command_line_wins_over_a_parameter(app: Path, run_cli: Any) -> None:
    env = {"ARGOCD_APP_NAME": "a", "PARAM_AIMCTL_KINDS": "Job"}
    result = run_cli("render", "--kinds", "isvc", "--", ".", cwd=app, env=env)
    assert result.exit_code == 0, result.stderr
    assert {d["kind"] for d in _docs(result.stdout)} == {"InferenceService"}


def test_aimctl_path_needs_the_double_dash_of_plugin_yaml(app: Path, run_cli: Any) -> None:
    env = {"ARGOCD_APP_NAME": "a", "PARAM_AIMCTL_PATH": "ml-team"}
    result = run_cli("render", ".", cwd=app, env=env)
    assert result.exit_code == 2 and result.stdout == ""
    assert "AIMCTL_PATH (PARAM_AIMCTL_PATH) applies to the paths after '--'" in result.stderr


def test_parameters_are_read_only_in_the_plugin(run_cli: Any) -> None:
    """Outside Argo CD (no build variables) the environment does not change a render."""
    plain = run_cli("render", str(QUICKSTART))
    with_env = run_cli("render", str(QUICKSTART), env={"PARAM_AIMCTL_KINDS": "Job"})
    assert with_env.exit_code == 0 and with_env.stdout == plain.stdout


def test_readme_lists_every_parameter_with_its_default_and_option() -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Use with Argo CD\n") : text.index("## Use with Flux\n")]
    rows = re.findall(r"^\| `(AIMCTL_\w+)` \| (.*?) \| (.*?) \|", section, flags=re.M)
    assert [name for name, _, _ in rows] == [p.name for p in PARAMETERS]
    for (name, default, option), parameter in zip(rows, PARAMETERS, strict=True):
        assert default == (f"`{parameter.default}`" if parameter.default else "—"), name
        expected = "the path after `--`" if parameter.option is None else f"`{parameter.option}`"
        assert option == expected, name
    assert "AIMCTL_ARGS" not in section.replace("free-form `AIMCTL_ARGS`", "")


def test_the_plugin_renders_with_the_argocd_profile_unless_told_otherwise(
    app: Path, run_cli: Any
) -> None:
    def jobs(stdout: str) -> list[dict[str, Any]]:
        return [d for d in _docs(stdout) if d["kind"] == "Job"]

    plain = run_cli("render", str(app))
    argocd_profile = run_cli("render", str(app), "--gitops", "argocd")
    assert jobs(plain.stdout) and jobs(plain.stdout) != jobs(argocd_profile.stdout)
    default = plugin_generate(app, {})
    assert default.returncode == 0, default.stderr
    assert default.stdout == argocd_profile.stdout
    assert all("ttlSecondsAfterFinished" not in j["spec"] for j in jobs(default.stdout))
    assert plugin_generate(app, {"PARAM_AIMCTL_GITOPS": "plain"}).stdout == plain.stdout
    project = app / PROJECT_FILE
    project.write_text(project.read_text() + "gitops: plain\n")
    assert plugin_generate(app, {}).stdout == run_cli("render", str(app)).stdout


EXAMPLE_APPS = [
    ROOT / "examples" / "argocd" / "application.yaml",
    ROOT / "examples" / "argocd" / "tenants" / "applicationset.yaml",
]


@pytest.mark.parametrize("path", EXAMPLE_APPS, ids=lambda p: p.name)
def test_the_example_applications_set_only_parameters_aimctl_reads(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    app = doc["spec"]["template"] if doc["kind"] == "ApplicationSet" else doc
    plugin = app["spec"]["source"]["plugin"]
    assert "env" not in plugin  # the Parameters tab, not the compatibility path
    names = [p["name"] for p in plugin["parameters"]]
    assert names and set(names) <= {p.name for p in PARAMETERS}
    annotations = app["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/compare-options"] == "ServerSideDiff=true"
    assert annotations["argocd.argoproj.io/manifest-generate-paths"] == "."


def test_the_repo_server_settings_exclude_git_and_send_only_the_generate_paths() -> None:
    cm = yaml.safe_load((ROOT / "examples" / "argocd" / "argocd-cmd-params-cm.yaml").read_text())
    assert (cm["kind"], cm["metadata"]["name"]) == ("ConfigMap", "argocd-cmd-params-cm")
    assert ".git/*" in cm["data"]["reposerver.plugin.tar.exclusions"].split(";")
    assert cm["data"]["reposerver.plugin.use.manifest.generate.paths"] == "true"
    server = int(cm["data"]["server.repo.server.timeout.seconds"])
    assert server == int(cm["data"]["controller.repo.server.timeout.seconds"])
