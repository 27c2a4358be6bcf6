"""Centre files: TOML in, `Centre` out, and back again.

A hall manager edits the centre file by hand, so every error names the file, the line and the
field (``demo.toml:42: matters[3].expected_minutes: Input should be greater than 0 (got -5)``),
and all problems are reported at once rather than one per attempt.

Errors: everything that goes wrong while loading is a `CentreFileError` holding one `Problem`
per thing to fix; TOML syntax errors, unreadable files and pydantic validation errors are all
translated here, in one place.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import json
import os
import pathlib
import re
import tomllib
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from queue_server.domain.booking_rules import BookingRules
from queue_server.domain.centre import (
    CODE_PATTERN,
    PREFIX_PATTERN,
    Centre,
    LocatedValueError,
    Period,
    clock_text,
)

Loc = tuple[str | int, ...]
"""A location inside the file's data, e.g. ``("matters", 3, "expected_minutes")``."""

DEMO_SOURCE = "<demo>"

__all__ = [
    "DEMO_SOURCE",
    "CentreFileError",
    "Problem",
    "centre_to_toml",
    "load_centre",
    "load_demo_centre",
    "locate",
    "locator",
    "parse_centre",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to fix in a centre file; `line` is None when no line can be named."""

    line: int | None
    field: str
    message: str

    def describe(self, source: str) -> str:
        """One line in the compiler style editors and people both understand."""
        where = source if self.line is None else f"{source}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"


class CentreFileError(Exception):
    """A centre file that cannot be loaded; `str()` lists every problem, one per line."""

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(source, self.problems)

    def __str__(self) -> str:
        return "\n".join(problem.describe(self.source) for problem in self.problems)


# --- loading -------------------------------------------------------------------------------------


def parse_centre(text: str, source: str) -> Centre:
    """Validate a centre file's text; `source` only names the file in error messages."""
    text = text.removeprefix("\ufeff")  # Windows editors start UTF-8 files with a byte-order mark
    data = _parse_toml(text, source)
    try:
        return Centre.model_validate(data)
    except ValidationError as exc:
        raise CentreFileError(source, _problems(exc, text)) from exc


def load_centre(path: str | os.PathLike[str]) -> Centre:
    """Read and validate a centre file; errors name the path as the caller gave it."""
    source = os.fspath(path)
    try:
        raw = pathlib.Path(source).read_bytes()
    except OSError as exc:
        raise CentreFileError(source, [_unreadable(exc)]) from exc
    return parse_centre(_decode(raw, source), source)


def load_demo_centre() -> Centre:
    """The demo centre shipped inside the package (``queue_server/demo/demo.toml``)."""
    resource = resources.files("queue_server").joinpath("demo", "demo.toml")
    try:
        raw = resource.read_bytes()
    except OSError as exc:
        problem = Problem(None, "", f"the packaged demo centre is missing ({exc.strerror or exc})")
        raise CentreFileError(DEMO_SOURCE, [problem]) from exc
    return parse_centre(_decode(raw, DEMO_SOURCE), DEMO_SOURCE)


def _unreadable(exc: OSError) -> Problem:
    return Problem(None, "", f"cannot read the file ({exc.strerror or exc})")


def _decode(raw: bytes, source: str) -> str:
    """UTF-8, tolerating the byte-order mark Windows Notepad writes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problem = Problem(line, "", "the file is not UTF-8 text (was it saved as GBK?); save it as UTF-8")
        raise CentreFileError(source, [problem]) from exc


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CentreFileError(source, [_syntax_problem(str(exc), text)]) from exc


def _syntax_problem(message: str, text: str) -> Problem:
    """tomllib only puts the position in its message: ``... (at line 3, column 7)``."""
    found = _TOML_POSITION.search(message)
    if found:
        reason = message[: found.start()]
        return Problem(int(found[1]), "", f"not valid TOML: {reason} (column {found[2]})")
    reason = message.removesuffix(" (at end of document)")
    last_line = text.rstrip().count("\n") + 1  # what is unfinished ends there, not on a blank line
    return Problem(last_line, "", f"not valid TOML: {reason} (at the end of the file)")


# --- pydantic errors to problems ----------------------------------------------------------------


def _problems(exc: ValidationError, text: str) -> tuple[Problem, ...]:
    lines = _scan(text)
    problems = [_problem(error, lines) for error in exc.errors() if not _is_echo(error)]
    return tuple(sorted(problems, key=lambda problem: problem.line or 0))


def _is_echo(error: ErrorDetails) -> bool:
    """A list whose items failed also reports itself "too short"; the items already say why."""
    if error["type"] != "too_short":
        return False
    given = error.get("input")
    needed = error.get("ctx", {}).get("min_length", 0)
    return isinstance(given, list | tuple) and len(given) >= needed


def _problem(error: ErrorDetails, lines: Mapping[Loc, int]) -> Problem:
    loc: Loc = tuple(error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, LocatedValueError):
        loc += cause.loc  # pydantic's loc is the model that raised it; the error knows the field
    return Problem(_lookup(lines, loc), _field_name(loc), _message(error))


def _field_name(loc: Loc) -> str:
    """``("matters", 3, "expected_minutes")`` → ``matters[3].expected_minutes``."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            name += f".{key}" if name else key
    return name


_PATTERN_HELP = {
    CODE_PATTERN: 'should be a code of at most 40 lowercase letters, digits, "-" and "_", e.g. "birth-cert"',
    PREFIX_PATTERN: 'should be one or two capital letters, e.g. "A"',
}
_PLAIN_HELP = {
    "missing": "missing (required)",
    "tuple_type": 'should be a list in brackets, e.g. ["a", "b"]',
    "list_type": 'should be a list in brackets, e.g. ["a", "b"]',
    "model_type": "should be a table: a [section] or { key = value, ... }",
    "dict_type": "should be a table: a [section] or { key = value, ... }",
}


def _message(error: ErrorDetails) -> str:
    """Pydantic's message, rewritten where it would puzzle a hall manager."""
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        return _unknown_field(tuple(error["loc"]))
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_HELP:
        return _PATTERN_HELP[ctx["pattern"]] + _got(error)
    if kind in _PLAIN_HELP:
        return _PLAIN_HELP[kind] + ("" if kind == "missing" else _got(error))
    return error["msg"] + _got(error)


_QUOTE_LENGTH = 40


def _got(error: ErrorDetails) -> str:
    """What the file said, written as TOML, when it is short enough to quote."""
    given = error.get("input")
    if isinstance(given, bool):
        return f" (got {str(given).lower()})"
    if isinstance(given, str):
        shown = given if len(given) <= _QUOTE_LENGTH else given[:_QUOTE_LENGTH] + "…"
        return f" (got {json.dumps(shown, ensure_ascii=False)})"
    if isinstance(given, int | float):
        return f" (got {given})"
    return ""


def _unknown_field(loc: Loc) -> str:
    known = _fields_at(loc[:-1])
    guess = difflib.get_close_matches(str(loc[-1]), known, n=1) if loc else []
    if guess:
        return f"unknown field (check the spelling; did you mean {guess[0]}?)"
    return "unknown field (check the spelling)"


def _fields_at(loc: Loc) -> list[str]:
    """The field names the model at `loc` accepts, for "did you mean" hints."""
    model: type[BaseModel] | None = Centre
    for part in loc:
        if model is None:
            return []
        if isinstance(part, str):
            field = model.model_fields.get(part)
            model = _model_in(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The model inside an annotation such as ``tuple[Matter, ...]`` or ``DayPeriods | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None


# --- the line locator ---------------------------------------------------------------------------


def locate(text: str, loc: Loc) -> int | None:
    """The line of TOML `text` that best matches `loc`, or None if the file never mentions it.

    The exact key, table or array element when it is written down; otherwise the nearest
    enclosing one that is (a missing field → its table's header), never a later line.
    """
    return locator(text)(loc)


def locator(text: str) -> Callable[[Loc], int | None]:
    """:func:`locate` for many places in one text, which is scanned once (a scan walks the whole text)."""
    lines = _scan(text)
    return lambda loc: _lookup(lines, loc)


def _lookup(lines: Mapping[Loc, int], loc: Loc) -> int | None:
    for end in range(len(loc), 0, -1):
        line = lines.get(loc[:end])
        if line is not None:
            return line
    return None


def _scan(text: str) -> dict[Loc, int]:
    scanner = _Scanner(text)
    scanner.run()
    return scanner.lines


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}#\n")


class _Scanner:
    """Walks TOML text once, noting the line where each key, table and array element starts.

    It follows TOML's structure (headers, dotted and quoted keys, arrays, inline tables,
    strings, comments) only as far as positions need, and it never raises: on text it does not
    understand it skips to the next line, so a broken file still yields what it can.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lines: dict[Loc, int] = {}
        self._tables_seen: dict[Loc, int] = {}  # [[name]] headers seen per array
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    @property
    def line(self) -> int:
        return bisect.bisect_right(self._line_starts, self.pos)

    def _peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def _note(self, loc: Loc, line: int) -> None:
        """The first mention wins: later ones (``[a.b]`` after ``[a]``) do not move ``a``."""
        for end in range(1, len(loc) + 1):
            self.lines.setdefault(loc[:end], line)

    def run(self) -> None:
        table: Loc = ()
        while self.pos < len(self.text):
            self._skip_blank(newlines=True)
            if self.text.startswith("[[", self.pos):
                table = self._header(array=True)
            elif self._peek() == "[":
                table = self._header(array=False)
            elif self._peek():
                self._key_value(table)
            self._skip_line()

    def _skip_blank(self, *, newlines: bool) -> None:
        """Spaces, comments and (if asked) line breaks."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t\r" or (char == "\n" and newlines):
                self.pos += 1
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def _skip_line(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end + 1

    def _header(self, *, array: bool) -> Loc:
        line = self.line
        self.pos += 2 if array else 1
        keys = self._keys()
        if not keys:
            return ()
        loc: Loc = ()
        for key in keys[:-1]:  # a [[matters]] named on the way means its latest element
            loc += (key,)
            seen = self._tables_seen.get(loc)
            if seen:
                loc += (seen - 1,)
        loc += (keys[-1],)
        if array:
            seen = self._tables_seen.get(loc, 0)
            self._tables_seen[loc] = seen + 1
            loc += (seen,)
        self._note(loc, line)
        return loc

    def _keys(self) -> list[str]:
        """A dotted key: ``a``, ``a.b``, ``"quoted key".c``."""
        keys: list[str] = []
        while True:
            self._skip_blank(newlines=False)
            key = self._simple_key()
            if key is None:
                return keys
            keys.append(key)
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return keys
            self.pos += 1

    def _simple_key(self) -> str | None:
        if self._peek() in ('"', "'"):
            return _decode_key(self._string())
        bare = _BARE_KEY.match(self.text, self.pos)
        if not bare:
            return None
        self.pos = bare.end()
        return bare[0]

    def _key_value(self, table: Loc) -> None:
        line = self.line
        keys = self._keys()
        self._skip_blank(newlines=False)
        if not keys or self._peek() != "=":
            return
        self.pos += 1
        loc = table + tuple(keys)
        self._note(loc, line)
        self._skip_blank(newlines=False)
        self._value(loc)

    def _value(self, loc: Loc) -> None:
        char = self._peek()
        if char == "[":
            self._array(loc)
        elif char == "{":
            self._inline_table(loc)
        elif char in ('"', "'"):
            self._string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1

    def _array(self, loc: Loc) -> None:
        self.pos += 1
        index = 0
        while self.pos < len(self.text):
            self._skip_blank(newlines=True)
            char = self._peek()
            if char in ("]", ","):
                self.pos += 1
                if char == "]":
                    return
                continue
            start = self.pos
            self._note((*loc, index), self.line)
            self._value((*loc, index))
            index += 1
            if self.pos == start:  # a character no value starts with: step over it
                self.pos += 1

    def _inline_table(self, loc: Loc) -> None:
        self.pos += 1
        while self.pos < len(self.text):
            self._skip_blank(newlines=False)
            char = self._peek()
            if char in ("}", ","):
                self.pos += 1
                if char == "}":
                    return
                continue
            if char == "\n":  # TOML 1.0 inline tables end with their line
                return
            start = self.pos
            self._key_value(loc)
            if self.pos == start:
                self.pos += 1

    def _string(self) -> str:
        """Skip a string of any of TOML's four kinds; return it as written, quotes included."""
        start = self.pos
        quote = self.text[self.pos]
        if self.text.startswith(quote * 3, self.pos):
            self.pos = self._multi_line_end(quote, self.pos + 3)
        else:
            self.pos = self._single_line_end(quote, self.pos + 1)
        return self.text[start : self.pos]

    def _multi_line_end(self, quote: str, pos: int) -> int:
        while pos < len(self.text):
            if quote == '"' and self.text[pos] == "\\":
                pos += 2
            elif self.text.startswith(quote * 3, pos):
                end = pos + 3
                while end < len(self.text) and self.text[end] == quote and end - pos < 5:
                    end += 1  # up to two quotes may end the content: """a "quote"""""
                return end
            else:
                pos += 1
        return len(self.text)

    def _single_line_end(self, quote: str, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] != "\n":
            if quote == '"' and self.text[pos] == "\\":
                pos += 2
                continue
            pos += 1
            if self.text[pos - 1] == quote:
                return pos
        return min(pos, len(self.text))


def _decode_key(written: str) -> str:
    """A quoted key's value: escapes are TOML's, so let tomllib read them."""
    try:
        return str(tomllib.loads(f"k = {written}")["k"])
    except tomllib.TOMLDecodeError:
        return written.strip("\"'")


# --- export --------------------------------------------------------------------------------------

_LINE_LENGTH = 100


def centre_to_toml(centre: Centre) -> str:
    """A centre file for `centre`, sections in the usual order; it parses back to an equal centre.

    tomli-w writes each value, so strings, keys and dates are escaped as TOML wants; the layout is
    ours, because tomli-w puts every list item on its own line (six lines per opening period) and
    writes short arrays of tables inline before all sections.
    """
    sections: list[str] = []
    for name, value in _plain_model(centre).items():
        if name == "bookings" and centre.bookings == BookingRules():
            continue  # a centre without bookings need not say so
        if isinstance(value, dict):
            sections.append(_toml_table(f"[{name}]", name, value))
        else:
            sections.extend(_toml_table(f"[[{name}]]", name, item) for item in value)
    return "\n".join(sections)


def _toml_table(header: str, path: str, fields: dict[str, Any]) -> str:
    """A table's own values first, then its sub-tables (a matter's ``[matters.guide]`` and the
    guide's ``[[matters.guide.materials]]``), as TOML requires."""
    own = "".join(_toml_line(key, value) for key, value in fields.items() if not _is_table(value))
    nested = []
    for key, value in fields.items():
        if isinstance(value, dict):
            nested.append(_toml_table(f"[{path}.{key}]", f"{path}.{key}", value))
        elif _is_table(value):
            nested.extend(_toml_table(f"[[{path}.{key}]]", f"{path}.{key}", item) for item in value)
    return "\n".join([header + "\n" + own, *nested])


def _is_table(value: object) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and bool(value) and isinstance(value[0], dict))


def _toml_line(key: str, value: object) -> str:
    if not isinstance(value, list):
        return tomli_w.dumps({key: value})
    items = [_toml_inline(item) for item in value]
    line = f"{key} = [{', '.join(items)}]"
    if len(line) <= _LINE_LENGTH:
        return line + "\n"
    return f"{key} = [\n" + "".join(f"    {item},\n" for item in items) + "]\n"


def _toml_inline(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_inline(item) for item in value) + "]"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").removesuffix("\n")


def _plain_model(model: BaseModel) -> dict[str, Any]:
    """Field values as TOML types, in declaration order, leaving out the unset ones (None, or an
    empty list by default): a keypad need not say it has no spare printers."""
    plain: dict[str, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if value is not None and not (value == () and field.default == ()):
            plain[name] = _plain(value)
    return plain


def _plain(value: object) -> Any:
    if isinstance(value, Period):
        return [clock_text(value.start), clock_text(value.end)]
    if isinstance(value, BaseModel):
        return _plain_model(value)
    if isinstance(value, dt.time):
        return clock_text(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value
