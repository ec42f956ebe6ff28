"""A small typed schema for YAML config, in the manner of Mopidy's: types with bounds, every
problem collected at once with its line, unknown keys refused with a "did you mean".

A schema is a tree of ``Field`` objects; ``Map`` builds a dataclass (or dict) from its fields.
Validation never raises on bad input: it appends ``Problem``s and returns None for that part. Every problem is said
in Vietnamese and in English at its source: a supervisor reads it beside a field of the console's settings pages in
the page's language, a technician reads both from ``--check-config``.
"""
from __future__ import annotations

import difflib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

Path_ = tuple  # a key path: ("services", 0, "first")
Text = tuple[str, str]  # what a problem says: (Vietnamese, English)
MISSING_KEY: Text = ("thiếu khóa bắt buộc", "required key is missing")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the site file, at its path within the YAML, in Vietnamese and in English."""
    path: Path_
    vi: str
    en: str

    @property
    def dotted(self) -> str:
        return dotted(self.path)

    @property
    def message(self) -> str:
        """Both languages on one line, Vietnamese first: what the command line prints."""
        return f"{self.vi} / {self.en}"

    def line(self, lang: str | None = None) -> str:
        """``key.path: message`` in ``lang`` (``vi`` or ``en``), or in both when None."""
        return f"{self.dotted}: {self.message if lang is None else self.vi if lang == 'vi' else self.en}"


def dotted(path: Path_) -> str:
    """A path as a reader of the YAML writes it, ``services[2].hours``; ``(top)`` for the document itself."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top)"


STEP = re.compile(r"\[([0-9]+)\]|\.?([A-Za-z_][A-Za-z0-9_]*)")


def undotted(text: str) -> tuple:
    """``services[0].name.vi`` -> ("services", 0, "name", "vi"): the inverse of ``dotted``."""
    return tuple(int(i) if i else k for i, k in STEP.findall(text))


class Ctx:
    """Where validation collects problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: Path_, vi: str, en: str) -> None:
        self.problems.append(Problem(tuple(path), vi, en))


MISSING = object()


class Field:
    """The schema's building block: converts one YAML value, reports what is wrong into ``ctx`` and gives None instead
    of raising, so every problem of the file is found in one pass. ``check`` is an extra rule returning what is
    wrong (Vietnamese, English) or None."""

    def __init__(self, *, default: Any = MISSING, optional: bool = False,
                 check: Callable[[Any], Text | None] | None = None):
        self.default = default
        self.optional = optional or default is not MISSING
        self.check = check  # extra check: value -> Text or None

    def validate(self, value: Any, path: Path_, ctx: Ctx) -> Any:
        out = self.convert(value, path, ctx)
        if out is not None and self.check is not None:
            msg = self.check(out)
            if msg:
                ctx.error(path, *msg)
                return None
        return out

    def convert(self, value: Any, path: Path_, ctx: Ctx) -> Any:
        raise NotImplementedError


class Shape(str):
    """A pattern that says what it wants as a person would (``HH:MM-HH:MM, ví dụ 07:30-11:30``): a problem shows that
    rather than the regular expression. It is still the pattern's text wherever a ``str`` is taken."""

    like: Text

    def __new__(cls, pattern: str, vi: str, en: str) -> Shape:
        out = super().__new__(cls, pattern)
        out.like = (vi, en)
        return out


class Str(Field):
    """Text, optionally from a fixed list (a misspelling gets a suggestion), matching a pattern or within a length; a
    YAML number is taken as its text."""

    def __init__(self, *, pattern: str | None = None, choices: tuple[str, ...] | None = None,
                 max_len: int = 1000, min_len: int = 0, **kw):
        super().__init__(**kw)
        self.pattern = re.compile(pattern) if pattern else None
        self.like = pattern.like if isinstance(pattern, Shape) else (pattern, pattern)
        self.choices, self.max_len, self.min_len = choices, max_len, min_len

    def convert(self, value, path, ctx):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            ctx.error(path, *_got("cần chữ", "expected text", value))
            return None
        value = str(value)
        if self.choices is not None and value not in self.choices:
            vi, en = suggest(value, self.choices)
            ctx.error(path, f"phải là một trong: {', '.join(self.choices)}{vi}",
                      f"must be one of {', '.join(self.choices)}{en}")
            return None
        if self.pattern is not None and not self.pattern.fullmatch(value):
            ctx.error(path, f"{value!r}: phải có dạng {self.like[0]}", f"{value!r} does not match {self.like[1]}")
            return None
        if not self.min_len <= len(value) <= self.max_len:
            ctx.error(path, f"phải dài từ {self.min_len} đến {self.max_len} ký tự, đang có {len(value)}",
                      f"length must be {self.min_len}..{self.max_len}, has {len(value)}")
            return None
        return value


class Int(Field):
    """A whole number within an optional range; YAML's true and false are refused, not taken for 1 and 0."""

    def __init__(self, *, min: int | None = None, max: int | None = None, **kw):
        super().__init__(**kw)
        self.min, self.max = min, max

    def convert(self, value, path, ctx):
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.error(path, *_got("cần một số nguyên", "expected a whole number", value))
            return None
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            ctx.error(path, *_out_of_range("số nguyên", value, self.min, self.max))
            return None
        return value


class Num(Field):
    """A number that may have a fraction (a screen's diagonal in inches)."""

    def __init__(self, *, min: float, max: float, **kw):
        super().__init__(**kw)
        self.min, self.max = min, max

    def convert(self, value, path, ctx):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            ctx.error(path, *_got("cần một số", "expected a number", value))
            return None
        if not self.min <= value <= self.max:
            ctx.error(path, *_out_of_range("số", value, self.min, self.max))
            return None
        return float(value)


class SecretText(str):
    """A secret read from the config: it never shows itself in a log, a repr or an error."""

    def __repr__(self) -> str:
        return "'***'"

    def matches(self, attempt: str) -> bool:
        return hmac.compare_digest(self.encode(), attempt.encode())


class Secret(Str):
    """Like ``Str``, but the value is masked in problems and comes back as ``SecretText``."""

    def convert(self, value, path, ctx):
        sub = Ctx()
        out = super().convert(value, path, sub)
        for p in sub.problems:
            ctx.error(p.path, p.vi.replace(repr(str(value)), "'***'"), p.en.replace(repr(str(value)), "'***'"))
        return None if out is None else SecretText(out)


class Bool(Field):
    """Only YAML's true or false: ``"yes"`` in quotes or 1 is a problem, not a guess."""

    def convert(self, value, path, ctx):
        if not isinstance(value, bool):
            ctx.error(path, *_got("cần true hoặc false", "expected true or false", value))
            return None
        return value


class List(Field):
    """A list of items each checked by ``item`` at its own index, and with a bounded length; None if any item is bad."""

    def __init__(self, item: Field, *, min_len: int = 0, max_len: int = 10_000, **kw):
        super().__init__(**kw)
        self.item, self.min_len, self.max_len = item, min_len, max_len

    def convert(self, value, path, ctx):
        if not isinstance(value, list):
            ctx.error(path, *_got("cần một danh sách", "expected a list", value))
            return None
        if not self.min_len <= len(value) <= self.max_len:
            ctx.error(path, f"cần từ {self.min_len} đến {self.max_len} mục, đang có {len(value)}",
                      f"needs {self.min_len}..{self.max_len} items, has {len(value)}")
            return None
        out = [self.item.validate(v, (*path, i), ctx) for i, v in enumerate(value)]
        return None if any(v is None for v in out) else out


class Dict(Field):
    """A mapping whose keys are data (keypad address -> counter), not names."""

    def __init__(self, key: Field, value: Field, **kw):
        super().__init__(**kw)
        self.key, self.value = key, value

    def convert(self, value, path, ctx):
        if not isinstance(value, dict):
            ctx.error(path, *_got("cần các cặp khóa: giá trị", "expected a mapping", value))
            return None
        out, ok = {}, True
        for k, v in value.items():
            kk = self.key.validate(k, (*path, k), ctx)
            vv = self.value.validate(v, (*path, k), ctx)
            ok = ok and kk is not None and vv is not None
            out[kk] = vv
        return out if ok else None


class Map(Field):
    """A mapping with named fields; unknown names are refused with the closest known one."""

    def __init__(self, fields: dict[str, Field], build: Callable[..., Any] = dict, **kw):
        super().__init__(**kw)
        self.fields, self.build = fields, build

    def convert(self, value, path, ctx):
        if value is None and all(f.optional for f in self.fields.values()):
            value = {}
        if not isinstance(value, dict):
            ctx.error(path, *_got("cần các cặp khóa: giá trị", "expected a mapping", value))
            return None
        before = len(ctx.problems)
        for k in value:
            if str(k) not in self.fields:
                ctx.error((*path, k), *unknown_key(str(k), self.fields))
        out = {}
        for name, field in self.fields.items():
            if name in value:
                out[name] = field.validate(value[name], (*path, name), ctx)
            elif field.optional:
                out[name] = None if field.default is MISSING else field.default
            else:
                ctx.error((*path, name), *MISSING_KEY)
        return self.build(**out) if len(ctx.problems) == before else None


# what a YAML value is, as a problem names it: (Vietnamese, English)
_KINDS = {"str": ("chữ", "str"), "int": ("số", "int"), "float": ("số", "float"), "bool": ("true/false", "bool"),
          "list": ("danh sách", "list"), "dict": ("các cặp khóa: giá trị", "dict")}


def _got(want_vi: str, want_en: str, value: Any) -> Text:
    """``cần một số nguyên, không phải chữ 'x'`` / ``expected a whole number, got str 'x'``."""
    if value is None:
        return f"{want_vi}, đang để trống", f"{want_en}, got nothing"
    name = type(value).__name__
    vi, en = _KINDS.get(name, (name, name))
    return f"{want_vi}, không phải {vi} {value!r}"[:100], f"{want_en}, got {en} {value!r}"[:100]


def _out_of_range(kind_vi: str, value: Any, lo: Any, hi: Any) -> Text:
    """``0: phải là số nguyên từ 1 đến 9999`` / ``0 is out of range 1..9999``; a bound may be open (None)."""
    if hi is None:
        return f"{value}: phải là {kind_vi} từ {lo} trở lên", f"{value} is out of range: at least {lo}"
    if lo is None:
        return f"{value}: phải là {kind_vi} không quá {hi}", f"{value} is out of range: at most {hi}"
    return f"{value}: phải là {kind_vi} từ {lo} đến {hi}", f"{value} is out of range {lo}..{hi}"


def suggest(word: str, known) -> Text:
    """``; có phải ý bạn là 'x'?`` and `` (did you mean 'x'?)`` for the closest known word to a misspelt one, or empty
    texts when nothing is close: appended to a problem's Vietnamese and English."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return (f"; có phải ý bạn là '{close[0]}'?", f" (did you mean '{close[0]}'?)") if close else ("", "")


def unknown_key(word: str, known) -> Text:
    """``không có khóa này; có phải ý bạn là 'services'?`` / ``unknown key (did you mean 'services'?)``."""
    vi, en = suggest(word, known)
    return f"không có khóa này{vi}", f"unknown key{en}"


def unknown(what: Text, word: str, known) -> Text:
    """``không có quầy '9'; có phải ý bạn là '5'?`` / ``unknown counter '9' (did you mean '5'?)``: a reference to an
    entry of another section that is not there; ``what`` names that kind of entry in both languages."""
    vi, en = suggest(word, known)
    return f"không có {what[0]} {word!r}{vi}", f"unknown {what[1]} {word!r}{en}"


COUNTER: Text = ("quầy", "counter")
SERVICE: Text = ("dịch vụ", "service")


# --- YAML with line numbers ------------------------------------------------------------------

def load_yaml_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML; return the data and the 1-based line of every key path."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node, path: Path_, lines: dict) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = _scalar_key(k)
            lines[(*path, key)] = k.start_mark.line + 1
            _walk(v, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, (*path, i), lines)


def _scalar_key(node):
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int"):
        try:
            return int(node.value)
        except ValueError:
            pass
    return node.value if isinstance(node, yaml.ScalarNode) else str(node.value)


def line_of(path: Path_, lines: dict[Path_, int]) -> int:
    """The line of a path, or of its nearest ancestor present in the file (for missing keys)."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)
