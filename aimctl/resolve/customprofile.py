"""A template's ``customProfile`` as operator 0.2.2 renders it for a service (api-currency §3.1).

Read at aim-engine ``0c8f85b`` (the customProfile PR, released in 0.2.2):
``internal/controller/utils/customprofile.go`` assembles the profile YAML, its file name, the
ConfigMap name, volume, mount and env; ``internal/aimservice/reconcile.go`` plans the ConfigMap
(step 4, after the template cache) and ``internal/aimservice/kserve.go`` adds the volume, the
read-only mount and ``AIM_ID``/``AIM_PROFILE_ID`` to the InferenceService.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aimctl.resolve.goyaml import marshal
from aimctl.resolve.naming import derived_name, go_lower

__all__ = [
    "MOUNT_BASE",
    "VOLUME_NAME",
    "CustomProfile",
    "assemble_custom_profile",
    "service_configmap_name",
]

VOLUME_NAME = "custom-profile"
MOUNT_BASE = "/workspace/aim-runtime/profiles/custom"


@dataclass(frozen=True, slots=True)
class CustomProfile:
    """What the operator derives from one template's ``customProfile``."""

    aim_id: str
    file_name: str
    text: str
    exact: bool
    """False when a value lies outside what aimctl reproduces byte for byte (see goyaml)."""

    @property
    def profile_id(self) -> str:
        """``custom/<aimId>/<file name without .yaml>`` (CustomProfileID)."""
        return f"custom/{self.aim_id}/{self.file_name.removesuffix('.yaml')}"

    @property
    def mount_path(self) -> str:
        return f"{MOUNT_BASE}/{self.aim_id}"


def service_configmap_name(service: str) -> str:
    """ServiceCustomProfileConfigMapName: D([service, "custom-profile"]; hash(service, ...))."""
    return derived_name([service, "custom-profile"], [service, "service-custom-profile"])


def assemble_custom_profile(spec: Any) -> CustomProfile | str:
    """AssembleProfileYAML for a template spec with ``customProfile``; a message on failure.

    The operator fails (and then plans neither the ConfigMap nor the InferenceService) when
    ``engineArgs`` is not a JSON object; everything else has a value, empty when unset.
    """
    custom = spec.custom_profile
    engine_args = custom.engine_args if custom.engine_args is not None else {}
    if not isinstance(engine_args, dict):
        return (
            "customProfile.engineArgs must be a mapping: the operator cannot assemble the "
            "profile and creates neither its ConfigMap nor the InferenceService"
        )
    gpu = spec.hardware.gpu if spec.hardware is not None else None
    gpu_model = (gpu.model or "") if gpu is not None else ""
    gpu_count = (gpu.requests or 0) if gpu is not None else 0
    metric = spec.metric or ""
    precision = spec.precision or ""
    document = {
        "aim_id": spec.aim_id or "",
        "model_id": spec.model_id or "",
        "metadata": {
            "engine": "vllm",
            "gpu": gpu_model,
            "gpu_count": gpu_count,
            "manual_selection_only": False,
            "metric": metric,
            "precision": precision,
            "type": spec.type or "unoptimized",
        },
        "engine_args": engine_args,
        "env_vars": dict(custom.env_vars or {}),
    }
    text, exact = marshal(document)
    file_name = f"vllm-{go_lower(gpu_model)}-{precision}-tp{gpu_count}-{metric}.yaml"
    return CustomProfile(spec.aim_id or "", file_name, text, exact)
