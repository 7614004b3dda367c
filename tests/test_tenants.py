"""Tenant scaffolding (issue 6): the objects ``render_tenants`` builds from the project file, the
checks ``check_tenants`` runs for ``validate``, and the facts ``tenant_facts`` gives ``explain``.

Services come from the real pipeline (load -> catalog -> resolve) over a small inline tree; every
rendered object is validated against the real schemas when ../shared is beside the project.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from aimctl.errors import Diagnostic, Severity
from aimctl.pipeline import LoadOptions, load_inputs
from aimctl.project import Project, project_json_schema
from aimctl.render.children import default_templates_dir
from aimctl.render.engine import TemplateSet
from aimctl.resolve.run import resolve_all
from aimctl.resolve.service import ResolvedService
from aimctl.tenants import (
    HELPER_KINDS,
    STATUS_UPDATER_ROLE,
    TENANT_KINDS,
    check_tenants,
    render_tenants,
    tenant_facts,
)
from tests.conftest import HAS_SHARED, ROOT, load_validator

PROJECT_FILE = "aimctl.yaml"

# --- the input tree ------------------------------------------------------------------------------

TREE = {
    "platform.yaml": """
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMClusterRuntimeConfig
        metadata:
          name: default
        spec:
          routing:
            enabled: true
            gatewayRef: {name: shared-gw, namespace: gateway-system}
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMClusterModel
        metadata:
          name: small
        spec:
          image: example.com/aim-small:1.0
          discovery: {createServiceTemplates: false}
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMClusterServiceTemplate
        metadata:
          name: small-mi300x
        spec:
          modelName: small
          metric: latency
          precision: fp16
          type: optimized
          hardware: {gpu: {model: MI300X, requests: 1}}
          modelSources:
            - {modelId: org/small, sourceUri: hf://org/small, size: 10Gi}
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMClusterModel
        metadata:
          name: big
        spec:
          image: example.com/aim-big:1.0
          discovery: {createServiceTemplates: false}
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMClusterServiceTemplate
        metadata:
          name: big-mi300x-tp4
        spec:
          modelName: big
          metric: throughput
          precision: fp8
          type: optimized
          hardware: {gpu: {model: MI300X, requests: 4}}
          modelSources:
            - {modelId: org/big, sourceUri: hf://org/big, size: 100Gi}
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMClusterModel
        metadata:
          name: sliced
        spec:
          image: example.com/aim-sliced:1.0
          discovery: {createServiceTemplates: false}
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMClusterServiceTemplate
        metadata:
          name: sliced-partition
        spec:
          modelName: sliced
          type: optimized
          hardware: {gpu: {model: MI300X, requests: 2, resourceName: amd.com/gpu-partition}}
          modelSources:
            - {modelId: org/sliced, sourceUri: hf://org/sliced, size: 4Gi}
    """,
    # team-a: 2 x 1 GPU + 3 x 4 GPUs = 14 amd.com/gpu at max replicas; routes via gateway-system.
    "team-a.yaml": """
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMService
        metadata: {name: chat, namespace: team-a}
        spec:
          model: {name: small}
          replicas: 2
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMService
        metadata: {name: batch, namespace: team-a}
        spec:
          model: {name: big}
          minReplicas: 1
          maxReplicas: 3
    """,
    # team-b: its runtime config moves routes to the edge gateway; one service routes to a gateway
    # in its own namespace; one uses a partitioned GPU resource; one names a service account.
    "team-b.yaml": """
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMRuntimeConfig
        metadata: {name: default, namespace: team-b}
        spec:
          routing:
            gatewayRef: {name: edge-gw, namespace: edge}
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMService
        metadata: {name: web, namespace: team-b}
        spec:
          model: {name: small}
          serviceAccountName: runner
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMService
        metadata: {name: local, namespace: team-b}
        spec:
          model: {name: small}
          routing:
            gatewayRef: {name: own-gw}
        ---
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMService
        metadata: {name: slice, namespace: team-b}
        spec:
          model: {name: sliced}
          replicas: 3
    """,
    # team-c: never a tenant in these tests; no route.
    "team-c.yaml": """
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMService
        metadata: {name: lonely, namespace: team-c}
        spec:
          model: {name: small}
          routing: {enabled: false}
    """,
}


class World:
    """The resolved services of ``TREE`` and what the tenant functions take besides a project."""

    def __init__(self, root: Path) -> None:
        inputs = load_inputs(LoadOptions((root,)))
        assert not inputs.has_errors, inputs.diagnostics
        resolution = resolve_all(inputs.catalog, inputs.project)
        assert resolution.ok, [d.message for d in resolution.diagnostics if d.is_error]
        self.services: list[ResolvedService] = resolution.services
        self.namespaces: set[str] = inputs.catalog.namespaces_used()
        self.templates = TemplateSet.load(default_templates_dir())

    def service(self, namespace: str, name: str) -> ResolvedService:
        return next(s for s in self.services if (s.namespace, s.name) == (namespace, name))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("tenants")
    for rel, text in TREE.items():
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return World(root)


def project(*tenants: dict[str, Any], **extra: Any) -> Project:
    data: dict[str, Any] = {"apiVersion": "aimctl.amd.com/v1alpha1", "kind": "Project", **extra}
    if tenants:
        data["tenants"] = list(tenants)
    return Project.model_validate(data)


def schema_check(objects: list[dict[str, Any]]) -> None:
    """Validate against the real schemas (see ``test_schema_validation_needs_shared``)."""
    if not HAS_SHARED:
        return
    report = load_validator().validate_objects(objects, require_namespace=True)
    assert report.ok, report.format()


def render(
    world: World, proj: Project, **options: Any
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    objects, problems = render_tenants(
        proj,
        world.namespaces,
        world.services,
        world.templates,
        project_file=PROJECT_FILE,
        **options,
    )
    schema_check(objects)
    return objects, problems


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, namespace: str | None = None) -> dict[str, Any]:
    found = [o for o in of_kind(objects, kind) if o["metadata"].get("namespace") == namespace]
    assert len(found) == 1, found
    return found[0]


ALL_NAMESPACES = (
    {"namespace": "team-a"},
    {"namespace": "team-b", "serviceAccounts": ["runner"]},
    {"namespace": "team-c"},
)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


@pytest.mark.skipif(
    not HAS_SHARED,
    reason="../shared (schemas and validator) is not beside the project: the objects rendered in "
    "this module are not checked against the real schemas",
)
def test_schema_validation_needs_shared() -> None:
    assert load_validator().validate_objects([]).ok


# --- Namespace -----------------------------------------------------------------------------------


def test_tenant_namespace_carries_its_labels_annotations_and_the_aimctl_labels(
    world: World,
) -> None:
    objects, problems = render(
        world,
        project(
            {
                "namespace": "team-a",
                "labels": {"team": "a", "cost-center": "4711"},
                "annotations": {"example.com/owner": "a@example.com"},
            },
            {"namespace": "team-b"},
            {"namespace": "team-c"},
        ),
    )
    ns = next(o for o in of_kind(objects, "Namespace") if o["metadata"]["name"] == "team-a")
    assert ns["metadata"]["labels"] == {
        "aimctl.amd.com/tenant": "team-a",
        "app.kubernetes.io/managed-by": "aimctl",
        "cost-center": "4711",
        "team": "a",
    }
    assert list(ns["metadata"]["labels"]) == sorted(ns["metadata"]["labels"])
    assert ns["metadata"]["annotations"] == {"example.com/owner": "a@example.com"}
    assert problems == []


def test_tenant_without_options_gets_only_its_namespace(world: World) -> None:
    objects, _ = render(world, project(*ALL_NAMESPACES))
    assert sorted(o["kind"] for o in objects) == ["Namespace"] * 3 + ["ServiceAccount"]
    assert "annotations" not in objects[0]["metadata"]


def test_undeclared_namespace_is_a_warning_when_tenants_are_declared(world: World) -> None:
    objects, problems = render(world, project({"namespace": "team-a"}, {"namespace": "team-b"}))
    assert [o["metadata"]["name"] for o in of_kind(objects, "Namespace")] == ["team-a", "team-b"]
    [warning] = problems
    assert warning.code == "W_NAMESPACE_NOT_A_TENANT"
    assert warning.severity is Severity.WARNING
    assert "'team-c'" in warning.message and "lonely" in warning.message
    # blamed on the object that uses the namespace (issue 16, class 21), not on the project file
    assert warning.file is not None and warning.file.endswith("team-c.yaml")
    assert warning.field == ("metadata", "namespace")
    assert PROJECT_FILE in warning.hint


def test_undeclared_namespace_is_an_error_when_strict(world: World) -> None:
    problems = check_tenants(
        project({"namespace": "team-a"}, {"namespace": "team-b"}),
        world.namespaces,
        world.services,
        strict=True,
        project_file=PROJECT_FILE,
    )
    assert [(d.code, d.severity) for d in problems if "team-c" in d.message] == [
        ("E_NAMESPACE_NOT_A_TENANT", Severity.ERROR)
    ]


def test_render_and_check_report_an_undeclared_namespace_as_the_same_diagnostic(
    world: World,
) -> None:
    proj = project({"namespace": "team-a"}, {"namespace": "team-b"})
    _, rendered = render(world, proj)
    checked = check_tenants(proj, world.namespaces, world.services, project_file=PROJECT_FILE)
    assert rendered[0] in checked


def test_no_namespace_warning_when_the_project_declares_no_tenants(world: World) -> None:
    objects, problems = render(world, project())
    assert objects == [] and problems == []
    assert check_tenants(project(), world.namespaces, world.services) == []


def test_create_namespaces_renders_a_bare_namespace_for_each_undeclared_one(world: World) -> None:
    objects, problems = render(world, project({"namespace": "team-a"}), create_namespaces=True)
    assert problems == []
    created = {o["metadata"]["name"]: o["metadata"] for o in of_kind(objects, "Namespace")}
    assert sorted(created) == ["team-a", "team-b", "team-c"]
    assert created["team-c"]["labels"] == {"app.kubernetes.io/managed-by": "aimctl"}


# --- RBAC ----------------------------------------------------------------------------------------

SUBJECTS = {
    "admins": [{"kind": "Group", "name": "a-admins"}],
    "editors": [
        {"kind": "User", "name": "dev@example.com"},
        {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
    ],
    "viewers": [{"kind": "ServiceAccount", "name": "reader"}],
}


def test_each_role_is_bound_to_the_helper_role_of_each_namespaced_kind(world: World) -> None:
    objects, _ = render(world, project({"namespace": "team-a", **SUBJECTS}, *ALL_NAMESPACES[1:]))
    bindings = {o["metadata"]["name"]: o for o in of_kind(objects, "RoleBinding")}
    assert len(bindings) == 3 * 6
    assert TENANT_KINDS == (
        "AIMService",
        "AIMModel",
        "AIMServiceTemplate",
        "AIMRuntimeConfig",
        "AIMTemplateCache",
        "AIMArtifact",
    )
    for kind in TENANT_KINDS:
        for role in ("admin", "editor", "viewer"):
            binding = bindings[f"aimctl-tenant-{kind.lower()}-{role}"]
            assert binding["metadata"]["namespace"] == "team-a"
            assert binding["roleRef"] == {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"aim-engine-{kind.lower()}-{role}-role",
            }
    assert bindings["aimctl-tenant-aimservice-admin"]["metadata"]["labels"] == {
        "aimctl.amd.com/tenant": "team-a",
        "app.kubernetes.io/managed-by": "aimctl",
    }


def test_binding_subjects_keep_their_order_and_service_accounts_default_to_the_tenant(
    world: World,
) -> None:
    objects, _ = render(world, project({"namespace": "team-a", **SUBJECTS}, *ALL_NAMESPACES[1:]))
    bindings = {o["metadata"]["name"]: o for o in of_kind(objects, "RoleBinding")}
    assert bindings["aimctl-tenant-aimmodel-editor"]["subjects"] == [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "dev@example.com"},
        {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
    ]
    assert bindings["aimctl-tenant-aimartifact-viewer"]["subjects"] == [
        {"kind": "ServiceAccount", "name": "reader", "namespace": "team-a"}
    ]
    assert bindings["aimctl-tenant-aimservice-admin"]["subjects"] == [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "a-admins"}
    ]


def test_a_role_without_subjects_gets_no_binding(world: World) -> None:
    objects, _ = render(
        world, project({"namespace": "team-a", "viewers": SUBJECTS["admins"]}, *ALL_NAMESPACES[1:])
    )
    names = sorted(o["metadata"]["name"] for o in of_kind(objects, "RoleBinding"))
    assert names == sorted(f"aimctl-tenant-{k.lower()}-viewer" for k in TENANT_KINDS)


def test_role_prefix_renames_the_cluster_roles_tenants_are_bound_to(world: World) -> None:
    proj = project(
        {"namespace": "team-a", "admins": SUBJECTS["admins"]},
        *ALL_NAMESPACES[1:],
        rbac={"rolePrefix": "aim-"},
    )
    objects, _ = render(world, proj)
    refs = {o["roleRef"]["name"] for o in of_kind(objects, "RoleBinding")}
    assert refs == {f"aim-{k.lower()}-admin-role" for k in TENANT_KINDS}


def test_helper_cluster_roles_are_27_plus_the_artifact_status_updater(world: World) -> None:
    objects, _ = render(world, project(*ALL_NAMESPACES, rbac={"helperClusterRoles": True}))
    roles = {o["metadata"]["name"]: o for o in of_kind(objects, "ClusterRole")}
    helpers = {n for n in roles if n != STATUS_UPDATER_ROLE}
    assert len(HELPER_KINDS) == 9 and "AIMClusterModelSource" not in HELPER_KINDS
    assert len(helpers) == 27
    assert helpers == {
        f"aim-engine-{kind.lower()}-{role}-role"
        for kind in HELPER_KINDS
        for role in ("admin", "editor", "viewer")
    }
    assert "aim-engine-aimclustermodel-viewer-role" in helpers
    assert (
        STATUS_UPDATER_ROLE == "aim-engine-artifact-status-updater" and STATUS_UPDATER_ROLE in roles
    )
    assert all("namespace" not in r["metadata"] for r in roles.values())


def test_helper_cluster_role_rules_follow_the_operator_chart(world: World) -> None:
    objects, _ = render(world, project(rbac={"helperClusterRoles": True}))
    roles = {o["metadata"]["name"]: o for o in of_kind(objects, "ClusterRole")}
    status = {
        "apiGroups": ["aim.eai.amd.com"],
        "resources": ["aimservices/status"],
        "verbs": ["get"],
    }
    expected = {
        "admin": ["*"],
        "editor": ["create", "delete", "get", "list", "patch", "update", "watch"],
        "viewer": ["get", "list", "watch"],
    }
    for role, verbs in expected.items():
        rules = roles[f"aim-engine-aimservice-{role}-role"]["rules"]
        assert rules == [
            {"apiGroups": ["aim.eai.amd.com"], "resources": ["aimservices"], "verbs": verbs},
            status,
        ]
    assert roles["aim-engine-aimtemplatecache-viewer-role"]["rules"][0]["resources"] == [
        "aimtemplatecaches"
    ]
    assert roles["aim-engine-aimservice-admin-role"]["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "aimctl",
        "app.kubernetes.io/name": "aim-engine",
    }
    assert roles[STATUS_UPDATER_ROLE]["rules"] == [
        {
            "apiGroups": ["aim.eai.amd.com"],
            "resources": ["aimartifacts/status"],
            "verbs": ["get", "patch", "update"],
        }
    ]


def test_status_updater_role_keeps_its_fixed_name_under_another_prefix(world: World) -> None:
    objects, _ = render(world, project(rbac={"helperClusterRoles": True, "rolePrefix": "x-"}))
    names = {o["metadata"]["name"] for o in of_kind(objects, "ClusterRole")}
    assert "x-aimservice-admin-role" in names
    assert STATUS_UPDATER_ROLE in names and len(names) == 28


def test_no_cluster_roles_unless_helper_cluster_roles_is_set(world: World) -> None:
    objects, _ = render(world, project(*ALL_NAMESPACES))
    assert of_kind(objects, "ClusterRole") == []


# --- ResourceQuota -------------------------------------------------------------------------------


def test_quota_holds_only_what_the_tenant_sets(world: World) -> None:
    objects, _ = render(world, project({"namespace": "team-a", "quota": {"gpus": 16}}))
    quota = named(objects, "ResourceQuota", "team-a")
    assert quota["metadata"]["name"] == "aimctl-tenant-quota"
    assert quota["spec"] == {"hard": {"requests.amd.com/gpu": "16"}}


def test_quota_maps_every_option_to_its_key_in_canonical_form(world: World) -> None:
    quota = {
        "gpus": 16,
        "gpuResources": {"amd.com/gpu-partition": 8},
        "cpu": "64",
        "memory": "2048Gi",
        "storage": "1.5Ti",
        "persistentVolumeClaims": 10,
    }
    objects, _ = render(world, project({"namespace": "team-b", "quota": quota}))
    assert named(objects, "ResourceQuota", "team-b")["spec"]["hard"] == {
        "persistentvolumeclaims": "10",
        "requests.amd.com/gpu": "16",
        "requests.amd.com/gpu-partition": "8",
        "requests.cpu": "64",
        "requests.memory": "2Ti",
        "requests.storage": "1536Gi",
    }


def test_no_quota_object_without_a_quota_block(world: World) -> None:
    objects, _ = render(world, project({"namespace": "team-a", "quota": {}}))
    assert of_kind(objects, "ResourceQuota") == []


# --- NetworkPolicy -------------------------------------------------------------------------------


def _peers(policy: dict[str, Any]) -> list[str]:
    rules = policy["spec"]["ingress"]
    assert rules[0] == {"from": [{"podSelector": {}}]}
    return [
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in rules[1:]
        for p in rule["from"]
    ]


def test_isolated_policy_allows_the_namespace_and_its_gateway_namespace(world: World) -> None:
    objects, _ = render(world, project({"namespace": "team-a", "networkPolicy": "isolated"}))
    policy = named(objects, "NetworkPolicy", "team-a")
    assert policy["metadata"]["name"] == "aimctl-tenant-isolation"
    assert policy["spec"]["podSelector"] == {} and policy["spec"]["policyTypes"] == ["Ingress"]
    assert _peers(policy) == ["gateway-system"]


def test_isolated_policy_takes_gateway_namespaces_from_the_resolved_gateway_refs(
    world: World,
) -> None:
    # team-b's runtime config moves its routes to "edge"; service "local" names a gateway without
    # namespace, i.e. one in team-b itself, which the same-namespace rule already allows.
    assert world.service("team-b", "local").route is not None
    objects, _ = render(world, project({"namespace": "team-b", "networkPolicy": "isolated"}))
    assert _peers(named(objects, "NetworkPolicy", "team-b")) == ["edge"]


def test_isolated_policy_without_routes_allows_only_the_namespace_itself(world: World) -> None:
    objects, _ = render(world, project({"namespace": "team-c", "networkPolicy": "isolated"}))
    policy = named(objects, "NetworkPolicy", "team-c")
    assert policy["spec"]["ingress"] == [{"from": [{"podSelector": {}}]}]


def test_isolated_policy_also_allows_the_ingress_controller_namespace(world: World) -> None:
    tenant = {
        "namespace": "team-a",
        "networkPolicy": "isolated",
        "ingress": {"host": "a.example.com", "controllerNamespace": "ingress-nginx"},
    }
    objects, _ = render(world, project(tenant))
    assert _peers(named(objects, "NetworkPolicy", "team-a")) == ["gateway-system", "ingress-nginx"]


def test_network_policy_none_renders_no_policy(world: World) -> None:
    objects, _ = render(world, project({"namespace": "team-a", "networkPolicy": "none"}))
    assert of_kind(objects, "NetworkPolicy") == []


# --- ServiceAccount ------------------------------------------------------------------------------


def test_declared_service_accounts_are_rendered_in_the_tenant_namespace(world: World) -> None:
    objects, _ = render(
        world, project({"namespace": "team-b", "serviceAccounts": ["runner", "batch"]})
    )
    accounts = of_kind(objects, "ServiceAccount")
    assert [(a["metadata"]["namespace"], a["metadata"]["name"]) for a in accounts] == [
        ("team-b", "runner"),
        ("team-b", "batch"),
    ]
    assert accounts[0]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "aimctl"


# --- Ingress -------------------------------------------------------------------------------------


def test_nginx_ingress_uses_capture_group_paths_and_the_rewrite_annotation(world: World) -> None:
    tenant = {"namespace": "team-a", "ingress": {"host": "a.example.com", "className": "nginx"}}
    objects, _ = render(world, project(tenant))
    ingress = named(objects, "Ingress", "team-a")
    assert ingress["metadata"]["name"] == "aimctl-tenant-ingress"
    assert ingress["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/rewrite-target": "/$2"
    }
    assert ingress["spec"]["ingressClassName"] == "nginx"
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "a.example.com"
    batch = world.service("team-a", "batch").isvc_name
    assert rule["http"]["paths"][0] == {
        "path": "/batch(/|$)(.*)",
        "pathType": "ImplementationSpecific",
        "backend": {"service": {"name": f"{batch}-predictor", "port": {"number": 80}}},
    }
    assert [p["path"] for p in rule["http"]["paths"]] == ["/batch(/|$)(.*)", "/chat(/|$)(.*)"]


def test_other_ingress_classes_get_prefix_paths_and_only_the_tenant_annotations(
    world: World,
) -> None:
    annotations = {"traefik.ingress.kubernetes.io/router.middlewares": "team-a-strip@kubernetescrd"}
    tenant = {
        "namespace": "team-a",
        "ingress": {"host": "a.example.com", "className": "traefik", "annotations": annotations},
    }
    objects, _ = render(world, project(tenant))
    ingress = named(objects, "Ingress", "team-a")
    assert ingress["metadata"]["annotations"] == annotations
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["pathType"]) for p in paths] == [
        ("/batch", "Prefix"),
        ("/chat", "Prefix"),
    ]


def test_ingress_without_class_or_tls_leaves_them_out(world: World) -> None:
    objects, _ = render(
        world, project({"namespace": "team-a", "ingress": {"host": "a.example.com"}})
    )
    ingress = named(objects, "Ingress", "team-a")
    assert "ingressClassName" not in ingress["spec"] and "tls" not in ingress["spec"]
    assert "annotations" not in ingress["metadata"]


def test_ingress_tls_names_the_secret_for_the_host(world: World) -> None:
    tenant = {"namespace": "team-a", "ingress": {"host": "a.example.com", "tlsSecretName": "a-tls"}}
    objects, _ = render(world, project(tenant))
    assert named(objects, "Ingress", "team-a")["spec"]["tls"] == [
        {"hosts": ["a.example.com"], "secretName": "a-tls"}
    ]


def test_ingress_of_a_tenant_without_services_is_left_out_with_a_warning(world: World) -> None:
    tenant = {"namespace": "empty", "ingress": {"host": "e.example.com"}}
    objects, problems = render(world, project(*ALL_NAMESPACES, tenant))
    assert of_kind(objects, "Ingress") == []
    [warning] = problems
    assert warning.code == "W_TENANT_INGRESS_EMPTY"
    assert warning.field == ("tenants", 3, "ingress")


# --- checks: quota coverage, service accounts, ingress -------------------------------------------


def test_quota_coverage_counts_max_replicas_times_gpus_per_replica(world: World) -> None:
    proj = project({"namespace": "team-a", "quota": {"gpus": 8}}, *ALL_NAMESPACES[1:])
    [warning] = check_tenants(proj, world.namespaces, world.services, project_file=PROJECT_FILE)
    assert warning.code == "W_TENANT_QUOTA_EXCEEDED" and warning.severity is Severity.WARNING
    assert "at least 14 of requests.amd.com/gpu" in warning.message
    assert "batch: 3 x 4" in warning.message and "chat: 2 x 1" in warning.message
    assert "allows 8" in warning.message
    assert (warning.file, warning.field) == (PROJECT_FILE, ("tenants", 0, "quota", "gpus"))


def test_quota_coverage_is_an_error_when_strict(world: World) -> None:
    proj = project({"namespace": "team-a", "quota": {"gpus": 13}}, *ALL_NAMESPACES[1:])
    [error] = check_tenants(proj, world.namespaces, world.services, strict=True)
    assert (error.code, error.severity) == ("E_TENANT_QUOTA_EXCEEDED", Severity.ERROR)


def test_quota_that_covers_max_replicas_reports_nothing(world: World) -> None:
    proj = project({"namespace": "team-a", "quota": {"gpus": 14}}, *ALL_NAMESPACES[1:])
    assert check_tenants(proj, world.namespaces, world.services, strict=True) == []


def test_quota_coverage_is_checked_per_gpu_resource_name(world: World) -> None:
    # team-b: "slice" asks 3 x 2 amd.com/gpu-partition; "web" and "local" 1 amd.com/gpu each.
    quota = {"gpus": 2, "gpuResources": {"amd.com/gpu-partition": 5}}
    proj = project({"namespace": "team-b", "quota": quota, "serviceAccounts": ["runner"]})
    problems = check_tenants(proj, {"team-b"}, world.services)
    assert [(d.code, d.field) for d in problems] == [
        (
            "W_TENANT_QUOTA_EXCEEDED",
            ("tenants", 0, "quota", "gpuResources", "amd.com/gpu-partition"),
        )
    ]
    assert "at least 6 of requests.amd.com/gpu-partition (slice: 3 x 2)" in problems[0].message


def test_storage_and_pvc_quotas_count_the_cache_pvcs_of_the_namespace(world: World) -> None:
    # team-a caches org/small (10Gi) and org/big (100Gi), each with 10 % headroom.
    proj = project(
        {"namespace": "team-a", "quota": {"storage": "100Gi", "persistentVolumeClaims": 1}}
    )
    problems = check_tenants(proj, {"team-a"}, world.services)
    messages = {d.field[-1]: d.message for d in problems}
    assert "at least 121Gi of requests.storage" in messages["storage"]
    assert "at least 2 of persistentvolumeclaims" in messages["persistentVolumeClaims"]


def test_cpu_quota_warns_that_download_jobs_request_no_cpu(world: World) -> None:
    proj = project({"namespace": "team-a", "quota": {"cpu": "1000"}})
    [warning] = check_tenants(proj, {"team-a"}, world.services)
    assert warning.code == "W_TENANT_QUOTA_UNREQUESTED"
    assert "Job " in warning.message and "LimitRange" in warning.hint


def test_a_limit_range_among_the_inputs_silences_the_unrequested_warning(world: World) -> None:
    proj = project({"namespace": "team-a", "quota": {"cpu": "1000"}})
    limit_range = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "defaults", "namespace": "team-a"},
    }
    assert check_tenants(proj, {"team-a"}, world.services, passthrough=[limit_range]) == []


def test_undeclared_service_account_reference_is_a_warning(world: World) -> None:
    proj = project({"namespace": "team-b"})
    [warning] = check_tenants(proj, {"team-b"}, world.services)
    svc = world.service("team-b", "web")
    assert warning.code == "W_SERVICE_ACCOUNT_UNDECLARED"
    assert warning.severity is Severity.WARNING
    assert "'runner'" in warning.message
    assert (warning.file, warning.resource, warning.field) == (
        svc.entry.file,
        svc.entry.key,
        ("spec", "serviceAccountName"),
    )


def test_a_service_account_declared_by_the_tenant_or_an_input_satisfies_the_reference(
    world: World,
) -> None:
    declared = project({"namespace": "team-b", "serviceAccounts": ["runner"]})
    assert check_tenants(declared, {"team-b"}, world.services) == []
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "runner", "namespace": "team-b"},
    }
    plain = project({"namespace": "team-b"})
    assert check_tenants(plain, {"team-b"}, world.services, passthrough=[account]) == []


def test_service_account_subject_of_the_tenant_namespace_must_be_declared(world: World) -> None:
    proj = project(
        {
            "namespace": "team-a",
            "editors": [
                {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
                {"kind": "ServiceAccount", "name": "bot"},
            ],
        }
    )
    [warning] = check_tenants(proj, {"team-a"}, world.services, project_file=PROJECT_FILE)
    assert warning.code == "W_SERVICE_ACCOUNT_UNDECLARED"
    assert warning.field == ("tenants", 0, "editors", 1, "name")
    assert "team-a/bot" in warning.message


def test_isolated_tenant_with_an_ingress_needs_the_controller_namespace(world: World) -> None:
    tenant = {
        "namespace": "team-a",
        "networkPolicy": "isolated",
        "ingress": {"host": "a.example.com"},
    }
    [warning] = check_tenants(project(tenant), {"team-a"}, world.services)
    assert warning.code == "W_TENANT_INGRESS_BLOCKED"
    assert "controllerNamespace" in warning.hint


# --- explain facts -------------------------------------------------------------------------------


def test_tenant_facts_report_quota_use_against_the_limit(world: World) -> None:
    tenant = {
        "namespace": "team-a",
        "labels": {"team": "a"},
        "admins": [{"kind": "Group", "name": "a-admins"}],
        "viewers": [{"kind": "ServiceAccount", "name": "reader"}],
        "quota": {"gpus": 8, "memory": "1Ti"},
        "networkPolicy": "isolated",
        "ingress": {
            "host": "a.example.com",
            "className": "nginx",
            "controllerNamespace": "ingress",
        },
    }
    facts = tenant_facts(project(tenant), "team-a", world.services)
    assert facts is not None
    assert facts["roles"] == {
        "admin": ["Group a-admins"],
        "viewer": ["ServiceAccount team-a/reader"],
    }
    assert facts["allowedNamespaces"] == ["gateway-system", "ingress"]
    assert facts["ingress"]["paths"] == ["/batch(/|$)(.*)", "/chat(/|$)(.*)"]
    gpu, memory = facts["quota"]
    assert gpu == {
        "resource": "requests.amd.com/gpu",
        "limit": "8",
        "used": "14",
        "exceeded": True,
        "by": [{"name": "batch", "amount": "3 x 4"}, {"name": "chat", "amount": "2 x 1"}],
        "unrequested": [],
    }
    assert (memory["resource"], memory["used"], memory["exceeded"]) == (
        "requests.memory",
        "448Gi",
        False,
    )
    assert memory["unrequested"] and all(u.startswith("Job ") for u in memory["unrequested"])


def test_tenant_facts_are_none_outside_tenants(world: World) -> None:
    assert tenant_facts(project({"namespace": "team-a"}), "team-c", world.services) is None


# --- the project file model ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenant", "message"),
    [
        ({"admins": [{"kind": "User", "name": "u", "namespace": "x"}]}, "only valid for kind"),
        ({"admins": [{"kind": "ServiceAccount", "name": "Not_DNS"}]}, "DNS subdomain"),
        ({"viewers": [{"kind": "Group", "name": "g"}, {"kind": "Group", "name": "g"}]}, "twice"),
        ({"admins": [{"kind": "Robot", "name": "r"}]}, "User"),
        ({"admins": [{"kind": "User", "name": " padded"}]}, "whitespace"),
        ({"labels": {"app.kubernetes.io/managed-by": "me"}}, "set by aimctl"),
        ({"labels": {"team": "not valid!"}}, "not a valid label value"),
        ({"labels": {"bad key": "x"}}, "not a qualified name"),
        ({"serviceAccounts": ["default"]}, "every namespace"),
        ({"serviceAccounts": ["a", "a"]}, "twice"),
        ({"quota": {"gpuResources": {"amd.com/gpu": 2}}}, "quota.gpus"),
        ({"quota": {"gpuResources": {"gpu": 2}}}, "extended resource"),
        ({"quota": {"gpus": -1}}, "greater than or equal"),
        ({"quota": {"memory": "lots"}}, "pattern"),
        ({"networkPolicy": "strict"}, "isolated"),
        (
            {
                "ingress": {
                    "host": "a.example.com",
                    "className": "nginx",
                    "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/"},
                }
            },
            "set by aimctl",
        ),
        ({"ingress": {"host": "Not A Host"}}, "pattern"),
    ],
)
def test_malformed_tenant_blocks_are_rejected(tenant: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        project({"namespace": "team-a", **tenant})


def test_a_tenant_namespace_is_declared_once() -> None:
    with pytest.raises(ValidationError, match="declared twice"):
        project({"namespace": "team-a"}, {"namespace": "team-a"})


def test_project_json_schema_is_the_published_schema() -> None:
    import json

    published = json.loads((ROOT / "schemas" / "aimctl-project.schema.json").read_text())
    assert project_json_schema() == published


def test_published_schema_accepts_the_platform_example() -> None:
    import jsonschema
    import yaml

    data = yaml.safe_load((ROOT / "examples" / "platform" / "aimctl.yaml").read_text())
    jsonschema.validate(data, project_json_schema())
    Project.model_validate(data)


# --- templates and the example -------------------------------------------------------------------


def test_a_failing_tenant_template_becomes_a_diagnostic_naming_the_template(
    world: World, tmp_path: Path
) -> None:
    for path in default_templates_dir().glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "tenant-namespace.yaml").write_text(
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "{{ namespace.missing }}"\n'
    )
    objects, problems = render_tenants(
        project({"namespace": "team-a"}),
        {"team-a"},
        world.services,
        TemplateSet.load(tmp_path),
        project_file=PROJECT_FILE,
    )
    assert objects == []
    [error] = problems
    assert error.code == "E_TEMPLATE" and error.is_error
    assert "tenant-namespace.yaml:4" in error.message
    assert error.field == ("tenants", 0)


def test_platform_example_renders_its_tenant_scaffolding_cleanly() -> None:
    example = ROOT / "examples" / "platform"
    inputs = load_inputs(LoadOptions((example,)))
    assert not inputs.has_errors, inputs.diagnostics
    resolution = resolve_all(inputs.catalog, inputs.project)
    assert resolution.ok, [d.message for d in resolution.diagnostics if d.is_error]
    assert len(resolution.services) >= 6
    used = inputs.catalog.namespaces_used()
    objects, problems = render_tenants(
        inputs.project,
        used,
        resolution.services,
        TemplateSet.load(default_templates_dir()),
        project_file=inputs.project_file,
    )
    assert problems == []
    passthrough = [e.raw for e in inputs.catalog.passthrough]
    checks = check_tenants(
        inputs.project, used, resolution.services, strict=True, passthrough=passthrough
    )
    assert checks == []
    kinds: dict[str, int] = {}
    for obj in objects:
        kinds[obj["kind"]] = kinds.get(obj["kind"], 0) + 1
    assert kinds == {
        "ClusterRole": 28,
        "Namespace": 3,
        "ResourceQuota": 3,
        "NetworkPolicy": 2,
        "ServiceAccount": 2,
        "RoleBinding": 6 * (3 + 3 + 2),  # six kinds x the roles each tenant fills
        "Ingress": 2,
    }
    schema_check(objects)
