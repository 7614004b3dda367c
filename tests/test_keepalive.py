"""``aimctl.keepalive``: large results are left for ``os._exit`` only in processes that end that
way — the console script and forked workers on their last part — and freed as usual otherwise."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

import aimctl.keepalive as keepalive
from aimctl.parallel import fork_available, run


class _Big:
    """Stands in for a large result (plain objects cannot be weakly referenced)."""


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    before = keepalive.enabled()
    yield
    keepalive.set_enabled(before)


def _kept_after_drop(enabled: bool) -> bool:
    keepalive.set_enabled(enabled)
    obj = _Big()
    ref = weakref.ref(obj)
    keepalive.keep(obj)
    del obj
    gc.collect()
    return ref() is not None


def test_keep_holds_objects_only_while_enabled() -> None:
    assert _kept_after_drop(True)
    assert not _kept_after_drop(False)


def test_in_process_use_frees_as_usual() -> None:
    # imported as a library (tests, the CLI called in-process), nothing is kept
    assert not keepalive.enabled()


def _enabled_in_worker(_: int) -> bool:
    return keepalive.enabled()


@pytest.mark.skipif(not fork_available(), reason="workers need fork")
def test_a_worker_keeps_only_on_its_last_part() -> None:
    keepalive.set_enabled(True)  # the console script's parent: workers decide for themselves
    # one part per worker: every part is its worker's last
    assert run(_enabled_in_worker, list(range(4)), 2, parts_per_worker=1) == [True] * 4
    # workers that live until the work is done never know a part is their last
    keepalive.set_enabled(False)
    assert run(_enabled_in_worker, list(range(4)), 2) == [False] * 4
    assert not keepalive.enabled()  # the parent's own setting is left alone


@pytest.mark.skipif(not fork_available(), reason="workers need fork")
def test_a_worker_with_several_parts_keeps_on_the_last_one_only() -> None:
    results = run(_enabled_in_worker, list(range(6)), 1, parts_per_worker=3)
    # one process slot: the parts run in order, three to a worker
    assert results == [False, False, True, False, False, True]
