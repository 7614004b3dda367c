"""The YAML-tree template engine: native values, dropping None, merges, strict errors with lines."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aimctl.errors import RenderError
from aimctl.render.engine import TemplateError, TemplateSet


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return directory


def _one(tmp_path: Path, text: str, **filters: Any) -> TemplateSet:
    return TemplateSet.load(_write(tmp_path / "tpl", {"t.yaml": text}), filters=filters or None)


def _load_error(tmp_path: Path, text: str) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        _one(tmp_path, text)
    return info.value


def _render_error(tmp_path: Path, text: str, context: dict[str, Any]) -> TemplateError:
    templates = _one(tmp_path, text)
    with pytest.raises(TemplateError) as info:
        templates.render("t", context)
    return info.value


# --- native values -------------------------------------------------------------------------------


def test_single_expression_keeps_int_as_int(tmp_path: Path) -> None:
    out = _one(tmp_path, 'port: "{{ port }}"\n').render("t", {"port": 8080})
    assert out == {"port": 8080}
    assert type(out["port"]) is int


def test_single_expression_inserts_dict_and_list_as_given(tmp_path: Path) -> None:
    labels = {"app": "x"}
    env = [{"name": "A", "value": "1"}]
    out = _one(tmp_path, 'labels: "{{ labels }}"\nenv: "{{ env }}"\n').render(
        "t", {"labels": labels, "env": env}
    )
    assert out["labels"] is labels
    assert out["env"] is env


def test_single_expression_keeps_bool_and_string_types(tmp_path: Path) -> None:
    text = 'enabled: "{{ flag }}"\nversion: "{{ version }}"\n'
    out = _one(tmp_path, text).render("t", {"flag": False, "version": "1.10"})
    assert out == {"enabled": False, "version": "1.10"}


def test_whitespace_around_single_expression_still_gives_native_value(tmp_path: Path) -> None:
    out = _one(tmp_path, 'replicas: "  {{ n }} "\n').render("t", {"n": 3})
    assert out == {"replicas": 3}


def test_attribute_syntax_reads_dict_keys_and_object_attributes(tmp_path: Path) -> None:
    @dataclass
    class Svc:
        name: str

    text = 'a: "{{ d.name }}"\nb: "{{ o.name }}"\nc: "{{ d.items() | list | length }}"\n'
    out = _one(tmp_path, text).render("t", {"d": {"name": "x", "items": 0}, "o": Svc("y")})
    assert out == {"a": "x", "b": "y", "c": 2}


# --- None drops ----------------------------------------------------------------------------------


def test_none_result_drops_the_mapping_key(tmp_path: Path) -> None:
    out = _one(tmp_path, 'a: 1\nb: "{{ nothing }}"\nc: 3\n').render("t", {"nothing": None})
    assert out == {"a": 1, "c": 3}
    assert "b" not in out


def test_none_result_drops_the_list_item(tmp_path: Path) -> None:
    text = """
    volumes:
      - name: shm
      - "{{ cache }}"
      - "{{ extra }}"
    """
    out = _one(tmp_path, text).render("t", {"cache": None, "extra": {"name": "x"}})
    assert out == {"volumes": [{"name": "shm"}, {"name": "x"}]}


def test_constant_null_written_in_the_template_is_kept(tmp_path: Path) -> None:
    out = _one(tmp_path, "a: null\nb: [1, ~]\n").render("t", {})
    assert out == {"a": None, "b": [1, None]}


# --- strings -------------------------------------------------------------------------------------


def test_text_around_expressions_renders_a_string(tmp_path: Path) -> None:
    text = 'name: "{{ svc }}-predictor"\nport: "{{ port }}{{ suffix }}"\n'
    out = _one(tmp_path, text).render("t", {"svc": "qwen", "port": 80, "suffix": ""})
    assert out == {"name": "qwen-predictor", "port": "80"}


def test_unquoted_expression_inside_plain_text_is_a_template(tmp_path: Path) -> None:
    out = _one(tmp_path, "image: registry.local/{{ image }}\n").render("t", {"image": "vllm:1"})
    assert out == {"image": "registry.local/vllm:1"}


def test_block_scalar_keeps_its_trailing_newline(tmp_path: Path) -> None:
    text = """
    script: |
      echo {{ name }}
      exit 0
    """
    out = _one(tmp_path, text).render("t", {"name": "hi"})
    assert out == {"script": "echo hi\nexit 0\n"}


def test_constants_are_copied_as_written_and_dates_stay_strings(tmp_path: Path) -> None:
    text = "a: 2024-01-01\nb: '007'\nc: 1.5\nd: true\ne: literal {braces}\n"
    out = _one(tmp_path, text).render("t", {})
    assert out == {"a": "2024-01-01", "b": "007", "c": 1.5, "d": True, "e": "literal {braces}"}


# --- keys ----------------------------------------------------------------------------------------


def test_output_key_order_follows_the_template(tmp_path: Path) -> None:
    text = """
    zeta: 1
    alpha: "{{ a }}"
    mid:
      z: "{{ a }}"
      b: 2
      a: 3
    beta: x
    """
    out = _one(tmp_path, text).render("t", {"a": 0})
    assert list(out) == ["zeta", "alpha", "mid", "beta"]
    assert list(out["mid"]) == ["z", "b", "a"]


def test_templated_key_renders_as_a_string(tmp_path: Path) -> None:
    text = """
    data:
      "{{ key }}": "{{ value }}"
      "port-{{ n }}": fixed
    """
    out = _one(tmp_path, text).render("t", {"key": 5, "value": "v", "n": 1})
    assert out == {"data": {"5": "v", "port-1": "fixed"}}


def test_duplicate_key_is_a_load_error_naming_the_line(tmp_path: Path) -> None:
    err = _load_error(tmp_path, "a: 1\nb: 2\na: 3\n")
    assert err.line == 3
    assert "duplicate key 'a'" in err.message


def test_non_string_key_is_a_load_error_asking_for_quotes(tmp_path: Path) -> None:
    err = _load_error(tmp_path, "a: 1\non: 2\n")
    assert err.line == 2
    assert "quote" in err.message


def test_templated_key_colliding_with_a_written_key_is_an_error(tmp_path: Path) -> None:
    err = _render_error(tmp_path, 'a: 1\n"{{ k }}": 2\n', {"k": "a"})
    assert err.line == 2


# --- << merge ------------------------------------------------------------------------------------


def test_merge_key_inserts_the_mapping_at_its_position(tmp_path: Path) -> None:
    text = """
    labels:
      first: "1"
      "<<": "{{ extra }}"
      last: "2"
    """
    out = _one(tmp_path, text).render("t", {"extra": {"b": "x", "a": "y"}})
    assert list(out["labels"].items()) == [("first", "1"), ("b", "x"), ("a", "y"), ("last", "2")]


def test_unquoted_merge_key_works_the_same(tmp_path: Path) -> None:
    out = _one(tmp_path, 'labels:\n  <<: "{{ extra }}"\n').render("t", {"extra": {"a": "1"}})
    assert out == {"labels": {"a": "1"}}


def test_yaml_anchor_merge_is_rendered_like_any_mapping(tmp_path: Path) -> None:
    text = 'base: &b\n  a: "{{ x }}"\nderived:\n  <<: *b\n  d: 2\n'
    out = _one(tmp_path, text).render("t", {"x": 5})
    assert out == {"base": {"a": 5}, "derived": {"a": 5, "d": 2}}


def test_merge_of_none_adds_nothing(tmp_path: Path) -> None:
    out = _one(tmp_path, 'm:\n  k: v\n  "<<": "{{ extra }}"\n').render("t", {"extra": None})
    assert out == {"m": {"k": "v"}}


def test_merge_of_a_key_the_mapping_writes_is_an_error(tmp_path: Path) -> None:
    err = _render_error(tmp_path, 'm:\n  "<<": "{{ extra }}"\n  k: v\n', {"extra": {"k": "x"}})
    assert err.line == 2
    assert "'k'" in err.message


def test_merge_of_a_non_mapping_is_an_error(tmp_path: Path) -> None:
    err = _render_error(tmp_path, 'm:\n  "<<": "{{ extra }}"\n', {"extra": ["a"]})
    assert err.line == 2
    assert "mapping" in err.message


# --- strict errors -------------------------------------------------------------------------------


def test_undefined_variable_raises_template_error_naming_file_and_line(tmp_path: Path) -> None:
    text = """
    apiVersion: v1
    metadata:
      name: "{{ svc.name }}"
      namespace: "{{ namespace }}-x"
    """
    err = _render_error(tmp_path, text, {"svc": {"name": "a"}})
    assert err.template_file == tmp_path / "tpl" / "t.yaml"
    assert err.line == 4
    assert "'namespace' is undefined" in err.message
    assert str(err).endswith(f"t.yaml:4: {err.message}")


def test_undefined_attribute_raises_naming_its_line(tmp_path: Path) -> None:
    text = 'a: "{{ svc.name }}"\nb: "{{ svc.nmae }}"\nc: "{{ svc.name }}"\n'
    err = _render_error(tmp_path, text, {"svc": {"name": "a"}})
    assert err.line == 2
    assert "nmae" in err.message


def test_undefined_value_on_its_own_raises_instead_of_passing_through(tmp_path: Path) -> None:
    err = _render_error(tmp_path, 'a: 1\nb: "{{ missing }}"\n', {})
    assert err.line == 2
    assert "'missing' is undefined" in err.message


def test_undefined_inside_a_list_literal_raises(tmp_path: Path) -> None:
    err = _render_error(tmp_path, 'args: "{{ [known, unknown] }}"\n', {"known": 1})
    assert err.line == 1
    assert "'unknown' is undefined" in err.message


def test_jinja_globals_do_not_stand_in_for_missing_variables(tmp_path: Path) -> None:
    err = _render_error(tmp_path, 'a: "{{ range }}"\nb: "{{ namespace }}"\n', {})
    assert err.line == 1
    assert "'range' is undefined" in err.message


def test_exception_in_an_expression_names_its_line(tmp_path: Path) -> None:
    err = _render_error(tmp_path, 'a: "{{ 1 }}"\nb:\n  - "{{ 1 // zero }}"\n', {"zero": 0})
    assert err.line == 3
    assert "ZeroDivisionError" in err.message
    assert isinstance(err.__cause__, ZeroDivisionError)


def test_generator_result_is_an_error_hinting_at_list(tmp_path: Path) -> None:
    err = _render_error(tmp_path, "names: \"{{ xs | map(attribute='n') }}\"\n", {"xs": []})
    assert "| list" in err.message


def test_template_error_is_a_render_error_with_a_diagnostic(tmp_path: Path) -> None:
    err = _render_error(tmp_path, 'a: "{{ missing }}"\n', {})
    assert isinstance(err, RenderError)
    [diagnostic] = err.diagnostics
    assert diagnostic.code == "E_TEMPLATE"
    assert diagnostic.line == 1
    assert diagnostic.file is not None and diagnostic.file.endswith("t.yaml")


def test_unknown_template_name_is_a_template_error(tmp_path: Path) -> None:
    templates = _one(tmp_path, "a: 1\n")
    with pytest.raises(TemplateError, match="not found"):
        templates.render("httproute", {})


# --- load errors ---------------------------------------------------------------------------------


def test_jinja_syntax_error_at_load_names_file_and_line(tmp_path: Path) -> None:
    err = _load_error(tmp_path, 'a: 1\nb:\n  c: "{{ broken( }}"\n')
    assert err.template_file == tmp_path / "tpl" / "t.yaml"
    assert err.line == 3
    assert "jinja" in err.message


def test_jinja_syntax_error_in_a_block_scalar_names_the_inner_line(tmp_path: Path) -> None:
    err = _load_error(tmp_path, "script: |\n  ok {{ a }}\n  bad {{ a + }}\n")
    assert err.line == 3


def test_unknown_filter_is_a_load_error_naming_the_line(tmp_path: Path) -> None:
    err = _load_error(tmp_path, 'a: "{{ x }}"\nb: "{{ x | nosuchfilter }}"\n')
    assert err.line == 2
    assert "nosuchfilter" in err.message


def test_statements_are_rejected_at_load(tmp_path: Path) -> None:
    err = _load_error(tmp_path, 'a: 1\nb: "{% if x %}y{% endif %}"\n')
    assert err.line == 2
    assert "statements" in err.message


def test_unquoted_leading_expression_is_a_load_error_asking_for_quotes(tmp_path: Path) -> None:
    err = _load_error(tmp_path, "a: 1\nname: {{ isvc.name }}\n")
    assert err.line == 2
    assert "quoted" in err.message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    err = _load_error(tmp_path, "a: 1\nb: [1, 2\nc: 3\n")
    assert err.line >= 2
    assert err.message.startswith("yaml:")


def test_template_must_be_one_mapping(tmp_path: Path) -> None:
    assert "mapping" in _load_error(tmp_path, "- a\n- b\n").message
    assert "single document" in _load_error(tmp_path / "two", "a: 1\n---\nb: 2\n").message


# --- set behaviour -------------------------------------------------------------------------------


def test_filters_passed_in_are_available(tmp_path: Path) -> None:
    def shout(value: str) -> str:
        return value.upper() + "!"

    templates = _one(tmp_path, 'a: "{{ name | shout }}"\nb: "x-{{ name | shout }}"\n', shout=shout)
    assert templates.render("t", {"name": "hi"}) == {"a": "HI!", "b": "x-HI!"}


def test_templates_are_named_by_file_stem_and_hidden_files_are_skipped(tmp_path: Path) -> None:
    directory = _write(
        tmp_path / "tpl",
        {"inferenceservice.yaml": "kind: A\n", "httproute.yaml": "kind: B\n", ".x.yaml": "k: 1\n"},
    )
    templates = TemplateSet.load(directory)
    assert templates.names == ("httproute", "inferenceservice")
    assert templates.render("httproute", {}) == {"kind": "B"}
    assert templates.path("httproute") == directory / "httproute.yaml"


def test_loading_the_same_directory_twice_gives_equal_output(tmp_path: Path) -> None:
    text = """
    apiVersion: v1
    metadata:
      name: "{{ name }}-svc"
      labels:
        "<<": "{{ labels }}"
    spec:
      ports: ["{{ port }}", 9090]
    """
    directory = _write(tmp_path / "tpl", {"t.yaml": text})
    context = {"name": "a", "labels": {"x": "1"}, "port": 80}
    first = TemplateSet.load(directory).render("t", context)
    second = TemplateSet.load(directory).render("t", context)
    assert first == second
    assert repr(first) == repr(second)


def test_each_render_returns_fresh_containers(tmp_path: Path) -> None:
    templates = _one(tmp_path, "spec:\n  fixed: [1, 2]\n  m: {a: 1}\n")
    first = templates.render("t", {})
    first["spec"]["fixed"].append(3)
    first["spec"]["m"]["b"] = 2
    assert templates.render("t", {}) == {"spec": {"fixed": [1, 2], "m": {"a": 1}}}
