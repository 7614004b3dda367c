"""Which runtime config a service uses (§2.5), end to end through the CLI.

Operator behaviour as operator-behaviour.md states it; builders and runners in ``tests/resolve_kit.py``.
"""

from __future__ import annotations

from tests.resolve_kit import (
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    env_map,
    located,
    render,
    runtime_config,
    service,
    the_error,
    tree,
)

# --- runtime config lookup (§2.5) ----------------------------------------------------------------------


def test_missing_named_runtime_config_is_an_error_at_the_name(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [*base(), runtime_config(cluster=True)],
            "svc.yaml": [service(runtimeConfigName="gold")],
        },
    )
    error = the_error(run_cli, root, "E_RUNTIME_CONFIG_NOT_FOUND")
    located(error, root, "svc.yaml", "runtimeConfigName: gold")
    assert "RuntimeConfig gold not found" in error["message"]


def test_named_runtime_config_found_in_the_namespace_only(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config("gold", env=[{"name": "TIER", "value": "gold"}]),
        service(runtimeConfigName="gold"),
    )
    assert env_map(render(run_cli, root))["TIER"] == "gold"
