"""'Did you mean' for every name a user can mistype: kinds, fields, enum values, GPUs, services."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` choices close to ``word`` (case-insensitive; an exact match in another case
    first), best first, in their own spelling."""
    import difflib

    by_lower: dict[str, str] = {}
    for choice in sorted(set(choices)):
        by_lower.setdefault(choice.lower(), choice)
    lowered = word.lower()
    if lowered in by_lower and by_lower[lowered] != word:
        return [by_lower[lowered]]
    found = difflib.get_close_matches(lowered, list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[f] for f in found if by_lower[f] != word]


def did_you_mean(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> str:
    """``"; did you mean 'X'?"`` (or ``'X' or 'Y'``) for the closest choices, else ``""``."""
    found = closest(word, choices, n=n, cutoff=cutoff)
    if not found:
        return ""
    return "; did you mean " + " or ".join(repr(f) for f in found) + "?"
