"""The cluster's GPU inventory, from the project file or assumed (aimctl.md §3)."""

from __future__ import annotations

from dataclasses import dataclass

from aimctl.errors import Diagnostic, Severity
from aimctl.project import Project
from aimctl.resolve.gpu import STATIC_VRAM, normalize_gpu_model, parse_vram
from aimctl.resolve.quantity import quantity_bytes
from aimctl.suggest import did_you_mean

__all__ = ["GpuInventory", "unknown_gpu_warnings"]


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


def unknown_gpu_warnings(project: Project, file: str | None) -> list[Diagnostic]:
    """A warning for each GPU in ``cluster.gpus`` that is no AMD model aimctl knows and has no
    ``vram``: its VRAM counts as 0, and templates naming the real model are not selectable."""
    out: list[Diagnostic] = []
    for index, gpu in enumerate(project.cluster.gpus or []):
        written = gpu if isinstance(gpu, str) else gpu.model
        if not isinstance(gpu, str) and gpu.vram is not None:
            continue
        if normalize_gpu_model(written) in STATIC_VRAM:
            continue
        path: tuple[str | int, ...] = ("cluster", "gpus", index)
        out.append(
            Diagnostic(
                "W_UNKNOWN_GPU",
                f"GPU {written!r} is not a GPU model aimctl knows"
                + did_you_mean(normalize_gpu_model(written), STATIC_VRAM, cutoff=0.8).rstrip("?")
                + f"; if the name is right, write it with its VRAM: {{model: {written}, vram: ...}}",
                Severity.WARNING,
                file=file,
                doc=0,
                field=path if isinstance(gpu, str) else (*path, "model"),
            )
        )
    return out
