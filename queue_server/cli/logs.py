"""Where the server's log lines go and how they read: plain text (the default) or JSON lines.

``--log-format text`` writes each line's message alone, as Python does for a program that
configures no logging; ``--log-format json`` writes one JSON object a line, with ``time`` (UTC,
ISO 8601), ``level``, ``logger``, ``message``, the traceback as ``exception`` when there is one,
and, on every line written while a request is handled or an action runs, its ``request_id``,
``centre``, ``window`` and ``actor`` (queue_server.app.log_context).

Whatever the format, what a line says passes :func:`redact` before it is written (in JSON, each
value before it is quoted): a phone number, an ID number, a bearer token, a password in a URL or a
``secret=``/``password=`` value that reached a message (a driver's error, a library's debug line, a
request id a client chose) is masked. The code logs none of them
on purpose; this is the net under that rule, and tests/test_log_privacy.py holds both to it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TextIO

from queue_server.app.log_context import current


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


DEFAULT_LEVEL = "warning"
"""What Python writes for a program that sets nothing: warnings and errors."""

QUIET_LIBRARIES = ("aiosqlite", "asyncio")
"""Libraries whose debug lines (every statement sent to the driver) say nothing an operator needs:
kept at INFO even at ``--log-level debug``."""

_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    # a bearer token or an account token (ow_...) wherever it appears
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), r"\1***"),
    (re.compile(r"\bow_[A-Za-z0-9_-]{8,}"), "ow_***"),
    # a password in a URL: scheme://user:password@host
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), r"\1***@"),
    # key = value secrets: password=..., "secret": "...", access_key_secret: ...
    (
        re.compile(r"(?i)((?:password|passwd|secret|access_key_id|api_key|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]+"),
        r"\1***",
    ),
    # a resident ID number (18 characters): its region and last four kept, the birth date masked
    (re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])"), r"\1********\2"),
    # a mainland mobile number, with or without +86: its first three digits and last four kept
    (re.compile(r"(?<![0-9])((?:\+?86[ -]?)?1[3-9][0-9])[ -]?[0-9]{4}[ -]?([0-9]{4})(?![0-9])"), r"\1****\2"),
)


def redact(text: str) -> str:
    """``text`` with every secret and personal number masked (see the module's docstring)."""
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text


class TextLines(logging.Formatter):
    """The message alone (and its traceback), redacted."""

    def __init__(self) -> None:
        super().__init__("%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonLines(logging.Formatter):
    """One JSON object a line, with the action's context, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(current().fields())
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # each value before it is quoted: a secret's "key": "value" must be seen as written
        masked = {name: redact(value) if isinstance(value, str) else value for name, value in line.items()}
        return json.dumps(masked, ensure_ascii=False, default=str)


def log_handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing to ``stream`` (standard error) in ``log_format``."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonLines() if log_format is LogFormat.JSON else TextLines())
    return handler


def configure_logging(
    log_format: LogFormat, level: str = DEFAULT_LEVEL, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log line of the process to one handler in ``log_format`` from ``level`` up; returns it."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = log_handler(log_format, stream)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    return handler


@contextmanager
def logging_as(log_format: LogFormat, level: str = DEFAULT_LEVEL, stream: TextIO | None = None) -> Iterator[None]:
    """:func:`configure_logging` for the block; the handlers and levels before it are put back after
    it (a command run inside another program, as the tests run ``serve``, leaves its logging alone)."""
    root = logging.getLogger()
    handlers, was = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    ours = configure_logging(log_format, level, stream)
    try:
        yield
    finally:
        root.removeHandler(ours)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(was)
        for name, level_was in quiet.items():
            logging.getLogger(name).setLevel(level_was)
