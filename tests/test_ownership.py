"""Tenant boundaries (issue 17): who owns which input file, what a tenant's files may create,
and per-owner renders.

Every test runs the real CLI over an inline tree with ``platform/`` and two tenants. Rendered
manifests are validated against the real schemas when ../shared is beside the project.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aimctl.project import Project
from aimctl.tenants.ownership import compile_glob
from tests.conftest import HAS_SHARED, ROOT, Result, WriteTree, load_validator

Run = Callable[..., Result]

PROJECT = """
    apiVersion: aimctl.amd.com/v1alpha1
    kind: Project
    cluster: {gpus: [MI300X]}
    platform:
      paths: [platform/**]
    tenants:
      - namespace: team-a
        paths: [teams/a/**]
        admins: [{kind: Group, name: team-a-admins}]
      - namespace: team-b
        paths: [teams/b/**]
        editors: [{kind: Group, name: team-b-devs}]
"""

PLATFORM = """
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMClusterRuntimeConfig
    metadata: {name: default}
    spec:
      routing:
        enabled: true
        gatewayRef: {name: shared-gw, namespace: gateway-system}
    ---
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMClusterModel
    metadata: {name: small}
    spec:
      image: example.com/aim-small:1.0
      discovery: {createServiceTemplates: false}
    ---
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMClusterServiceTemplate
    metadata: {name: small-mi300x}
    spec:
      modelName: small
      metric: latency
      precision: fp16
      type: optimized
      hardware: {gpu: {model: MI300X, requests: 1}}
      modelSources:
        - {modelId: org/small, sourceUri: hf://org/small, size: 10Gi}
"""


def _service(namespace: str, name: str) -> str:
    return f"""
        apiVersion: aim.eai.amd.com/v1alpha1
        kind: AIMService
        metadata: {{name: {name}, namespace: {namespace}}}
        spec:
          model: {{name: small}}
    """


TEAM_A = (
    _service("team-a", "chat")
    + """
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: prompts, namespace: team-a}
    data: {system: be brief}
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata: {name: ci-deployer, namespace: team-a}
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: aim-engine-aimservice-editor-role
    subjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]
"""
)

TEAM_B = """
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMRuntimeConfig
    metadata: {name: default, namespace: team-b}
    spec:
      env: [{name: VLLM_LOG_LEVEL, value: DEBUG}]
    ---
""" + _service("team-b", "web")


def _tree(extra: dict[str, str] | None = None, project: str = PROJECT) -> dict[str, str]:
    files = {
        "aimctl.yaml": project,
        "platform/models.yaml": PLATFORM,
        "teams/a/services.yaml": TEAM_A,
        "teams/b/services.yaml": TEAM_B,
    }
    files.update({k: textwrap.dedent(v) for k, v in (extra or {}).items()})
    return {k: textwrap.dedent(v) for k, v in files.items()}


def _objects(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.stderr
    items: list[dict[str, Any]] = json.loads(result.stdout)["items"]
    if HAS_SHARED:
        report = load_validator().validate_objects(items, require_namespace=True)
        assert report.ok, report.format()
    return items


def _errors(result: Result) -> list[str]:
    """The error lines of stderr (no warnings, no validate summary)."""
    return [
        line
        for line in result.stderr.splitlines()
        if line and ": warning: " not in line and not line.startswith(("valid: ", "invalid: "))
    ]


@pytest.mark.skipif(
    not HAS_SHARED,
    reason="../shared (schemas and validator) is not beside the project: the manifests rendered "
    "in this module are not checked against the real schemas",
)
def test_rendered_manifests_are_checked_against_the_real_schemas() -> None:
    assert load_validator().validate_objects([]).ok


# --- 1. ownership in the project file ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("teams/a/**", "teams/a/x.yaml", True),
        ("teams/a/**", "teams/a/deep/er/x.yaml", True),
        ("teams/a/**", "teams/ab/x.yaml", False),
        ("teams/a/", "teams/a/deep/x.yaml", True),
        ("teams/*.yaml", "teams/x.yaml", True),
        ("teams/*.yaml", "teams/a/x.yaml", False),
        ("**/shared.yaml", "shared.yaml", True),
        ("**/shared.yaml", "teams/a/shared.yaml", True),
        ("teams/**/x.yaml", "teams/x.yaml", True),
        ("teams/?/x.yaml", "teams/a/x.yaml", True),
        ("teams/[ab]/x.yaml", "teams/c/x.yaml", False),
        ("platform/models.yaml", "platform/models.yaml", True),
        ("platform/models.yaml", "platform/models.yml", False),
    ],
)
def test_path_globs_match_relative_posix_paths(pattern: str, path: str, matches: bool) -> None:
    assert bool(compile_glob(pattern).fullmatch(path)) is matches


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (["/abs/**"], "relative to the project file's directory"),
        (["teams/../x/**"], "'..'"),
        (["teams//a"], "empty"),
        (["teams\\a"], "backslashes"),
        (["a/**", "a/**"], "listed twice"),
    ],
)
def test_malformed_path_globs_are_rejected(paths: list[str], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        Project.model_validate(
            {
                "apiVersion": "aimctl.amd.com/v1alpha1",
                "kind": "Project",
                "platform": {"paths": paths},
            }
        )


def test_tree_with_owned_files_renders(write_tree: WriteTree, run_cli: Run) -> None:
    root = write_tree(_tree())
    objects = _objects(run_cli("render", str(root), "--format", "json", "--strict"))
    kinds = {o["kind"] for o in objects}
    assert {"InferenceService", "HTTPRoute", "ConfigMap", "RoleBinding", "Namespace"} <= kinds


def test_a_file_no_owner_matches_is_an_error_naming_it(write_tree: WriteTree, run_cli: Run) -> None:
    root = write_tree(_tree({"misc/extra.yaml": _service("team-a", "stray")}))
    result = run_cli("render", "tree", cwd=root.parent)
    assert result.exit_code == 1
    [error] = _errors(result)
    assert error.startswith("tree/misc/extra.yaml: owned by no one:")
    assert "every input file belongs to exactly one owner" in error
    assert result.stdout == ""


def test_a_file_two_owners_match_is_an_error_naming_both(
    write_tree: WriteTree, run_cli: Run
) -> None:
    project = PROJECT.replace("paths: [teams/b/**]", "paths: [teams/b/**, teams/*/shared.yaml]")
    root = write_tree(_tree({"teams/a/shared.yaml": _service("team-a", "x")}, project))
    result = run_cli("validate", str(root))
    assert result.exit_code == 1
    [error] = _errors(result)
    assert "teams/a/shared.yaml: owned by both" in error
    assert "tenant 'team-a' (paths teams/a/**)" in error
    assert "tenant 'team-b' (paths teams/b/**, teams/*/shared.yaml)" in error


def test_a_file_outside_the_project_directory_is_owned_by_no_one(
    write_tree: WriteTree, run_cli: Run, tmp_path: Path
) -> None:
    root = write_tree(_tree())
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(textwrap.dedent(_service("team-a", "far")))
    result = run_cli("render", str(root), str(outside))
    assert result.exit_code == 1
    assert "outside the project directory" in result.stderr


def test_paths_are_relative_to_the_project_file_not_the_current_directory(
    write_tree: WriteTree, run_cli: Run, tmp_path: Path
) -> None:
    root = write_tree(_tree())
    config = root / "aimctl.yaml"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    result = run_cli(
        "render",
        str(root / "teams"),
        str(root / "platform"),
        "--config",
        str(config),
        cwd=elsewhere,
    )
    assert result.exit_code == 0, result.stderr


def test_without_paths_there_is_no_ownership_and_no_isolation(
    write_tree: WriteTree, run_cli: Run
) -> None:
    project = "\n".join(line for line in PROJECT.splitlines() if "paths" not in line)
    binding = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: team-a-admin}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
        subjects: [{kind: Group, name: team-a-admins, apiGroup: rbac.authorization.k8s.io}]
    """
    root = write_tree(_tree({"teams/a/binding.yaml": binding, "misc/x.yaml": binding}, project))
    result = run_cli("render", str(root), "--format", "json")
    assert result.exit_code == 1  # the same binding twice: a duplicate, nothing about owners
    assert "owned" not in result.stderr and "may not create" not in result.stderr
    (root / "misc" / "x.yaml").unlink()
    objects = _objects(run_cli("render", str(root), "--format", "json"))
    assert any(o["kind"] == "ClusterRoleBinding" for o in objects)


def test_published_schema_describes_the_ownership_keys() -> None:
    import jsonschema
    import yaml

    schema = json.loads((ROOT / "schemas" / "aimctl-project.schema.json").read_text())
    data = yaml.safe_load(textwrap.dedent(PROJECT))
    data["tenants"][0]["allow"] = {
        "kinds": [{"group": "networking.k8s.io", "kind": "NetworkPolicy"}],
        "clusterRoles": ["view"],
    }
    jsonschema.validate(data, schema)
    Project.model_validate(data)
    data["platform"]["paths"] = "platform/**"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


# --- 2. what a tenant's files may create ---------------------------------------------------------

CLUSTER_ADMIN_BINDING = """
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata: {name: team-a-everything}
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    subjects: [{kind: Group, name: team-a-admins, apiGroup: rbac.authorization.k8s.io}]
"""
CROSS_NAMESPACE = """
    apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata: {name: peek, namespace: team-b}
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: aim-engine-aimservice-viewer-role
    subjects: [{kind: Group, name: team-a-admins, apiGroup: rbac.authorization.k8s.io}]
"""
WEBHOOK = """
    apiVersion: admissionregistration.k8s.io/v1
    kind: MutatingWebhookConfiguration
    metadata: {name: inject}
    webhooks: []
"""
HELPER_ROLE = """
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: {name: aim-engine-aimservice-viewer-role}
    rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
"""
CLUSTER_AIM_KIND = """
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMClusterRuntimeConfig
    metadata: {name: proxy}
    spec:
      env: [{name: HTTPS_PROXY, value: "http://proxy.team-a:3128"}]
"""

ESCALATIONS = {
    "cluster-admin binding": (
        "teams/a/binding.yaml",
        CLUSTER_ADMIN_BINDING,
        "ClusterRoleBinding.rbac.authorization.k8s.io team-a-everything: tenant 'team-a' (paths "
        "teams/a/**) may not create a ClusterRoleBinding: a ClusterRoleBinding grants its role in "
        "every namespace (here ClusterRole cluster-admin)",
    ),
    "cross-namespace object": (
        "teams/a/peek.yaml",
        CROSS_NAMESPACE,
        "RoleBinding.rbac.authorization.k8s.io team-b/peek: tenant 'team-a' (paths teams/a/**) "
        "may not create objects in namespace team-b: a tenant's paths write only to its own "
        "namespace team-a",
    ),
    "webhook": (
        "teams/a/webhook.yaml",
        WEBHOOK,
        "MutatingWebhookConfiguration.admissionregistration.k8s.io inject: tenant 'team-a' (paths "
        "teams/a/**) may not create a MutatingWebhookConfiguration: a webhook sees and can change "
        "every tenant's objects",
    ),
    "helper-role redefinition": (
        "teams/a/role.yaml",
        HELPER_ROLE,
        "ClusterRole.rbac.authorization.k8s.io aim-engine-aimservice-viewer-role: tenant 'team-a' "
        "(paths teams/a/**) may not create ClusterRole aim-engine-aimservice-viewer-role: it would "
        "redefine an AIM helper role",
    ),
    "cluster AIM kind": (
        "teams/a/proxy.yaml",
        CLUSTER_AIM_KIND,
        "AIMClusterRuntimeConfig proxy: tenant 'team-a' (paths teams/a/**) may not create "
        "cluster-scoped AIMClusterRuntimeConfig objects: they apply to every tenant's services",
    ),
    "file owned by nobody": (
        "shared/extra.yaml",
        _service("team-a", "stray"),
        "owned by no one: neither platform.paths nor any tenant's paths in aimctl.yaml match "
        "shared/extra.yaml",
    ),
}


@pytest.mark.parametrize("command", ["render", "validate"])
@pytest.mark.parametrize("case", sorted(ESCALATIONS))
def test_each_escalation_fails_naming_the_file_and_the_rule(
    write_tree: WriteTree, run_cli: Run, case: str, command: str
) -> None:
    rel, text, expected = ESCALATIONS[case]
    root = write_tree(_tree({rel: text}))
    result = run_cli(command, "tree", cwd=root.parent)
    assert result.exit_code == 1
    [error] = _errors(result)
    assert error.startswith(f"tree/{rel}:"), error
    assert expected in error
    assert result.stdout == ""


def test_the_escalations_from_the_platform_paths_render(
    write_tree: WriteTree, run_cli: Run
) -> None:
    extra = {
        f"platform/{name}.yaml": text
        for name, text in (
            ("binding", CLUSTER_ADMIN_BINDING),
            ("peek", CROSS_NAMESPACE),
            ("proxy", CLUSTER_AIM_KIND),
        )
    }
    root = write_tree(_tree(extra))
    objects = _objects(run_cli("render", str(root), "--format", "json"))
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert {("ClusterRoleBinding", "team-a-everything"), ("RoleBinding", "peek")} <= kinds


@pytest.mark.parametrize(
    ("text", "what", "allow"),
    [
        (
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: open, namespace: team-a}
            spec: {podSelector: {}, ingress: [{}]}
            """,
            "may not create NetworkPolicy.networking.k8s.io objects",
            "allow: {kinds: [{group: networking.k8s.io, kind: NetworkPolicy}]}",
        ),
        (
            """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: admins, namespace: team-a}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
            subjects: [{kind: Group, name: team-a-admins, apiGroup: rbac.authorization.k8s.io}]
            """,
            "may not create a RoleBinding to ClusterRole admin: a tenant may bind only the AIM "
            "helper roles",
            "allow: {clusterRoles: [admin]}",
        ),
        (
            """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: reader, namespace: team-a}
            rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            """,
            "may not create a Role: its rules could grant more than the AIM helper roles",
            "allow: {kinds: [{group: rbac.authorization.k8s.io, kind: Role}]}",
        ),
        (
            """
            apiVersion: v1
            kind: LimitRange
            metadata: {name: defaults, namespace: team-a}
            spec: {limits: [{type: Container, defaultRequest: {cpu: 500m}}]}
            """,
            "may not create LimitRange objects",
            'allow: {kinds: [{group: "", kind: "*"}]}',
        ),
    ],
)
def test_the_allow_list_widens_what_a_tenant_may_create(
    write_tree: WriteTree, run_cli: Run, text: str, what: str, allow: str
) -> None:
    root = write_tree(_tree({"teams/a/extra.yaml": text}))
    refused = run_cli("render", str(root))
    assert refused.exit_code == 1
    [error] = _errors(refused)
    assert what in error and "to allow it, add" in error and "of tenant team-a" in error
    project = PROJECT.replace("paths: [teams/a/**]", f"paths: [teams/a/**]\n        {allow}")
    root = write_tree(_tree({"teams/a/extra.yaml": text}, project))
    _objects(run_cli("render", str(root), "--format", "json"))


def test_a_tenant_may_not_create_a_namespace_even_its_own(
    write_tree: WriteTree, run_cli: Run
) -> None:
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n"
    root = write_tree(_tree({"teams/a/ns.yaml": namespace}))
    result = run_cli("render", str(root))
    assert result.exit_code == 1
    assert "may not create a Namespace: namespaces are the platform's" in result.stderr


def test_the_allow_list_cannot_widen_to_cluster_scoped_kinds(
    write_tree: WriteTree, run_cli: Run
) -> None:
    allow = "allow: {kinds: [{group: rbac.authorization.k8s.io, kind: '*'}]}"
    project = PROJECT.replace("paths: [teams/a/**]", f"paths: [teams/a/**]\n        {allow}")
    root = write_tree(_tree({"teams/a/binding.yaml": CLUSTER_ADMIN_BINDING}, project))
    result = run_cli("render", str(root))
    assert result.exit_code == 1
    assert "an allow list cannot widen that" in result.stderr


def test_a_tenant_role_binding_to_an_aim_helper_role_is_allowed(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree())
    objects = _objects(run_cli("render", str(root), "--format", "json"))
    [binding] = [o for o in objects if o["metadata"]["name"] == "ci-deployer"]
    assert binding["roleRef"]["name"] == "aim-engine-aimservice-editor-role"


# --- 3. resolution respects ownership ------------------------------------------------------------

TEAM_A_EVERYTHING_ALLOWED = """
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMRuntimeConfig
    metadata: {name: default, namespace: team-a}
    spec:
      env: [{name: HTTPS_PROXY, value: "http://proxy.team-a:3128"}]
      routing: {gatewayRef: {name: team-a-gw, namespace: team-a}}
    ---
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMModel
    metadata: {name: small, namespace: team-a}
    spec:
      image: example.com/aim-small:1.0
      discovery: {createServiceTemplates: false}
    ---
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMServiceTemplate
    metadata: {name: small-mi300x, namespace: team-a}
    spec:
      modelName: small
      metric: throughput
      precision: fp8
      type: optimized
      hardware: {gpu: {model: MI300X, requests: 1}}
      modelSources:
        - {modelId: org/small, sourceUri: hf://org/small, size: 10Gi}
    ---
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMTemplateCache
    metadata: {name: warm, namespace: team-a}
    spec: {templateName: small-mi300x, templateScope: Namespace}
"""


def _namespace_objects(objects: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["metadata"].get("namespace") == namespace]


def test_what_a_tenant_may_write_does_not_change_another_tenants_objects(
    write_tree: WriteTree, run_cli: Run
) -> None:
    before = _objects(run_cli("render", str(write_tree(_tree())), "--format", "json"))
    root = write_tree(_tree({"teams/a/everything.yaml": TEAM_A_EVERYTHING_ALLOWED}))
    after = _objects(run_cli("render", str(root), "--format", "json"))
    assert _namespace_objects(after, "team-a") != _namespace_objects(before, "team-a")
    assert _namespace_objects(after, "team-b") == _namespace_objects(before, "team-b")
    assert [o for o in after if "namespace" not in o["metadata"]] == [
        o for o in before if "namespace" not in o["metadata"]
    ]


@pytest.mark.parametrize(
    ("field", "ref"),
    [
        ("resolvedTemplate", "{name: small-mi300x, namespace: team-a, scope: Namespace}"),
        ("resolvedModel", "{name: small, namespace: team-a, scope: Namespace}"),
    ],
)
def test_a_service_may_not_use_namespaced_objects_of_another_namespace(
    write_tree: WriteTree, run_cli: Run, field: str, ref: str
) -> None:
    service = (
        _service("team-b", "borrower").rstrip() + f"\n        status:\n          {field}: {ref}\n"
    )
    root = write_tree(
        _tree({"teams/a/everything.yaml": TEAM_A_EVERYTHING_ALLOWED, "teams/b/x.yaml": service})
    )
    result = run_cli("render", "tree", cwd=root.parent)
    assert result.exit_code == 1
    [error] = _errors(result)
    assert error.startswith(f"tree/teams/b/x.yaml:7: AIMService team-b/borrower: status.{field}:")
    assert "tenant 'team-b' (paths teams/b/**) may not use" in error
    assert "from another namespace" in error


def test_a_reference_to_its_own_namespace_or_cluster_scope_is_fine(
    write_tree: WriteTree, run_cli: Run
) -> None:
    ref = "{name: small-mi300x, scope: Cluster}"
    service = (
        _service("team-b", "sticky").rstrip()
        + f"\n        status:\n          resolvedTemplate: {ref}\n"
    )
    root = write_tree(_tree({"teams/b/x.yaml": service}))
    _objects(run_cli("render", str(root), "--format", "json"))


# --- 4. per-owner output -------------------------------------------------------------------------

EXAMPLE = ROOT / "examples" / "platform"
OWNERS = (["--platform"], ["--tenant", "search"], ["--tenant", "research"], ["--tenant", "support"])


def _documents(stream: str) -> list[str]:
    """Each document of a stream with its text exactly as printed."""
    assert stream.startswith("---\n")
    return re.split(r"^---\n", stream, flags=re.MULTILINE)[1:]


@pytest.mark.parametrize("options", [[], ["--sync-waves"], ["--include-intermediates"]])
def test_per_owner_renders_of_the_platform_example_partition_the_full_render(
    run_cli: Run, options: list[str]
) -> None:
    full = run_cli("render", str(EXAMPLE), "--strict", *options)
    assert full.exit_code == 0, full.stderr
    whole = _documents(full.stdout)
    parts: list[str] = []
    for owner in OWNERS:
        result = run_cli("render", str(EXAMPLE), "--strict", *options, *owner)
        assert result.exit_code == 0, (owner, result.stderr)
        mine = _documents(result.stdout)
        assert mine, owner
        assert [d for d in whole if d in mine] == mine  # same bytes, in the full render's order
        parts.extend(mine)
    assert len(parts) == len(set(parts)) == len(whole)  # none twice, none left out
    assert sorted(parts) == sorted(whole)


def test_per_owner_output_directories_together_hold_the_full_render(
    run_cli: Run, tmp_path: Path
) -> None:
    assert run_cli("render", str(EXAMPLE), "-o", str(tmp_path / "all")).exit_code == 0
    files: dict[str, str] = {}
    for i, owner in enumerate(OWNERS):
        out = tmp_path / f"owner{i}"
        result = run_cli("render", str(EXAMPLE), "-o", str(out), *owner)
        assert result.exit_code == 0, result.stderr
        for path in sorted(out.rglob("*.yaml")):
            rel = path.relative_to(out).as_posix()
            if rel != "kustomization.yaml":
                assert rel not in files, rel
                files[rel] = path.read_text()
    whole = {
        p.relative_to(tmp_path / "all").as_posix(): p.read_text()
        for p in (tmp_path / "all").rglob("*.yaml")
        if p.name != "kustomization.yaml"
    }
    assert files == whole


def test_a_tenant_gets_what_lands_in_its_namespace_and_the_platform_the_rest(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree())
    team_a = _objects(run_cli("render", str(root), "--format", "json", "--tenant", "team-a"))
    platform = _objects(run_cli("render", str(root), "--format", "json", "--platform"))
    assert {o["metadata"].get("namespace") for o in team_a} == {"team-a"}
    assert {o["kind"] for o in team_a} == {
        "InferenceService",
        "HTTPRoute",
        "PersistentVolumeClaim",
        "Job",
        "RoleBinding",
        "ConfigMap",
    }
    scaffolding = {(o["kind"], o["metadata"].get("namespace")) for o in platform}
    assert ("Namespace", None) in scaffolding
    assert ("RoleBinding", "team-a") in scaffolding  # the tenant's bindings, from aimctl.yaml
    assert not any(o["kind"] == "InferenceService" for o in platform)


def test_per_owner_render_needs_declared_paths(write_tree: WriteTree, run_cli: Run) -> None:
    project = "\n".join(line for line in PROJECT.splitlines() if "paths" not in line)
    root = write_tree(_tree(project=project))
    result = run_cli("render", str(root), "--tenant", "team-a")
    assert result.exit_code == 1
    assert "no owner declares paths" in result.stderr


def test_per_owner_render_of_an_unknown_tenant_is_an_error(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree())
    result = run_cli("render", str(root), "--tenant", "team-z")
    assert result.exit_code == 1
    assert "--tenant team-z: no tenant has that namespace (declared: team-a, team-b)" in (
        result.stderr
    )


def test_tenant_and_platform_together_are_a_usage_error(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree())
    assert run_cli("render", str(root), "--tenant", "team-a", "--platform").exit_code == 2


# --- 5. explain names the owner of each input it cites -------------------------------------------


def _origins(trace: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for value in trace["values"]:
        out.append(value["origin"])
        out.extend(over["origin"] for over in value["overridden"])
    return out


def test_explain_names_the_owner_of_each_cited_input(run_cli: Run) -> None:
    result = run_cli("explain", str(EXAMPLE), "search/chat", "-o", "json")
    assert result.exit_code == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["service"]["owner"] == "tenant search"
    assert trace["runtimeConfig"]["namespace"]["owner"] == "tenant search"
    assert trace["runtimeConfig"]["cluster"]["owner"] == "platform"
    assert trace["model"]["owner"] == "platform"
    assert trace["template"]["selected"]["owner"] == "platform"
    cited = [o for o in _origins(trace) if o["file"]]
    assert cited
    for origin in cited:
        expected = "tenant search" if "teams/search/" in origin["file"] else "platform"
        assert origin["owner"] == expected, origin
    assert all(o["owner"] is None for o in _origins(trace) if not o["file"])


def test_explain_text_says_who_owns_the_winning_and_the_overridden_values(run_cli: Run) -> None:
    result = run_cli("explain", str(EXAMPLE), "search/chat", "env.VLLM_LOG_LEVEL")
    assert result.exit_code == 0, result.stderr
    assert "teams/search/services.yaml:2, owned by tenant search" in result.stdout
    assert "teams/search/runtime-config.yaml:14  owned by tenant search" in result.stdout
    assert "platform/cluster-runtime-config.yaml:19  owned by platform  = WARNING" in result.stdout


def test_explain_without_paths_names_no_owner(write_tree: WriteTree, run_cli: Run) -> None:
    project = "\n".join(line for line in PROJECT.splitlines() if "paths" not in line)
    root = write_tree(_tree(project=project))
    result = run_cli("explain", str(root), "team-b/web", "-o", "json")
    assert result.exit_code == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["service"]["owner"] is None
    assert all(o["owner"] is None for o in _origins(trace))


def test_explain_reports_an_ownership_error_instead_of_a_trace(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree({"teams/a/proxy.yaml": CLUSTER_AIM_KIND}))
    result = run_cli("explain", str(root), "team-b/web")
    assert result.exit_code == 1
    assert "may not create cluster-scoped AIMClusterRuntimeConfig" in result.stderr


# --- 6. examples and docs ------------------------------------------------------------------------


def _example_tenants() -> list[str]:
    import yaml

    project = yaml.safe_load((EXAMPLE / "aimctl.yaml").read_text())
    return [t["namespace"] for t in project["tenants"]]


def _tenant_kinds(run_cli: Run, tenant: str) -> set[tuple[str, str]]:
    """(group, kind) of everything ``render --tenant`` gives for a tenant of examples/platform."""
    result = run_cli("render", str(EXAMPLE), "--format", "json", "--tenant", tenant)
    out = set()
    for obj in _objects(result):
        api_version = obj["apiVersion"]
        out.add((api_version.rpartition("/")[0] if "/" in api_version else "", obj["kind"]))
    return out


def test_argocd_applicationset_has_one_application_per_owner_and_each_renders(
    run_cli: Run,
) -> None:
    import yaml

    appset = yaml.safe_load((ROOT / "examples/argocd/tenants/applicationset.yaml").read_text())
    elements = appset["spec"]["generators"][0]["list"]["elements"]
    assert [e["owner"] for e in elements] == ["platform", *_example_tenants()]
    template = appset["spec"]["template"]["spec"]["source"]["plugin"]["parameters"]
    parts = []
    for element in elements:
        parameters = [
            {
                "name": p["name"],
                "string": re.sub(r"\{\{\.(\w+)\}\}", lambda m, e=element: e[m[1]], p["string"]),
            }
            for p in template
        ]
        env = {
            "ARGOCD_APP_NAME": f"aim-{element['owner']}",
            "ARGOCD_APP_NAMESPACE": element["namespace"],
            "ARGOCD_APP_PARAMETERS": json.dumps(parameters),
        }
        result = run_cli("render", "--no-progress", "--", ".", cwd=EXAMPLE, env=env)
        assert result.exit_code == 0, (element, result.stderr)
        parts.append(result.stdout)
        if element["owner"] != "platform":
            assert element["namespace"] == element["owner"]
    # every owner's Application renders its part of the same tree (AIMCTL_NAMESPACE pins it),
    # with the plugin's default output profile
    sync_waves = run_cli(
        "render", "--namespace", "default", "--sync-waves", "--gitops", "argocd", str(EXAMPLE)
    )

    def docs(text: str) -> list[str]:
        return sorted(json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(text) if d)

    assert docs("".join(parts)) == docs(sync_waves.stdout)


def test_each_tenant_appproject_allows_its_namespace_and_the_kinds_aimctl_renders_for_it(
    run_cli: Run,
) -> None:
    import yaml

    text = (ROOT / "examples/argocd/tenants/appprojects.yaml").read_text()
    projects = {p["metadata"]["name"]: p["spec"] for p in yaml.safe_load_all(text)}
    assert set(projects) == {"aim-platform", *(f"aim-{t}" for t in _example_tenants())}
    for tenant in _example_tenants():
        spec = projects[f"aim-{tenant}"]
        assert [d["namespace"] for d in spec["destinations"]] == [tenant]
        assert spec["clusterResourceWhitelist"] == []
        allowed = {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]}
        assert _tenant_kinds(run_cli, tenant) <= allowed, tenant


def test_flux_example_applies_each_tenant_directory_under_the_tenants_own_account(
    run_cli: Run,
) -> None:
    import yaml

    text = (ROOT / "examples/flux/tenants.yaml").read_text()
    docs = list(yaml.safe_load_all(text))
    kustomizations = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Kustomization"}
    [role] = [d for d in docs if d["kind"] == "ClusterRole"]
    granted = {
        (group, resource)
        for rule in role["rules"]
        if rule["verbs"] == ["*"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert "aimctl render examples/platform -o deploy/platform --platform" in text
    assert kustomizations["aim-platform"]["spec"]["path"] == "./deploy/platform"
    for tenant in _example_tenants():
        assert f"-o deploy/tenants/{tenant} --tenant {tenant}" in text
        spec = kustomizations[f"aim-{tenant}"]["spec"]
        assert kustomizations[f"aim-{tenant}"]["metadata"]["namespace"] == tenant
        assert spec["path"] == f"./deploy/tenants/{tenant}"
        assert spec["serviceAccountName"] == "flux-reconciler"
        assert spec["targetNamespace"] == tenant
        for group, kind in _tenant_kinds(run_cli, tenant):
            assert (group, f"{kind.lower()}s") in granted, (tenant, kind)


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"## {re.escape(title)}\n(.*?)\n## ", text, re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_readme_multi_tenancy_section_shows_a_valid_setup_and_the_error_aimctl_prints(
    write_tree: WriteTree, run_cli: Run
) -> None:
    section = _readme_section("Multi-tenancy")
    project = re.search(r"```yaml\n(.*?)```", section, re.S)
    error = re.search(r"```\n(\S.*?)\n```", section, re.S)
    assert project and error
    text = "apiVersion: aimctl.amd.com/v1alpha1\nkind: Project\n" + project.group(1)
    root = write_tree({"aimctl.yaml": text, "teams/search/x.yaml": CLUSTER_AIM_KIND})
    result = run_cli("render", ".", cwd=root)
    assert result.exit_code == 1
    assert _errors(result) == [error.group(1)]
    assert "docs/tenancy.md" in section and (ROOT / "docs" / "tenancy.md").is_file()


# --- routes on a shared gateway ------------------------------------------------------------------


def _routed(namespace: str, name: str, path: str) -> str:
    return _service(namespace, name).rstrip() + f"\n          routing: {{pathTemplate: {path!r}}}\n"


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/team-b/web/v1", "a path within /team-b/web of"),
        ("/team-b/web/", "the same path as"),
    ],
)
def test_a_tenant_may_not_route_a_path_of_another_namespaces_service(
    write_tree: WriteTree, run_cli: Run, path: str, where: str
) -> None:
    extra = {
        "teams/a/steal.yaml": _routed("team-a", "steal", path),
        "teams/b/services.yaml": _routed("team-b", "web", "/team-b/web"),
    }
    root = write_tree(_tree(extra))
    result = run_cli("render", "tree", cwd=root.parent)
    assert result.exit_code == 1
    errors = _errors(result)
    assert errors[0].startswith("tree/teams/a/steal.yaml:")
    assert (
        ": AIMService team-a/steal: tenant 'team-a' (paths teams/a/**) may not route" in (errors[0])
    )
    assert (
        f"may not route {path.rstrip('/')} on Gateway gateway-system/shared-gw: it is {where} "
        in (errors[0])
    )
    assert (
        "AIMService team-b/web, so requests meant for that service would reach this one"
        in (errors[0])
    )
    assert len(errors) == (2 if where.startswith("the same") else 1)


def test_routes_under_distinct_paths_or_gateways_do_not_overlap(
    write_tree: WriteTree, run_cli: Run
) -> None:
    extra = {
        "teams/a/more.yaml": _routed("team-a", "wide", "/team-a")
        + "---\n"
        + _routed("team-a", "web-twin", "/team-b-web"),
    }
    root = write_tree(_tree(extra))
    _objects(run_cli("render", str(root), "--format", "json"))


def test_the_argocd_plugin_parameters_select_an_owner(run_cli: Run) -> None:
    plugin = {"ARGOCD_APP_NAME": "aim"}
    by_option = run_cli("render", str(EXAMPLE), "--tenant", "support", "--gitops", "argocd")
    by_env = run_cli(
        "render", ".", cwd=EXAMPLE, env={**plugin, "ARGOCD_ENV_AIMCTL_TENANT": "support"}
    )
    assert by_env.exit_code == 0 and by_env.stdout == by_option.stdout
    platform = run_cli(
        "render", ".", cwd=EXAMPLE, env={**plugin, "ARGOCD_ENV_AIMCTL_PLATFORM": "true"}
    )
    assert (
        platform.stdout == run_cli("render", str(EXAMPLE), "--platform", "--gitops=argocd").stdout
    )


def test_per_owner_renders_of_the_two_tenant_tree_partition_the_full_render(
    write_tree: WriteTree, run_cli: Run
) -> None:
    root = write_tree(_tree({"teams/a/everything.yaml": TEAM_A_EVERYTHING_ALLOWED}))
    whole = _documents(run_cli("render", str(root), "--strict").stdout)
    parts = []
    for owner in (["--platform"], ["--tenant", "team-a"], ["--tenant", "team-b"]):
        result = run_cli("render", str(root), "--strict", *owner)
        assert result.exit_code == 0, result.stderr
        parts.extend(_documents(result.stdout))
    assert len(parts) == len(set(parts)) == len(whole)
    assert sorted(parts) == sorted(whole)
