"""The plugin's sidecar image and container, checked by structure (no docker here): a multi-stage
Dockerfile on an explicitly tagged base that builds a wheelhouse with the lock and installs from
it only; a .dockerignore that keeps .git, virtual environments, outputs and caches out of the
build context; a sidecar hardened like the repo-server's own container, with resources."""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from typing import Any

import yaml

from tests.conftest import ROOT

ARGOCD = ROOT / "examples" / "argocd"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in (ARGOCD / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert not pending
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _pip_commands(args: str) -> list[list[str]]:
    """Every ``pip install`` / ``pip wheel`` in a RUN line, as words."""
    commands = []
    for part in re.split(r"&&|;", args):
        words = shlex.split(part)
        if words[:1] == ["pip"] and words[1:2] in (["install"], ["wheel"]):
            commands.append(words)
    return commands


def test_the_dockerfile_is_multi_stage_on_an_explicitly_tagged_base() -> None:
    instructions = _instructions()
    args = dict(a.split("=", 1) for kind, a in instructions if kind == "ARG" and "=" in a)
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base), base
    stages = _stages()
    assert len(stages) >= 2
    assert stages[0][0][1] == "${PYTHON_IMAGE} AS wheels"
    assert stages[-1][0][1] == "${PYTHON_IMAGE}"


def test_every_install_takes_the_lock_and_the_image_installs_from_the_wheelhouse_only() -> None:
    stages = _stages()
    commands = [
        (index, words)
        for index, stage in enumerate(stages)
        for kind, args in stage
        if kind == "RUN"
        for words in _pip_commands(args)
    ]
    assert commands
    for _, words in commands:
        assert "-c" in words, words
        assert words[words.index("-c") + 1].endswith("requirements-lock.txt"), words
    final = [words for index, words in commands if index == len(stages) - 1]
    assert final, "the image stage installs aimctl"
    for words in final:
        assert "--no-index" in words and "--find-links" in words, words
        assert words[words.index("--find-links") + 1] == "/wheels"
    assert ("COPY", "--from=wheels /wheels /wheels") in stages[-1]
    assert not any(kind == "COPY" and not a.startswith("--from=") for kind, a in stages[-1])
    wheel = [w for i, w in commands if i == 0 and w[1] == "wheel"]
    assert wheel and "--wheel-dir" in wheel[0] and wheel[0][-1] == "."


def test_the_image_runs_as_argo_cds_user() -> None:
    users = [args for kind, args in _stages()[-1] if kind == "USER"]
    assert users[-1] == "999"


def _ignored(name: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(name, body):
            ignored = not negated
    return ignored


def test_dockerignore_admits_only_what_the_wheel_is_built_from() -> None:
    patterns = [
        ln.strip()
        for ln in (ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    for name in (".git", ".venv", ".ci-venv", "venv", "out", "rendered", "deploy", "tests"):
        assert _ignored(name, patterns), name
    for name in (".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist"):
        assert _ignored(name, patterns), name
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = {
        "pyproject.toml",
        "requirements-lock.txt",
        "wheelhouse",
        pyproject["project"]["readme"],
    }
    needed |= set(pyproject["project"]["license-files"])
    needed |= set(pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    needed |= set(pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"])
    for name in sorted(needed):
        assert not _ignored(name, patterns), name
    assert "**/__pycache__/" in patterns


def _sidecar() -> dict[str, Any]:
    patch = yaml.safe_load((ARGOCD / "repo-server-patch.yaml").read_text())
    (container,) = patch["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def test_the_sidecar_is_hardened_like_the_repo_server() -> None:
    container = _sidecar()
    assert container["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert container["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 999,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    # a read-only root filesystem: Argo CD unpacks the sources in the sidecar's own /tmp
    assert {"name": "cmp-tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_the_sidecar_has_requests_and_limits() -> None:
    resources = _sidecar()["resources"]
    for what in ("cpu", "memory"):
        assert resources["requests"][what] and resources["limits"][what], what
    assert resources["limits"]["memory"] == "1Gi"  # above the 10,000-service render's peak


def test_the_exec_timeout_is_set_on_the_sidecar() -> None:
    env = {e["name"]: e["value"] for e in _sidecar()["env"]}
    assert re.fullmatch(r"\d+s", env["ARGOCD_EXEC_TIMEOUT"])
