"""Derived names, sanitisers and hash encoding must match the operator byte for byte (§5)."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimctl.resolve.gojson import go_json_string
from aimctl.resolve.naming import (
    ImageParts,
    InvalidImageReference,
    NamespaceTooLongError,
    artifact_name,
    cache_mount_path,
    cache_volume_name,
    cluster_model_name,
    custom_template_name,
    custom_template_name_auto,
    dedicated_cache_name,
    derived_name,
    derived_template_name,
    download_job_name,
    go_json,
    go_lower,
    go_path_clean,
    go_trim_space,
    go_upper,
    httproute_name,
    image_parts,
    isvc_name,
    model_name_for_custom,
    model_name_for_image,
    pvc_name,
    recommended_template_name,
    sanitize_label_value,
    sanitize_rfc1123,
    shared_cache_name,
    stand_in_uid,
)
from tests.unported_names import check_size_job_name, discovery_job_name

QWEN_IMAGE = "amdenterpriseai/aim-qwen-qwen3-32b:0.8.5"
HF_TOKEN_ENV = [
    {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}
]

# --- §5.6 verified vectors ----------------------------------------------------------------------


def test_sha256_of_json_quoted_ml_team_matches_operator_vector() -> None:
    digest = hashlib.sha256(go_json("ml-team").encode()).hexdigest()
    assert digest == "a04542d9a88da8897f348327c6c288490f68c68ff48232401336940afa82b3bb"


def test_isvc_name_matches_operator_vector_for_qwen_chat_in_ml_team() -> None:
    assert isvc_name("qwen-chat", "ml-team") == "qwen-chat-a04542d9"


def test_httproute_name_matches_operator_vector_for_qwen_chat_in_ml_team() -> None:
    assert httproute_name("qwen-chat", "ml-team") == "qwen-chat-a04542d9"


def test_isvc_name_truncates_long_service_name_to_fit_predictor_suffix() -> None:
    name = isvc_name("very-long-service-name-that-might-exceed-kubernetes-limits", "default")
    assert name == "very-long-service-name-that-might-ex-1080a608"
    assert len(name) == 63 - 11 - len("default")


def test_model_name_for_docker_hub_image_matches_operator_vector() -> None:
    assert model_name_for_image(QWEN_IMAGE) == "aim-qwen-qwen3-32b-0-8-5-cdc1fb22"


def test_model_name_for_ghcr_image_matches_operator_vector() -> None:
    assert model_name_for_image("ghcr.io/amd/llama-3-8b:v1.0.0") == "llama-3-8b-v1-0-0-f15afcca"


def test_shared_cache_name_matches_operator_vector() -> None:
    name = shared_cache_name("qwen3-32b-mi300x-lat-fp8", "ml-team")
    assert name == "qwen3-32b-mi300x-lat-fp8-a04542d9"


def test_dedicated_cache_name_matches_operator_vector() -> None:
    name = dedicated_cache_name(
        "aim-qwen3-32b-1x-mi300x-lat-fp8-abcd", "qwen-chat", "00000000-0000-0000-0000-000000000001"
    )
    assert name == "aim-qwen3-32b-1x-mi300x-lat-fp8-abcd-qwen-chat-5d49ba04"


def test_artifact_name_without_env_or_storage_class_matches_operator_vector() -> None:
    assert artifact_name("hf://Qwen/Qwen3-32B", [], "") == "hf---qwen-qwen3-32b-c00b812b59"


def test_artifact_name_with_secret_env_matches_operator_vector() -> None:
    name = artifact_name("hf://Qwen/Qwen3-32B", HF_TOKEN_ENV, "")
    assert name == "hf---qwen-qwen3-32b-92d23c4735"


def test_pvc_and_download_job_names_match_operator_vectors() -> None:
    artifact, uid = "hf---qwen-qwen3-32b-c00b812b59", "00000000-0000-0000-0000-000000000002"
    assert pvc_name(artifact, uid) == "hf---qwen-qwen3-32b-c00b812b59-cache-b07c3f2a"
    assert download_job_name(artifact, uid) == "hf---qwen-qwen3-32b-c00b812b59-download-b07c3f2a"


def test_derived_template_name_with_all_overrides_matches_operator_vector() -> None:
    name = derived_template_name("base", "MI300X", 4, "fp8", "throughput")
    assert name == "base-ovr-mi300x-4gpu-fp8-throughput-b295"


def test_derived_template_name_with_metric_only_matches_operator_vector() -> None:
    assert derived_template_name("my-template", metric="latency") == "my-template-ovr-latency-817c"


def test_custom_model_name_matches_operator_vector() -> None:
    sources = [{"modelId": "inline/test-model", "sourceUri": "hf://sshleifer/tiny-gpt2"}]
    name = model_name_for_custom("ghcr.io/silogen/aim-dummy:0.1.10", sources)
    assert name == "inline-test-model-2cfa2a00"


def test_auto_custom_template_name_matches_operator_vector() -> None:
    assert custom_template_name_auto("my-model") == "my-model-custom-013658a3"


def test_custom_template_entry_name_matches_operator_vector() -> None:
    name = custom_template_name("my-model", 0, "fast", "fp8", "latency", 2, "MI300X")
    assert name == "my-model-custom-fast-fp8-mi300x-8508a188"


def test_recommended_deployment_template_name_matches_operator_vector() -> None:
    name = recommended_template_name(
        "aim-qwen-qwen3-32b-0-8-5-3c0a1b2d", QWEN_IMAGE, "MI300X", 1, "latency", "fp8"
    )
    assert name == "amdenterpriseai-aim-qwen-qwen3-32b-0-8-5-1x-mi300x-lat-fp8-8833"


def test_cluster_model_name_from_docker_hub_source_matches_operator_vector() -> None:
    name = cluster_model_name("docker.io", "amdenterpriseai/aim-qwen-qwen3-32b", "0.8.5")
    assert name == "amdenterpriseai-aim-qwen-qwen3-32b-0-8-5-72f726"


def test_discovery_job_name_matches_operator_vector() -> None:
    name = discovery_job_name(
        "qwen3-32b-mi300x-lat-fp8",
        "qwen3-32b",
        QWEN_IMAGE,
        metric="latency",
        precision="fp8",
        gpu_model="MI300X",
        gpu_requests=1,
    )
    assert name == "discover-qwen3-32b-mi300x-lat-fp8-6287d38c"


# --- sanitisers (§5.2) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hf://Qwen/Qwen3-32B", "hf---qwen-qwen3-32b"),
        ("Meta/Llama_3.8B--", "meta-llama-3-8b"),
        ("--a--b--", "a--b"),
        ("ÄB", "b"),
        ("", ""),
    ],
)
def test_rfc1123_sanitiser_replaces_each_invalid_code_point_without_collapsing(
    raw: str, expected: str
) -> None:
    assert sanitize_rfc1123(raw) == expected


def test_rfc1123_sanitiser_cuts_to_63_and_trims_trailing_dash_after_cut() -> None:
    assert sanitize_rfc1123("a" * 62 + "-b") == "a" * 62
    assert len(sanitize_rfc1123("x" * 100)) == 63


def test_rfc1123_sanitiser_uses_go_simple_case_mapping() -> None:
    assert sanitize_rfc1123("\u0130stanbul") == "istanbul"  # Go: İ -> i (Python: i + U+0307)
    assert sanitize_rfc1123("\u212a8s") == "k8s"  # Kelvin sign lower-cases to ASCII k


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Meta/Llama-3-8B", "meta_llama-3-8b"),
        ("My.Service_Name!!", "my.service_name"),
        ("a//b", "a_b"),
        ("_.-x-._", "x"),
    ],
)
def test_label_value_sanitiser_collapses_runs_and_trims_punctuation(
    raw: str, expected: str
) -> None:
    assert sanitize_label_value(raw) == expected


def test_label_value_sanitiser_cuts_to_63_and_retrims() -> None:
    assert sanitize_label_value("a" * 62 + ".b") == "a" * 62


@pytest.mark.parametrize("raw", ["", "!!!", "._-"])
def test_label_value_sanitiser_rejects_values_that_become_empty(raw: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        sanitize_label_value(raw)


@given(st.text())
def test_rfc1123_sanitiser_output_is_a_valid_name_part(raw: str) -> None:
    out = sanitize_rfc1123(raw)
    assert re.fullmatch(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?)?", out)
    assert len(out) <= 63


@given(st.text())
def test_label_value_sanitiser_output_is_a_valid_label_value_or_raises(raw: str) -> None:
    try:
        out = sanitize_label_value(raw)
    except ValueError:
        return
    assert re.fullmatch(r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?", out)
    assert len(out) <= 63


def test_go_string_helpers_follow_go_not_python() -> None:
    assert go_lower("ΟΔΟΣ") == "οδοσ"  # no final-sigma rule in Go
    assert go_upper("straße") == "STRAßE"  # ß has no simple upper-case mapping
    assert go_trim_space("\x1c x \u3000") == "\x1c x"  # \x1c is not White_Space in Go


# --- hash-input JSON (§5.3) ---------------------------------------------------------------------


def test_go_json_flattens_string_map_in_sorted_key_order() -> None:
    assert go_json({"b": "2", "a": "1"}) == '["a","1","b","2"]'


def test_go_json_escapes_html_characters_and_line_separators() -> None:
    assert go_json_string("<a&b>") == '"\\u003ca\\u0026b\\u003e"'
    assert go_json_string("x\u2028y\u2029") == '"x\\u2028y\\u2029"'


def test_go_json_keeps_non_ascii_as_raw_utf8() -> None:
    assert go_json_string("grüße ☃") == '"grüße ☃"'


def test_go_json_escapes_control_characters_like_go_1_22_and_later() -> None:
    assert go_json_string('"\\\n\r\t\b\f\x01\x7f') == '"\\"\\\\\\n\\r\\t\\b\\f\\u0001\x7f"'


def test_go_json_replaces_lone_surrogates_with_replacement_character() -> None:
    assert go_json_string("a\ud800b") == '"a\ufffdb"'


def test_go_json_encodes_scalars_like_encoding_json() -> None:
    assert [go_json(v) for v in (None, True, False, 0, -7)] == ["null", "true", "false", "0", "-7"]


def test_go_json_encodes_empty_env_list_as_null() -> None:
    assert go_json([]) == "null"


def test_go_json_env_list_uses_struct_key_order_and_omits_empty_value() -> None:
    env = [
        {"value": "1", "name": "A"},
        {"name": "B", "value": ""},
        {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    assert go_json(env) == (
        '[{"name":"A","value":"1"},{"name":"B"},'
        '{"name":"C","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]'
    )


def test_go_json_env_resource_field_ref_always_has_divisor_defaulting_to_zero() -> None:
    env = [{"name": "M", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}}]
    assert go_json(env) == (
        '[{"name":"M","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"0"}}}]'
    )


def test_go_json_env_divisor_is_written_in_canonical_quantity_form() -> None:
    ref = {"containerName": "c", "resource": "limits.cpu", "divisor": "1000m"}
    env = [{"name": "CPU", "valueFrom": {"resourceFieldRef": ref}}]
    assert '"resourceFieldRef":{"containerName":"c","resource":"limits.cpu","divisor":"1"}' in (
        go_json(env)
    )


def test_go_json_env_selector_keeps_explicit_optional_false_and_drops_empty_name() -> None:
    env = [
        {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "", "key": "k", "optional": False}}}
    ]
    assert go_json(env) == (
        '[{"name":"K","valueFrom":{"configMapKeyRef":{"key":"k","optional":false}}}]'
    )


def test_go_json_env_file_key_ref_has_all_required_fields_in_order() -> None:
    ref = {"key": "k", "path": "p", "volumeName": "v"}
    env = [{"name": "F", "valueFrom": {"fileKeyRef": ref}}]
    assert '{"fileKeyRef":{"volumeName":"v","path":"p","key":"k"}}' in go_json(env)


def test_go_json_rejects_unsupported_types() -> None:
    with pytest.raises(TypeError):
        go_json(1.5)


# --- derived name algorithm (§5.1) --------------------------------------------------------------


def test_derived_name_without_hash_inputs_has_no_suffix() -> None:
    assert derived_name(["My", "Part"]) == "my-part"


def test_derived_name_replaces_emptied_part_with_literal_part() -> None:
    assert derived_name(["!!!", "x"]) == "part-x"


def test_derived_name_hash_length_zero_disables_suffix() -> None:
    assert derived_name(["a"], ["ns"], hash_len=0) == "a"


def test_derived_name_truncates_longest_part_first_and_lowest_index_on_ties() -> None:
    assert derived_name(["aaaa", "bbbb"], max_len=7) == "aaa-bbb"
    assert derived_name(["aaaa", "bbbb"], max_len=8) == "aaa-bbbb"


def test_derived_name_strips_dashes_exposed_by_truncation() -> None:
    assert derived_name(["ab-cdef", "x"], max_len=5) == "ab-x"


def test_derived_name_can_exceed_max_in_degenerate_cases() -> None:
    suffix = hashlib.sha256(b'"x"').hexdigest()[:8]
    assert derived_name(["a", "b", "c"], ["x"], max_len=5) == f"a-b-c-{suffix}"


@pytest.mark.parametrize("max_len", [0, 64, -1])
def test_derived_name_rejects_max_length_outside_1_to_63(max_len: int) -> None:
    with pytest.raises(ValueError, match="maxLength"):
        derived_name(["a"], max_len=max_len)


def test_derived_name_rejects_empty_parts() -> None:
    with pytest.raises(ValueError, match="empty"):
        derived_name([])


@given(
    st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=3),
    st.lists(st.text(max_size=20), max_size=3),
    st.integers(min_value=20, max_value=63),
)
def test_derived_name_never_exceeds_max_for_sane_inputs(
    parts: list[str], inputs: list[str], max_len: int
) -> None:
    name = derived_name(parts, inputs, max_len=max_len)
    assert len(name) <= max_len
    assert re.fullmatch(r"[a-z0-9-]+", name)


# --- image parts (§5.2) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("ghcr.io/silogen/llama-3-8b:v1.2.0", ("ghcr-io", "llama-3-8b", "v1-2-0")),
        ("nginx", ("docker-io", "nginx", "latest")),
        ("myorg/myimage:tag", ("docker-io", "myimage", "tag")),
        ("localhost:5000/my-image:dev", ("localhost-5000", "my-image", "dev")),
        ("localhost/x", ("localhost", "x", "latest")),
        ("reg.io/a/b@sha256:abcdef0123", ("reg-io", "b", "abcdef")),
        ("reg.io/a/b@sha256:ab", ("reg-io", "b", "ab")),
        ("My_Org/Some__Image:V1..2", ("docker-io", "some-image", "v1-2")),
    ],
)
def test_image_parts_split_registry_name_and_tag(
    image: str, expected: tuple[str, str, str]
) -> None:
    assert image_parts(image) == ImageParts(*expected)


@pytest.mark.parametrize(
    "image", ["", "repo/img@sha256", "repo/img@", "repo/img@sha256:", "repo/img:", "repo/___:tag"]
)
def test_image_parts_rejects_malformed_references(image: str) -> None:
    with pytest.raises(InvalidImageReference):
        image_parts(image)


def test_model_name_for_image_raises_invalid_image_reference_as_value_error() -> None:
    with pytest.raises(ValueError):
        model_name_for_image("img:")


# --- per-resource rules (§5.4) ------------------------------------------------------------------


def test_isvc_name_fails_when_namespace_leaves_fewer_than_ten_characters() -> None:
    assert len(isvc_name("svc", "n" * 42)) <= 10
    with pytest.raises(NamespaceTooLongError):
        isvc_name("svc", "n" * 43)


def test_isvc_and_route_names_differ_only_when_namespace_forces_truncation() -> None:
    service, namespace = "s" * 40, "n" * 20
    assert isvc_name(service, namespace) != httproute_name(service, namespace)
    assert isvc_name(service, namespace).endswith(httproute_name(service, namespace)[-8:])


def test_derived_template_name_without_name_relevant_overrides_is_the_base_name() -> None:
    assert derived_template_name("Base_Template") == "Base_Template"
    assert derived_template_name("base", gpu_requests=0) == "base"


def test_custom_model_without_sources_uses_fallback_rule() -> None:
    assert model_name_for_custom("img:1", []) == derived_name(["custom-model"], ["img:1"])


def test_custom_model_name_includes_literal_aws_endpoint_but_not_value_from() -> None:
    base = {"modelId": "o/m", "sourceUri": "s3://b/m"}
    literal = {**base, "env": [{"name": "AWS_ENDPOINT_URL", "value": "http://minio"}]}
    secret = {**base, "env": [{"name": "AWS_ENDPOINT_URL", "valueFrom": {"secretKeyRef": {}}}]}
    plain = model_name_for_custom("img:1", [base])
    assert model_name_for_custom("img:1", [literal]) != plain
    assert model_name_for_custom("img:1", [secret]) == plain


def test_dedicated_artifact_name_differs_from_shared() -> None:
    shared = artifact_name("hf://a/b", None, "")
    assert artifact_name("hf://a/b", None, "", dedicated_cache_name="c") != shared


def test_artifact_name_depends_on_storage_class() -> None:
    assert artifact_name("hf://a/b", [], "fast") != artifact_name("hf://a/b", [], "")


def test_check_size_job_name_follows_artifact_uid_rule() -> None:
    assert check_size_job_name("art", "u") == derived_name(["art", "check-size"], ["u"])


def test_custom_template_name_hash_includes_empty_name_and_absent_blocks_are_left_out() -> None:
    assert custom_template_name("m", 1) == derived_name(["m", "custom"], ["m", 1, ""])
    with_profile = derived_name(["m", "custom"], ["m", 1, "", "", ""])
    assert custom_template_name("m", 1, has_profile=True) == with_profile


def test_custom_template_name_with_gpu_block_hashes_requests_and_model() -> None:
    expected = derived_name(["m", "custom", "mi300x"], ["m", 0, "", 0, "MI300X"])
    assert custom_template_name("m", 0, gpu_model="MI300X") == expected


@pytest.mark.parametrize(
    ("gpu", "count", "suffix", "digest"),
    [
        ("MI300X", 0, "mi300x", "m-img-MI300X"),
        ("", 2, "x2", "m-img-x2"),
        ("", 0, "part", "m-img"),
    ],
)
def test_recommended_template_name_gpu_piece_variants(
    gpu: str, count: int, suffix: str, digest: str
) -> None:
    assert recommended_template_name("m", "img", gpu, count) == derived_name(
        ["img", suffix], [digest], hash_len=4
    )


def test_recommended_template_name_keeps_unknown_metric_verbatim() -> None:
    expected = derived_name(["img", "custom-bf16"], ["m-img-custom-bf16"], hash_len=4)
    assert recommended_template_name("m", "img", metric="custom", precision="bf16") == expected


def test_discovery_job_name_cuts_template_name_to_45_characters() -> None:
    name = discovery_job_name("t" * 60, "m", "img")
    assert name.startswith("discover-" + "t" * 45 + "-")
    assert len(name) == 63


def test_discovery_job_hash_covers_env_secrets_and_profile() -> None:
    plain = discovery_job_name("t", "m", "img")
    assert discovery_job_name("t", "m", "img", env=[{"name": "A", "value": "1"}]) != plain
    assert discovery_job_name("t", "m", "img", image_pull_secrets=[{"name": "s"}]) != plain
    assert discovery_job_name("t", "m", "img", image_pull_secrets=["s"]) == discovery_job_name(
        "t", "m", "img", image_pull_secrets=[{"name": "s"}]
    )
    assert discovery_job_name("t", "m", "img", profile_id="p") != plain


# --- identity and cache volumes -----------------------------------------------------------------


def test_stand_in_uid_is_uuid5_over_identity_in_aimctl_namespace() -> None:
    expected = uuid.uuid5(
        uuid.uuid5(uuid.NAMESPACE_DNS, "aimctl.amd.com"),
        "aim.eai.amd.com/v1alpha1/AIMService/ns/svc",
    )
    assert stand_in_uid("aim.eai.amd.com/v1alpha1", "AIMService", "ns", "svc") == str(expected)


def test_stand_in_uid_of_cluster_scoped_object_uses_empty_namespace() -> None:
    uid = stand_in_uid("v1", "Kind", "", "x")
    assert uid == str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_DNS, "aimctl.amd.com"), "v1/Kind//x"))
    assert uid != stand_in_uid("v1", "Kind", "ns", "x")


@given(st.text(max_size=40), st.text(max_size=40))
def test_stand_in_uid_agrees_with_uuid5_for_any_text(namespace: str, name: str) -> None:
    stand_in = uuid.uuid5(uuid.NAMESPACE_DNS, "aimctl.amd.com")
    try:
        expected = str(uuid.uuid5(stand_in, f"v1/Kind/{namespace}/{name}"))
    except UnicodeEncodeError:  # a lone surrogate: neither can hash it
        with pytest.raises(UnicodeEncodeError):
            stand_in_uid("v1", "Kind", namespace, name)
        return
    assert stand_in_uid("v1", "Kind", namespace, name) == expected


def test_cache_volume_name_is_rfc1123_artifact_name() -> None:
    assert cache_volume_name("HF.Qwen_3") == "hf-qwen-3"


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("Qwen/Qwen3-32B", "/workspace/cache/Qwen/Qwen3-32B"),
        ("a//b/", "/workspace/cache/a/b"),
        ("../../etc", "/workspace/cache/etc"),
        ("..", "/workspace/cache/vol"),
        ("", "/workspace/cache/vol"),
        ("./", "/workspace/cache/vol"),
        ("/abs", "/workspace/cache/abs"),
    ],
)
def test_cache_mount_path_removes_dot_dot_and_cleans_the_model_id(
    model_id: str, expected: str
) -> None:
    assert cache_mount_path(model_id, "vol") == expected


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [("", "."), ("a/../..", ".."), ("/..", "/"), ("/a/./b/", "/a/b"), ("a/b/../c", "a/c")],
)
def test_go_path_clean_matches_go_path_clean(raw: str, cleaned: str) -> None:
    assert go_path_clean(raw) == cleaned
