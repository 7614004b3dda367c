"""Which AIM Engine release aimctl follows, and what it says about fields and kinds from others.

A field or kind that a later release added (or that no release defines) is still refused, as the
0.2.2 API server would refuse it, but with a message that says so: a user on a newer cluster
then learns that aimctl is behind, not that the YAML is wrong. The releases are those named in
``shared/design/api-currency.md`` §3 and §6 (CHANGELOG and CRDs; no controller code was read).
"""

from typing import Final

__all__ = [
    "ACCEPTED_SCHEMAS",
    "DEVIATIONS",
    "LATER_FIELDS",
    "OPERATOR_RELEASE",
    "SUPPORTED_OPERATORS",
    "UNSUPPORTED_KINDS",
    "later_field",
    "unsupported_operator_message",
    "version_info",
]

OPERATOR_RELEASE: Final = "0.2.2"
"""The operator release whose v1alpha1 schema aimctl accepts and whose behaviour it renders."""

SUPPORTED_OPERATORS: Final = (OPERATOR_RELEASE,)
"""Values ``operator:`` (aimctl.yaml) and ``--operator-version`` accept.

There is no separate ``9223504``/0.2.0 target: for every input the 9223504 CRDs accept, the
0.2.2 target renders the same bytes (the 0.2.2 changes aimctl implements need 0.2.2 fields;
those that change output for unchanged input are not implemented and listed in DEVIATIONS).
"""

ACCEPTED_SCHEMAS: Final = (
    "aim.eai.amd.com/v1alpha1: the ten AIM kinds of the operator 0.2.2 CRDs",
    "aim.eai.amd.com/v1alpha2: AIMService and AIMClusterProfile of the 0.2.5-cycle CRDs "
    "(aim-engine 528af2c); AIMProfile with kind-level checks only",
)

DEVIATIONS: Final = (
    "download Jobs lack the 0.2.2 download-filter env (AIM_HF_INCLUDE/AIM_HF_EXCLUDE, default "
    "exclude */*, #56): the 0.2.2 download-Job code was not read; downloadFilter fields are "
    "accepted and not rendered",
    "HTTPRoutes keep the 9223504 annotations (runtime config only): 0.2.2 (#55) adds the "
    "service's, taking precedence, but its code was not read (later code merges "
    "spec.routing.annotations, not metadata.annotations, over the runtime config's)",
    "the template discovery Job's reaction to customProfile (0.2.2) is not rendered (aimctl "
    "renders no discovery Jobs)",
    "the download image stays ghcr.io/silogen/aim-artifact-downloader:0.2.0: 0.2.2 sets the "
    "default at build time to match the release tag (#15), whose exact form was not read",
    "artifact quotas and retention priorities (0.2.2, #60) are evaluated in-cluster; accepted, "
    "no rendered effect",
    "a template with both profileId and customProfile keeps AIM_PROFILE_ID twice in append "
    "order (Go's sort.Slice keeps that order only up to 12 env entries)",
    "v1alpha2 template-pipeline services render as their v1alpha1 twins (0.2.2 has no v1alpha2; "
    "0.2.5-cycle operators route them to the same pipeline); the profile pipeline is not "
    "rendered (it needs live cluster state)",
)
"""Known differences from the real operator 0.2.2 for the inputs aimctl accepts."""


def unsupported_operator_message(value: str) -> str:
    supported = ", ".join(f'"{v}"' for v in SUPPORTED_OPERATORS)
    return f"operator version {value!r} is not implemented by aimctl; supported: {supported}"


def version_info(aimctl_version: str) -> dict[str, object]:
    """What ``aimctl version -o json`` prints."""
    return {
        "aimctl": aimctl_version,
        "operator": OPERATOR_RELEASE,
        "supportedOperators": list(SUPPORTED_OPERATORS),
        "schemas": list(ACCEPTED_SCHEMAS),
        "profilePipeline": "validate only",
        "deviations": list(DEVIATIONS),
    }


_RENDERS = f"aimctl renders operator {OPERATOR_RELEASE}"
_PROFILE_PIPELINE = (
    "requires operator ≥ 0.2.5 (the profile pipeline; write the service as "
    "aim.eai.amd.com/v1alpha2 to have it validated); " + _RENDERS
)
_BASE_IMAGE_REF = (
    "unknown field: no AIM Engine release defines imageMetadata.baseImageRef (checked the "
    "0.2.0–0.2.2 CRDs and the operator's ImageMetadata type); kubectl apply rejects it (strict "
    "field validation) and with --validate=false the API server drops it"
)

LATER_FIELDS: Final[dict[tuple[str, tuple[str, ...]], tuple[str, str]]] = {
    # (kind, spec path with "*" for list items) -> (message, hint)
    **{
        (kind, ("spec", "imageMetadata", "baseImageRef")): (
            _BASE_IMAGE_REF,
            "remove the field; the API server would drop it anyway",
        )
        for kind in ("AIMModel", "AIMClusterModel")
    },
    **{
        (kind, path): (f"requires operator ≥ 0.2.4 (fine-tune template matching); {_RENDERS}", "")
        for kind in ("AIMModel", "AIMClusterModel")
        for path in (("spec", "aimId"), ("spec", "custom", "versionPolicy"))
    },
    **{
        (kind, ("spec", "profileCopy")): (f"requires operator ≥ 0.2.5; {_RENDERS}", "")
        for kind in ("AIMModel", "AIMClusterModel")
    },
    ("AIMService", ("spec", "profile")): (_PROFILE_PIPELINE, ""),
    ("AIMService", ("spec", "profileOverrides")): (_PROFILE_PIPELINE, ""),
    **{
        ("AIMService", ("spec", name)): (
            "from an operator release newer than the CRDs aimctl knows (0.2.2 for v1alpha1, "
            f"the 0.2.5 cycle for v1alpha2); {_RENDERS}",
            "",
        )
        for name in ("adapters", "scaleFromZero")
    },
    **{
        ("AIMArtifact", ("spec", name)): (
            f"requires operator ≥ 0.2.5 (LoRA adapters); {_RENDERS}",
            "",
        )
        for name in ("type", "compatibleWith", "rank")
    },
    **{
        ("AIMClusterModelSource", ("spec", name)): (
            f"requires operator ≥ 0.2.6 (seen only in a fork); {_RENDERS}",
            "",
        )
        for name in ("images", "models")
    },
}
"""Unknown fields aimctl recognises, with the release that added them."""

UNSUPPORTED_KINDS: Final[dict[str, str]] = {
    "AIMProfileSet": "kind not supported by aimctl (operator ≥ 0.2.5)",
    "AIMClusterProfileSet": "kind not supported by aimctl (operator ≥ 0.2.5)",
    "AIMProfileCache": "kind not supported by aimctl (operator ≥ 0.2.5; the operator creates it)",
}
"""AIM kinds of later releases that aimctl neither validates nor renders."""


def later_field(kind: str, path: tuple[str | int, ...]) -> tuple[str, str] | None:
    """The (message, hint) for an unknown field a later release defines, else None."""
    key = tuple("*" if isinstance(part, int) else part for part in path)
    return LATER_FIELDS.get((kind, key))
