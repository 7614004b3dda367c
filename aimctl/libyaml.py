"""PyYAML's libyaml-backed loader, or one clear line when this PyYAML was built without libyaml.

aimctl parses with libyaml only (aimctl.md §7): the pure-Python parser is about fifteen times
slower and recurses where libyaml does not, so there is no silent fallback. PyYAML's wheels for
Linux, macOS and Windows bundle libyaml; a PyYAML built from source without it lacks
``yaml.CSafeLoader``, and aimctl then exits 1 with the message below instead of a traceback.
"""

from __future__ import annotations

import yaml

__all__ = ["MISSING_LIBYAML", "CSafeLoader"]

MISSING_LIBYAML = (
    "aimctl: this PyYAML was built without libyaml (yaml.CSafeLoader is missing); "
    "reinstall PyYAML from a wheel, e.g. `pip install --force-reinstall --only-binary pyyaml pyyaml`"
)

try:
    CSafeLoader = yaml.CSafeLoader
except AttributeError:
    raise SystemExit(MISSING_LIBYAML) from None
