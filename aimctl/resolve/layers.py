"""Precedence, declared once per concern as an ordered tuple of layers (highest first).

Reordering a tuple is the only way to change who beats whom (style.md §3); the precedence tests
in ``tests/test_resolve_precedence.py`` name these tuples.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from aimctl.provenance import Scope

__all__ = [
    "ENV_LAYERS",
    "RESOURCE_LAYERS",
    "ROUTING_LAYERS",
    "RUNTIME_CONFIG_LAYERS",
    "STORAGE_CLASS_LAYERS",
    "Layer",
    "scope_of",
]


class Layer(StrEnum):
    SERVICE = "service"
    TEMPLATE = "template"
    TEMPLATE_DERIVED = "template-derived AIM_* variables"
    RUNTIME_NAMESPACE = "namespace runtime config"
    RUNTIME_CLUSTER = "cluster runtime config"
    SYSTEM_DEFAULT = "operator default"


# §3.4.2: service env > template env > template-derived AIM_* > runtime config (ns over cluster) > defaults
ENV_LAYERS: Final = (
    Layer.SERVICE,
    Layer.TEMPLATE,
    Layer.TEMPLATE_DERIVED,
    Layer.RUNTIME_NAMESPACE,
    Layer.RUNTIME_CLUSTER,
    Layer.SYSTEM_DEFAULT,
)
# §3.5: service resources > template resources > per-GPU defaults
RESOURCE_LAYERS: Final = (Layer.SERVICE, Layer.TEMPLATE, Layer.SYSTEM_DEFAULT)
# §3.1: namespace runtime config over cluster runtime config (zero values never override)
RUNTIME_CONFIG_LAYERS: Final = (Layer.RUNTIME_NAMESPACE, Layer.RUNTIME_CLUSTER)
# §3.7: the service's routing value (even false) over the merged runtime config
ROUTING_LAYERS: Final = (Layer.SERVICE, Layer.RUNTIME_NAMESPACE, Layer.RUNTIME_CLUSTER)
# §3.6: service storage class (even empty) over the merged runtime config
STORAGE_CLASS_LAYERS: Final = (Layer.SERVICE, Layer.RUNTIME_NAMESPACE, Layer.RUNTIME_CLUSTER)

_SCOPES: Final = {
    Layer.SERVICE: Scope.SERVICE,
    Layer.TEMPLATE: Scope.TEMPLATE,
    Layer.TEMPLATE_DERIVED: Scope.TEMPLATE,
    Layer.RUNTIME_NAMESPACE: Scope.NAMESPACE_RUNTIME_CONFIG,
    Layer.RUNTIME_CLUSTER: Scope.CLUSTER_RUNTIME_CONFIG,
    Layer.SYSTEM_DEFAULT: Scope.OPERATOR_DEFAULT,
}


def scope_of(layer: Layer) -> Scope:
    return _SCOPES[layer]
