"""Why a use case said no, in words a person can act on, for each adapter to translate.

Refusal
  kind      NOT_FOUND, NOT_ALLOWED, CONFLICT (the state does not allow it), INVALID (the input)
  detail    what failed, which one, and why
  fields    for INVALID: each input that is wrong, with its own message

The web answers a refusal as problem+json (queue_server.web.problems); a device adapter would
answer it on the device's response topic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.errors import InvalidTransition, NotAllowed, NotFound


class RefusalKind(StrEnum):
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    CONFLICT = "conflict"
    """The action does not fit the current state (delivered already, closed ...)."""
    INVALID = "invalid"
    """The input names something the centre lacks, or says nothing the use case understands."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One input that is wrong: its name as the caller spelled it, and why."""

    field: str
    message: str


class Refusal(Exception):
    """A use case refused; nothing was changed."""

    def __init__(self, kind: RefusalKind, detail: str, fields: Iterable[FieldProblem] = ()) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.fields = tuple(fields)

    @classmethod
    def invalid(cls, fields: Iterable[FieldProblem]) -> Refusal:
        """INVALID, its detail listing each field with its message."""
        listed = tuple(fields)
        return cls(RefusalKind.INVALID, "; ".join(f"{p.field}: {p.message}" for p in listed), listed)


RefusedByDomain = NotFound | InvalidTransition | NotAllowed
"""The domain's errors a use case passes on as a refusal of the same meaning."""


def from_domain(error: RefusedByDomain) -> Refusal:
    """The domain's refusal as the application's, its message kept word for word."""
    match error:
        case NotFound():
            return Refusal(RefusalKind.NOT_FOUND, error.message)
        case NotAllowed():
            return Refusal(RefusalKind.NOT_ALLOWED, error.message)
        case InvalidTransition():
            return Refusal(RefusalKind.CONFLICT, error.message)
