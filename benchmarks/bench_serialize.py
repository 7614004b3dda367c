"""Serializer throughput on InferenceService-sized objects (56 lines of YAML each).

    python benchmarks/bench_serialize.py [COUNT]      # default 10,000 objects

Prints the best and median wall time and the best CPU time of 5 runs for ``dump_yaml`` per object (the ``-o DIR`` path),
``emit.stream_text`` over all objects (the stdout path), ``json.dumps`` as the serialisation
floor, and PyYAML's C dumper on the first 1,000 objects for comparison. Names, namespaces and
one env value differ per object, so the string cache sees a realistic mix of hits and misses.
Not a test: no assertions.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aimctl.emit import stream_text
from aimctl.serialize import dump_yaml


def inference_service(i: int) -> dict[str, Any]:
    name = f"qwen-chat-{i:05d}-a04542d9"
    namespace = f"team-{i // 10:04d}"
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/managed-by": "aimctl",
                "app.kubernetes.io/name": name,
                "aim.eai.amd.com/service": f"qwen-chat-{i:05d}",
                "aim.eai.amd.com/template.precision": "fp8",
            },
            "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"},
        },
        "spec": {
            "predictor": {
                "minReplicas": 1,
                "maxReplicas": 3,
                "serviceAccountName": "aim-runtime",
                "containers": [
                    {
                        "name": "kserve-container",
                        "image": "docker.io/amdenterpriseai/aim-qwen-qwen3-32b:0.8.4",
                        "args": ["--port=8000", "--served-model-name", name],
                        "env": [
                            {"name": "AIM_PRECISION", "value": "fp8"},
                            {"name": "AIM_GPU_COUNT", "value": "1"},
                            {"name": "AIM_ENGINE_ARGS", "value": json.dumps({"max-len": i})},
                            {"name": "VLLM_USE_V1", "value": "on"},
                        ],
                        "ports": [{"containerPort": 8000, "name": "http", "protocol": "TCP"}],
                        "resources": {
                            "limits": {"amd.com/gpu": 1, "cpu": "8", "memory": "64Gi"},
                            "requests": {"amd.com/gpu": 1, "cpu": "4", "memory": "32Gi"},
                        },
                        "volumeMounts": [{"mountPath": "/dev/shm", "name": "dshm"}],
                    }
                ],
                "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}],
                "nodeSelector": {"amd.com/gpu.product-name": "AMD_Instinct_MI300X_OAM"},
            }
        },
    }


def measure(label: str, run: Callable[[], object], repeat: int = 5) -> None:
    """Wall and CPU time (CPU time is the steadier number on a busy machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        f"{label:<44} wall best {min(wall) * 1000:5.0f} ms, median "
        f"{statistics.median(wall) * 1000:5.0f} ms; cpu best {min(cpu) * 1000:5.0f} ms"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    objects = [inference_service(i) for i in range(count)]
    text = stream_text(objects)
    lines = text.count("\n") - count
    print(
        f"{count} objects, {lines / count:.0f} lines each, {len(text.encode()) / 1e6:.1f} MB of YAML"
    )
    measure("dump_yaml, one call per object", lambda: [dump_yaml(o) for o in objects])
    measure("stream_text, all objects", lambda: stream_text(objects))
    measure("json.dumps (C encoder), one call per object", lambda: [json.dumps(o) for o in objects])
    try:
        import yaml

        dumper = yaml.CSafeDumper
    except (ImportError, AttributeError):
        return
    sample = objects[:1000]
    measure(
        f"PyYAML CSafeDumper, first {len(sample)} objects",
        lambda: [yaml.dump(o, Dumper=dumper, sort_keys=False) for o in sample],
        repeat=3,
    )


if __name__ == "__main__":
    main()
