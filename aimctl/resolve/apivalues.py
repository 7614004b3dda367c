"""Values the AIM CRDs accept but the API server refuses once the operator copies them into a child.

The AIM CRDs type env vars, storage class names and resource quantities loosely (no patterns), so
the API server stores an AIMService whose env var is named ``A=B``; the operator then copies it
into the InferenceService and the download Job, and the Deployment KServe creates from it (or the
Job, or the PVC) is refused. ``render`` refuses such inputs up front, naming the field that wrote
the value; ``validate`` accepts them (the AIM API server does) and forecasts the refusal.

Rules, as the Kubernetes API server applies them to the children (k8s.io/kubernetes
``pkg/apis/core/validation``, Kubernetes 1.34):

* env var names: not empty, printable ASCII without ``=`` (``validateEnvVarName`` with
  RelaxedEnvironmentVariableValidation, on by default since 1.32);
* ``value`` and ``valueFrom``: ``valueFrom`` names exactly one source (``fieldRef``,
  ``resourceFieldRef``, ``configMapKeyRef``, ``secretKeyRef``, ``fileKeyRef``) and is not given
  beside a non-empty ``value`` (``validateEnvVarValueFrom``);
* storage class names (PVC ``spec.storageClassName``): DNS-1123 subdomains (``ValidateClassName``);
* container resources: quantities are not negative (``ValidateResourceQuantityValue``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from aimctl.catalog import (
    LABEL_VALUE,
    Catalog,
    Entry,
    entry_error,
    env_lists,
    field_or_none,
    qualified_name_problem,
)
from aimctl.errors import Diagnostic
from aimctl.k8snames import DNS_SUBDOMAIN
from aimctl.provenance import Decision, FieldPath, ResourceKey
from aimctl.resolve.quantity import parse_quantity

__all__ = [
    "ENV_SOURCES",
    "MAX_ANNOTATIONS_BYTES",
    "annotation_problems",
    "entry_value_refusals",
    "env_var_problems",
    "rendered_label_problems",
    "rendered_value_refusals",
]

ENV_SOURCES: Final = (
    "fieldRef",
    "resourceFieldRef",
    "configMapKeyRef",
    "secretKeyRef",
    "fileKeyRef",
)
_ENV_SOURCE_ATTRS: Final = (
    "field_ref",
    "resource_field_ref",
    "config_map_key_ref",
    "secret_key_ref",
    "file_key_ref",
)
MAX_ANNOTATIONS_BYTES: Final = 256 * 1024  # TotalAnnotationSizeLimitB of ValidateAnnotations
# Values already found valid, shared by every render in this process (most names repeat); a
# memo only: it never changes a verdict, and it is emptied past _MEMO_SIZE entries.
_GOOD_ENV_NAMES: set[object] = set()
_GOOD_LABEL_VALUES: set[object] = set()
_MEMO_SIZE: Final = 65536


def _remember(memo: set[object], value: object) -> None:
    if len(memo) > _MEMO_SIZE:
        memo.clear()
    memo.add(value)


_ENV_NAME: Final = re.compile(r"[\x20-\x3c\x3e-\x7e]+")


def env_var_problems(name: str, has_value: bool, sources: int) -> list[tuple[str, str]]:
    """(field, message) for one env var the API server would refuse; ``sources`` is the number of
    ``valueFrom`` sources given, -1 when there is no ``valueFrom``."""
    found = []
    if name in _GOOD_ENV_NAMES:
        pass
    elif _ENV_NAME.fullmatch(name):
        _remember(_GOOD_ENV_NAMES, name)
    else:
        found.append(
            (
                "name",
                "an env var name must be printable ASCII characters other than '=' (the API "
                "server refuses the Deployment and Job it is copied into)",
            )
        )
    if sources == 0:
        found.append(("valueFrom", f"valueFrom must name one of: {', '.join(ENV_SOURCES)}"))
    elif sources > 1:
        found.append(("valueFrom", "valueFrom may name only one source at a time"))
    if sources >= 0 and has_value:
        found.append(("valueFrom", "valueFrom may not be given when value is not empty"))
    return found


def _env_problems(entry: Entry[Any]) -> Iterator[Diagnostic]:
    for path, env in env_lists(entry.obj):
        for i, var in enumerate(env):
            source = var.value_from
            if source is None and var.name in _GOOD_ENV_NAMES:
                continue  # the common case, decided by one set lookup
            count = (
                -1
                if source is None
                else sum(getattr(source, a) is not None for a in _ENV_SOURCE_ATTRS)
            )
            for field, message in env_var_problems(var.name, bool(var.value), count):
                yield entry_error("E_ENV_REFUSED", entry, (*path, i, field), message)


def _storage_classes(spec: Any) -> Iterator[tuple[FieldPath, str]]:
    storage = field_or_none(spec, "storage")
    written = (
        (
            ("spec", "storage", "defaultStorageClassName"),
            field_or_none(storage, "default_storage_class_name"),
        ),
        (("spec", "defaultStorageClassName"), field_or_none(spec, "default_storage_class_name")),
        (("spec", "storageClassName"), field_or_none(spec, "storage_class_name")),
    )
    for path, value in written:
        if value:
            yield path, value


def _storage_problems(entry: Entry[Any], spec: Any) -> Iterator[Diagnostic]:
    for path, value in _storage_classes(spec):
        if len(value) > 253 or not DNS_SUBDOMAIN.fullmatch(value):
            yield entry_error(
                "E_STORAGE_CLASS",
                entry,
                path,
                "a storage class name must be a DNS subdomain (lower-case letters, digits, '-' "
                "and '.', at most 253 characters): the API server refuses the PVC it names",
            )


def _resource_problems(entry: Entry[Any], spec: Any) -> Iterator[Diagnostic]:
    resources = field_or_none(spec, "resources")
    for section in ("requests", "limits"):
        for name, value in (field_or_none(resources, section) or {}).items():
            if str(value).startswith("-") and parse_quantity(str(value)) < 0:
                yield entry_error(
                    "E_NEGATIVE_QUANTITY",
                    entry,
                    ("spec", "resources", section, name),
                    "must not be negative: the API server refuses the container it is copied into",
                )


def rendered_value_refusals(catalog: Catalog) -> list[Diagnostic]:
    """Every env var, storage class name and resource quantity in an AIM object that the API
    server would refuse in the children the operator copies it into (this module's rules), in
    the order of the entries' files and documents."""
    out: list[Diagnostic] = []
    for entry in sorted(catalog.by_key.values(), key=lambda e: (e.file, e.doc)):
        out.extend(entry_value_refusals(entry))
    return out


def entry_value_refusals(entry: Entry[Any]) -> list[Diagnostic]:
    """``rendered_value_refusals`` of one entry (a parallel render checks each worker's
    namespaces in that worker)."""
    spec = field_or_none(entry.obj, "spec")
    if spec is None or isinstance(entry.obj, dict):
        return []
    return [
        *_env_problems(entry),
        *_storage_problems(entry, spec),
        *_resource_problems(entry, spec),
    ]


def annotation_problems(annotations: dict[str, Decision]) -> list[Diagnostic]:
    """The HTTPRoute's annotations (merged runtime-config ``routing.annotations``) as the API server
    checks them (``ValidateAnnotations``): every key a qualified name (checked in lower case), all
    keys and values together at most 256 KiB. Each problem names the runtime config that wrote
    the key (for the size: the largest value)."""
    out = []
    size = 0
    for key, decision in sorted(annotations.items()):
        size += len(key) + len(str(decision.value).encode("utf-8"))
        problem = qualified_name_problem(key.lower())
        if problem is not None:
            out.append(_at(decision, "E_ANNOTATION_KEY", f"invalid annotation key: {problem}"))
    if size > MAX_ANNOTATIONS_BYTES:
        largest = max(annotations.values(), key=lambda d: len(str(d.value).encode("utf-8")))
        message = (
            f"the HTTPRoute's annotations would total {size} bytes; the API server accepts at "
            f"most {MAX_ANNOTATIONS_BYTES} (256 KiB)"
        )
        out.append(_at(largest, "E_ANNOTATIONS_TOO_LARGE", message))
    return out


def _at(decision: Decision, code: str, message: str) -> Diagnostic:
    origin = decision.winner
    return Diagnostic(
        code,
        message,
        file=origin.file,
        doc=origin.doc,
        field=origin.field,
        resource=origin.resource,
    )


_LABEL_PATHS: Final = (("metadata", "labels"), ("spec", "template", "metadata", "labels"))


def _labels_at(body: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = body
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def rendered_label_problems(
    rendered: list[tuple[dict[str, Any], ResourceKey]], catalog: Catalog
) -> list[Diagnostic]:
    """Label values of rendered objects the API server would refuse (at most 63 characters).

    The operator copies some names into labels as they are (the controller label
    ``aim.eai.amd.com/service.name``, ``aim.eai.amd.com/template.name``): a service or template
    named with 64-253 characters gets a child the API server refuses, so the operator never
    creates it. Refused here, naming the input whose ``metadata.name`` the value is (the parent,
    else the AIM object of that name), else the parent.
    """
    out: list[Diagnostic] = []
    seen: set[tuple[ResourceKey, str]] = set()
    good = _GOOD_LABEL_VALUES
    for body, parent in rendered:
        for path in _LABEL_PATHS:
            labels = _labels_at(body, path)
            try:
                if good.issuperset(labels.values()):
                    continue  # the common case, decided in one C-level pass
            except TypeError:  # an unhashable value: checked one by one below
                pass
            for key, value in labels.items():
                if isinstance(value, str) and (value in good or LABEL_VALUE.fullmatch(value)):
                    _remember(good, value)
                    continue
                if (parent, key) in seen:
                    continue
                seen.add((parent, key))
                source = _named(catalog, parent, str(value))
                meta = body.get("metadata") or {}
                where = f"{meta.get('namespace')}/" if meta.get("namespace") else ""
                message = (
                    f"becomes label {key} of {body.get('kind')} {where}{meta.get('name')}, "
                    "whose value must be at most 63 letters, digits, '-', '_' or '.' (the API "
                    "server refuses it); shorten the name"
                )
                if source is None:
                    out.append(Diagnostic("E_LABEL_VALUE", message, resource=parent))
                else:
                    out.append(entry_error("E_LABEL_VALUE", source[0], source[1], message))
    return out


def _named(
    catalog: Catalog, parent: ResourceKey, value: str
) -> tuple[Entry[Any], FieldPath] | None:
    """The input whose ``metadata.name`` is ``value`` (the parent first), else the parent."""
    entry = catalog.get(parent.kind, parent.namespace, parent.name)
    if entry is not None and entry.key.name == value:
        return entry, ("metadata", "name")
    for other in catalog.by_key.values():
        if other.key.name == value and other.key.namespace in (None, parent.namespace):
            return other, ("metadata", "name")
    return (entry, ()) if entry is not None else None
