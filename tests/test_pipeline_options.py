"""The render options are declared once (``aimctl/pipeline/options.py``): the render cache's key
is built from their fields, so it must keep naming each option as the records already written
name it (a renamed key would make every record miss)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from aimctl.pipeline.options import RenderOptions, RenderRequest, cache_options
from aimctl.pipeline.render import cache_settings


def test_cache_key_names_every_option_as_before() -> None:
    options = RenderOptions(
        include_intermediates=True,
        sync_waves=True,
        create_namespaces=True,
        strict=True,
        gitops="flux",
        kinds=frozenset({"Job", "HTTPRoute"}),
        exclude_kinds=frozenset({"Namespace"}),
        phase="storage",
    )
    assert cache_options(options) == {
        "includeIntermediates": True,
        "syncWaves": True,
        "createNamespaces": True,
        "strict": True,
        "gitops": "flux",
        "kinds": ["HTTPRoute", "Job"],
        "excludeKinds": ["Namespace"],
        "phase": "storage",
    }


def test_a_request_with_no_options_keys_the_defaults() -> None:
    request = RenderRequest(paths=(Path("in"),), output_dir=Path("out"))
    settings = cache_settings(request)
    assert settings is not None
    assert settings.options == {
        "namespace": "default",
        "allowEmpty": False,
        "operator": None,
        "includeIntermediates": False,
        "syncWaves": False,
        "createNamespaces": False,
        "strict": False,
        "gitops": None,
        "kinds": None,
        "excludeKinds": [],
        "phase": None,
    }
    assert settings.partial


def test_options_that_change_nothing_in_the_output_are_not_keyed() -> None:
    keyed = {f.name for f in fields(RenderOptions) if "cache" in f.metadata}
    # templates are keyed by their digest, jobs and yaml_output do not change the bytes, owner
    # (--tenant/--platform) is never cached
    unkeyed = {f.name for f in fields(RenderOptions)} - keyed
    assert unkeyed == {"templates", "jobs", "yaml_output", "owner"}


def test_tenant_and_stdin_renders_are_not_cached() -> None:
    assert cache_settings(RenderRequest(paths=(Path("in"),))) is None
    out = Path("out")
    assert cache_settings(RenderRequest(paths=(Path("in"),), output_dir=out, tenant="a")) is None
    assert cache_settings(RenderRequest(paths=(Path("-"),), output_dir=out)) is None
