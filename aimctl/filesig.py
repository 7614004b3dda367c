"""A file's signature: what identifies its content without reading it.

A leaf module: the loader records the inputs' signatures, emit and the render cache the output's.
"""

from __future__ import annotations

import os

__all__ = ["Signature", "signature"]

Signature = tuple[int, int, int, int, int]  # inode, size, mtime, ctime (ns), mode of a file


def signature(st: os.stat_result) -> Signature:
    """A file's inode, size, times and mode, from its ``stat``.

    The change time (``st_ctime_ns``) is set by the kernel on every write, rename or link and
    cannot be set by an unprivileged user, so an edit of the file always changes it.
    """
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)
