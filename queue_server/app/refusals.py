"""Why a use case said no, in words a person can act on, for each adapter to translate.

Refusal
  kind      what sort of no (:class:`RefusalKind`): each adapter answers each kind in its own terms
  detail    what failed, which one, and why
  fields    for INVALID: each input that is wrong, with its own message
  extra     what a caller can act on besides the words (why no ticket can be issued, what a
            configuration change would have changed)

The web answers a refusal as problem+json (queue_server.web.problems), the bus with a device
error code (queue_server.bus.requests). A refusal is kept with its request id as :meth:`record`
and comes back from it unchanged, so a repeat is refused in the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from queue_server.domain.errors import DomainError, InvalidTransition, IssueRefused, NotAllowed, NotFound


class RefusalKind(StrEnum):
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    CONFLICT = "conflict"
    """The action does not fit the current state (delivered already, closed ...)."""
    INVALID = "invalid"
    """The input names something the centre lacks, or says nothing the use case understands."""
    REFUSED = "refused"
    """The domain said no for a reason of no other kind."""
    ISSUE_REFUSED = "issue_refused"
    """No ticket can be issued now; ``extra`` says why (reason, message, message_en)."""
    CHANGE_REFUSED = "change_refused"
    """A configuration change does not fit the hall now; ``extra`` has its differences."""
    REQUEST_ID_REUSED = "request_id_reused"
    """The request id answered another action already."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One input that is wrong: its name as the caller spelled it, and why."""

    field: str
    message: str


class Refusal(Exception):
    """A use case refused; nothing was changed."""

    def __init__(
        self,
        kind: RefusalKind,
        detail: str,
        fields: Iterable[FieldProblem] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.fields = tuple(fields)
        self.extra: dict[str, Any] = dict(extra or {})

    def __repr__(self) -> str:
        return f"Refusal({self.kind.value}, {self.detail!r})"

    @classmethod
    def invalid(cls, fields: Iterable[FieldProblem]) -> Refusal:
        """INVALID, its detail listing each field with its message."""
        listed = tuple(fields)
        return cls(RefusalKind.INVALID, "; ".join(f"{p.field}: {p.message}" for p in listed), listed)

    def record(self) -> dict[str, Any]:
        """The refusal as JSON, to keep with a request id (:meth:`from_record` reads it back)."""
        kept: dict[str, Any] = {"kind": self.kind.value, "detail": self.detail}
        if self.fields:
            kept["fields"] = [{"field": p.field, "message": p.message} for p in self.fields]
        if self.extra:
            kept["extra"] = self.extra
        return kept

    @classmethod
    def from_record(cls, kept: Mapping[str, Any]) -> Refusal:
        fields = (FieldProblem(p["field"], p["message"]) for p in kept.get("fields", ()))
        return cls(RefusalKind(kept["kind"]), kept["detail"], fields, kept.get("extra"))


def from_domain(error: DomainError) -> Refusal:
    """The domain's refusal as the application's, its message kept word for word."""
    match error:
        case IssueRefused():
            extra = {"reason": error.reason.value, "message": error.message, "message_en": error.message_en}
            return Refusal(RefusalKind.ISSUE_REFUSED, error.message_en, extra=extra)
        case NotFound():
            return Refusal(RefusalKind.NOT_FOUND, error.message)
        case NotAllowed():
            return Refusal(RefusalKind.NOT_ALLOWED, error.message)
        case InvalidTransition():
            return Refusal(RefusalKind.CONFLICT, error.message)
    return Refusal(RefusalKind.REFUSED, error.message)
