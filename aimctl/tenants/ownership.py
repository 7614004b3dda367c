"""Who owns which input file: the platform or one tenant, by the path globs of ``aimctl.yaml``.

``platform.paths`` and ``tenants[].paths`` are globs relative to the project file's directory
(``*`` and ``?`` stay within a path segment, ``**`` spans any number of segments, a trailing ``/``
means everything below). Once any owner declares paths, every input file belongs to exactly one
owner: a file no glob matches, or globs of two owners match, is an error naming it.

Matching is cheap enough for the hot path: each glob is filed under its literal leading
directory (``teams/a`` for ``teams/a/**``), so a file is tested only against the globs filed under
one of its own directories, plus those that start with a wildcard.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from aimctl.errors import Diagnostic
from aimctl.project import Project, Tenant

__all__ = ["Owner", "OwnerKey", "Ownership", "assign_owners", "compile_glob"]

OwnerKey = tuple[str, str]
"""``("platform", "")`` or ``("tenant", NAMESPACE)``: what ``render --platform/--tenant`` selects."""

PLATFORM_KEY: OwnerKey = ("platform", "")
_WILD = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True)
class Owner:
    """The platform (``tenant`` None) or one tenant, with the globs it declares."""

    tenant: Tenant | None
    patterns: tuple[str, ...]

    @property
    def key(self) -> OwnerKey:
        return PLATFORM_KEY if self.tenant is None else ("tenant", self.tenant.namespace)

    @property
    def label(self) -> str:
        """``platform`` or ``tenant team-a``: how ``explain`` names the owner."""
        return "platform" if self.tenant is None else f"tenant {self.tenant.namespace}"

    def describe(self) -> str:
        """``tenant 'team-a' (paths teams/a/**)``: how messages name the owner."""
        who = "platform" if self.tenant is None else f"tenant {self.tenant.namespace!r}"
        return f"{who} (paths {', '.join(self.patterns)})"


def _segment(text: str) -> str:
    """One path segment of a glob as a regular expression (``*``, ``?``, ``[...]``)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "*":
            while i + 1 < len(text) and text[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in text[i + 2 :]:
            end = text.index("]", i + 2)
            body = text[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\").replace("/", "") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _segments(pattern: str) -> list[str]:
    parts = pattern.split("/")
    if parts[-1] == "":
        parts[-1] = "**"
    return parts


def compile_glob(pattern: str) -> re.Pattern[str]:
    """The glob as a regular expression over POSIX paths relative to the project directory."""
    parts = _segments(pattern)
    regex: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            regex.append(".*" if last else "(?:[^/]*/)*")
        else:
            regex.append(_segment(part) + ("" if last else "/"))
    return re.compile("".join(regex), re.DOTALL)


def _literal_dir(pattern: str) -> str:
    """The directory a glob cannot leave: its leading segments without wildcards."""
    parts = _segments(pattern)[:-1]
    literal: list[str] = []
    for part in parts:
        if _WILD.search(part):
            break
        literal.append(part)
    return "/".join(literal)


def _ancestors(rel: str) -> Iterable[str]:
    """``""``, ``teams``, ``teams/a`` for ``teams/a/x.yaml``."""
    yield ""
    end = rel.find("/")
    while end != -1:
        yield rel[:end]
        end = rel.find("/", end + 1)


@dataclass(slots=True)
class Ownership:
    """Every owner and the owner of each input file (files in error have none)."""

    owners: list[Owner]
    by_file: dict[str, Owner] = field(default_factory=dict)

    def owner(self, file: str) -> Owner | None:
        return self.by_file.get(file)

    def tenant_namespaces(self) -> dict[str, Owner]:
        return {o.tenant.namespace: o for o in self.owners if o.tenant is not None}

    def find(self, key: OwnerKey) -> Owner | None:
        return next((o for o in self.owners if o.key == key), None)


def _owners(project: Project) -> list[Owner]:
    platform = project.platform.paths if project.platform is not None else None
    owners = [Owner(None, tuple(platform or ()))]
    owners.extend(Owner(t, tuple(t.paths or ())) for t in project.tenants or [])
    return owners


def _relative(file: str, project_dir: str) -> str | None:
    """``file`` (as displayed) relative to the project directory, POSIX; None when outside it."""
    rel = os.path.relpath(os.path.abspath(file), project_dir)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return rel.replace(os.sep, "/")


def assign_owners(
    project: Project, project_dir: str, files: Iterable[str]
) -> tuple[Ownership, list[Diagnostic]]:
    """The owner of each of ``files`` (paths as the loader displays them), and an error for each
    file that belongs to no owner or to two. ``project_dir``: the project file's directory."""
    ownership = Ownership(_owners(project))
    filed: dict[str, list[tuple[re.Pattern[str], Owner]]] = defaultdict(list)
    for owner in ownership.owners:
        for pattern in owner.patterns:
            filed[_literal_dir(pattern)].append((compile_glob(pattern), owner))
    problems: list[Diagnostic] = []
    for file in files:
        rel = _relative(file, project_dir)
        found: list[Owner] = []
        if rel is not None:
            for directory in _ancestors(rel):
                for regex, owner in filed.get(directory, ()):
                    if owner not in found and regex.fullmatch(rel):
                        found.append(owner)
        if len(found) == 1:
            ownership.by_file[file] = found[0]
        else:
            problems.append(_ownership_error(file, rel, found, project_dir))
    return ownership, problems


def _ownership_error(
    file: str, rel: str | None, found: list[Owner], project_dir: str
) -> Diagnostic:
    rule = "once aimctl.yaml declares paths, every input file belongs to exactly one owner"
    if rel is None:
        return Diagnostic(
            "E_FILE_NOT_OWNED",
            f"owned by no one: the file is outside the project directory {project_dir}, which "
            f"the paths in aimctl.yaml are relative to ({rule})",
            file=file,
            hint="render a directory that holds aimctl.yaml, or move the file below it",
        )
    if not found:
        return Diagnostic(
            "E_FILE_NOT_OWNED",
            f"owned by no one: neither platform.paths nor any tenant's paths in aimctl.yaml "
            f"match {rel} ({rule})",
            file=file,
            hint="add a glob that matches it to platform.paths or to its tenant's paths",
        )
    owners = " and ".join(o.describe() for o in sorted(found, key=lambda o: o.key))
    return Diagnostic(
        "E_FILE_OWNED_TWICE",
        f"owned by both {owners} ({rule})",
        file=file,
        hint="narrow one of the globs so that only one owner matches the file",
    )
