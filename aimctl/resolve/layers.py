"""Precedence, declared once per concern as an ordered tuple of layers (highest first).

Every concern that has layers — env, resources, the runtime-config merge, routing, storage class —
picks its winners with :func:`choose` (or :func:`decide`, for offers collected in the tuple's order)
driven by its ``Precedence`` below, so reordering a tuple is how who beats whom changes (style.md
§3), and the rule ``explain`` shows names the tuple. ``tests/test_layers.py`` checks the chooser;
the precedence tests (``tests/test_resolve_precedence.py``) assert each order end to end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from aimctl.provenance import Candidate, Decision

__all__ = [
    "ENV",
    "RESOURCES",
    "ROUTING",
    "RUNTIME_CONFIG",
    "STORAGE_CLASS",
    "Layer",
    "Precedence",
    "choose",
    "decide",
]


class Layer(StrEnum):
    SERVICE = "service"
    TEMPLATE = "template"
    TEMPLATE_DERIVED = "template-derived AIM_* variables"
    RUNTIME_CONFIG = "runtime config (namespace over cluster)"
    RUNTIME_NAMESPACE = "namespace runtime config"
    RUNTIME_CLUSTER = "cluster runtime config"
    SYSTEM_DEFAULT = "operator default"


@dataclass(frozen=True, slots=True)
class Precedence:
    """One concern's layers, highest first, and the rule its decisions cite.

    ``passed_over`` is the rule when a higher layer's value did not count (a zero value, which
    mergo never lets override) and a lower one won.
    """

    name: str
    layers: tuple[Layer, ...]
    note: str = ""
    passed_over: str = ""
    rule: str = field(init=False, compare=False)  # "NAME: a > b > c (note)", as explain shows it

    def __post_init__(self) -> None:
        order = " > ".join(layer.value for layer in self.layers)
        note = f" ({self.note})" if self.note else ""
        object.__setattr__(self, "rule", f"{self.name}: {order}{note}")


# §3.4.2: service env > template env > template-derived AIM_* > runtime config (ns over cluster) > defaults
ENV: Final = Precedence(
    "ENV_LAYERS",
    (
        Layer.SERVICE,
        Layer.TEMPLATE,
        Layer.TEMPLATE_DERIVED,
        Layer.RUNTIME_NAMESPACE,
        Layer.RUNTIME_CLUSTER,
        Layer.SYSTEM_DEFAULT,
    ),
)
# §3.5: service resources > template resources > per-GPU defaults, per resource name
RESOURCES: Final = Precedence(
    "RESOURCE_LAYERS", (Layer.SERVICE, Layer.TEMPLATE, Layer.SYSTEM_DEFAULT)
)
# §3.1: namespace runtime config over cluster runtime config (zero values never override)
RUNTIME_CONFIG: Final = Precedence(
    "RUNTIME_CONFIG_LAYERS",
    (Layer.RUNTIME_NAMESPACE, Layer.RUNTIME_CLUSTER),
    passed_over="a zero/false/empty namespace value never overrides the cluster value",
)
# §3.7: the service's routing value (even false) over the merged runtime config
ROUTING: Final = Precedence(
    "ROUTING_LAYERS", (Layer.SERVICE, Layer.RUNTIME_CONFIG), "the service's value wins even false"
)
# §3.6: service storage class (even empty) over the merged runtime config, else the cluster default
STORAGE_CLASS: Final = Precedence(
    "STORAGE_CLASS_LAYERS",
    (Layer.SERVICE, Layer.RUNTIME_CONFIG, Layer.SYSTEM_DEFAULT),
    "the service's value wins even empty",
)

_ANY: Final = object()


def choose(
    precedence: Precedence,
    field_name: str,
    offers: Mapping[Layer, Candidate | Decision | None],
    *,
    counts: Callable[[object], bool] | None = None,
    value: object = _ANY,
    rule: str = "",
) -> Decision | None:
    """Who wins ``field_name``: walking ``precedence.layers``, the highest layer's offer whose value
    counts, the other offers as overridden. Every value counts unless ``counts`` says otherwise (mergo: a zero value never
    overrides); when none counts, the lowest offer stays, as nothing overrode it.

    An offer may itself be a ``Decision`` (a layer merged from layers of its own, such as the
    runtime config): when it wins, its own overridden values and rule are kept. ``value``
    replaces the winner's value (a value merged across layers); ``rule`` replaces the rule.
    """
    get = offers.get
    ranked = [offer for layer in precedence.layers if (offer := get(layer)) is not None]
    return decide(precedence, field_name, ranked, counts, value, rule)


def decide(
    precedence: Precedence,
    field_name: str,
    ranked: Sequence[Candidate | Decision],
    counts: Callable[[object], bool] | None = None,
    value: object = _ANY,
    rule: str = "",
) -> Decision | None:
    """:func:`choose` for offers already in ``precedence.layers`` order (highest layer first), as
    a caller that walks the tuple collects them (the env, per name)."""
    if len(ranked) == 1:  # the common case, kept cheap
        only = ranked[0]
        if type(only) is Candidate:
            chosen = only.value if value is _ANY else value
            return Decision(field_name, chosen, only.origin, (), rule or precedence.rule)
    elif not ranked:
        return None
    rest: tuple[Candidate, ...] = ()
    pick = 0
    if len(ranked) > 1:
        if counts is not None:
            last = len(ranked) - 1
            pick = next((i for i, o in enumerate(ranked) if counts(o.value)), last)
        rest = tuple([_candidate(o) for i, o in enumerate(ranked) if i != pick])
    winner = ranked[pick]
    chosen = winner.value if value is _ANY else value
    if isinstance(winner, Decision):
        because = rule or winner.rule or precedence.rule
        return Decision(field_name, chosen, winner.winner, winner.overridden + rest, because)
    because = rule or (precedence.passed_over if pick else precedence.rule)
    return Decision(field_name, chosen, winner.origin, rest, because)


def _candidate(offer: Candidate | Decision) -> Candidate:
    return offer if isinstance(offer, Candidate) else Candidate(offer.winner, offer.value)
