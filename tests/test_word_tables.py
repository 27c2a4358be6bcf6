"""Every Chinese and English word table says the same things: the same keys, no empty word.

A page, the hall board or a chart with a key in one language only shows the key itself, or
nothing, to the people reading the other; a placeholder such as ``{number}`` missing from one
language leaves the number out. The tables are found by walking the packages, not listed, so a
table added or moved later is checked too:

- a dict shaped ``{"zh": {...}, "en": {...}}`` (the pages' and the display's tables);
- a dict named ``...WORDS...`` whose values are ``(zh, en)`` pairs (the simulator's charts);
- two globals of one module named ``X_ZH`` and ``X_EN``, dicts or strings;
- the pause reasons, named in Chinese by the domain and in English by the LED display.
"""

from __future__ import annotations

import importlib
import pkgutil
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

PACKAGES = ("queue_server", "display_client", "ticket_printer")
SKIPPED = (".migrations", ".__main__")
"""Alembic's migration scripts only import inside alembic; a __main__ would run."""
CROSS_MODULE_PAIRS = [("PAUSE_REASON_NAMES_ZH", "PAUSE_REASONS_EN")]
"""Pairs kept apart: the domain names its pause reasons in Chinese only, the display in English."""
REASONS = frozenset({"reason_break", "reason_meeting", "reason_system_fault", "reason_training", "reason_other"})
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "display_client.wording.WORDS": {
        # English needs no word there: "Please go to Window 3" (Chinese: 请到 3号窗口 办理), "Waiting 12".
        "empty in English": frozenset({"to_window", "people"}),
        # In Chinese the board shows the server's own name of the reason (display.js).
        "missing in Chinese": REASONS,
    },
}
"""Differences made on purpose, by table and kind of difference; anything else fails."""


@dataclass(frozen=True)
class Pair:
    """One table in both languages, under the name a failure shows."""

    name: str
    zh: Any
    en: Any


def _modules() -> Iterator[ModuleType]:
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if not any(part in info.name for part in SKIPPED):
                yield importlib.import_module(info.name)


def _is_language_table(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == {"zh", "en"}
        and all(isinstance(side, Mapping) for side in value.values())
    )


def _is_pair_table(name: str, value: object) -> bool:
    return (
        "WORDS" in name
        and isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(v, tuple) and len(v) == 2 and all(isinstance(s, str) for s in v) for v in value.values())
    )


def _pairs() -> list[Pair]:
    pairs: list[Pair] = []
    seen: set[int] = set()
    everywhere: dict[str, tuple[str, Any]] = {}
    for module in _modules():
        names = vars(module)
        for name, value in names.items():
            where = f"{module.__name__}.{name}"
            if name.isupper():
                everywhere.setdefault(name, (where, value))
            if id(value) in seen:
                continue  # the same table imported into another module
            if _is_language_table(value):
                seen.add(id(value))
                pairs.append(Pair(where, value["zh"], value["en"]))
            elif _is_pair_table(name, value):
                seen.add(id(value))
                pairs.append(Pair(where, {k: v[0] for k, v in value.items()}, {k: v[1] for k, v in value.items()}))
            elif name.endswith("_ZH") and f"{name[:-3]}_EN" in names:
                seen.add(id(value))
                pairs.append(Pair(f"{where} and _EN", value, names[f"{name[:-3]}_EN"]))
    for zh_name, en_name in CROSS_MODULE_PAIRS:
        (zh_where, zh), (en_where, en) = everywhere[zh_name], everywhere[en_name]
        pairs.append(Pair(f"{zh_where} and {en_where}", zh, en))
    return pairs


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _problems(zh: Any, en: Any, allowed: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """What differs between the two languages, in words, less the ``allowed`` differences."""
    allowed = allowed or {}
    if isinstance(zh, str) and isinstance(en, str):
        zh, en = {"(the text)": zh}, {"(the text)": en}
    if not (isinstance(zh, Mapping) and isinstance(en, Mapping)):
        return [f"not a pair of tables or of texts: {type(zh).__name__} and {type(en).__name__}"]
    found = {
        "missing in English": {str(key) for key in set(zh) - set(en)},
        "missing in Chinese": {str(key) for key in set(en) - set(zh)},
        "empty in Chinese": {str(key) for key, word in zh.items() if not str(word).strip()},
        "empty in English": {str(key) for key, word in en.items() if not str(word).strip()},
    }
    problems = [
        f"{kind}: {', '.join(sorted(keys - allowed.get(kind, frozenset())))}"
        for kind, keys in found.items()
        if keys - allowed.get(kind, frozenset())
    ]
    for key in sorted(set(zh) & set(en), key=str):
        if isinstance(zh[key], str) and isinstance(en[key], str) and _fields(zh[key]) != _fields(en[key]):
            problems.append(
                f"{key}: placeholders {sorted(_fields(zh[key]))} in Chinese, {sorted(_fields(en[key]))} in English"
            )
    return problems


PAIRS = _pairs()


def test_the_walk_finds_the_known_tables() -> None:
    """A guard for the walk itself: were it to find nothing, every other test here would pass."""
    names = {pair.name for pair in PAIRS}
    assert "queue_server.pages.wording.COMMON" in names
    assert "display_client.wording.WORDS" in names
    assert "queue_server.simulate.charts.WORDS" in names
    assert len(PAIRS) >= 12, sorted(names)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: pair.name)
def test_both_languages_have_the_same_words(pair: Pair) -> None:
    problems = _problems(pair.zh, pair.en, ALLOWED.get(pair.name))
    assert not problems, f"{pair.name}: " + "; ".join(problems)


def test_every_allowed_difference_is_still_there() -> None:
    """An allowance left behind after its table changed would hide the next real gap."""
    for pair in PAIRS:
        for kind, keys in ALLOWED.get(pair.name, {}).items():
            left = set(_problems(pair.zh, pair.en)) - set(_problems(pair.zh, pair.en, {kind: keys}))
            assert left, f"{pair.name}: the allowance {kind} {sorted(keys)} is no longer needed"
    assert set(ALLOWED) <= {pair.name for pair in PAIRS}, "an allowance names a table that is gone"


def test_a_difference_is_named() -> None:
    problems = _problems({"a": "甲", "b": "{n}号", "c": ""}, {"b": "number", "c": "C", "d": "D"})
    assert problems == [
        "missing in English: a",
        "missing in Chinese: d",
        "empty in Chinese: c",
        "b: placeholders ['n'] in Chinese, [] in English",
    ]
