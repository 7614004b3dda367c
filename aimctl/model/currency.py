"""Which AIM Engine release aimctl follows, and what it says about fields and kinds from others.

A field or kind that a later release added (or that no release defines) is still refused, as the
0.2.2 API server would refuse it, but with a message that says so: a user on a newer cluster
then learns that aimctl is behind, not that the YAML is wrong. The releases are those named in
``shared/design/api-currency.md`` §3 and §6 (CHANGELOG and CRDs; no controller code was read).
"""

from typing import Final

__all__ = [
    "LATER_FIELDS",
    "OPERATOR_RELEASE",
    "UNSUPPORTED_KINDS",
    "later_field",
]

OPERATOR_RELEASE: Final = "0.2.2"
"""The operator release whose v1alpha1 schema aimctl accepts and whose behaviour it renders."""

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
