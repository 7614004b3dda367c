"""Operator name rules aimctl does not render yet: the artifact check-size Job and the template
discovery Job (operator-behaviour.md §4.9, §4.10). Kept here, with the operator's vectors in
``test_naming.py``, until a child kind needs them; then they move to ``aimctl.resolve.naming``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from aimctl.resolve.naming import derived_name


def check_size_job_name(artifact: str, uid: str) -> str:
    """Artifact check-size Job: ``D([artifact, "check-size"]; [artifact UID])`` (§4.9)."""
    return derived_name([artifact, "check-size"], [uid])


def _secret_name(secret: str | Mapping[str, Any]) -> str:
    return secret if isinstance(secret, str) else str(secret.get("name") or "")


def discovery_job_name(
    template_name: str,
    model_name: str,
    image: str,
    *,
    service_account: str = "",
    env: Sequence[Mapping[str, Any]] = (),
    image_pull_secrets: Sequence[str | Mapping[str, Any]] = (),
    metric: str | None = None,
    precision: str | None = None,
    gpu_model: str | None = None,
    gpu_requests: int | None = None,
    profile_id: str = "",
    has_gpu: bool | None = None,
) -> str:
    """Discovery Job (§4.10): ``discover-<template[:45]>-<8 hex>``; the hex is the first 4 bytes of
    SHA-256 over the plain concatenation of model, image, service account, each env name+value
    (pass namespace-template env only), pull-secret names, metric, precision, and — when the
    template has a ``hardware.gpu`` block — gpu model and requests, then profileId.
    """
    text = model_name + image + service_account
    text += "".join(str(e.get("name") or "") + str(e.get("value") or "") for e in env)
    text += (
        "".join(_secret_name(s) for s in image_pull_secrets) + (metric or "") + (precision or "")
    )
    if has_gpu if has_gpu is not None else (gpu_model, gpu_requests) != (None, None):
        text += (gpu_model or "") + str(gpu_requests or 0)
    text += profile_id
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    cut = template_name.encode("utf-8", "surrogatepass")[:45].decode("utf-8", "replace")
    return f"discover-{cut}-{digest}"
