"""Compile YAML-tree templates once; render them to plain dicts without re-parsing text.

Template rules (what a platform team needs when it copies ``templates/`` and passes
``--templates DIR``):

* Each ``NAME.yaml`` in the directory is one template named ``NAME``: one YAML document whose top
  level is a mapping. Files starting with ``.`` are skipped. Keys are strings and may not repeat.
* A string that contains ``{{`` or ``{%`` is a jinja2 template; every other scalar is a constant and
  is copied as written (``null`` included; unquoted dates stay strings, as for input files).
* A string that is exactly one ``{{ expr }}`` (spaces around allowed) keeps the expression's native
  value: str, int, float, bool, None, a mapping or a list. Quote it —
  ``name: "{{ isvc.name }}"`` — because YAML reads an unquoted leading ``{`` as a flow mapping.
  When the value is ``None`` the key (or the list item) is left out.
* A string with text around expressions (``"{{ isvc.name }}-predictor"``) renders as a string.
* Keys may be ``"{{ expr }}"`` too; they render as strings.
* ``"<<": "{{ expr }}"`` merges the mapping the expression gives into the enclosing mapping at that
  position (``None`` merges nothing). A merged key that the mapping also writes is an error.
* Only ``{{ … }}`` expressions over the context variables, with jinja2's built-in filters and tests
  plus the filters aimctl registers; no ``{% … %}`` statements and no jinja2 globals (``range``,
  ``namespace``, …). Undefined names and attributes are errors (``StrictUndefined``), and so is a
  result YAML cannot hold (a generator wants ``| list``). Templates only shape: Python decides
  values, so no ``default`` fallbacks, no choosing between sources, no computed names.
* Errors name the template file and the line of the offending scalar.

How it works: at load the YAML node tree is compiled into nested builder closures, and every
template scalar becomes one assignment in a single jinja2 template per file (the same
``Assign`` node ``Environment.compile_expression`` builds, batched). Rendering runs that template
once against the context, then the builders assemble fresh dicts and lists in template key order.
Values the context provides (a dict from ``{{ labels }}``) are inserted as they are, not copied:
callers pass fresh data for each render and do not mutate the result's shared parts.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

import jinja2
import yaml
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from aimctl.errors import Diagnostic, RenderError
from aimctl.libyaml import KubeYamlLoader as _Loader
from aimctl.loader import display_path

__all__ = ["TemplateError", "TemplateSet"]

_STR_TAG: Final = "tag:yaml.org,2002:str"
_MAP_TAG: Final = "tag:yaml.org,2002:map"
_SEQ_TAG: Final = "tag:yaml.org,2002:seq"
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
_MAX_NODES: Final = 100_000
_SLOT_PREFIX: Final = "_aimctl_slot_"

# Op codes of the compiled plan. A value is (_CONST, constant) | (_SLOT, index) | (_BUILD, builder).
_CONST: Final = 0
_SLOT: Final = 1
_BUILD: Final = 2
_MERGE: Final = 3
_DYNKEY: Final = 4

_PLAIN_TYPES: Final = frozenset({str, int, float, bool, type(None), dict, list})

_Results = Sequence[Any]
_Build = Callable[[_Results], Any]
_Value = tuple[int, Any]


class TemplateError(RenderError):
    """A template could not be loaded or rendered; names the template file and line (1-based)."""

    def __init__(self, template_file: Path, line: int, message: str) -> None:
        self.template_file = template_file
        self.line = line
        self.message = message
        shown = display_path(template_file)
        super().__init__([Diagnostic("E_TEMPLATE", message, file=shown, line=line)])

    def __str__(self) -> str:
        where = display_path(self.template_file)
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"


class _Failure(Exception):
    """A problem at a template line; turned into ``TemplateError`` where the file is known."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class _Slot:
    """One template scalar: its source text, YAML line, and whether it yields a native value."""

    source: str
    line: int
    native: bool
    deep: bool  # built from a list/dict literal, so an Undefined may hide inside the result


def _shorten(source: str) -> str:
    text = source.strip().splitlines()[0] if source.strip() else source
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(exc: BaseException) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _slot_expression(
    env: jinja2.Environment, source: str, force_str: bool
) -> tuple[nodes.Expr, bool]:
    """Parse one template scalar into the expression it evaluates and whether that is native."""
    body = env.parse(source).body
    if not body:
        return nodes.Const("", lineno=1), False
    if len(body) != 1 or not isinstance(body[0], nodes.Output):
        stray = next(n for n in body if not isinstance(n, nodes.Output))
        raise jinja2.TemplateSyntaxError(
            "{% ... %} statements are not supported in templates; decide in Python and pass the "
            "value in",
            stray.lineno,
        )
    parts = body[0].nodes
    exprs = [p for p in parts if not isinstance(p, nodes.TemplateData)]
    blank = all(p.data.isspace() for p in parts if isinstance(p, nodes.TemplateData))
    if not force_str and len(exprs) == 1 and blank:
        return exprs[0], True
    pieces = [
        nodes.Const(p.data, lineno=1) if isinstance(p, nodes.TemplateData) else p for p in parts
    ]
    return nodes.Concat(pieces, lineno=1), False


def _const_mapping(const: dict[str, Any]) -> _Build:
    def build(_: _Results) -> dict[str, Any]:
        return const.copy()

    return build


def _const_list(const: list[Any]) -> _Build:
    def build(_: _Results) -> list[Any]:
        return const.copy()

    return build


def _simple_mapping(
    base: dict[str, Any],
    slots: tuple[tuple[str, int], ...],
    builds: tuple[tuple[str, _Build], ...],
) -> _Build:
    """Static keys only. ``base`` holds every key in template order (constants filled in), so
    assigning the computed values keeps that order; a ``None`` result deletes its key."""

    def build(r: _Results) -> dict[str, Any]:
        out = base.copy()
        for key, index in slots:
            value = r[index]
            if value is None:
                del out[key]
            else:
                out[key] = value
        for key, child in builds:
            out[key] = child(r)
        return out

    return build


def _value_of(value: _Value, r: _Results) -> Any:
    op, arg = value
    if op == _CONST:
        return arg
    return r[arg] if op == _SLOT else arg(r)


def _general_mapping(ops: tuple[tuple[int, Any, Any], ...], static_keys: frozenset[str]) -> _Build:
    """Mappings with ``<<`` merges or templated keys; collisions between keys are errors."""

    def build(r: _Results) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for op, key, arg in ops:
            if op == _CONST:
                out[key] = arg
            elif op in (_SLOT, _BUILD):
                value = r[arg] if op == _SLOT else arg(r)
                if value is not None:
                    out[key] = value
            elif op == _MERGE:
                merged = _value_of(arg, r)
                if merged is None:
                    continue
                if not isinstance(merged, dict):
                    raise _Failure(key, f"<< needs a mapping, got {type(merged).__name__}")
                clash = [k for k in merged if k in out or k in static_keys]
                if clash:
                    raise _Failure(
                        key, f"<< merges keys the mapping already has: {sorted(clash)!r}"
                    )
                out.update(merged)
            else:  # _DYNKEY: key is (slot index, line)
                name = r[key[0]]
                if name in out or name in static_keys:
                    raise _Failure(key[1], f"templated key {name!r} is already in the mapping")
                value = _value_of(arg, r)
                if value is not None:
                    out[name] = value
        return out

    return build


def _list_builder(ops: tuple[tuple[int, Any], ...]) -> _Build:
    def build(r: _Results) -> list[Any]:
        out: list[Any] = []
        append = out.append
        for op, arg in ops:
            if op == _CONST:
                append(arg)
            else:
                value = r[arg] if op == _SLOT else arg(r)
                if value is not None:
                    append(value)
        return out

    return build


class _Compiler:
    """Turns one file's YAML node tree into a builder plus the list of template scalars."""

    def __init__(self, env: jinja2.Environment, loader: _Loader) -> None:
        self.env = env
        self.loader = loader
        self.slots: list[_Slot] = []
        self.exprs: list[nodes.Expr] = []
        self._count = 0
        self._active: set[int] = set()

    def compile(self, root: yaml.Node) -> _Build:
        if not isinstance(root, yaml.MappingNode):
            raise _Failure(_line(root), "a template must be one YAML mapping")
        op, build = self.value(root)
        assert op == _BUILD
        return cast(_Build, build)

    def value(self, node: yaml.Node) -> _Value:
        self._count += 1
        if self._count > _MAX_NODES:
            raise _Failure(_line(node), f"template expands to more than {_MAX_NODES} nodes")
        if id(node) in self._active:
            raise _Failure(_line(node), "recursive alias")
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.ScalarNode):
                return self.scalar(node)
            if node.tag not in (_MAP_TAG, _SEQ_TAG):
                raise _Failure(_line(node), f"unsupported YAML tag {node.tag!r}")
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node)
            return self.sequence(cast(yaml.SequenceNode, node))
        finally:
            self._active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode) -> _Value:
        if node.tag == _STR_TAG and ("{{" in node.value or "{%" in node.value):
            return _SLOT, self.slot(node, force_str=False)
        return _CONST, self.loader.construct_object(node)

    def slot(self, node: yaml.ScalarNode, force_str: bool) -> int:
        line = _line(node)
        try:
            expr, native = _slot_expression(self.env, node.value, force_str)
        except jinja2.TemplateSyntaxError as exc:
            inner = line + exc.lineno if node.style == "|" else line
            raise _Failure(inner, f"{_shorten(node.value)!r}: jinja: {exc.message}") from exc
        literals = (nodes.List, nodes.Dict, nodes.Tuple)
        deep = native and (isinstance(expr, literals) or any(True for _ in expr.find_all(literals)))
        self.slots.append(_Slot(node.value, line, native, deep))
        self.exprs.append(expr)
        return len(self.slots) - 1

    def mapping(self, node: yaml.MappingNode) -> _Value:
        ops: list[tuple[int, Any, Any]] = []
        static: dict[str, int] = {}
        general = False
        for key_node, value_node in node.value:
            line = _line(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Failure(
                    line,
                    'mapping keys must be strings (write template values quoted: "{{ expr }}")',
                )
            if key_node.tag == _MERGE_TAG or (key_node.tag == _STR_TAG and key_node.value == "<<"):
                general = True
                ops.append((_MERGE, line, self.merge_value(value_node)))
            elif key_node.tag == _STR_TAG and "{{" in key_node.value:
                general = True
                ops.append(
                    (_DYNKEY, (self.slot(key_node, force_str=True), line), self.value(value_node))
                )
            else:
                key = self.loader.construct_object(key_node)
                if not isinstance(key, str):
                    raise _Failure(line, f"mapping key {key!r} must be a string; quote it")
                if key in static:
                    raise _Failure(line, f"duplicate key {key!r} (first on line {static[key]})")
                static[key] = line
                op, arg = self.value(value_node)
                ops.append((op, key, arg))
        if general:
            return _BUILD, _general_mapping(tuple(ops), frozenset(static))
        if all(op == _CONST for op, _, _ in ops):
            return _BUILD, _const_mapping({key: arg for _, key, arg in ops})
        base = {key: arg if op == _CONST else None for op, key, arg in ops}
        slots = tuple((key, arg) for op, key, arg in ops if op == _SLOT)
        builds = tuple((key, arg) for op, key, arg in ops if op == _BUILD)
        return _BUILD, _simple_mapping(base, slots, builds)

    def merge_value(self, node: yaml.Node) -> _Value:
        value = self.value(node)
        native = value[0] == _SLOT and self.slots[value[1]].native
        if not (native or isinstance(node, yaml.MappingNode)):
            raise _Failure(_line(node), '<< takes a single "{{ expr }}" or a mapping')
        return value

    def sequence(self, node: yaml.SequenceNode) -> _Value:
        ops = tuple(self.value(item) for item in node.value)
        if all(op == _CONST for op, _ in ops):
            return _BUILD, _const_list([arg for _, arg in ops])
        return _BUILD, _list_builder(ops)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _results_getter(count: int) -> Callable[[dict[str, Any]], _Results]:
    names = [f"{_SLOT_PREFIX}{i}" for i in range(count)]
    if count == 0:
        return lambda found: ()
    if count == 1:
        only = names[0]
        return lambda found: (found[only],)
    return operator.itemgetter(*names)


def _check_result(slot: _Slot, value: Any) -> None:
    """Reject what YAML cannot hold: Undefined, generators, tuples, arbitrary objects."""
    if isinstance(value, jinja2.Undefined):
        raise _Failure(slot.line, f"{_shorten(slot.source)!r}: {value._undefined_message}")
    if not isinstance(value, str | int | float | dict | list):
        hint = " (add `| list`)" if hasattr(value, "__next__") or isinstance(value, tuple) else ""
        raise _Failure(
            slot.line,
            f"{_shorten(slot.source)!r}: expression gave a {type(value).__name__}; expected str, "
            f"int, float, bool, None, a mapping or a list{hint}",
        )


def _check_nested(slot: _Slot, value: Any) -> None:
    if isinstance(value, jinja2.Undefined):
        raise _Failure(slot.line, f"{_shorten(slot.source)!r}: {value._undefined_message}")
    if isinstance(value, dict):
        for item in value.values():
            _check_nested(slot, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_nested(slot, item)


class _Template:
    """One compiled template file."""

    __slots__ = (
        "_build",
        "_checked",
        "_context_class",
        "_deep",
        "_env",
        "_getter",
        "_jinja",
        "_slots",
        "path",
    )

    def __init__(
        self, path: Path, env: jinja2.Environment, compiler: _Compiler, build: _Build
    ) -> None:
        self.path = path
        self._build = build
        self._env = env
        self._context_class = env.context_class
        self._slots = tuple(compiler.slots)
        self._checked = tuple(i for i, s in enumerate(self._slots) if s.native)
        self._deep = tuple(i for i, s in enumerate(self._slots) if s.deep)
        self._getter = _results_getter(len(self._slots))
        self._jinja: jinja2.Template | None = None
        if self._slots:
            body: list[nodes.Node] = []
            for i, expr in enumerate(compiler.exprs):
                expr.set_lineno(i + 1, override=True)  # jinja line number == slot index + 1
                target = nodes.Name(f"{_SLOT_PREFIX}{i}", "store", lineno=i + 1)
                body.append(nodes.Assign(target, expr, lineno=i + 1))
            try:
                code = env.compile(nodes.Template(body, lineno=1), filename=str(path))
            except jinja2.TemplateSyntaxError as exc:  # e.g. an unknown filter, found at codegen
                slot = self._slots[min(max(exc.lineno, 1), len(self._slots)) - 1]
                raise _Failure(
                    slot.line, f"{_shorten(slot.source)!r}: jinja: {exc.message}"
                ) from exc
            self._jinja = env.template_class.from_code(env, code, env.make_globals(None))

    def render(self, context: Mapping[str, object]) -> dict[str, Any]:
        results: _Results = ()
        if self._jinja is not None:
            # What Template.new_context builds, without copying: the environment has no globals
            # and a Context only reads its parent (``in`` and ``[]``), so any Mapping serves.
            ctx = self._context_class(self._env, cast("dict[str, Any]", context), None, {})
            try:
                next(self._jinja.root_render_func(ctx), None)
            except Exception as exc:
                raise self._runtime_error(exc) from exc
            results = self._getter(ctx.vars)
        try:
            for i in self._checked:
                if type(results[i]) not in _PLAIN_TYPES:
                    _check_result(self._slots[i], results[i])
            for i in self._deep:
                _check_nested(self._slots[i], results[i])
            return cast("dict[str, Any]", self._build(results))
        except _Failure as failure:
            raise TemplateError(self.path, failure.line, failure.message) from None

    def _runtime_error(self, exc: Exception) -> TemplateError:
        """Find the failing scalar from the traceback (jinja line number == slot index + 1)."""
        assert self._jinja is not None
        code = self._jinja.root_render_func.__code__
        tb: TracebackType | None = exc.__traceback__
        index = -1
        while tb is not None:
            if tb.tb_frame.f_code is code:
                index = self._jinja.get_corresponding_lineno(tb.tb_lineno) - 1
            tb = tb.tb_next
        if 0 <= index < len(self._slots):
            slot = self._slots[index]
            return TemplateError(
                self.path, slot.line, f"{_shorten(slot.source)!r}: {_describe(exc)}"
            )
        return TemplateError(self.path, 0, _describe(exc))


_DICT_ATTRIBUTES: Final = frozenset(dir(dict))


_MAX_POWER_BITS: Final = 4096  # ``a ** b`` larger than this is refused (no CPU/memory bombs)
_MAX_PRODUCT_LEN: Final = 1_000_000  # ``"x" * n`` or ``[..] * n`` longer than this is refused


class _Environment(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox with a fast path for ``mapping.key`` on plain dicts.

    Templates come from ``--templates DIR``, which whoever edits the repository or the Argo CD
    Application may choose, so they run sandboxed: no ``_``-attributes (``''.__class__`` and the
    road to ``os.system``), no internal attributes of functions, frames or generators, no calls to
    methods that change a list, dict or set, ``str.format`` checked, and ``**`` and ``*`` bounded.

    The fast path gives the sandbox's own result (attribute first, then item, else undefined): a
    plain dict has no attributes beyond ``dir(dict)``, so for any other name the attribute lookup
    would fail, and an item of a dict is data, never code. Skipping that failed lookup (an
    exception per access) keeps ``isvc.name`` cheap.
    """

    intercepted_binops = frozenset({"**", "*"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and right > 0
                and abs(left) > 1
                and right * max(abs(left), 2).bit_length() > _MAX_POWER_BITS
            ):
                raise jinja2.exceptions.SecurityError(
                    f"power with more than {_MAX_POWER_BITS} bits refused"
                )
        elif operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(count, int)
                    and len(seq) * count > _MAX_PRODUCT_LEN
                ):
                    raise jinja2.exceptions.SecurityError(
                        f"repetition longer than {_MAX_PRODUCT_LEN} refused"
                    )
        return super().call_binop(context, operator, left, right)


def _build_environment(filters: Mapping[str, Callable[..., Any]] | None) -> jinja2.Environment:
    env = _Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,  # a block scalar's final newline is part of the value
        auto_reload=False,
    )
    env.globals.clear()  # no `namespace`, `range`, ... to stand in for a missing variable
    if filters:
        env.filters.update(filters)
    return env


def _load_file(path: Path, env: jinja2.Environment) -> _Template:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(path, 0, f"cannot read template: {exc}") from exc
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise _Failure(1, "empty template; write one YAML mapping")
        compiler = _Compiler(env, loader)
        build = compiler.compile(root)
        return _Template(path, env, compiler, build)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 0
        text = ", ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        raise TemplateError(path, line, f"yaml: {text}") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(path, 0, f"yaml: {exc}") from exc
    except _Failure as failure:
        raise TemplateError(path, failure.line, failure.message) from failure.__cause__
    finally:
        loader.dispose()


class TemplateSet:
    """The compiled templates of one directory, sharing one strict jinja2 environment."""

    __slots__ = ("_templates", "directory", "environment")

    def __init__(
        self, directory: Path, environment: jinja2.Environment, templates: Mapping[str, _Template]
    ) -> None:
        self.directory = directory
        self.environment = environment
        self._templates = dict(templates)

    @classmethod
    def load(
        cls, directory: Path, filters: Mapping[str, Callable[..., Any]] | None = None
    ) -> TemplateSet:
        """Parse and compile every ``*.yaml`` file in ``directory`` (not recursive)."""
        if not directory.is_dir():
            raise TemplateError(directory, 0, "template directory not found")
        env = _build_environment(filters)
        files = sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("."))
        templates = {path.stem: _load_file(path, env) for path in files if path.is_file()}
        return cls(directory, env, templates)

    @property
    def names(self) -> tuple[str, ...]:
        """Template names (file stems), sorted."""
        return tuple(sorted(self._templates))

    def __contains__(self, name: object) -> bool:
        return name in self._templates

    def path(self, name: str) -> Path:
        """The file a template was loaded from (also for names not loaded: where it would be)."""
        found = self._templates.get(name)
        return found.path if found is not None else self.directory / f"{name}.yaml"

    def render(self, name: str, context: Mapping[str, object]) -> dict[str, Any]:
        """Render template ``name`` with ``context``; a fresh dict in template key order."""
        template = self._templates.get(name)
        if template is None:
            raise TemplateError(self.path(name), 0, f"template {name!r} not found")
        return template.render(context)
