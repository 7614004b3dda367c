"""The derived AIMServiceTemplate a service with ``spec.overrides`` creates (§4.5)."""

from __future__ import annotations

from typing import Any

from aimctl.catalog import Entry
from aimctl.model import AIM_API_VERSION, AIMService
from aimctl.resolve.fields import service_spec
from aimctl.resolve.naming import derived_template_name
from aimctl.resolve.templates import TemplateView

__all__ = ["derived_template"]


def derived_template(
    service: Entry[AIMService],
    template: TemplateView,
    model_name: str,
    caching_mode: str,
    labels: dict[str, str],
) -> dict[str, Any] | None:
    """The derived template manifest, or None when the operator plans none.

    Planned when the service has ``overrides``, the resolved template is a Ready *namespace*
    template and is not itself derived. ``labels`` are the builder labels after propagation.
    """
    spec = service_spec(service)
    overrides = spec.overrides
    if overrides is None or template.kind != "AIMServiceTemplate" or template.state != "Ready":
        return None
    if template.labels.get("aim.eai.amd.com/origin") == "derived":
        return None
    gpu = overrides.hardware.gpu if overrides.hardware else None
    name = derived_template_name(
        template.name,
        gpu.model if gpu is not None and gpu.model else None,
        gpu.requests if gpu is not None and (gpu.requests or 0) > 0 else None,
        overrides.precision or None,
        overrides.metric or None,
    )
    body: dict[str, Any] = template.spec.model_dump(by_alias=True, exclude_none=True)
    body["modelName"] = body.get("modelName") or model_name
    body["runtimeConfigName"] = (
        (spec.runtime_config_name or "").strip() or body.get("runtimeConfigName") or "default"
    )
    if overrides.metric:
        body["metric"] = overrides.metric
    if overrides.precision:
        body["precision"] = overrides.precision
    if overrides.hardware is not None:
        body["hardware"] = overrides.hardware.model_dump(by_alias=True, exclude_none=True)
    if spec.image_pull_secrets:
        body["imagePullSecrets"] = [
            s.model_dump(by_alias=True, exclude_none=True) for s in spec.image_pull_secrets
        ]
    if spec.resources is not None:
        body["resources"] = spec.resources.model_dump(by_alias=True, exclude_none=True)
    if caching_mode == "Shared":
        body["caching"] = {"enabled": True}
    return {
        "apiVersion": AIM_API_VERSION,
        "kind": "AIMServiceTemplate",
        "metadata": {"name": name, "namespace": template.namespace, "labels": labels},
        "spec": body,
    }
