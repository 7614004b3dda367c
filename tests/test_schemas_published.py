"""schemas/ holds the JSON schemas generated from the models; a stale file fails this test.

Refresh with ``pytest tests/test_schemas_published.py --update-golden``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from aimctl.model.schema_export import export_schemas
from aimctl.project import Project
from tests.conftest import ROOT

SCHEMAS = ROOT / "schemas"


def _expected() -> dict[str, dict[str, Any]]:
    out = dict(export_schemas())
    out["aimctl-project.schema.json"] = Project.model_json_schema(by_alias=True, mode="validation")
    return out


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", sorted(_expected()))
def test_published_schema_is_current(name: str, update_golden: bool) -> None:
    path = SCHEMAS / name
    text = _text(_expected()[name])
    if update_golden:
        SCHEMAS.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"{path} is missing: run pytest --update-golden"
    assert path.read_text() == text, f"{path} is stale: run pytest --update-golden"


def test_no_unknown_files_in_schemas_dir() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(_expected())


def test_project_schema_accepts_the_bundled_example() -> None:
    import jsonschema
    import yaml

    schema = _expected()["aimctl-project.schema.json"]
    data = yaml.safe_load((ROOT / "examples" / "quickstart" / "aimctl.yaml").read_text())
    jsonschema.validate(data, schema)
