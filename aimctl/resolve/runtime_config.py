"""Runtime config lookup and the cluster ⊕ namespace merge (operator-behaviour.md §2.5, §3.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aimctl.catalog import Catalog, Entry
from aimctl.errors import Diagnostic
from aimctl.model import AIMClusterRuntimeConfig, AIMRuntimeConfig
from aimctl.provenance import Candidate, Decision, FieldPath, Scope
from aimctl.resolve.envmerge import merge_env_vars
from aimctl.resolve.fields import env_dicts, origin_of, read_path
from aimctl.resolve.layers import RUNTIME_CONFIG, Layer, choose
from aimctl.resolve.quantity import parse_go_duration

__all__ = [
    "ENGINE_ARGS",
    "RuntimeConfig",
    "resolve_runtime_config",
]

ENGINE_ARGS = "AIM_ENGINE_ARGS"
_GATEWAY_FIELDS = ("group", "kind", "name", "namespace", "sectionName", "port")
_GATEWAY_SETTINGS = tuple((f, f"routing.gatewayRef.{f}") for f in _GATEWAY_FIELDS)


def _is_zero(value: Any, name: str = "") -> bool:
    """Go's zero value: mergo never lets one override (a zero duration counts too, §3.1)."""
    if name == "routing.requestTimeout" and isinstance(value, str):
        try:
            return parse_go_duration(value) == 0
        except ValueError:
            return False
    return (
        value is None or value == "" or value == 0 or value is False or value == {} or value == []
    )


@dataclass(slots=True)
class RuntimeConfig:
    """The merged runtime config one object uses, each field with its provenance."""

    name: str
    namespace_entry: Entry[AIMRuntimeConfig] | None
    cluster_entry: Entry[AIMClusterRuntimeConfig] | None
    settings: dict[str, Decision] = field(default_factory=dict)
    annotations: dict[str, Decision] = field(default_factory=dict)
    env: list[dict[str, Any]] = field(default_factory=list)
    env_sources: dict[str, list[Candidate]] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        decision = self.settings.get(name)
        return None if decision is None else decision.value

    def gateway_ref(self) -> dict[str, Any] | None:
        """The merged ``routing.gatewayRef`` without its unset fields; None when none is set."""
        ref = {name: v for name, key in _GATEWAY_SETTINGS if (v := self.value(key)) is not None}
        return ref or None

    def label_policy(self) -> tuple[bool, Sequence[str]]:
        """``labelPropagation``: whether it is enabled, and the key patterns (§6)."""
        patterns: Any = self.value("labelPropagation.match")
        return bool(self.value("labelPropagation.enabled")), patterns or ()

    @property
    def exists(self) -> bool:
        return self.namespace_entry is not None or self.cluster_entry is not None


# (logical name, field path in the spec, "deprecated top-level fallback" path)
_SCALARS: tuple[tuple[str, FieldPath, FieldPath | None], ...] = (
    (
        "storage.defaultStorageClassName",
        ("storage", "defaultStorageClassName"),
        ("defaultStorageClassName",),
    ),
    ("storage.pvcHeadroomPercent", ("storage", "pvcHeadroomPercent"), ("pvcHeadroomPercent",)),
    ("routing.enabled", ("routing", "enabled"), None),
    ("routing.pathTemplate", ("routing", "pathTemplate"), None),
    ("routing.requestTimeout", ("routing", "requestTimeout"), None),
    ("labelPropagation.enabled", ("labelPropagation", "enabled"), None),
    ("labelPropagation.match", ("labelPropagation", "match"), None),
    *((f"routing.gatewayRef.{f}", ("routing", "gatewayRef", f), None) for f in _GATEWAY_FIELDS),
)


def _layer_value(
    entry: Entry[AIMRuntimeConfig] | Entry[AIMClusterRuntimeConfig] | None,
    scope: Scope,
    path: FieldPath,
    deprecated: FieldPath | None,
) -> Candidate | None:
    """One config's value for a field, after migrating its deprecated top-level twin (§3.1 step 1)."""
    if entry is None:
        return None
    spec = entry.obj.spec
    value = read_path(spec, path)
    if value is not None:
        return Candidate(origin_of(entry, scope, ("spec", *path)), value)
    if deprecated is not None:
        old = read_path(spec, deprecated)
        if old is not None:
            return Candidate(
                origin_of(entry, scope, ("spec", *deprecated), "deprecated field migrated"), old
            )
    return None


def _merge_field(name: str, ns: Candidate | None, cl: Candidate | None) -> Decision | None:
    """mergo override: the namespace value wins only when non-zero (§3.1 table)."""
    if ns is None and cl is None:
        return None  # neither config sets it
    offers = {Layer.RUNTIME_NAMESPACE: ns, Layer.RUNTIME_CLUSTER: cl}
    return choose(RUNTIME_CONFIG, name, offers, counts=lambda value: not _is_zero(value, name))


def resolve_runtime_config(
    catalog: Catalog, namespace: str | None, name: str | None, requester: Entry[Any]
) -> tuple[RuntimeConfig, list[Diagnostic]]:
    """Find ``name`` (or ``default``) in the namespace and at cluster scope and merge them."""
    wanted = (name or "").strip() or "default"
    ns_entry = catalog.lookup(AIMRuntimeConfig, namespace, wanted) if namespace else None
    cl_entry = catalog.lookup(AIMClusterRuntimeConfig, None, wanted)
    config = RuntimeConfig(wanted, ns_entry, cl_entry)
    if ns_entry is None and cl_entry is None:
        if wanted == "default":
            return config, []
        return config, [
            Diagnostic(
                "E_RUNTIME_CONFIG_NOT_FOUND",
                f"RuntimeConfig {wanted} not found (no AIMRuntimeConfig in namespace {namespace}, "
                "no AIMClusterRuntimeConfig)",
                file=requester.file,
                doc=requester.doc,
                field=("spec", "runtimeConfigName"),
                resource=requester.key,
            )
        ]
    for logical, path, deprecated in _SCALARS:
        ns = _layer_value(ns_entry, Scope.NAMESPACE_RUNTIME_CONFIG, path, deprecated)
        cl = _layer_value(cl_entry, Scope.CLUSTER_RUNTIME_CONFIG, path, deprecated)
        decision = _merge_field(logical, ns, cl)
        if decision is not None:
            config.settings[logical] = decision
    _merge_annotations(config, ns_entry, cl_entry)
    _merge_env(config, ns_entry, cl_entry)
    return config, []


def _merge_annotations(
    config: RuntimeConfig,
    ns_entry: Entry[AIMRuntimeConfig] | None,
    cl_entry: Entry[AIMClusterRuntimeConfig] | None,
) -> None:
    """Maps merge key-wise; the namespace value wins per key, even an empty string (§3.1)."""
    for entry, scope in (
        (cl_entry, Scope.CLUSTER_RUNTIME_CONFIG),
        (ns_entry, Scope.NAMESPACE_RUNTIME_CONFIG),
    ):
        if entry is None:
            continue
        for key, value in sorted(
            (read_path(entry.obj.spec, ("routing", "annotations")) or {}).items()
        ):
            origin = origin_of(entry, scope, ("spec", "routing", "annotations", key))
            before = config.annotations.get(key)
            overridden = (Candidate(before.winner, before.value),) if before else ()
            config.annotations[key] = Decision(
                f"routing.annotations.{key}", value, origin, overridden
            )


def _merge_env(
    config: RuntimeConfig,
    ns_entry: Entry[AIMRuntimeConfig] | None,
    cl_entry: Entry[AIMClusterRuntimeConfig] | None,
) -> None:
    """Env merged by name, cluster as defaults and namespace as overrides (§3.1, §3.4.1)."""
    cl_env = env_dicts(cl_entry.obj.spec.env) if cl_entry and cl_entry.obj.spec else []
    ns_env = env_dicts(ns_entry.obj.spec.env) if ns_entry and ns_entry.obj.spec else []
    if cl_entry is not None and ns_entry is not None:
        config.env = merge_env_vars(cl_env, ns_env, frozenset({ENGINE_ARGS}))
    else:
        config.env = cl_env or ns_env
    for entry, scope, env in (
        (ns_entry, Scope.NAMESPACE_RUNTIME_CONFIG, ns_env),
        (cl_entry, Scope.CLUSTER_RUNTIME_CONFIG, cl_env),
    ):
        if entry is None:
            continue
        for i, item in enumerate(env):
            origin = origin_of(entry, scope, ("spec", "env", i))
            config.env_sources.setdefault(item["name"], []).append(Candidate(origin, item))
