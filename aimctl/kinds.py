"""Kind names ``--kinds`` and ``--exclude-kinds`` accept, as kubectl does: the kind in any case,
its resource (plural) name, or its short name.

The kinds named are those aimctl can emit — the rendered kinds of ``emit.KIND_RANK``, the
ConfigMap of a custom profile and the AIM kinds (``--include-intermediates``) — and the kinds of
the pass-through objects in the inputs. Plurals follow the API server's rule for resource names
(lower case; ``-s`` after ``s`` gets ``es``, a final consonant ``y`` becomes ``ies``, anything
else gets ``s``), which every kind aimctl renders follows; short names are those of
``kubectl api-resources`` and of the CRDs (KServe ``isvc``, the AIM CRDs' ``aimsvc`` ...).
Anything else is a usage error with the nearest name as a suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["SHORT_NAMES", "emittable_kinds", "plural", "resolve_kinds"]

# kubectl's short names of the built-in kinds, KServe's and the AIM CRDs' (0.2.2).
SHORT_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "Namespace": ("ns",),
    "ResourceQuota": ("quota",),
    "LimitRange": ("limits",),
    "NetworkPolicy": ("netpol",),
    "ServiceAccount": ("sa",),
    "PersistentVolumeClaim": ("pvc",),
    "Ingress": ("ing",),
    "ConfigMap": ("cm",),
    "Service": ("svc",),
    "Deployment": ("deploy",),
    "StatefulSet": ("sts",),
    "DaemonSet": ("ds",),
    "Pod": ("po",),
    "PersistentVolume": ("pv",),
    "CronJob": ("cj",),
    "HorizontalPodAutoscaler": ("hpa",),
    "PodDisruptionBudget": ("pdb",),
    "StorageClass": ("sc",),
    "PriorityClass": ("pc",),
    "CustomResourceDefinition": ("crd", "crds"),
    "InferenceService": ("isvc",),
    "AIMArtifact": ("aimart",),
    "AIMClusterModel": ("aimclmdl",),
    "AIMClusterModelSource": ("aimclsrc",),
    "AIMClusterRuntimeConfig": ("aimclrc",),
    "AIMClusterServiceTemplate": ("aimcltpl",),
    "AIMModel": ("aimmdl",),
    "AIMRuntimeConfig": ("aimrc",),
    "AIMService": ("aimsvc",),
    "AIMServiceTemplate": ("aimtpl",),
    "AIMTemplateCache": ("aimtc",),
}

_VOWELS: Final = frozenset("aeiou")


def plural(kind: str) -> str:
    """The resource name the API server guesses for ``kind`` (``UnsafeGuessKindToResource``)."""
    name = kind.lower()
    if name.endswith("s"):
        return name + "es"
    if name.endswith("y") and len(name) > 1 and name[-2] not in _VOWELS:
        return name[:-1] + "ies"
    return name + "s" if name else name


def emittable_kinds() -> frozenset[str]:
    """Every kind aimctl itself may emit."""
    from aimctl.emit import KIND_RANK
    from aimctl.model import AIM_KINDS

    return frozenset(KIND_RANK) | frozenset(AIM_KINDS) | {"ConfigMap"}


def _aliases(kinds: Iterable[str]) -> dict[str, set[str]]:
    """Every accepted spelling (lower case) -> the kinds it names."""
    out: dict[str, set[str]] = {}
    for kind in kinds:
        for alias in (kind.lower(), plural(kind), *SHORT_NAMES.get(kind, ())):
            out.setdefault(alias, set()).add(kind)
    return out


def resolve_kinds(names: Iterable[str], present: Iterable[str]) -> tuple[frozenset[str], str]:
    """The kinds ``names`` mean among those aimctl emits and ``present`` (pass-through kinds of
    the inputs), and a message for the names that mean none (``""`` when all resolve)."""
    from aimctl.suggest import closest

    aliases = _aliases(emittable_kinds() | set(present))
    kinds: set[str] = set()
    unknown: list[str] = []
    for name in sorted(set(names)):
        found = aliases.get(name.lower())
        if found:
            kinds |= found
        else:
            unknown.append(name)
    if not unknown:
        return frozenset(kinds), ""
    hints = []
    for name in unknown:
        close = closest(name.lower(), aliases)
        hint = ""
        if close:
            hint = f" (did you mean {', '.join(sorted(aliases[close[0]]))}?)"
        hints.append(f"{name!r}{hint}")
    message = (
        f"unknown kind{'s' * (len(unknown) > 1)} {', '.join(hints)}: neither rendered by "
        "aimctl nor found in the inputs (kind names, plurals and short names are accepted)"
    )
    return frozenset(kinds), message
