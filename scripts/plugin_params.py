"""Rewrite the announced parameters of examples/argocd/plugin.yaml from aimctl/argocd.py.

    python scripts/plugin_params.py          # rewrite
    python scripts/plugin_params.py --check  # exit 1 when plugin.yaml is out of date

``tests/test_argocd_plugin.py`` fails when the two differ, so edit PARAMETERS, then run this.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from aimctl.argocd import announced

PLUGIN = Path(__file__).resolve().parent.parent / "examples" / "argocd" / "plugin.yaml"
MARKER = "    static:\n"


def rendered(text: str) -> str:
    head = text[: text.index(MARKER) + len(MARKER)]
    body = yaml.safe_dump(announced(), sort_keys=False, width=200, default_flow_style=False)
    return head + "".join(f"      {line}\n" for line in body.splitlines())


def main() -> int:
    text = PLUGIN.read_text(encoding="utf-8")
    fresh = rendered(text)
    if "--check" in sys.argv[1:]:
        return 0 if fresh == text else 1
    PLUGIN.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
