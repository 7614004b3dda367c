"""JSON Schemas of the AIM document models, for publishing under ``schemas/``."""

from typing import Any

from aimctl.model import AIM_KINDS, AIM_V1ALPHA2_KINDS

__all__ = ["export_schemas", "schema_file_name"]


def schema_file_name(kind: str, version: str = "v1alpha1") -> str:
    """``AIMService`` -> ``aimservice.schema.json``; a kind also served as v1alpha1 gets its
    v1alpha2 schema as ``aimservice.v1alpha2.schema.json``."""
    if version != "v1alpha1" and kind in AIM_KINDS:
        return f"{kind.lower()}.{version}.schema.json"
    return f"{kind.lower()}.schema.json"


def export_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema (validation mode, camelCase keys), sorted by file name.

    The caller writes the files; nothing here touches the file system.
    """
    schemas = {
        schema_file_name(kind): cls.model_json_schema(by_alias=True, mode="validation")
        for kind, cls in AIM_KINDS.items()
    }
    for kind, cls in AIM_V1ALPHA2_KINDS.items():
        name = schema_file_name(kind, "v1alpha2")
        schemas[name] = cls.model_json_schema(by_alias=True, mode="validation")
    return dict(sorted(schemas.items()))
