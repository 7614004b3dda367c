"""JSON Schemas of the AIM document models, for publishing under ``schemas/``."""

from typing import Any

from aimctl.model import AIM_KINDS

__all__ = ["export_schemas", "schema_file_name"]


def schema_file_name(kind: str) -> str:
    """``AIMService`` -> ``aimservice.schema.json``."""
    return f"{kind.lower()}.schema.json"


def export_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema (validation mode, camelCase keys), sorted by file name.

    The caller writes the files; nothing here touches the file system.
    """
    schemas = {
        schema_file_name(kind): cls.model_json_schema(by_alias=True, mode="validation")
        for kind, cls in AIM_KINDS.items()
    }
    return dict(sorted(schemas.items()))
