"""Routes on shared gateways: no service may take requests meant for another namespace's service.

An HTTPRoute matches a path prefix, and the most specific match wins. So a service whose route
path equals, or lies below, the path of a service in another namespace on the same Gateway takes
(some of) that service's requests. RBAC never prevented this in a live cluster; with ownership
declared, aimctl reports it, since it is one tenant changing what another's service receives.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from aimctl.errors import Diagnostic
from aimctl.resolve.service import ResolvedService
from aimctl.tenants.ownership import Ownership

__all__ = ["check_route_claims"]


def _normal(path: str) -> str:
    """``/a/b`` for ``/a/b/`` (a PathPrefix ignores a trailing slash)."""
    return path.rstrip("/") or "/"


def _prefixes(path: str) -> Iterator[str]:
    """``/``, ``/a``, ``/a/b`` for ``/a/b``: the prefixes a PathPrefix match can come from."""
    yield "/"
    end = path.find("/", 1)
    while end != -1:
        yield path[:end]
        end = path.find("/", end + 1)
    if path != "/":
        yield path


def check_route_claims(
    services: Iterable[ResolvedService], ownership: Ownership
) -> list[Diagnostic]:
    """An error for each routed service whose path lies within (or equals) the path of a service
    of another namespace on the same Gateway."""
    claims: dict[tuple[str, str, str], list[ResolvedService]] = {}
    routed: list[tuple[ResolvedService, tuple[str, str], str]] = []
    for svc in sorted(services, key=lambda s: (s.namespace, s.name)):
        route = svc.route
        if not svc.ok or route is None or not route.enabled or not route.gateway_ref:
            continue
        ref = route.gateway_ref
        gateway = (str(ref.get("namespace") or svc.namespace), str(ref.get("name") or ""))
        path = _normal(route.path or "/")
        claims.setdefault((*gateway, path), []).append(svc)
        routed.append((svc, gateway, path))
    out: list[Diagnostic] = []
    for svc, gateway, path in routed:
        for prefix in _prefixes(path):
            other = next(
                (o for o in claims.get((*gateway, prefix), ()) if o.namespace != svc.namespace),
                None,
            )
            if other is not None:
                out.append(_overlap(svc, other, gateway, path, prefix, ownership))
                break
    return out


def _overlap(
    svc: ResolvedService,
    other: ResolvedService,
    gateway: tuple[str, str],
    path: str,
    prefix: str,
    ownership: Ownership,
) -> Diagnostic:
    owner = ownership.owner(svc.entry.file)
    who = f"{owner.describe()} may not route" if owner is not None else "may not route"
    where = "the same path as" if prefix == path else f"a path within {prefix} of"
    return Diagnostic(
        "E_TENANT_ROUTE_OVERLAP",
        f"{who} {path} on Gateway {gateway[0]}/{gateway[1]}: it is {where} AIMService "
        f"{other.namespace}/{other.name}, so requests meant for that service would reach this "
        "one; choose a path outside other namespaces' paths (routing.pathTemplate, e.g. "
        "/{.metadata.namespace}/{.metadata.name})",
        file=svc.entry.file,
        doc=svc.entry.doc,
        resource=svc.entry.key,
    )
