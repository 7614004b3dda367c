"""Label propagation from a parent to the children it applies (operator-behaviour.md §6).

``glob_match`` is a byte-for-byte port of Go's ``path/filepath.Match`` on a POSIX system, which is
what the operator's ``matchesAnyPattern`` uses for ``labelPropagation.match``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Final

__all__ = ["ALWAYS_PROPAGATED_PREFIX", "glob_match", "labels_to_propagate", "propagate_labels"]

ALWAYS_PROPAGATED_PREFIX: Final = "aim.eai.amd.com/"
_SLASH: Final = ord("/")
_BACKSLASH: Final = ord("\\")
_STAR: Final = ord("*")


class _BadPatternError(Exception):
    """filepath.ErrBadPattern: the operator ignores the pattern (no match)."""


def _rune(data: bytes) -> tuple[int, int]:
    """utf8.DecodeRune: (rune, width); invalid bytes decode as (U+FFFD, 1), empty as (U+FFFD, 0)."""
    if not data:
        return 0xFFFD, 0
    first = data[0]
    if first < 0x80:
        return first, 1
    width = 2 if 0xC0 <= first < 0xE0 else 3 if 0xE0 <= first < 0xF0 else 4
    try:
        return ord(data[:width].decode("utf-8")), width
    except UnicodeDecodeError:
        return 0xFFFD, 1


def _scan_chunk(pattern: bytes) -> tuple[bool, bytes, bytes]:
    """Split off leading stars and the chunk up to the next star outside a character class."""
    star = False
    while pattern[:1] == b"*":
        pattern, star = pattern[1:], True
    in_range, i = False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == _BACKSLASH and i + 1 < len(pattern):
            i += 1
        elif c == ord("["):
            in_range = True
        elif c == ord("]"):
            in_range = False
        elif c == _STAR and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _get_esc(chunk: bytes) -> tuple[int, bytes]:
    """One possibly escaped character of a class range."""
    if not chunk or chunk[0] in b"-]":
        raise _BadPatternError
    if chunk[0] == _BACKSLASH:
        chunk = chunk[1:]
        if not chunk:
            raise _BadPatternError
    rune, width = _rune(chunk)
    if (rune == 0xFFFD and width == 1) or not chunk[width:]:
        raise _BadPatternError
    return rune, chunk[width:]


def _match_class(chunk: bytes, rune: int | None) -> tuple[bool, bytes]:
    """``[...]`` after the ``[``: (matched, rest of chunk). Only ``^`` negates (not ``!``)."""
    negated = chunk[:1] == b"^"
    chunk = chunk[1:] if negated else chunk
    matched, ranges = False, 0
    while not (chunk[:1] == b"]" and ranges > 0):
        low, chunk = _get_esc(chunk)
        high = low
        if chunk[:1] == b"-":
            high, chunk = _get_esc(chunk[1:])
        matched = matched or (rune is not None and low <= rune <= high)
        ranges += 1
    return matched != negated, chunk[1:]


def _match_chunk(chunk: bytes, name: bytes) -> tuple[bytes, bool]:
    """Match a star-free chunk at the start of ``name``; keeps validating after a mismatch."""
    failed = False
    while chunk:
        failed = failed or not name
        c = chunk[0]
        if c == ord("["):
            rune = None
            if not failed:
                rune, width = _rune(name)
                name = name[width:]
            ok, chunk = _match_class(chunk[1:], rune)
            failed = failed or not ok
            continue
        if c == ord("?"):
            if not failed:
                failed = name[0] == _SLASH
                name = name[_rune(name)[1] :]
            chunk = chunk[1:]
            continue
        if c == _BACKSLASH:
            chunk = chunk[1:]
            if not chunk:
                raise _BadPatternError
        if not failed:
            failed = chunk[0] != name[0]
            name = name[1:]
        chunk = chunk[1:]
    return (b"", False) if failed else (name, True)


def _star_match(chunk: bytes, name: bytes, last: bool) -> bytes | None:
    """Try the chunk after skipping 1..n bytes (never a ``/``); the remaining name or None."""
    for i in range(len(name)):
        if name[i] == _SLASH:
            break
        rest, ok = _match_chunk(chunk, name[i + 1 :])
        if ok and not (last and rest):
            return rest
    return None


def _match(pattern: bytes, name: bytes) -> bool:
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return b"/" not in name
        rest, ok = _match_chunk(chunk, name)
        if ok and (not rest or pattern):
            name = rest
            continue
        if star and (skipped := _star_match(chunk, name, not pattern)) is not None:
            name = skipped
            continue
        while pattern:
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, b"")
        return False
    return not name


@functools.lru_cache(maxsize=65536)
def glob_match(pattern: str, key: str) -> bool:
    """``filepath.Match(pattern, key)`` on POSIX; a malformed pattern never matches.

    ``*`` matches any run of bytes except ``/``; ``?`` one character except ``/``; ``[...]`` a
    character class with ranges ``a-z`` and ``^`` negation (``!`` is an ordinary character in Go);
    ``\\`` escapes the next character. ``team-*`` matches ``team-alpha`` but not ``x.io/team-a``.
    """
    try:
        return _match(
            pattern.encode("utf-8", "surrogatepass"), key.encode("utf-8", "surrogatepass")
        )
    except _BadPatternError:
        return False


@functools.lru_cache(maxsize=8192)
def _propagated_keys(keys: tuple[str, ...], patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The parent label keys a child receives, sorted: ``aim.eai.amd.com/*`` or matching a pattern.

    Label key sets repeat across services, so this runs once per (keys, patterns) combination.
    """
    return tuple(
        key
        for key in sorted(keys)
        if key.startswith(ALWAYS_PROPAGATED_PREFIX) or any(glob_match(p, key) for p in patterns)
    )


def labels_to_propagate(
    parent_labels: Mapping[str, str], enabled: bool, patterns: Iterable[str]
) -> dict[str, str]:
    """The parent labels a child may receive (§6), in sorted key order.

    ``aim.eai.amd.com/*`` keys always; any other key only when propagation is enabled in the
    parent's merged runtime config and the key matches one of the (non-empty) patterns.
    """
    keys = _propagated_keys(tuple(parent_labels), tuple(patterns) if enabled else ())
    return {key: parent_labels[key] for key in keys}


def propagate_labels(
    parent_labels: Mapping[str, str],
    child_labels: Mapping[str, str],
    enabled: bool,
    patterns: Iterable[str],
) -> dict[str, str]:
    """PropagateLabels (§6): the child's labels plus the parent's propagated ones it lacks.

    Keys the child already has are never overwritten (builder labels win); copied keys are added
    after the child's own, in sorted order. The inputs are not modified; the result is a new dict.
    """
    merged = dict(child_labels)
    for key in _propagated_keys(tuple(parent_labels), tuple(patterns) if enabled else ()):
        merged.setdefault(key, parent_labels[key])  # labels_to_propagate, without its dict
    return merged
