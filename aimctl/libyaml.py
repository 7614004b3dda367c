"""PyYAML's libyaml-backed loader, or one clear line when this PyYAML was built without libyaml.

aimctl parses with libyaml only (aimctl.md §7): the pure-Python parser is about fifteen times
slower and recurses where libyaml does not, so there is no silent fallback. PyYAML's wheels for
Linux, macOS and Windows bundle libyaml; a PyYAML built from source without it lacks
``yaml.CSafeLoader``, and aimctl then exits 1 with the message below instead of a traceback.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MISSING_LIBYAML", "CSafeLoader", "KubeYamlLoader"]

MISSING_LIBYAML = (
    "aimctl: this PyYAML was built without libyaml (yaml.CSafeLoader is missing); "
    "reinstall PyYAML from a wheel, e.g. `pip install --force-reinstall --only-binary pyyaml pyyaml`"
)

try:
    CSafeLoader = yaml.CSafeLoader
except AttributeError:
    raise SystemExit(MISSING_LIBYAML) from None


def _without_timestamps(
    resolvers: dict[Any, list[tuple[str, Any]]],
) -> dict[Any, list[tuple[str, Any]]]:
    return {
        first: [(tag, rx) for tag, rx in entries if tag != "tag:yaml.org,2002:timestamp"]
        for first, entries in resolvers.items()
    }


class KubeYamlLoader(CSafeLoader):
    """C-parsed YAML 1.1 that keeps unquoted timestamps as strings, as Kubernetes clients do.

    The one YAML set-up aimctl reads with: the input loader adds duplicate-key refusal and its
    fast paths on top; the template engine composes templates with it as is.
    """

    yaml_implicit_resolvers = _without_timestamps(CSafeLoader.yaml_implicit_resolvers)
