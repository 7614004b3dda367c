"""AIMClusterModels an AIMClusterModelSource creates without asking a registry (§4.12).

``FetchFilter`` (aimclustermodelsource/registry.go) turns a filter that names one exact image — a
tag and no wildcard — into that image without contacting the registry; every other filter lists a
registry, which aimctl cannot do offline. ``buildClusterModel``/``generateModelName`` (builder.go)
then name the model and give it the image. The models join the catalog before resolution, so
services can use them by name like any written AIMClusterModel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from aimctl.catalog import Catalog, Entry
from aimctl.errors import Diagnostic, Severity
from aimctl.model import (
    AIM_API_VERSION,
    AIM_KINDS,
    AIMClusterModelSource,
    AIMClusterModelSourceSpec,
)
from aimctl.provenance import ResourceKey
from aimctl.resolve.labels import propagate_labels
from aimctl.resolve.naming import cluster_model_name

__all__ = [
    "ImageFilter",
    "add_source_models",
    "parse_image_filter",
    "registry_filters",
    "sources_needing_registry",
]

DOCKER_REGISTRY: Final = "docker.io"
_DOCKER_HOSTS: Final = frozenset({DOCKER_REGISTRY, "index.docker.io"})
_TAG: Final = re.compile(r"[\w][\w.-]{0,127}")
_REPOSITORY_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-./")
MANAGED_BY: Final = "aim-cluster-model-source-controller"
NAME_LABEL: Final = "aim.eai.amd.com/cluster-model-source.name"


@dataclass(frozen=True, slots=True)
class ImageFilter:
    """``parseImageFilter``: registry ("" when none or Docker Hub), repository, tag, wildcard."""

    registry: str
    repository: str
    tag: str
    wildcard: bool

    @property
    def static(self) -> bool:
        """An exact image: the operator needs no registry for it."""
        return bool(self.tag) and not self.wildcard


def _parse_reference(text: str) -> tuple[str, str, str] | None:
    """go-containerregistry ``name.ParseReference`` as a tag reference (weak validation):
    (registry, repository, tag); ``None`` when it is not a valid tag reference."""
    if "@" in text:
        return None  # a digest reference: no tag
    base, tag = text, "latest"
    head, sep, tail = text.rpartition(":")
    if sep and "/" not in tail:
        base, tag = head, tail
    if not _TAG.fullmatch(tag):
        return None
    first, slash, rest = base.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = "index.docker.io", base
    if registry in _DOCKER_HOSTS and "/" not in repository:
        repository = "library/" + repository
    if len(repository) < 2 or not set(repository) <= _REPOSITORY_CHARS:
        return None
    return registry, repository, tag


def parse_image_filter(image: str) -> ImageFilter:
    """``parseImageFilter``: a wildcard pattern keeps a leading ``host.name/`` as its registry; an
    exact reference is parsed as an image (Docker Hub counts as no registry; single names get
    ``library/``); its tag counts only when the filter contains ``:``."""
    if "*" in image:
        first, slash, rest = image.partition("/")
        if slash and first and "." in first:
            return ImageFilter(first, rest, "", True)
        return ImageFilter("", image, "", True)
    parsed = _parse_reference(image)
    if parsed is None:
        return ImageFilter("", image, "", False)
    registry, repository, tag = parsed
    return ImageFilter(
        "" if registry in _DOCKER_HOSTS else registry,
        repository,
        tag if ":" in image else "",
        False,
    )


def _image_uri(registry: str, repository: str, tag: str) -> str:
    """``RegistryImage.ToImageURI``: Docker Hub images carry no registry prefix."""
    if registry in ("", DOCKER_REGISTRY):
        return f"{repository}:{tag}"
    return f"{registry}/{repository}:{tag}"


def registry_filters(entry: Entry[AIMClusterModelSource]) -> list[str]:
    """The filters of a model source that need a registry listing (wildcards or no tag)."""
    spec = entry.obj.spec
    if spec is None:
        return []
    return [f.image for f in spec.filters if not parse_image_filter(f.image).static]


def _model(
    entry: Entry[AIMClusterModelSource],
    spec: AIMClusterModelSourceSpec,
    registry: str,
    repository: str,
    tag: str,
) -> dict[str, Any]:
    source = entry.key.name
    labels = propagate_labels(
        entry.obj.metadata.labels or {},
        {"aim.eai.amd.com/model-source": source, "aim.eai.amd.com/origin": "auto-generated"},
        False,
        (),
    )
    labels.setdefault("app.kubernetes.io/managed-by", MANAGED_BY)
    labels.setdefault(NAME_LABEL, source)
    body: dict[str, Any] = {"image": _image_uri(registry, repository, tag)}
    if spec.image_pull_secrets:
        body["imagePullSecrets"] = [
            s.model_dump(by_alias=True, exclude_none=True) for s in spec.image_pull_secrets
        ]
    return {
        "apiVersion": AIM_API_VERSION,
        "kind": "AIMClusterModel",
        "metadata": {
            "name": cluster_model_name(registry, repository, tag),
            "labels": dict(sorted(labels.items())),
            "annotations": {
                "aim.eai.amd.com/source-registry": registry,
                "aim.eai.amd.com/source-repository": repository,
                "aim.eai.amd.com/source-tag": tag,
            },
        },
        "spec": body,
    }


def _static_models(entry: Entry[AIMClusterModelSource]) -> Iterable[dict[str, Any]]:
    """The models of the source's exact-image filters, in filter order, at most ``maxModels``."""
    spec = entry.obj.spec
    if spec is None:
        return
    seen: set[str] = set()
    for flt in spec.filters:
        parsed = parse_image_filter(flt.image)
        if not parsed.static or parsed.repository in (flt.exclude or ()):
            continue
        registry = parsed.registry or spec.registry or DOCKER_REGISTRY
        manifest = _model(entry, spec, registry, parsed.repository, parsed.tag)
        if manifest["spec"]["image"] in seen:
            continue
        if len(seen) >= spec.max_models:
            return
        seen.add(manifest["spec"]["image"])
        yield manifest


def add_source_models(catalog: Catalog) -> list[Diagnostic]:
    """Add the AIMClusterModels the catalog's model sources create without a registry to the
    catalog (kept in ``catalog.derived`` too, for ``--include-intermediates``). A model of that
    name already in the input wins (the source is append-only and skips existing images)."""
    problems: list[Diagnostic] = []
    model_class: Any = AIM_KINDS["AIMClusterModel"]
    for entry in catalog.entries(AIMClusterModelSource):
        if entry.obj.spec is None:
            continue
        for manifest in _static_models(entry):
            key = ResourceKey("AIMClusterModel", None, manifest["metadata"]["name"])
            existing = catalog.by_key.get(key)
            if existing is not None:
                if (
                    existing.obj.spec is not None
                    and existing.obj.spec.image != manifest["spec"]["image"]
                ):
                    problems.append(
                        Diagnostic(
                            "W_MODEL_SOURCE_NAME_TAKEN",
                            f"AIMClusterModelSource {entry.key.name} would create {key} for image "
                            f"{manifest['spec']['image']}, but the input already has it with "
                            f"image {existing.obj.spec.image}",
                            severity=Severity.WARNING,
                            file=entry.file,
                            doc=entry.doc,
                            resource=entry.key,
                        )
                    )
                continue
            derived = Entry(
                key, model_class.model_validate(manifest), entry.file, entry.doc, manifest
            )
            catalog.add(derived)
            catalog.derived.append(derived)
    return problems


def _wildcard(pattern: str, text: str) -> bool:
    """``matchesWildcard``: ``*`` matches any run of characters, everything else literally."""
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), text) is not None


def sources_needing_registry(catalog: Catalog, image: str | None = None) -> list[str]:
    """Model sources with filters only a registry listing can expand, as ``name (filters)``;
    with ``image``, only the filters that could list that image (registry and repository match;
    version constraints are not checked)."""
    parsed_image = _parse_reference(image) if image is not None else None
    if image is not None and parsed_image is None:
        return []
    found = []
    for entry in catalog.entries(AIMClusterModelSource):
        spec = entry.obj.spec
        if spec is None:
            continue
        hits = []
        for text in registry_filters(entry):
            if parsed_image is not None:
                flt = parse_image_filter(text)
                registry = flt.registry or spec.registry or DOCKER_REGISTRY
                same = registry == parsed_image[0] or {registry, parsed_image[0]} <= _DOCKER_HOSTS
                if not (same and _wildcard(flt.repository, parsed_image[1])):
                    continue
            hits.append(text)
        if hits:
            found.append(f"{entry.key.name} ({', '.join(hits)})")
    return found
