"""Large results a process that is about to end need not free object by object.

Freeing a 10,000-service render's objects one reference at a time costs a measurable share of
the run (the resolved services and rendered manifests: ~0.3 s serial, and ~0.05 s a part in a
worker). Two kinds of process end with ``os._exit``, which frees nothing: the console script
(``aimctl._entry``) and forked workers (``multiprocessing`` leaves a forked child that way). In
those, and only while ``enabled``, ``keep`` holds its arguments until the exit instead of
letting them go when the caller's frame ends. Everywhere else (aimctl used as a library, tests
calling the CLI in-process) ``keep`` does nothing and memory is freed as usual.

Only what would otherwise be freed shortly before the end belongs here: what is kept stays in
memory until the exit (``aimctl.parallel`` enables it in a worker for its last part only).
"""

from __future__ import annotations

__all__ = ["enabled", "keep", "set_enabled"]

_ON = False
_KEPT: list[object] | None = None  # never dropped once made: a forked worker inherits it


def set_enabled(on: bool) -> None:
    """Start or stop keeping (what was kept stays kept)."""
    global _ON, _KEPT
    _ON = on
    if on and _KEPT is None:
        _KEPT = []


def enabled() -> bool:
    return _ON


def keep(*objects: object) -> None:
    """Hold ``objects`` until the process exits, when enabled; otherwise do nothing."""
    if _ON and _KEPT is not None:
        _KEPT.append(objects)
