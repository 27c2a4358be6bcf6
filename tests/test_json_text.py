"""JSON columns and HTTP answers go through orjson (store/json_text.py) and mean what the standard
library's text meant: same values back, the same values refused."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest

from queue_server.store import json_text


@dataclass
class _Point:
    x: int


@pytest.mark.parametrize(
    "value",
    [
        {"ok": True, "名": ["一", 2], "window": None},
        [1, 2.5, -3, "A001", {"nested": {"deep": [[]]}}],
        {"serial": 2**63 - 1, "big": 2**80},  # past 64 bits: the standard library writes it
        '引号" and \\ and \n',
        0.1,
    ],
)
def test_the_text_reads_back_as_the_standard_librarys_did(value: object) -> None:
    text = json_text.dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert json_text.encode(value) == text.encode()


def test_chinese_is_kept_readable_and_integer_keys_become_strings() -> None:
    assert json_text.dumps({"名": "张三", 3: [1]}) == '{"名":"张三","3":[1]}'


@pytest.mark.parametrize("value", [{"at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)}, {1, 2}, _Point(1)])
def test_what_the_standard_library_refuses_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        json_text.dumps(value)
