"""Events to plain JSON records and back, for the event log the store keeps.

One generic codec for every event dataclass, driven by its type hints, so a new event type
needs no serialisation code of its own. A field that is itself a dataclass (a case's terms) is
an object in the record, read back the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]


def encode_value(value: object) -> JSON:
    if isinstance(value, Enum):
        raw = value.value
        return raw if isinstance(raw, (int, str)) else str(raw)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [encode_value(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: encode_value(getattr(value, field.name)) for field in dataclasses.fields(value)}
    raise TypeError(f"Cannot encode {type(value).__name__} in an event record")


def to_record(kind: str, event: object) -> dict[str, JSON]:
    """A JSON-ready dict with the event's ``kind`` and every field."""
    record: dict[str, JSON] = {"kind": kind}
    for field in dataclasses.fields(event):  # type: ignore[arg-type]
        record[field.name] = encode_value(getattr(event, field.name))
    return record


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode_value(kind: Any, raw: JSON) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if raw is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return decode_value(options[0], raw)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        if not isinstance(raw, list):
            raise ValueError(f"expected a list, got {raw!r}")
        return tuple(decode_value(item, v) for v in raw)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(str(raw))
    if kind is dt.date:
        return dt.date.fromisoformat(str(raw))
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(raw)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        if not isinstance(raw, dict):
            raise ValueError(f"expected an object, got {raw!r}")
        return from_record(kind, raw)
    if kind is float and isinstance(raw, int):
        return float(raw)
    if kind in (int, str, bool, float):
        if not isinstance(raw, kind) or (kind is int and isinstance(raw, bool)):
            raise ValueError(f"expected {kind.__name__}, got {raw!r}")
        return raw
    raise TypeError(f"Cannot decode a field of type {kind!r}")


def from_record(cls: type[T], record: dict[str, JSON]) -> T:
    """Rebuild an event of ``cls`` from its record; unknown keys are an error."""
    hints = _hints(cls)  # type: ignore[arg-type]
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    extra = set(record) - names - {"kind"}
    if extra:
        raise ValueError(f"Cannot read a {cls.__name__} record: unknown fields {sorted(extra)}")
    values = {name: decode_value(hints[name], record[name]) for name in names if name in record}
    return cls(**values)
