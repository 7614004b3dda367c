"""Names the operator derives, byte for byte: sanitisers, hash encoding, per-resource rules.

Ported from ``internal/utils/naming.go`` and the callers listed in operator-behaviour.md §5
(§5.1 derived names, §5.2 sanitisers, §5.3 hash-input JSON, §5.4 rules, §4.1 cache volumes,
§4.10 discovery jobs). Go's string semantics are reproduced where Python's differ.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from aimctl.resolve.gojson import go_json_scalar, go_json_string
from aimctl.resolve.quantity import canonical_quantity

__all__ = [
    "ImageParts",
    "InvalidImageReference",
    "NamespaceTooLongError",
    "artifact_name",
    "cache_mount_path",
    "cache_volume_name",
    "cluster_model_name",
    "custom_template_name",
    "custom_template_name_auto",
    "dedicated_cache_name",
    "derived_name",
    "derived_template_name",
    "download_job_name",
    "go_json",
    "go_lower",
    "go_path_clean",
    "go_trim_space",
    "go_upper",
    "httproute_name",
    "image_parts",
    "isvc_name",
    "model_name_for_custom",
    "model_name_for_image",
    "pvc_name",
    "recommended_template_name",
    "sanitize_label_value",
    "sanitize_rfc1123",
    "shared_cache_name",
    "stand_in_uid",
]

MAX_NAME: Final = 63
_GO_SPACE: Final = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_STAND_IN_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_DNS, "aimctl.amd.com")
_STAND_IN_BYTES: Final = _STAND_IN_NAMESPACE.bytes


class InvalidImageReference(ValueError):
    """An image string the operator cannot split into registry, name and tag (§5.2)."""


class NamespaceTooLongError(ValueError):
    """The namespace leaves fewer than 10 characters for an InferenceService name (§4.1)."""


# --- Go string semantics ------------------------------------------------------------------------


def go_lower(text: str) -> str:
    """``strings.ToLower``: per-rune simple case mapping (``İ`` -> ``i``, no final-sigma rule)."""
    if text.isascii():
        return text.lower()
    return "".join("i" if c == "\u0130" else c.lower() if len(c.lower()) == 1 else c for c in text)


def _upper_rune(c: str) -> str:
    upper = c.upper()
    if len(upper) == 1:
        return upper
    title = c.title()
    return title if len(title) == 1 else c


def go_upper(text: str) -> str:
    """``strings.ToUpper``: per-rune simple case mapping (``ß`` stays ``ß``)."""
    return text.upper() if text.isascii() else "".join(_upper_rune(c) for c in text)


def go_trim_space(text: str) -> str:
    """``strings.TrimSpace``: Unicode White_Space only (Python's ``strip`` also eats ``\\x1c-\\x1f``)."""
    return text.strip(_GO_SPACE)


# --- sanitisers (§5.2) --------------------------------------------------------------------------


_RFC1123_INVALID: Final = re.compile(r"[^a-z0-9-]")
_LABEL_VALUE_INVALID: Final = re.compile(r"[^a-z0-9._-]+")


@functools.lru_cache(maxsize=8192)
def sanitize_rfc1123(text: str) -> str:
    """R(x): lower-case; each code point outside ``[a-z0-9-]`` -> ``-`` (runs kept); trim ``-``;
    cut to 63; trim trailing ``-``. ``hf://Qwen/Qwen3-32B`` -> ``hf---qwen-qwen3-32b``.
    """
    out = _RFC1123_INVALID.sub("-", go_lower(text)).strip("-")
    return out[:MAX_NAME].rstrip("-")


@functools.lru_cache(maxsize=8192)
def sanitize_label_value(text: str) -> str:
    """S(x): lower-case; each *run* outside ``[a-z0-9._-]`` -> ``_``; trim ``_.-``; cut to 63; trim.

    ``Meta/Llama-3-8B`` -> ``meta_llama-3-8b``. Raises ``ValueError`` when nothing is left (the
    operator's callers ignore that error and write an empty label value).
    """
    out = _LABEL_VALUE_INVALID.sub("_", go_lower(text)).strip("_.-")
    out = out[:MAX_NAME].rstrip("_.-")
    if not out:
        raise ValueError(f"label value {text!r} is empty after sanitization")
    return out


# --- hash-input JSON (§5.3) ---------------------------------------------------------------------


_REQ, _OPT, _BOOL, _QTY = "required", "omitempty", "optional-bool", "quantity"
_SELECTORS: Final = (
    ("fieldRef", (("apiVersion", _OPT), ("fieldPath", _REQ))),
    ("resourceFieldRef", (("containerName", _OPT), ("resource", _REQ), ("divisor", _QTY))),
    ("configMapKeyRef", (("name", _OPT), ("key", _REQ), ("optional", _BOOL))),
    ("secretKeyRef", (("name", _OPT), ("key", _REQ), ("optional", _BOOL))),
    ("fileKeyRef", (("volumeName", _REQ), ("path", _REQ), ("key", _REQ), ("optional", _BOOL))),
)


def _selector_field(value: Any, mode: str) -> str | None:
    if mode == _BOOL:
        return None if value is None else ("true" if value else "false")
    if mode == _QTY:
        return go_json_string(canonical_quantity(str(value)) if value not in (None, "") else "0")
    if mode == _OPT and not value:
        return None
    return go_json_string("" if value is None else str(value))


def _env_source_json(source: Mapping[str, Any]) -> str:
    parts = []
    for key, fields in _SELECTORS:
        selector = source.get(key)
        if selector is None:
            continue
        inner = []
        for field, mode in fields:
            encoded = _selector_field(selector.get(field), mode)
            if encoded is not None:
                inner.append(f'"{field}":{encoded}')
        parts.append(f'"{key}":{{{",".join(inner)}}}')
    return "{" + ",".join(parts) + "}"


def _env_json(entry: Mapping[str, Any]) -> str:
    """One ``corev1.EnvVar``: ``name``, ``value`` (omitted if empty), ``valueFrom`` (if present)."""
    parts = ['"name":' + go_json_string(str(entry.get("name") or ""))]
    if entry.get("value"):
        parts.append('"value":' + go_json_string(str(entry["value"])))
    if entry.get("valueFrom") is not None:
        parts.append('"valueFrom":' + _env_source_json(entry["valueFrom"]))
    return "{" + ",".join(parts) + "}"


def go_json(value: object) -> str:
    """Encode one hash input exactly as the operator's ``normalizeToJSON`` does (§5.3).

    ``str`` -> Go JSON string; ``int``/``bool`` -> decimal/``true``; ``None`` -> ``null``; a mapping
    -> its keys and values flattened in sorted key order (``{"b":"2","a":"1"}`` ->
    ``["a","1","b","2"]``); a list of mappings -> a ``[]corev1.EnvVar`` (struct key order,
    ``resourceFieldRef.divisor`` always present, ``"0"`` when unset); an empty list -> ``null``
    (the only list-valued hash input is an env list, which MergeEnvVars returns as nil when empty).
    """
    if type(value) is str:  # the common cases first; subclasses take the general path below
        return go_json_string(value)
    if type(value) is list and value and all(type(item) is dict for item in value):
        return "[" + ",".join([_env_json(item) for item in value]) + "]"
    scalar = None if isinstance(value, float) else go_json_scalar(value)  # no float hash inputs
    if scalar is not None:
        return scalar
    if isinstance(value, Mapping):
        items = (x for key in sorted(value) for x in (go_json_string(key), go_json(value[key])))
        return "[" + ",".join(items) + "]"
    if isinstance(value, Sequence):
        if not value:
            return "null"
        if all(isinstance(item, Mapping) for item in value):
            return "[" + ",".join(_env_json(item) for item in value) + "]"
        return "[" + ",".join(go_json(item) for item in value) + "]"
    raise TypeError(f"unsupported hash input type {type(value).__name__}")


# --- derived names (§5.1) -----------------------------------------------------------------------


def derived_name(
    parts: Sequence[str], hash_inputs: Sequence[object] = (), hash_len: int = 8, max_len: int = 63
) -> str:
    """D(parts; hash inputs; len; max) — GenerateDerivedName (§5.1).

    Parts go through R (an emptied part becomes ``part``); the suffix is the first ``hash_len`` hex
    characters of SHA-256 over the ``|``-joined JSON of the inputs (only if both are non-empty);
    while too long, the longest part (lowest index on ties) loses its last character and trailing
    ``-``. Raises ``ValueError`` for empty ``parts`` or ``max_len`` outside 1..63.
    """
    if not 1 <= max_len <= MAX_NAME:
        raise ValueError(f"maxLength must be between 1 and {MAX_NAME}, got {max_len}")
    if not parts:
        raise ValueError("nameParts cannot be empty")
    if hash_len > 64:
        raise ValueError(f"hash length {hash_len} exceeds the 64 hex characters of SHA-256")
    names = [sanitize_rfc1123(part) or "part" for part in parts]
    suffix = ""
    if hash_len > 0 and hash_inputs:
        suffix = _sha256_hex("|".join([go_json(item) for item in hash_inputs]))[:hash_len]
    extra = len(suffix) if suffix else -1
    lengths = [len(name) for name in names]
    length = sum(lengths) + len(names) + extra  # the joined name with its suffix
    while length > max_len:
        longest = lengths.index(max(lengths))  # the longest part, the first one on ties
        if lengths[longest] <= 1:
            break
        cut = names[longest][:-1].rstrip("-")
        length -= lengths[longest] - len(cut)
        names[longest], lengths[longest] = cut, len(cut)
    return "-".join(names) + (f"-{suffix}" if suffix else "")


@functools.lru_cache(maxsize=8192)
def _sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 text, in hex (the same hash inputs recur, e.g. a namespace)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ImageParts(NamedTuple):
    """Registry, image name and tag of an image reference, each sanitised (§5.2)."""

    registry: str
    name: str
    tag: str


def _image_component(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]+", "-", go_lower(text))).strip("-")


def _digest_tag(image: str, digest: str) -> str:
    colon = digest.find(":")
    if colon == -1:
        raise InvalidImageReference(f"malformed digest (missing colon): {digest}")
    raw = digest.encode("utf-8", "surrogatepass")[len(digest[: colon + 1].encode()) :]
    if not raw:
        raise InvalidImageReference(f"malformed digest (no hash after colon): {digest}")
    return raw[:6].decode("utf-8", "replace")


def image_parts(image: str) -> ImageParts:
    """ExtractImageParts (§5.2): ``ghcr.io/amd/llama-3-8b:v1.0.0`` -> (ghcr-io, llama-3-8b, v1-0-0).

    Registry = first segment if it has ``.`` or ``:`` or is ``localhost``, else ``docker.io``; tag =
    text after ``:``, or 6 characters of a digest, or ``latest``. Raises ``InvalidImageReference``.
    """
    if not image:
        raise InvalidImageReference("image reference is empty")
    registry, repository = "docker.io", image
    slash = image.find("/")
    if slash > 0 and (any(c in image[:slash] for c in ".:") or image[:slash] == "localhost"):
        registry, repository = image[:slash], image[slash + 1 :]
    last = repository.split("/")[-1]
    if "@" in last:
        name, digest = last.split("@", 1)
        if not digest:
            raise InvalidImageReference(f"malformed digest reference: {image}")
        tag = _digest_tag(image, digest)
    elif ":" in last:
        name, tag = last.split(":", 1)
        if not tag:
            raise InvalidImageReference(f"malformed tag reference (empty tag): {image}")
    else:
        name, tag = last, "latest"
    parts = ImageParts(*(_image_component(x) for x in (registry, name, tag)))
    for field, value in zip(ImageParts._fields, parts, strict=True):
        if not value:
            raise InvalidImageReference(f"image {field} is empty after sanitization")
    return parts


# --- name rules per resource (§5.4) -------------------------------------------------------------


def isvc_name(service: str, namespace: str) -> str:
    """InferenceService: ``D([service]; [namespace]; max = 52 - len(namespace))`` (§4.1)."""
    max_len = MAX_NAME - len("-predictor-") - len(namespace.encode("utf-8", "surrogatepass"))
    if max_len < 10:
        raise NamespaceTooLongError(
            f"namespace {namespace!r} leaves {max_len} characters for the InferenceService name"
        )
    return derived_name([service], [namespace], max_len=max_len)


def httproute_name(service: str, namespace: str) -> str:
    """HTTPRoute: ``D([service]; [namespace])`` (§4.2)."""
    return derived_name([service], [namespace])


@functools.lru_cache(maxsize=8192)
def model_name_for_image(image: str) -> str:
    """AIMModel created for ``model.image``: ``D([name, tag]; [image])`` on the trimmed image."""
    image = go_trim_space(image)
    parts = image_parts(image)
    return derived_name([parts.name, parts.tag], [image])


def _aws_endpoint(env: object) -> str:
    """Literal value of the first ``AWS_ENDPOINT_URL`` env entry ("" if missing or valueFrom)."""
    for entry in env if isinstance(env, Sequence) else ():
        if isinstance(entry, Mapping) and entry.get("name") == "AWS_ENDPOINT_URL":
            return str(entry.get("value") or "")
    return ""


def model_name_for_custom(base_image: str, sources: Sequence[Mapping[str, Any]]) -> str:
    """AIMModel created for ``model.custom`` (§4.4): ``D([sources[0].modelId]; [baseImage, per
    source modelId, sourceUri, AWS_ENDPOINT_URL value if non-empty])``; no sources ->
    ``D(["custom-model"]; [baseImage])``.
    """
    if not sources:
        return derived_name(["custom-model"], [base_image])
    inputs: list[object] = [base_image]
    for source in sources:
        inputs += [str(source.get("modelId") or ""), str(source.get("sourceUri") or "")]
        if endpoint := _aws_endpoint(source.get("env")):
            inputs.append(endpoint)
    return derived_name([str(sources[0].get("modelId") or "")], inputs)


def derived_template_name(
    base: str,
    gpu_model: str | None = None,
    gpu_requests: int | None = None,
    precision: str | None = None,
    metric: str | None = None,
) -> str:
    """Derived template for service overrides (§4.5): parts ``[base, "ovr", lower(gpu)?, "<n>gpu"?,
    precision?, metric?]``, hash pairs ``"gpu", gpu, "count", n, …`` for present values, length 4.
    No name-relevant override -> ``base`` unchanged.
    """
    parts = [base, "ovr"]
    inputs: list[object] = []
    if gpu_model:
        parts.append(go_lower(gpu_model))
        inputs += ["gpu", gpu_model]
    if gpu_requests is not None and gpu_requests > 0:
        parts.append(f"{gpu_requests}gpu")
        inputs += ["count", gpu_requests]
    for key, value in (("precision", precision), ("metric", metric)):
        if value:
            parts.append(value)
            inputs += [key, value]
    return derived_name(parts, inputs, hash_len=4) if inputs else base


@functools.lru_cache(maxsize=8192)
def shared_cache_name(template: str, namespace: str) -> str:
    """Service-created Shared AIMTemplateCache: ``D([template]; [namespace])`` (§4.6)."""
    return derived_name([template], [namespace])


def dedicated_cache_name(template: str, service: str, service_uid: str) -> str:
    """Service-created Dedicated AIMTemplateCache: ``D([template, service]; [uid])`` (§4.6)."""
    return derived_name([template, service], [service_uid])


def artifact_name(
    source_uri: str,
    merged_env: Sequence[Mapping[str, Any]] | None,
    storage_class: str,
    dedicated_cache_name: str | None = None,
) -> str:
    """AIMArtifact (§4.8): ``D([uri with . -> -]; [uri, env, storageClass] (+ "dedicated", cache
    name); len=10)``; ``merged_env`` is MergeEnvVars(cache.env, source.env), empty -> ``null``.
    """
    inputs: list[object] = [source_uri, list(merged_env or []), storage_class]
    if dedicated_cache_name is not None:
        inputs += ["dedicated", dedicated_cache_name]
    return derived_name([source_uri.replace(".", "-")], inputs, hash_len=10)


def pvc_name(artifact: str, uid: str) -> str:
    """Artifact PVC: ``D([artifact, "cache"]; [artifact UID])`` (§4.9)."""
    return derived_name([artifact, "cache"], [uid])


def download_job_name(artifact: str, uid: str) -> str:
    """Artifact download Job: ``D([artifact, "download"]; [artifact UID])`` (§4.9)."""
    return derived_name([artifact, "download"], [uid])


def custom_template_name_auto(model: str) -> str:
    """The one auto-generated custom template of a model: ``D([model, "custom"]; [model, 0])``."""
    return derived_name([model, "custom"], [model, 0])


def custom_template_name(
    model: str,
    index: int,
    name: str = "",
    precision: str | None = None,
    metric: str | None = None,
    gpu_requests: int | None = None,
    gpu_model: str | None = None,
    *,
    has_profile: bool | None = None,
    has_gpu: bool | None = None,
) -> str:
    """Custom template entry ``index`` (§4.11): parts ``[model, "custom", name?, precision?, gpu?]``,
    hash ``[model, index, name, (precision, metric if a profile is set), (requests, gpu model if
    hardware.gpu is set)]``. A profile/gpu block counts as set when any of its values is not
    ``None``, unless ``has_profile``/``has_gpu`` says otherwise (e.g. an empty ``profile: {}``).
    """
    profile = has_profile if has_profile is not None else (precision, metric) != (None, None)
    gpu = has_gpu if has_gpu is not None else (gpu_requests, gpu_model) != (None, None)
    parts = [model, "custom"] + [p for p in (name, profile and precision, gpu and gpu_model) if p]
    inputs: list[object] = [model, index, name]
    if profile:
        inputs += [precision or "", metric or ""]
    if gpu:
        inputs += [gpu_requests or 0, gpu_model or ""]
    return derived_name([str(p) for p in parts], inputs)


def recommended_template_name(
    model_name: str,
    image: str,
    gpu: str | None = None,
    count: int | None = None,
    metric: str | None = None,
    precision: str | None = None,
) -> str:
    """Template from a recommended deployment (§4.11): ``D([image, suffix]; [h]; len=4)``.

    ``suffix`` = ``<n>x-<gpu>`` | ``<gpu>`` | ``x<n>``, then ``lat``/``thr``/metric, then precision;
    ``h`` = ``<model>-<image>[-<gpu>][-x<n>][-<metric>][-<precision>]``.
    """
    gpu, count, metric, precision = gpu or "", count or 0, metric or "", precision or ""
    suffix = []
    if gpu:
        suffix.append(f"{count}x-{gpu}" if count > 0 else gpu)
    elif count > 0:
        suffix.append(f"x{count}")
    if metric:
        suffix.append({"latency": "lat", "throughput": "thr"}.get(metric, metric))
    if precision:
        suffix.append(precision)
    digest = (
        f"{model_name}-{image}" + (f"-{gpu}" if gpu else "") + (f"-x{count}" if count > 0 else "")
    )
    digest += (f"-{metric}" if metric else "") + (f"-{precision}" if precision else "")
    return derived_name([image, "-".join(suffix)], [digest], hash_len=4)


def cluster_model_name(registry: str, repository: str, tag: str) -> str:
    """AIMClusterModel from a model source: ``D([repository, tag]; [registry, repository, tag];
    len=6)`` (§4.12)."""
    return derived_name([repository, tag], [registry, repository, tag], hash_len=6)


# --- identity and cache volumes -----------------------------------------------------------------


def stand_in_uid(api_version: str, kind: str, namespace: str, name: str) -> str:
    """aimctl's stand-in for a cluster-assigned UID: UUIDv5 over ``apiVersion/kind/namespace/name``
    in the ``aimctl.amd.com`` DNS namespace; ``namespace`` is ``""`` for cluster-scoped kinds.
    """
    text = f"{api_version}/{kind}/{namespace}/{name}"
    # uuid.uuid5 without its UUID object (measured: 2 % of a serial render): SHA-1 of namespace
    # and name, the first 16 bytes with version 5 and the RFC 4122 variant set.
    digest = bytearray(hashlib.sha1(_STAND_IN_BYTES + text.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def go_path_clean(path: str) -> str:
    """``path.Clean``: collapse ``//``, drop ``.`` elements, resolve ``..``; ``""`` -> ``.``."""
    rooted = path.startswith("/")
    out: list[str] = []
    for element in path.split("/"):
        if element in ("", "."):
            continue
        if element == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(element)
    cleaned = "/".join(out)
    return ("/" + cleaned) if rooted else (cleaned or ".")


def cache_volume_name(artifact: str) -> str:
    """ISVC volume for a cache artifact: R(artifact name) with ``.`` -> ``-`` (§4.1)."""
    return sanitize_rfc1123(artifact).replace(".", "-")


def cache_mount_path(model_id: str, volume_name: str) -> str:
    """Mount path ``/workspace/cache/<modelId>`` (§4.1): every ``..`` removed, path-cleaned; an
    id that cleans to empty or ``.`` is replaced by the volume name.
    """
    cleaned = go_path_clean(model_id.replace("..", ""))
    if cleaned in ("", "."):
        cleaned = volume_name
    return go_path_clean("/workspace/cache/" + cleaned)
