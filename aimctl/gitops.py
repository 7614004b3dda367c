"""Output profiles per GitOps engine (``render --gitops``, ``gitops:`` in ``aimctl.yaml``).

The operator creates a cache PVC once and never updates it, and runs a download Job once per
artifact (``ttlSecondsAfterFinished: 600`` then removes it; the operator does not create it
again). A GitOps engine keeps re-applying what is in git instead, so the operator's objects,
kept for months, break on day 2: the TTL controller deletes the finished Job and the engine
creates it again (the download runs forever); an env edit changes the pod template of a Job that
keeps its name (``spec.template`` is immutable, the apply fails); a lower ``pvcHeadroomPercent``
shrinks a PVC that keeps its name (the API server refuses it). Each profile changes only the
download Jobs and cache PVCs aimctl renders, with the mechanism the engine documents:

* ``plain`` (default): the operator's objects, unchanged.
* ``argocd``: Jobs lose ``ttlSecondsAfterFinished`` and get a name that also hashes their
  ``spec``, so a changed pod template is a new Job (the old one is pruned) and an unchanged one is
  left alone; Argo CD's own recreate option (``Force=true,Replace=true``) would re-run every download
  on every sync. PVCs get ``argocd.argoproj.io/sync-options: Delete=false,RespectIgnoreDifferences=true``:
  kept when the Application is deleted, and, with the Application's ``ignoreDifferences`` on
  ``/spec/resources/requests/storage`` (``examples/argocd/application.yaml``), created with the
  rendered size and never resized.
* ``flux``: Jobs lose ``ttlSecondsAfterFinished`` and get ``kustomize.toolkit.fluxcd.io/force:
  Enabled`` (recreated when an immutable field changes); PVCs get
  ``kustomize.toolkit.fluxcd.io/ssa: IfNotPresent`` (created once, never updated).
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "ARGOCD_PVC_SYNC_OPTIONS",
    "ARGOCD_SYNC_OPTIONS",
    "FLUX_FORCE",
    "FLUX_SSA",
    "PROFILED_TEMPLATES",
    "GitOps",
    "apply_profile",
    "profiled_job_name",
]


class GitOps(StrEnum):
    plain = "plain"
    argocd = "argocd"
    flux = "flux"


ARGOCD_SYNC_OPTIONS: Final = "argocd.argoproj.io/sync-options"
ARGOCD_PVC_SYNC_OPTIONS: Final = "Delete=false,RespectIgnoreDifferences=true"
FLUX_FORCE: Final = "kustomize.toolkit.fluxcd.io/force"
FLUX_SSA: Final = "kustomize.toolkit.fluxcd.io/ssa"

_MAX_NAME: Final = 63  # a Job name is also the value of its pods' job-name label
_HASH_LEN: Final = 8

# the templates whose objects a profile changes (render/children.py)
PROFILED_TEMPLATES: Final = frozenset({"download-job", "persistentvolumeclaim"})


def profiled_job_name(name: str, spec: dict[str, Any]) -> str:
    """``<name>-<8 hex>``: SHA-256 over the operator's name and the Job's ``spec`` (canonical
    JSON), cut to 63 characters; a different pod template gives a different name."""
    canonical = json.dumps(
        {"name": name, "spec": spec}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:_HASH_LEN]
    base = name[: _MAX_NAME - _HASH_LEN - 1].rstrip("-.")
    return f"{base}-{digest}"


def _annotated(meta: dict[str, Any], key: str, value: str) -> dict[str, Any]:
    annotations = dict(meta.get("annotations") or {})
    annotations[key] = value
    return {**meta, "annotations": dict(sorted(annotations.items()))}


def _job(obj: dict[str, Any], profile: GitOps) -> dict[str, Any]:
    spec = {k: v for k, v in (obj.get("spec") or {}).items() if k != "ttlSecondsAfterFinished"}
    meta = dict(obj.get("metadata") or {})
    if profile is GitOps.argocd:
        meta["name"] = profiled_job_name(str(meta.get("name") or ""), spec)
    else:
        meta = _annotated(meta, FLUX_FORCE, "Enabled")
    return {**obj, "metadata": meta, "spec": spec}


def _pvc(obj: dict[str, Any], profile: GitOps) -> dict[str, Any]:
    meta = dict(obj.get("metadata") or {})
    if profile is GitOps.argocd:
        meta = _annotated(meta, ARGOCD_SYNC_OPTIONS, ARGOCD_PVC_SYNC_OPTIONS)
    else:
        meta = _annotated(meta, FLUX_SSA, "IfNotPresent")
    return {**obj, "metadata": meta}


def apply_profile(obj: dict[str, Any], profile: GitOps) -> dict[str, Any]:
    """A download Job or cache PVC as ``profile`` keeps it safe (a new dict; ``obj`` is not
    changed). Other kinds, and every object under ``plain``, come back as they are."""
    if profile is GitOps.plain:
        return obj
    kind = obj.get("kind")
    if kind == "Job":
        return _job(obj, profile)
    if kind == "PersistentVolumeClaim":
        return _pvc(obj, profile)
    return obj
