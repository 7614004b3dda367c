"""Validate loaded documents into a frozen, indexed catalog of AIM objects.

The input tree *is* the cluster (aimctl.md §3): every lookup the operator would make against the API
server is answered from here, through indexes built once (no scans per service).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from aimctl.errors import Diagnostic, Severity
from aimctl.k8snames import DNS_LABEL, DNS_SUBDOMAIN
from aimctl.loader import LoadedDocument
from aimctl.model import (
    AIM_API_VERSION,
    AIM_API_VERSION_V1ALPHA2,
    AIM_GROUP,
    AIM_KINDS,
    AIM_V1ALPHA2_KINDS,
    CLUSTER_SCOPED_KINDS,
    CLUSTER_SCOPED_V1ALPHA2_KINDS,
    PIPELINE_ANNOTATION,
    AimDocument,
    AIMService,
    select_pipeline,
)
from aimctl.model.currency import UNSUPPORTED_KINDS, later_field
from aimctl.provenance import FieldPath, ResourceKey, slot_init
from aimctl.suggest import did_you_mean

__all__ = [
    "Catalog",
    "Entry",
    "build_catalog",
    "check_env_literals",
    "check_not_rendered",
    "check_references",
    "entry_error",
    "env_lists",
    "field_or_none",
    "profile_pipeline_refusals",
    "qualified_name_problem",
    "validation_diagnostics",
]

T = TypeVar("T")
Doc = TypeVar("Doc", bound=AimDocument)

_SECRET_HINT = (
    "reference secrets instead (env valueFrom.secretKeyRef, imagePullSecrets) or use a "
    "SealedSecret/ExternalSecret kind"
)
# Cluster-scoped kinds by API group: every built-in one (Kubernetes 1.34) and those of KServe,
# Gateway API and KEDA. The scope is decided by group *and* kind, so a CRD that happens to share a
# kind name keeps its own scope; every other pass-through kind is treated as namespaced.
_CLUSTER_SCOPED: Final[dict[str, frozenset[str]]] = {
    group: frozenset(kinds.split())
    for group, kinds in {
        "": "Namespace Node PersistentVolume ComponentStatus",
        "rbac.authorization.k8s.io": "ClusterRole ClusterRoleBinding",
        "apiextensions.k8s.io": "CustomResourceDefinition",
        "apiregistration.k8s.io": "APIService",
        "admissionregistration.k8s.io": "ValidatingWebhookConfiguration "
        "MutatingWebhookConfiguration ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding "
        "MutatingAdmissionPolicy MutatingAdmissionPolicyBinding",
        "storage.k8s.io": "StorageClass CSIDriver CSINode VolumeAttachment VolumeAttributesClass",
        "scheduling.k8s.io": "PriorityClass",
        "node.k8s.io": "RuntimeClass",
        "networking.k8s.io": "IngressClass IPAddress ServiceCIDR",
        "certificates.k8s.io": "CertificateSigningRequest ClusterTrustBundle",
        "flowcontrol.apiserver.k8s.io": "FlowSchema PriorityLevelConfiguration",
        "resource.k8s.io": "DeviceClass ResourceSlice",
        "authentication.k8s.io": "TokenReview SelfSubjectReview",
        "authorization.k8s.io": "SubjectAccessReview SelfSubjectAccessReview "
        "SelfSubjectRulesReview",
        "internal.apiserver.k8s.io": "StorageVersion",
        "storagemigration.k8s.io": "StorageVersionMigration",
        "gateway.networking.k8s.io": "GatewayClass",
        "keda.sh": "ClusterTriggerAuthentication",
        "serving.kserve.io": "ClusterServingRuntime ClusterStorageContainer ClusterLocalModel",
    }.items()
}


# Namespaced kinds by API group, likewise: every built-in one and those of KServe, Gateway API and
# KEDA. A kind in neither table is unknown: it keeps the namespace it is written with, and without
# one it is emitted as written, under ``_cluster/`` (aimctl.md §9), never given ``--namespace``.
_NAMESPACED: Final[dict[str, frozenset[str]]] = {
    group: frozenset(kinds.split())
    for group, kinds in {
        "": "Pod PodTemplate ReplicationController Service ServiceAccount Endpoints ConfigMap "
        "Secret LimitRange ResourceQuota PersistentVolumeClaim Event Binding",
        "apps": "Deployment StatefulSet DaemonSet ReplicaSet ControllerRevision",
        "batch": "Job CronJob",
        "autoscaling": "HorizontalPodAutoscaler",
        "policy": "PodDisruptionBudget",
        "networking.k8s.io": "NetworkPolicy Ingress",
        "rbac.authorization.k8s.io": "Role RoleBinding",
        "coordination.k8s.io": "Lease LeaseCandidate",
        "discovery.k8s.io": "EndpointSlice",
        "events.k8s.io": "Event",
        "storage.k8s.io": "CSIStorageCapacity",
        "resource.k8s.io": "ResourceClaim ResourceClaimTemplate",
        "authorization.k8s.io": "LocalSubjectAccessReview",
        "gateway.networking.k8s.io": "Gateway HTTPRoute GRPCRoute ReferenceGrant TLSRoute "
        "TCPRoute UDPRoute BackendTLSPolicy",
        "keda.sh": "ScaledObject ScaledJob TriggerAuthentication",
        "serving.kserve.io": "InferenceService ServingRuntime InferenceGraph TrainedModel",
    }.items()
}


def _cluster_scoped(api_version: str, kind: str) -> bool:
    return kind in _CLUSTER_SCOPED.get(_api_group(api_version), frozenset())


def _known_namespaced(api_version: str, kind: str) -> bool:
    return kind in _NAMESPACED.get(_api_group(api_version), frozenset())


@slot_init
@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """A validated object with its identity and the document it came from."""

    key: ResourceKey
    obj: T
    file: str
    doc: int
    raw: dict[str, Any]


@dataclass(slots=True)
class Catalog:
    """Every input object by kind, with the indexes resolution needs."""

    by_key: dict[ResourceKey, Entry[Any]] = field(default_factory=dict)
    passthrough: list[Entry[dict[str, Any]]] = field(default_factory=list)
    # objects a controller derives from the inputs before any service is resolved (the
    # AIMClusterModels of model sources); also in by_key like an input
    derived: list[Entry[Any]] = field(default_factory=list)
    _by_kind: dict[str, list[Entry[Any]]] = field(default_factory=lambda: defaultdict(list))
    _templates_by_model: dict[tuple[str | None, str], list[Entry[Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _models_by_image: dict[str, list[Entry[Any]]] = field(default_factory=lambda: defaultdict(list))
    profile_services: list[Entry[Any]] = field(default_factory=list)
    """AIMServices routed to the v1alpha2 profile pipeline: validated, never rendered."""
    inert: list[Entry[Any]] = field(default_factory=list)
    """Objects aimctl validates and renders nothing from (AIMClusterProfile, AIMProfile)."""

    def add(self, entry: Entry[Any]) -> None:
        self.by_key[entry.key] = entry
        self._by_kind[entry.key.kind].append(entry)
        spec = getattr(entry.obj, "spec", None)
        if entry.key.kind in ("AIMServiceTemplate", "AIMClusterServiceTemplate") and spec:
            self._templates_by_model[(entry.key.namespace, spec.model_name)].append(entry)
        if entry.key.kind in ("AIMModel", "AIMClusterModel") and spec:
            self._models_by_image[spec.image].append(entry)

    def get(self, kind: str, namespace: str | None, name: str) -> Entry[Any] | None:
        return self.by_key.get(ResourceKey(kind, namespace, name))

    def lookup(self, cls: type[Doc], namespace: str | None, name: str) -> Entry[Doc] | None:
        """The object of ``cls``'s kind with this namespace (None: cluster-scoped) and name."""
        return self.by_key.get(ResourceKey(cls.KIND, namespace, name))

    def entries(self, cls: type[Doc]) -> list[Entry[Doc]]:
        """Objects of ``cls``'s kind in (namespace, name) order, typed as that model: every
        entry of a kind holds that kind's model (``add`` is only given validated objects)."""
        return self.of_kind(cls.KIND)

    def of_kind(self, kind: str) -> list[Entry[Any]]:
        """Objects of one kind in (namespace, name) order."""
        return sorted(
            self._by_kind.get(kind, []), key=lambda e: (e.key.namespace or "", e.key.name)
        )

    def templates_for_model(self, namespace: str | None, model_name: str) -> list[Entry[Any]]:
        """Namespace templates (namespace given) or cluster templates (None) naming ``model_name``."""
        found = self._templates_by_model.get((namespace, model_name), [])
        return sorted(found, key=lambda e: e.key.name)

    def names_visible(self, namespaced: str, cluster: str, namespace: str | None) -> list[str]:
        """Names a reference from ``namespace`` could mean: objects of kind ``namespaced`` in it
        and of kind ``cluster`` (for "did you mean" on a reference that matches none)."""
        return sorted(
            {e.key.name for e in self._by_kind.get(namespaced, []) if e.key.namespace == namespace}
            | {e.key.name for e in self._by_kind.get(cluster, [])}
        )

    def models_with_image(self, image: str) -> list[Entry[Any]]:
        return sorted(
            self._models_by_image.get(image, []),
            key=lambda e: (e.key.kind, e.key.namespace or "", e.key.name),
        )

    def namespaces_used(self) -> set[str]:
        return {k.namespace for k in self.by_key if k.namespace is not None}

    def by_namespace(self) -> dict[str | None, list[tuple[int, bool, Entry[Any]]]]:
        """Every entry under its namespace (None: cluster scope) as (position in ``by_key``,
        whether it is indexed by kind, entry): what ``narrowed`` needs, made once."""
        indexed = {id(e) for entries in self._by_kind.values() for e in entries}
        out: dict[str | None, list[tuple[int, bool, Entry[Any]]]] = defaultdict(list)
        for position, entry in enumerate(self.by_key.values()):
            out[entry.key.namespace].append((position, id(entry) in indexed, entry))
        return dict(out)

    @staticmethod
    def narrowed(
        grouped: dict[str | None, list[tuple[int, bool, Entry[Any]]]], namespaces: frozenset[str]
    ) -> Catalog:
        """The entries of ``namespaces`` and of cluster scope (``grouped`` from ``by_namespace``)
        as a catalog of their own, in the same order and with the same indexes: what resolving
        and rendering the services of those namespaces reads. A forked worker builds one so that
        it touches — and copies — only the pages of its own namespaces' objects. The lists of
        pass-through, profile and inert objects stay empty: no service reads them."""
        chosen = [item for ns in (None, *sorted(namespaces)) for item in grouped.get(ns, ())]
        chosen.sort(key=lambda item: item[0])
        narrow = Catalog()
        for _, indexed, entry in chosen:
            if indexed:
                narrow.add(entry)
            else:
                narrow.by_key[entry.key] = entry
        return narrow


def entry_error(
    code: str, entry: Entry[Any], path: FieldPath, message: str, hint: str = ""
) -> Diagnostic:
    """An error located at ``path`` of the document ``entry`` came from."""
    return Diagnostic(
        code, message, file=entry.file, doc=entry.doc, field=path, resource=entry.key, hint=hint
    )


def _api_group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def _clean_loc(data: Any, loc: tuple[int | str, ...], kind: str) -> FieldPath:
    """Map a pydantic error location onto the document's own field path (drop union tags)."""
    out: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(current, dict) and isinstance(part, str):
            if part in current:
                out.append(part)
                current = current[part]
            elif last or kind in ("missing", "extra_forbidden"):
                out.append(part)
                current = None
            continue
        if isinstance(current, list) and isinstance(part, int):
            out.append(part)
            current = current[part] if 0 <= part < len(current) else None
            continue
    return tuple(out)


def _message(
    err: Any,
    path: FieldPath,
    doc: LoadedDocument,
    model: type[BaseModel] | None,
    project: bool,
) -> str:
    """One schema error in aimctl's words (``aimctl.field_messages``), with suggestions."""
    from aimctl.field_messages import describe_error, fields_at, literals_at

    kind = err["type"]
    loc = tuple(err["loc"])
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        hint = did_you_mean(name, fields_at(model, loc[:-1]))
        if project:
            return f"{name!r} is not a setting of the project file (aimctl.yaml){hint}"
        return f"unknown field (not in the CRD schema){hint}"
    if kind == "missing" and project:
        return "required setting of the project file is missing"
    written = None
    if kind == "string_type" and isinstance(err.get("input"), bool | int | float):
        from aimctl.loader import SpanIndex

        written = SpanIndex().scalar(doc.file, doc.index, path)
    literals = literals_at(model, loc) if kind in ("literal_error", "enum") else []
    return describe_error(err, written=written, literals=literals)


def validation_diagnostics(
    exc: ValidationError,
    doc: LoadedDocument,
    key: ResourceKey | None,
    code: str = "E_SCHEMA",
    model: type[BaseModel] | None = None,
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, located by field path in the document.

    ``model``: the class validated, for suggestions (the fields allowed where an unknown one was
    written, an enum's values). An unknown field that a later operator release defines (or that
    no release defines but real files carry) gets the message that says so
    (``aimctl.model.currency``). ``code`` ``E_CONFIG`` words errors for the project file.
    """
    out: list[Diagnostic] = []
    seen: set[tuple[FieldPath, str]] = set()
    for err in exc.errors():
        path = _clean_loc(doc.data, tuple(err["loc"]), err["type"])
        message = _message(err, path, doc, model, code == "E_CONFIG")
        hint, this_code = "", code
        later = later_field(key.kind, path) if key and err["type"] == "extra_forbidden" else None
        if later is not None:
            (message, hint), this_code = later, "E_NEWER_FIELD"
        if (path, message) in seen:
            continue
        seen.add((path, message))
        out.append(
            Diagnostic(
                this_code,
                message,
                file=doc.file,
                doc=doc.index,
                field=path,
                resource=key,
                hint=hint,
            )
        )
    return out


def _identity(doc: LoadedDocument) -> tuple[str, str, Any, Any, list[Diagnostic]]:
    data = doc.data
    problems: list[Diagnostic] = []
    api_version, kind = data.get("apiVersion"), data.get("kind")
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    for fld, value in (("apiVersion", api_version), ("kind", kind)):
        if not isinstance(value, str) or not value:
            problems.append(_doc_diag(doc, (fld,), _not_a_string(doc, (fld,), value)))
    if not isinstance(meta, dict):
        problems.append(_doc_diag(doc, ("metadata",), "required field is missing or not a mapping"))
    elif not isinstance(name, str) or not name:
        path: FieldPath = ("metadata", "name")
        problems.append(_doc_diag(doc, path, _not_a_string(doc, path, name)))
    if namespace is not None and not isinstance(namespace, str):
        path = ("metadata", "namespace")
        problems.append(_doc_diag(doc, path, _not_a_string(doc, path, namespace)))
    return str(api_version), str(kind), name, namespace, problems


def _not_a_string(doc: LoadedDocument, path: FieldPath, value: Any) -> str:
    """A required string field missing, or given another type (with the quoting hint)."""
    if value is None or value == "":
        return "required field is missing"
    from aimctl.field_messages import describe_error

    err = {"type": "string_type", "input": value}
    written = None
    if isinstance(value, bool | int | float):
        from aimctl.loader import SpanIndex

        written = SpanIndex().scalar(doc.file, doc.index, path)
    return describe_error(err, written=written)


def _doc_diag(
    doc: LoadedDocument,
    path: FieldPath,
    message: str,
    code: str = "E_SCHEMA",
    key: ResourceKey | None = None,
) -> Diagnostic:
    return Diagnostic(code, message, file=doc.file, doc=doc.index, field=path, resource=key)


def _with_namespace(data: dict[str, Any], namespace: str) -> dict[str, Any]:
    meta = dict(data["metadata"])
    meta["namespace"] = namespace
    return {**data, "metadata": meta}


def build_catalog(
    documents: Iterable[LoadedDocument], default_namespace: str = "default"
) -> tuple[Catalog, list[Diagnostic]]:
    """Validate every document; reject Secrets, scope errors and duplicates (naming both places)."""
    catalog = Catalog()
    problems: list[Diagnostic] = []
    output_files: dict[tuple[str | None, str, str], Entry[Any]] = {}
    for doc in documents:
        refused = _refused_kind(doc, default_namespace)
        if refused is not None:
            problems.append(refused)
            continue
        api_version, kind, name, namespace, issues = _identity(doc)
        if issues:
            problems.extend(issues)
            continue
        group = _api_group(api_version)
        role = "render"
        if group == AIM_GROUP:
            entry, diags, role = _validate_aim(
                doc, api_version, kind, name, namespace, default_namespace
            )
        else:
            entry, diags = _passthrough(doc, api_version, kind, name, namespace, default_namespace)
        problems.extend(diags)
        if entry is None:
            continue
        previous = catalog.by_key.get(entry.key)
        if previous is not None:
            problems.append(
                Diagnostic(
                    "E_DUPLICATE",
                    f"duplicate object: {entry.key} is also defined in {previous.file} "
                    f"(document {previous.doc + 1})",
                    file=doc.file,
                    doc=doc.index,
                    field=("metadata", "name"),
                    resource=entry.key,
                )
            )
            continue
        if isinstance(entry.obj, dict):
            kind = str(entry.raw.get("kind", "")).lower()
            file_key = (entry.key.namespace, kind, entry.key.name)
            other = output_files.get(file_key)
            if other is not None:
                problems.append(
                    Diagnostic(
                        "E_DUPLICATE",
                        f"{entry.key} and {other.key} ({other.file}) would be written to the same "
                        "output file (kinds differ only by case or API group); rename one",
                        file=doc.file,
                        doc=doc.index,
                        field=("metadata", "name"),
                        resource=entry.key,
                    )
                )
                continue
            output_files[file_key] = entry
            catalog.passthrough.append(entry)
            catalog.by_key[entry.key] = entry
        elif role == "render":
            catalog.add(entry)
        else:
            catalog.by_key[entry.key] = entry
            (catalog.profile_services if role == "profile" else catalog.inert).append(entry)
    return catalog, problems


def _validate_aim(
    doc: LoadedDocument,
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None,
    default_namespace: str,
) -> tuple[Entry[Any] | None, list[Diagnostic], str]:
    """Validate one AIM document; the role says what the catalog does with it.

    ``render``: an object resolution uses (every v1alpha1 kind, and v1alpha2 services on the
    template pipeline, converted to the shared v1alpha1 model); ``profile``: a service on the
    profile pipeline (validated, refused by ``render``); ``inert``: validated, renders nothing.
    """
    v1alpha2 = api_version == AIM_API_VERSION_V1ALPHA2
    cluster = kind in (CLUSTER_SCOPED_V1ALPHA2_KINDS if v1alpha2 else CLUSTER_SCOPED_KINDS)
    key = ResourceKey(kind, None if cluster else (namespace or default_namespace), name)
    refusal = _kind_refusal(api_version, kind)
    if refusal is not None:
        code, field_name, message = refusal
        return None, [_doc_diag(doc, (field_name,), message, code, key)], "render"
    if cluster and namespace is not None:
        message = f"{kind} is cluster-scoped and must not have a namespace"
        return None, [_doc_diag(doc, ("metadata", "namespace"), message, "E_SCOPE", key)], "render"
    data = doc.data if cluster or namespace else _with_namespace(doc.data, default_namespace)
    if v1alpha2 and kind == "AIMProfile":
        return (
            Entry(key, data, doc.file, doc.index, data),
            [_profile_schema_warning(doc, key)],
            "inert",
        )
    model_cls: type[BaseModel] = (AIM_V1ALPHA2_KINDS if v1alpha2 else AIM_KINDS)[kind]
    try:
        obj: Any = model_cls.model_validate(data)
    except ValidationError as exc:
        return None, validation_diagnostics(exc, doc, key, model=model_cls), "render"
    entry = Entry(key, obj, doc.file, doc.index, data)
    if kind != "AIMService":
        return entry, [], "inert" if v1alpha2 else "render"
    meta = data.get("metadata") or {}
    has_profile = v1alpha2 and obj.spec is not None and obj.spec.profile is not None
    if select_pipeline(meta.get("annotations"), has_profile) == "profile":
        return entry, [], "profile"
    if not v1alpha2:
        return entry, [], "render"
    return _as_v1alpha1_service(doc, data, key)


def _kind_refusal(api_version: str, kind: str) -> tuple[str, str, str] | None:
    """(code, field, message) when aimctl cannot take this apiVersion/kind, else None."""
    if kind in UNSUPPORTED_KINDS:
        return "E_UNSUPPORTED_KIND", "kind", UNSUPPORTED_KINDS[kind]
    if api_version == AIM_API_VERSION:
        if kind in AIM_KINDS:
            return None
        if kind in AIM_V1ALPHA2_KINDS or kind == "AIMProfile":
            return "E_SCHEMA", "apiVersion", f"{kind} is served as {AIM_API_VERSION_V1ALPHA2}"
        return "E_UNKNOWN_KIND", "kind", _unknown_kind(kind)
    if api_version == AIM_API_VERSION_V1ALPHA2:
        if kind in AIM_V1ALPHA2_KINDS or kind == "AIMProfile":
            return None
        if kind in ("AIMModel", "AIMClusterModel"):
            message = (
                f"{AIM_API_VERSION_V1ALPHA2} {kind}: not supported yet (its schema is not bundled, "
                f"so aimctl cannot validate it); write it as {AIM_API_VERSION}"
            )
            return "E_UNSUPPORTED_KIND", "apiVersion", message
        if kind in AIM_KINDS:
            message = f"aimctl knows {kind} as {AIM_API_VERSION} only (operator 0.2.2 CRDs)"
            return "E_SCHEMA", "apiVersion", message
        return "E_UNKNOWN_KIND", "kind", _unknown_kind(kind)
    known = f"{AIM_API_VERSION} or {AIM_API_VERSION_V1ALPHA2}"
    return (
        "E_SCHEMA",
        "apiVersion",
        f"unknown AIM API version {api_version!r} (aimctl reads {known})",
    )


def _unknown_kind(kind: str) -> str:
    known = [*AIM_KINDS, *AIM_V1ALPHA2_KINDS, "AIMProfile"]
    return f"unknown AIM kind {kind!r}{did_you_mean(kind, known, cutoff=0.75)}"


def _profile_schema_warning(doc: LoadedDocument, key: ResourceKey) -> Diagnostic:
    return Diagnostic(
        "W_SCHEMA_NOT_BUNDLED",
        f"{AIM_API_VERSION_V1ALPHA2} AIMProfile: schema not bundled (aimctl has the "
        "AIMClusterProfile CRD only); only apiVersion, kind and metadata were checked",
        severity=Severity.WARNING,
        file=doc.file,
        doc=doc.index,
        resource=key,
    )


_V1ALPHA2_ONLY = ("profile", "profileOverrides")


def _as_v1alpha1_service(
    doc: LoadedDocument, data: dict[str, Any], key: ResourceKey
) -> tuple[Entry[Any] | None, list[Diagnostic], str]:
    """A template-pipeline v1alpha2 AIMService as the shared (v1alpha1) model.

    There is one storage schema and the controller reads every service as the v1alpha1 type
    (api-currency.md §4.1), so such a service renders exactly like its v1alpha1 twin.
    """
    spec = dict(data.get("spec") or {})
    warnings = [
        _v1alpha2_warning(doc, key, ("spec", name), message)
        for name, message in _V1ALPHA2_WARNINGS.items()
        if name in spec
    ]
    for name in _V1ALPHA2_ONLY:  # only with the annotation forcing the template pipeline
        spec.pop(name, None)
    twin = {**data, "apiVersion": AIM_API_VERSION, "spec": spec}
    try:
        obj = AIMService.model_validate(twin)
    except ValidationError as exc:
        return None, [*warnings, *validation_diagnostics(exc, doc, key, model=AIMService)], "render"
    return Entry(key, obj, doc.file, doc.index, twin), warnings, "render"


_V1ALPHA2_WARNINGS = {
    "template": (
        "valid on the 0.2.5-cycle CRD, but newer releases reject spec.template on v1alpha2 when "
        f"the service is created; use apiVersion {AIM_API_VERSION} for template-pipeline services"
    ),
    "overrides": (
        "valid on the 0.2.5-cycle CRD, but newer releases reject spec.overrides on v1alpha2 when "
        f"the service is created; use apiVersion {AIM_API_VERSION} for template-pipeline services"
    ),
    "profile": (
        "the reconciler-pipeline annotation forces the legacy template pipeline: spec.profile "
        "and spec.profileOverrides are ignored"
    ),
}


def _v1alpha2_warning(
    doc: LoadedDocument, key: ResourceKey, path: FieldPath, message: str
) -> Diagnostic:
    return Diagnostic(
        "W_V1ALPHA2_SHAPE",
        message,
        severity=Severity.WARNING,
        file=doc.file,
        doc=doc.index,
        field=path,
        resource=key,
    )


def _passthrough(
    doc: LoadedDocument,
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None,
    default_namespace: str,
) -> tuple[Entry[Any] | None, list[Diagnostic]]:
    cluster = _cluster_scoped(api_version, kind)
    if cluster and namespace is not None:
        key = ResourceKey(kind, None, name)
        return None, [
            _doc_diag(
                doc,
                ("metadata", "namespace"),
                f"{kind} is cluster-scoped and must not have a namespace",
                "E_SCOPE",
                key,
            )
        ]
    as_written = cluster or namespace is not None or not _known_namespaced(api_version, kind)
    ns = namespace if as_written else default_namespace
    group = _api_group(api_version)
    key = ResourceKey(f"{kind}.{group}" if group else kind, ns, name)
    problems = _passthrough_problems(doc, kind, name, ns, key)
    if problems:
        return None, problems
    data = doc.data if as_written else _with_namespace(doc.data, default_namespace)
    return Entry(key, data, doc.file, doc.index, data), []


_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}$")


def _passthrough_problems(
    doc: LoadedDocument, kind: str, name: str, namespace: str | None, key: ResourceKey
) -> list[Diagnostic]:
    """What the API server would refuse before aimctl turns names into file names."""
    problems = []
    if not _KIND.fullmatch(kind):
        problems.append(
            _doc_diag(doc, ("kind",), "kind must be alphanumeric, starting with a letter")
        )
    if kind in AIM_KINDS:
        problems.append(
            _doc_diag(
                doc, ("apiVersion",), f"{kind} belongs to apiVersion {AIM_GROUP}/v1alpha1", key=key
            )
        )
    if len(name) > 253 or not DNS_SUBDOMAIN.fullmatch(name):
        problems.append(
            _doc_diag(
                doc,
                ("metadata", "name"),
                "must be a DNS subdomain: lower-case letters, digits, '-' and '.', at most 253 "
                "characters",
                key=key,
            )
        )
    if namespace is not None and (len(namespace) > 63 or not DNS_LABEL.fullmatch(namespace)):
        problems.append(
            _doc_diag(
                doc,
                ("metadata", "namespace"),
                "must be a DNS label: lower-case letters, digits and '-', at most 63 characters",
                key=key,
            )
        )
    if kind == "Namespace" and (len(name) > 63 or not DNS_LABEL.fullmatch(name)):
        problems.append(
            _doc_diag(
                doc,
                ("metadata", "name"),
                "a Namespace name must be a DNS label: lower-case letters, digits and '-', at "
                "most 63 characters",
                key=key,
            )
        )
    problems.extend(_meta_problems(doc, key))
    bad_key = _non_string_key(doc.data, ())
    if bad_key is not None:
        path, value = bad_key
        problems.append(
            _doc_diag(
                doc,
                path,
                f"mapping key {value!r} is not a string (YAML 1.1 reads unquoted on/yes/no and "
                "numbers as other types: quote the key)",
                key=key,
            )
        )
    return problems


_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?")
_MAX_ANNOTATIONS_BYTES = 256 * 1024


def qualified_name_problem(key: str) -> str | None:
    """Why ``key`` is not a qualified name (label and annotation keys), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not DNS_SUBDOMAIN.fullmatch(prefix)):
        return "prefix must be a DNS subdomain of at most 253 characters"
    if not _LABEL_NAME.fullmatch(name):
        return (
            "name must be 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
        )
    return None


def _meta_problems(doc: LoadedDocument, key: ResourceKey) -> list[Diagnostic]:
    """Labels and annotations as the API server validates ObjectMeta (values never echoed)."""
    meta = doc.data.get("metadata")
    if not isinstance(meta, dict):
        return []
    problems = []
    for part in ("labels", "annotations"):
        values = meta.get(part)
        if values is None:
            continue
        if not isinstance(values, dict):
            problems.append(_doc_diag(doc, ("metadata", part), "must be a mapping", key=key))
            continue
        size = 0
        for name, value in values.items():
            where = ("metadata", part, name)
            if not isinstance(name, str):
                continue  # reported as a non-string key
            problem = qualified_name_problem(name)
            if problem is not None:
                problems.append(_doc_diag(doc, where, f"invalid key: {problem}", key=key))
            if not isinstance(value, str):
                problems.append(
                    _doc_diag(
                        doc,
                        where,
                        f"value must be a string, not {type(value).__name__} (quote it)",
                        key=key,
                    )
                )
                continue
            size += len(name) + len(value.encode("utf-8"))
            if part == "labels" and not LABEL_VALUE.fullmatch(value):
                problems.append(
                    _doc_diag(
                        doc,
                        where,
                        "label value must be at most 63 letters, digits, '-', '_' or '.', "
                        "starting and ending alphanumeric",
                        key=key,
                    )
                )
        if part == "annotations" and size > _MAX_ANNOTATIONS_BYTES:
            problems.append(
                _doc_diag(doc, ("metadata", part), "annotations total more than 256 KiB", key=key)
            )
    return problems


def _has_secret_item(data: dict[str, Any]) -> bool:
    """Whether a Secret hides among ``items``, at any depth of nested lists (iterative)."""
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        if not isinstance(value, dict):
            continue
        kind = value.get("kind")
        if isinstance(kind, str) and kind.lower() == "secret":
            return True
        items = value.get("items")
        if isinstance(items, list):
            stack.extend(items)
    return False


def _refused_kind(doc: LoadedDocument, default_namespace: str) -> Diagnostic | None:
    """Secrets in any spelling, and lists in any shape, before anything else looks at them.

    ``kind: secret`` is a Secret to a case-insensitive reader, and kubectl, kustomize and Argo CD
    unpack every object that has an ``items`` list (``List``, ``SecretList``, any ``*List``, or
    any kind at all), so the items — a Secret among them — would reach the cluster past aimctl's
    checks. Values are never printed: the message names the file, the document and the field.
    """
    data = doc.data
    kind = data.get("kind")
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    key = (
        ResourceKey(kind, ns if isinstance(ns, str) else default_namespace, name)
        if isinstance(kind, str) and isinstance(name, str)
        else None
    )
    if isinstance(kind, str) and kind.lower() == "secret":
        return Diagnostic(
            "E_SECRET_REFUSED",
            "Secret objects are refused: secret values must never reach rendered output",
            file=doc.file,
            doc=doc.index,
            resource=key,
            hint=_SECRET_HINT,
        )
    listed = isinstance(data.get("items"), list)
    api_version = data.get("apiVersion")
    core = isinstance(api_version, str) and "/" not in api_version
    if listed or (isinstance(kind, str) and (kind == "List" or (core and kind.endswith("List")))):
        secret = _has_secret_item(data)
        return Diagnostic(
            "E_SECRET_REFUSED" if secret else "E_LIST_REFUSED",
            ("a Secret among its items: Secret objects are refused; " if secret else "")
            + "List documents and objects with an items list are not supported (Argo CD and "
            "kubectl unpack the items past aimctl's checks): write one document per object",
            file=doc.file,
            doc=doc.index,
            field=("items",) if listed else ("kind",),
            resource=key,
            hint=_SECRET_HINT if secret else "",
        )
    return None


def _non_string_key(data: Any, path: FieldPath) -> tuple[FieldPath, Any] | None:
    stack: list[tuple[Any, FieldPath]] = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str):
                    return where, k
                stack.append((v, (*where, k)))
        elif isinstance(value, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(value))
    return None


def _ref_warning(entry: Entry[Any], path: FieldPath, message: str) -> Diagnostic:
    return Diagnostic(
        "W_UNRESOLVED_REFERENCE",
        message,
        severity=Severity.WARNING,
        file=entry.file,
        doc=entry.doc,
        field=path,
        resource=entry.key,
        hint="it may live in another repository; `aimctl render` needs it",
    )


def check_references(catalog: Catalog) -> list[Diagnostic]:
    """References the given files cannot satisfy: warnings for ``validate`` (aimctl.md §6)."""
    out: list[Diagnostic] = []
    for entry in catalog.of_kind("AIMService"):
        spec = entry.obj.spec
        if spec is None:
            continue
        ns = entry.key.namespace
        name = (spec.model.name or "").strip() if spec.model else ""
        if name and not (
            catalog.get("AIMModel", ns, name) or catalog.get("AIMClusterModel", None, name)
        ):
            out.append(
                _ref_warning(
                    entry,
                    ("spec", "model", "name"),
                    f'model "{name}" not found in namespace {ns} or at cluster scope'
                    + did_you_mean(name, catalog.names_visible("AIMModel", "AIMClusterModel", ns)),
                )
            )
        tpl = (spec.template.name or "").strip() if spec.template else ""
        if tpl and not (
            catalog.get("AIMServiceTemplate", ns, tpl)
            or catalog.get("AIMClusterServiceTemplate", None, tpl)
        ):
            out.append(
                _ref_warning(
                    entry,
                    ("spec", "template", "name"),
                    f'template "{tpl}" not found in namespace {ns} or at cluster scope'
                    + did_you_mean(
                        tpl,
                        catalog.names_visible(
                            "AIMServiceTemplate", "AIMClusterServiceTemplate", ns
                        ),
                    ),
                )
            )
        out.extend(_runtime_config_ref(catalog, entry, ns, spec.runtime_config_name))
    for entry in catalog.profile_services:
        profile = getattr(entry.obj.spec, "profile", None)
        name = profile.name if profile is not None else ""
        ns = entry.key.namespace
        if name and not (
            catalog.get("AIMProfile", ns, name) or catalog.get("AIMClusterProfile", None, name)
        ):
            message = f'profile "{name}" not found in namespace {ns} or at cluster scope'
            message += did_you_mean(
                name, catalog.names_visible("AIMProfile", "AIMClusterProfile", ns)
            )
            out.append(_ref_warning(entry, ("spec", "profile", "name"), message))
    for kind in ("AIMServiceTemplate", "AIMClusterServiceTemplate"):
        model_kind = "AIMModel" if kind == "AIMServiceTemplate" else "AIMClusterModel"
        for entry in catalog.of_kind(kind):
            spec = entry.obj.spec
            if spec is None:
                continue
            if not catalog.get(model_kind, entry.key.namespace, spec.model_name):
                where = (
                    f"namespace {entry.key.namespace}" if entry.key.namespace else "cluster scope"
                )
                out.append(
                    _ref_warning(
                        entry,
                        ("spec", "modelName"),
                        f'{model_kind} "{spec.model_name}" not found at {where}',
                    )
                )
    return out


def _runtime_config_ref(
    catalog: Catalog, entry: Entry[Any], ns: str | None, name: str | None
) -> list[Diagnostic]:
    rc = (name or "").strip()
    if not rc or rc == "default":
        return []
    if catalog.get("AIMRuntimeConfig", ns, rc) or catalog.get("AIMClusterRuntimeConfig", None, rc):
        return []
    return [
        _ref_warning(
            entry,
            ("spec", "runtimeConfigName"),
            f"RuntimeConfig {rc} not found in namespace {ns} or at cluster scope"
            + did_you_mean(
                rc, catalog.names_visible("AIMRuntimeConfig", "AIMClusterRuntimeConfig", ns)
            ),
        )
    ]


_CREDENTIAL_NAME = re.compile(r"TOKEN|PASSWORD|SECRET|KEY", re.IGNORECASE)


def field_or_none(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)``, without pydantic's slow way to a missing field.

    A model's fields are in its instance ``__dict__``. A name that is neither there nor an
    attribute of the model's class (a method, a property) is ``None`` unless the instance holds
    extra fields (aimctl's models forbid them) — found without pydantic's ``__getattr__``, which
    raises an AttributeError for it: most of the time of the checks that look for optional
    fields in every catalog entry. Anything else takes ``getattr``."""
    values = getattr(obj, "__dict__", None)
    if values is not None:
        if name in values:
            return values[name]
        key = (type(obj), name)
        not_on_class = _NOT_ON_MODEL_CLASS.get(key)
        if not_on_class is None:
            cls = type(obj)
            not_on_class = hasattr(cls, "__pydantic_fields__") and not hasattr(cls, name)
            _NOT_ON_MODEL_CLASS[key] = not_on_class
        if not_on_class and not getattr(obj, "__pydantic_extra__", None):
            return None
    return getattr(obj, name, None)


# (class, name) -> the class is a pydantic model with no attribute of that name (not even a
# method or property): model classes × the names asked about
_NOT_ON_MODEL_CLASS: dict[tuple[type, str], bool] = {}


def env_lists(obj: Any) -> list[tuple[FieldPath, Any]]:
    """Every env list an AIM object's spec holds, with its field path."""
    spec = field_or_none(obj, "spec")
    if spec is None:
        return []
    found: list[tuple[FieldPath, Any]] = [(("spec", "env"), field_or_none(spec, "env"))]
    for i, source in enumerate(field_or_none(spec, "model_sources") or []):
        found.append((("spec", "modelSources", i, "env"), source.env))
    model = field_or_none(spec, "model")
    custom = field_or_none(model, "custom") if model is not None else None
    for i, source in enumerate(custom.model_sources if custom is not None else []):
        found.append((("spec", "model", "custom", "modelSources", i, "env"), source.env))
    caching = field_or_none(spec, "caching")
    if caching is not None and hasattr(caching, "env"):
        found.append((("spec", "caching", "env"), caching.env))
    return [(path, env) for path, env in found if env]


def check_env_literals(catalog: Catalog) -> list[Diagnostic]:
    """Warn about literal values of env vars named like credentials; never print the value."""
    out: list[Diagnostic] = []
    for entry in sorted(catalog.by_key.values(), key=lambda e: (e.file, e.doc)):
        if isinstance(entry.obj, dict):
            continue
        for path, env in env_lists(entry.obj):
            for i, var in enumerate(env):
                if var.value and _CREDENTIAL_NAME.search(var.name):
                    out.append(
                        Diagnostic(
                            "W_LITERAL_CREDENTIAL",
                            f"env {var.name} has a literal value; it will be copied into the rendered "
                            "manifests and into git",
                            severity=Severity.WARNING,
                            file=entry.file,
                            doc=entry.doc,
                            field=(*path, i, "value"),
                            resource=entry.key,
                            hint="use valueFrom.secretKeyRef to reference a Secret instead",
                        )
                    )
    return out


_PROFILE_PIPELINE_MESSAGE = (
    "uses the v1alpha2 profile pipeline ({why}); its InferenceService depends on in-cluster state "
    "(profile readiness from node labels, the profile's status.resources and "
    "resolvedNodeAffinity, AIMProfileCache PVCs), so aimctl cannot render it offline"
)
_PROFILE_PIPELINE_HINT = (
    "for GitOps rendering write it as an aim.eai.amd.com/v1alpha1 service with spec.model.name "
    "(and spec.template.name); or apply it as is to a cluster running operator ≥ 0.2.5"
)


def profile_pipeline_refusals(catalog: Catalog) -> list[Diagnostic]:
    """One error per service ``render`` cannot produce (``validate`` accepts them)."""
    out = []
    for entry in sorted(catalog.profile_services, key=lambda e: (e.file, e.doc)):
        spec = entry.raw.get("spec") or {}
        annotations = (entry.raw.get("metadata") or {}).get("annotations") or {}
        if annotations.get(PIPELINE_ANNOTATION) == "profile":
            why = f"annotation {PIPELINE_ANNOTATION}: profile"
            path: FieldPath = ("metadata", "annotations", PIPELINE_ANNOTATION)
        else:
            why, path = "spec.profile", ("spec", "profile") if "profile" in spec else ()
        message = _PROFILE_PIPELINE_MESSAGE.format(why=why)
        out.append(entry_error("E_PROFILE_PIPELINE", entry, path, message, _PROFILE_PIPELINE_HINT))
    return out


_FILTER_NOT_RENDERED = (
    "downloadFilter (operator 0.2.2) is accepted and not rendered: aimctl does not implement the "
    "0.2.2 download-filter env of download Jobs (that code was not read)"
)
_CUSTOM_TEMPLATE_EMPTY_ID = (
    "customTemplates[].{field} is empty while customProfile is set: operator 0.2.2 passes "
    "{field} on to the generated template only when it is not empty, so the API server rejects "
    'that template ("when customProfile is set, aimId, modelId, hardware, metric, and '
    'precision are required") and it is never created'
)


def check_not_rendered(catalog: Catalog) -> list[Diagnostic]:
    """Warnings for 0.2.2 fields aimctl accepts but does not render (named deviations).

    Also an error for a model's custom template the operator could not create: one with
    ``customProfile`` and an empty ``aimId`` or ``modelId`` (both pass the model's CEL rule, but
    ``internal/aimmodel/template.go @0c8f85b`` copies them only when not empty).
    """
    out: list[Diagnostic] = []

    def warn(entry: Entry[Any], path: FieldPath, message: str) -> None:
        out.append(
            Diagnostic(
                "W_NOT_RENDERED",
                message,
                severity=Severity.WARNING,
                file=entry.file,
                doc=entry.doc,
                field=path,
                resource=entry.key,
            )
        )

    for kind in ("AIMService", "AIMRuntimeConfig", "AIMClusterRuntimeConfig"):
        for entry in catalog._by_kind.get(kind, []):
            storage = getattr(entry.obj.spec, "storage", None)
            if storage is not None and storage.download_filter is not None:
                warn(entry, ("spec", "storage", "downloadFilter"), _FILTER_NOT_RENDERED)
    for entry in catalog._by_kind.get("AIMArtifact", []):
        if entry.obj.spec is not None and entry.obj.spec.download_filter is not None:
            warn(entry, ("spec", "downloadFilter"), _FILTER_NOT_RENDERED)
    for kind in ("AIMModel", "AIMClusterModel"):
        for entry in catalog._by_kind.get(kind, []):
            templates = getattr(entry.obj.spec, "custom_templates", None) or []
            for i, template in enumerate(templates):
                if template.custom_profile is None:
                    continue
                for name, value in (("aimId", template.aim_id), ("modelId", template.model_id)):
                    if value == "":
                        message = _CUSTOM_TEMPLATE_EMPTY_ID.format(field=name)
                        path: FieldPath = ("spec", "customTemplates", i, name)
                        out.append(
                            entry_error("E_GENERATED_TEMPLATE_REJECTED", entry, path, message)
                        )
    return out
