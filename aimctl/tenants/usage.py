"""What a tenant's quota allows and what its rendered services would use of it.

The ResourceQuota keys come from the tenant block alone (``quota_entries``). Use is a lower bound
computed from the resolved services of the namespace:

* ``requests.<resource>`` (GPUs, CPU, memory): the sum over services of max replicas x the
  inference container's request per replica (its limit when no request is set, as Kubernetes
  defaults it), so a fully scaled-out tenant still fits;
* ``requests.storage`` and ``persistentvolumeclaims``: the model cache PVCs the render creates in
  the namespace, each counted once however many services share it.

Sidecars and rolling-update surges come on top; the messages say "at least".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from aimctl.project import DEFAULT_GPU_RESOURCE, TenantQuota
from aimctl.provenance import FieldPath
from aimctl.resolve.caching import ArtifactPlan
from aimctl.resolve.quantity import canonical_quantity, parse_quantity
from aimctl.resolve.service import ResolvedService

__all__ = [
    "QuotaEntry",
    "QuotaUse",
    "format_amount",
    "quota_entries",
    "quota_use",
    "services_by_namespace",
]

_BINARY: Final = (
    ("Ei", 2**60),
    ("Pi", 2**50),
    ("Ti", 2**40),
    ("Gi", 2**30),
    ("Mi", 2**20),
    ("Ki", 2**10),
)
_COMPUTE: Final = frozenset({"requests.cpu", "requests.memory"})


@dataclass(frozen=True, slots=True)
class QuotaEntry:
    """One ``spec.hard`` key of the tenant's ResourceQuota and where the tenant block sets it."""

    key: str
    value: str
    field: FieldPath  # inside the tenant block, e.g. ("quota", "gpus")
    unit: str  # "count", "cpu" or "bytes": how amounts of it are printed


@dataclass(frozen=True, slots=True)
class QuotaUse:
    """A quota entry with the amount the namespace's rendered objects would request."""

    entry: QuotaEntry
    used: Fraction
    contributions: tuple[tuple[str, str], ...]  # (who, amount as printed), in name order
    unrequested: tuple[str, ...]  # pods without a request for a compute key the quota limits

    @property
    def limit(self) -> Fraction:
        return parse_quantity(self.entry.value)

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    @property
    def used_text(self) -> str:
        return format_amount(self.used, self.entry.unit)


def quota_entries(quota: TenantQuota | None) -> list[QuotaEntry]:
    """Only what the tenant block sets, in a fixed key order (values in canonical form)."""
    if quota is None:
        return []
    out: list[QuotaEntry] = []
    if quota.gpus is not None:
        out.append(
            QuotaEntry(
                f"requests.{DEFAULT_GPU_RESOURCE}", str(quota.gpus), ("quota", "gpus"), "count"
            )
        )
    for name, count in sorted((quota.gpu_resources or {}).items()):
        out.append(
            QuotaEntry(f"requests.{name}", str(count), ("quota", "gpuResources", name), "count")
        )
    for key, value, field, unit in (
        ("requests.cpu", quota.cpu, "cpu", "cpu"),
        ("requests.memory", quota.memory, "memory", "bytes"),
        ("requests.storage", quota.storage, "storage", "bytes"),
    ):
        if value is not None:
            out.append(QuotaEntry(key, canonical_quantity(value), ("quota", field), unit))
    if quota.persistent_volume_claims is not None:
        out.append(
            QuotaEntry(
                "persistentvolumeclaims",
                str(quota.persistent_volume_claims),
                ("quota", "persistentVolumeClaims"),
                "count",
            )
        )
    return out


def services_by_namespace(services: Iterable[ResolvedService]) -> dict[str, list[ResolvedService]]:
    """Services grouped by namespace, each group in name order."""
    groups: dict[str, list[ResolvedService]] = defaultdict(list)
    for svc in services:
        groups[svc.namespace].append(svc)
    return {ns: sorted(group, key=lambda s: s.name) for ns, group in sorted(groups.items())}


def format_amount(value: Fraction, unit: str) -> str:
    """``96Gi``, ``500m``, ``12``: the shortest exact Kubernetes quantity for the unit."""
    if unit == "bytes" and value.denominator == 1 and value > 0:
        for suffix, size in _BINARY:
            if value % size == 0:
                return f"{value // size}{suffix}"
    if value.denominator == 1:
        return str(value.numerator)
    milli = value * 1000
    if milli.denominator == 1:
        return f"{milli.numerator}m"
    return f"{float(value):g}"


def _per_replica(svc: ResolvedService, resource: str) -> Fraction:
    for section in ("requests", "limits"):
        text = (svc.resources.get(section) or {}).get(resource)
        if text is not None:
            try:
                return parse_quantity(text)
            except (ValueError, ArithmeticError):
                return Fraction(0)
    return Fraction(0)


def _pod_use(entry: QuotaEntry, services: list[ResolvedService]) -> QuotaUse:
    resource = entry.key.removeprefix("requests.")
    used = Fraction(0)
    contributions: list[tuple[str, str]] = []
    unrequested: list[str] = []
    for svc in services:
        if svc.scaling is None:
            continue  # not resolved far enough to know its pods
        per = _per_replica(svc, resource)
        if per == 0:
            unrequested.append(f"AIMService {svc.name}")
            continue
        replicas = svc.scaling.max_replicas
        used += per * replicas
        contributions.append((svc.name, f"{replicas} x {format_amount(per, entry.unit)}"))
    if entry.key in _COMPUTE:
        jobs = {art.job_name for svc in services for art in _artifacts(svc)}
        unrequested.extend(f"Job {name}" for name in sorted(jobs))
    else:
        unrequested = []
    return QuotaUse(entry, used, tuple(contributions), tuple(unrequested))


def _artifacts(svc: ResolvedService) -> list[ArtifactPlan]:
    """The service's cache artifacts that live (with their PVC and Job) in its own namespace."""
    return [a for a in (svc.cache.artifacts if svc.cache else []) if a.namespace == svc.namespace]


def _pvc_use(entry: QuotaEntry, services: list[ResolvedService]) -> QuotaUse:
    sizes: dict[str, str] = {}
    for svc in services:
        for art in _artifacts(svc):
            sizes.setdefault(art.pvc_name, art.pvc_size)
    ordered = sorted(sizes.items())
    if entry.key == "persistentvolumeclaims":
        return QuotaUse(entry, Fraction(len(ordered)), tuple((n, "1") for n, _ in ordered), ())
    used = sum((parse_quantity(size) for _, size in ordered), Fraction(0))
    return QuotaUse(entry, used, tuple(ordered), ())


def quota_use(quota: TenantQuota | None, services: list[ResolvedService]) -> list[QuotaUse]:
    """Each quota entry with the use of ``services`` (all in the tenant's namespace)."""
    out = []
    for entry in quota_entries(quota):
        if entry.key in ("requests.storage", "persistentvolumeclaims"):
            out.append(_pvc_use(entry, services))
        else:
            out.append(_pod_use(entry, services))
    return out
