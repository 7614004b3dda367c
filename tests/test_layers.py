"""The one precedence chooser (``resolve/layers.py``): the tuple order decides who wins."""

from __future__ import annotations

from aimctl.provenance import Candidate, Decision, Origin, Scope
from aimctl.resolve.layers import (
    ENV,
    RESOURCES,
    ROUTING,
    RUNTIME_CONFIG,
    STORAGE_CLASS,
    Layer,
    Precedence,
    choose,
)

SVC = Candidate(Origin(Scope.SERVICE, rule="svc"), "from-service")
TPL = Candidate(Origin(Scope.TEMPLATE, rule="tpl"), "from-template")
NS = Layer.RUNTIME_NAMESPACE
CL = Layer.RUNTIME_CLUSTER


def _cand(scope: Scope, value: object) -> Candidate:
    return Candidate(Origin(scope, rule=str(value)), value)


def test_highest_layer_of_the_tuple_wins_whatever_the_order_of_the_offers() -> None:
    offers = {Layer.TEMPLATE: TPL, Layer.SERVICE: SVC}
    decision = choose(RESOURCES, "resources.requests.cpu", offers)
    assert decision is not None
    assert (decision.value, decision.winner, decision.overridden) == (
        "from-service",
        SVC.origin,
        (TPL,),
    )
    assert decision.rule == RESOURCES.rule


def test_reordering_the_tuple_reverses_who_wins() -> None:
    reversed_order = Precedence("TEST", (Layer.TEMPLATE, Layer.SERVICE))
    decision = choose(reversed_order, "x", {Layer.SERVICE: SVC, Layer.TEMPLATE: TPL})
    assert decision is not None and decision.value == "from-template"


def test_no_offer_decides_nothing() -> None:
    assert choose(ENV, "env.A", {Layer.SERVICE: None}) is None


def test_zero_namespace_value_is_passed_over_for_the_cluster_value() -> None:
    ns, cl = _cand(Scope.NAMESPACE_RUNTIME_CONFIG, False), _cand(Scope.CLUSTER_RUNTIME_CONFIG, True)
    decision = choose(RUNTIME_CONFIG, "routing.enabled", {NS: ns, CL: cl}, counts=bool)
    assert decision is not None
    assert (decision.value, decision.overridden) == (True, (ns,))
    assert decision.rule == RUNTIME_CONFIG.passed_over


def test_when_no_value_counts_the_lowest_layer_stays() -> None:
    ns, cl = _cand(Scope.NAMESPACE_RUNTIME_CONFIG, ""), _cand(Scope.CLUSTER_RUNTIME_CONFIG, "")
    decision = choose(RUNTIME_CONFIG, "x", {NS: ns, CL: cl}, counts=bool)
    assert decision is not None and decision.winner == cl.origin
    alone = choose(RUNTIME_CONFIG, "x", {NS: ns}, counts=bool)
    assert alone is not None and alone.winner == ns.origin


def test_service_value_counts_even_false_over_the_merged_runtime_config() -> None:
    merged = Decision("routing.enabled", True, Origin(Scope.CLUSTER_RUNTIME_CONFIG), (), "merge")
    written = _cand(Scope.SERVICE, False)
    offers = {Layer.SERVICE: written, Layer.RUNTIME_CONFIG: merged}
    decision = choose(ROUTING, "route.enabled", offers)
    assert decision is not None
    assert decision.value is False
    assert decision.overridden == (Candidate(merged.winner, True),)


def test_a_merged_layer_that_wins_keeps_its_own_overridden_values_and_rule() -> None:
    loser = _cand(Scope.NAMESPACE_RUNTIME_CONFIG, "")
    merged = Decision("s", "fast", Origin(Scope.CLUSTER_RUNTIME_CONFIG), (loser,), "merge rule")
    default = _cand(Scope.OPERATOR_DEFAULT, "")
    offers = {Layer.SYSTEM_DEFAULT: default, Layer.RUNTIME_CONFIG: merged}
    decision = choose(STORAGE_CLASS, "cache.storageClassName", offers)
    assert decision is not None
    assert (decision.field, decision.value, decision.rule) == (
        "cache.storageClassName",
        "fast",
        "merge rule",
    )
    assert decision.overridden == (loser, default)


def test_value_and_rule_can_be_given_for_a_value_merged_across_layers() -> None:
    offers = {Layer.SERVICE: SVC, Layer.TEMPLATE: TPL}
    decision = choose(ENV, "env.A", offers, value="merged", rule="deep merge")
    assert decision is not None
    assert (decision.value, decision.winner, decision.rule) == ("merged", SVC.origin, "deep merge")


def test_rule_names_the_tuple_in_order() -> None:
    assert ENV.rule.startswith("ENV_LAYERS: service > template > ")
