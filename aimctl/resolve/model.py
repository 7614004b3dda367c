"""Model resolution for one AIMService: by name, by image, or inline custom (§3.2, §4.3, §4.4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from aimctl.catalog import Catalog, Entry, entry_error
from aimctl.errors import Diagnostic, Severity
from aimctl.model import AIM_API_VERSION, AIM_KINDS
from aimctl.provenance import FieldPath
from aimctl.resolve.model_sources import sources_needing_registry
from aimctl.resolve.naming import InvalidImageReference, model_name_for_custom, model_name_for_image
from aimctl.resolve.runtime_config import env_dicts
from aimctl.suggest import did_you_mean

__all__ = ["STICKY_SCOPES", "ResolvedModel", "resolve_model"]

STICKY_SCOPES: Final = frozenset({"Namespace", "Cluster"})
"""The scopes of a ``status.resolvedModel``/``resolvedTemplate`` the operator follows."""


@dataclass(slots=True)
class ResolvedModel:
    """The model a service uses, found in the input or synthesised as the operator would create it."""

    kind: str
    name: str
    namespace: str | None
    obj: Any
    how: str
    field: FieldPath
    entry: Entry[Any] | None = None
    manifest: dict[str, Any] | None = None

    @property
    def image(self) -> str:
        return str(self.obj.spec.image)

    @property
    def state(self) -> str:
        status = self.obj.status
        return str(status.status) if status is not None and status.status else "Ready"

    @property
    def scope(self) -> str:
        return "Cluster" if self.kind == "AIMClusterModel" else "Namespace"

    def display(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


def _no_spec(service: Entry[Any], entry: Entry[Any], path: FieldPath) -> Diagnostic:
    return entry_error(
        "E_MODEL_NOT_FOUND",
        service,
        path,
        f"{entry.key} has no spec (no image), so it cannot serve (defined in {entry.file})",
    )


def _from_entry(entry: Entry[Any], how: str, path: FieldPath) -> ResolvedModel:
    return ResolvedModel(
        entry.key.kind, entry.key.name, entry.key.namespace, entry.obj, how, path, entry=entry
    )


def _sticky(catalog: Catalog, service: Entry[Any]) -> ResolvedModel | None:
    """``status.resolvedModel`` short-circuits resolution while that model exists and is Ready.

    Only a reference with scope ``Namespace`` or ``Cluster`` is followed; any other scope
    (missing, ``Unknown``) falls through to normal resolution (``tryFetchResolvedModel``).
    """
    status = service.obj.status
    ref = status.resolved_model if status is not None else None
    if ref is None or not ref.name or ref.scope not in STICKY_SCOPES:
        return None
    if ref.scope == "Cluster":
        entry = catalog.get("AIMClusterModel", None, ref.name)
    else:
        entry = catalog.get("AIMModel", ref.namespace or service.key.namespace, ref.name)
    if entry is None or entry.obj.spec is None:  # a model without a spec is never Ready
        return None
    model = _from_entry(entry, "sticky status.resolvedModel", ("status", "resolvedModel"))
    return model if model.state == "Ready" else None


def resolve_model(
    catalog: Catalog, service: Entry[Any]
) -> tuple[ResolvedModel | None, list[Diagnostic]]:
    """Find or synthesise the service's model; errors carry the operator's reasons."""
    sticky = _sticky(catalog, service)
    if sticky is not None:
        return sticky, []
    spec = service.obj.spec
    ns = service.key.namespace
    ref = spec.model
    if ref.name is not None:
        name = ref.name.strip()
        path: FieldPath = ("spec", "model", "name")
        for kind, where, how in (
            ("AIMModel", ns, "by name, namespace scope"),
            ("AIMClusterModel", None, "by name, cluster scope"),
        ):
            entry = catalog.get(kind, where, name)
            if entry is not None:
                if entry.obj.spec is None:
                    return None, [_no_spec(service, entry, path)]
                return _from_entry(entry, how, path), []
        return None, [
            entry_error(
                "E_MODEL_NOT_FOUND",
                service,
                ("spec", "model", "name"),
                f'model "{name}" not found in namespace {ns} or cluster scope (reason ModelNotFound)'
                + did_you_mean(name, catalog.names_visible("AIMModel", "AIMClusterModel", ns)),
                _registry_hint(catalog),
            )
        ]
    if ref.image is not None:
        return _by_image(catalog, service, ref.image.strip())
    if ref.custom is not None:
        return _by_custom(catalog, service, ref.custom)
    return None, [
        entry_error(
            "E_MODEL_NOT_FOUND", service, ("spec", "model"), "no model name, image or custom given"
        )
    ]


def _by_image(
    catalog: Catalog, service: Entry[Any], image: str
) -> tuple[ResolvedModel | None, list[Diagnostic]]:
    path: FieldPath = ("spec", "model", "image")
    ns = service.key.namespace
    matches = [
        e
        for e in catalog.models_with_image(image)
        if e.key.kind == "AIMClusterModel" or e.key.namespace == ns
    ]
    if len(matches) == 1:
        return _from_entry(matches[0], "by image, existing model", path), []
    if len(matches) > 1:
        listed = ", ".join(
            f"{e.key.namespace}/{e.key.name} (namespace)"
            if e.key.namespace
            else f"{e.key.name} (cluster)"
            for e in matches
        )
        return None, [
            entry_error(
                "E_MODEL_AMBIGUOUS_IMAGE",
                service,
                path,
                f"multiple models found with the same image {image!r}: {listed}",
            )
        ]
    try:
        name = model_name_for_image(image)
    except InvalidImageReference as exc:
        return None, [
            entry_error(
                "E_INVALID_IMAGE",
                service,
                path,
                f"invalid image reference {image!r}: {exc} (reason InvalidImageReference)",
            )
        ]
    spec: dict[str, Any] = {"image": image}
    _copy_service_fields(service, spec)
    spec["resources"] = {}
    labels = {"aim.eai.amd.com/origin": "auto-generated"}
    model = _synthesised(service, name, spec, labels, "by image, auto-created AIMModel", path)
    listing = sources_needing_registry(catalog, image)
    if not listing:
        return model, []
    return model, [
        Diagnostic(
            "W_MODEL_SOURCE_NEEDS_REGISTRY",
            f"image {image!r} may be listed by model source filters that need a registry "
            f"({'; '.join(listing)}); the operator would then use that AIMClusterModel instead of "
            "creating an AIMModel, which aimctl cannot know offline",
            severity=Severity.WARNING,
            file=service.file,
            doc=service.doc,
            field=path,
            resource=service.key,
            hint="write the AIMClusterModel, or give the filter the exact image with its tag",
        )
    ]


def _registry_hint(catalog: Catalog) -> str:
    """Say which model sources aimctl could not expand, when a model is not found."""
    listing = sources_needing_registry(catalog)
    if not listing:
        return ""
    return (
        "an AIMClusterModel may come from model source filters that need a registry, which "
        f"aimctl cannot list offline: {'; '.join(listing)}; write the model, or give the filter "
        "the exact image with its tag"
    )


def _copy_service_fields(service: Entry[Any], spec: dict[str, Any]) -> None:
    src = service.obj.spec
    if src.runtime_config_name:
        spec["runtimeConfigName"] = src.runtime_config_name
    if src.image_pull_secrets:
        spec["imagePullSecrets"] = [
            s.model_dump(by_alias=True, exclude_none=True) for s in src.image_pull_secrets
        ]
    if src.service_account_name:
        spec["serviceAccountName"] = src.service_account_name


def _synthesised(
    service: Entry[Any],
    name: str,
    spec: dict[str, Any],
    labels: dict[str, str],
    how: str,
    path: FieldPath,
) -> ResolvedModel:
    ns = service.key.namespace
    manifest = {
        "apiVersion": AIM_API_VERSION,
        "kind": "AIMModel",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": spec,
    }
    obj = AIM_KINDS["AIMModel"].model_validate(manifest)
    return ResolvedModel("AIMModel", name, ns, obj, how, path, manifest=manifest)


def _endpoint(env: Any) -> str:
    for item in env or []:
        if item.name == "AWS_ENDPOINT_URL":
            return str(item.value or "")
    return ""


def _source_key(source: Any) -> tuple[str, str, str]:
    return (source.model_id, source.source_uri, _endpoint(source.env))


def _by_custom(
    catalog: Catalog, service: Entry[Any], custom: Any
) -> tuple[ResolvedModel | None, list[Diagnostic]]:
    path: FieldPath = ("spec", "model", "custom")
    wanted = [_source_key(s) for s in custom.model_sources]
    for entry in catalog.models_with_image(custom.base_image):  # indexed: no scan per service
        mspec = entry.obj.spec
        if entry.key.kind != "AIMModel" or entry.key.namespace != service.key.namespace:
            continue
        if [_source_key(s) for s in (mspec.model_sources or [])] == wanted:
            return _from_entry(entry, "inline custom model, matching AIMModel", path), []
    sources = [s.model_dump(by_alias=True, exclude_none=True) for s in custom.model_sources]
    name = model_name_for_custom(custom.base_image, sources)
    spec: dict[str, Any] = {
        "image": custom.base_image,
        "modelSources": sources,
        "custom": {"hardware": custom.hardware.model_dump(by_alias=True, exclude_none=True)},
    }
    _copy_service_fields(service, spec)
    env = env_dicts(service.obj.spec.env)
    if env:
        spec["env"] = env
    spec["resources"] = {}
    labels = {
        "aim.eai.amd.com/origin": "auto-generated",
        "aim.eai.amd.com/custom-model": "true",
        "aim.eai.amd.com/service": service.key.name,
    }
    return _synthesised(
        service, name, spec, labels, "inline custom model, auto-created AIMModel", path
    ), []
