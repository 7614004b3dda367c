"""The cluster's GPU inventory, from the project file or assumed (aimctl.md §3)."""

from __future__ import annotations

from dataclasses import dataclass

from aimctl.project import Project
from aimctl.resolve.gpu import STATIC_VRAM, normalize_gpu_model, parse_vram
from aimctl.resolve.quantity import quantity_bytes

__all__ = ["GpuInventory"]


@dataclass(frozen=True, slots=True)
class GpuInventory:
    """GPU models on the nodes with their VRAM in bytes; ``assumed`` when not declared."""

    vram: dict[str, int]
    assumed: bool

    @classmethod
    def from_project(cls, project: Project) -> GpuInventory:
        specs = project.cluster.gpu_specs()
        if specs is None:
            return cls({m: parse_vram(v) for m, v in STATIC_VRAM.items()}, assumed=True)
        vram: dict[str, int] = {}
        for spec in specs:
            model = normalize_gpu_model(spec.model)
            if spec.vram is not None:
                vram[model] = quantity_bytes(spec.vram)
            else:
                vram[model] = parse_vram(STATIC_VRAM.get(model, "0"))
        return cls(vram, assumed=False)

    def has_model(self, normalized: str) -> bool:
        return self.assumed or normalized in self.vram

    def has_any(self) -> bool:
        return self.assumed or bool(self.vram)

    def models_with_vram(self, min_vram: str | None) -> set[str]:
        """GPU models present whose VRAM is at least ``min_vram`` (a Kubernetes quantity)."""
        need = quantity_bytes(min_vram) if min_vram else 0
        return {model for model, size in self.vram.items() if size >= need}
