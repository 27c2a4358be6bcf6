"""JSON columns and HTTP answers written with orjson, accepting exactly what the standard library did.

Every action writes JSON columns (the ticket's and window's event data, the outbox payloads, the
answer kept for its request id), and SQLAlchemy's default coder, ``json.dumps``, was the biggest
single item of a call's profile after the socket sends; the web answers (queue_server.web.problems)
wrote every body with it too. orjson does the same work several times
faster. A value it refuses that ``json`` took (an integer past 64 bits) is written by the standard
library, and one ``json`` refuses (a datetime, a set, a dataclass) is refused as before. The text
differs in spacing and in keeping non-ASCII characters unescaped, and a float ``NaN`` is written
``null``: the same JSON to any reader. Reading stays with ``json``: a read is rare on the hot path,
and it turns every number as written back into the same Python value.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
"""Integer keys become strings as ``json`` makes them; datetimes and dataclasses are refused as it refuses them."""


def encode(value: Any) -> bytes:
    """``value`` as UTF-8 JSON, as ``json.dumps(value, ensure_ascii=False)`` would write it, but compact."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False).encode()  # the standard library's own answer, or its error


def dumps(value: Any) -> str:
    """``value`` as JSON text (:func:`encode`): what a JSON column stores."""
    return encode(value).decode()
