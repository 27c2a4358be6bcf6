"""Why a use case said no, in words a person can act on, for each adapter to translate.

Refusal
  kind      what sort of no (:class:`RefusalKind`): each adapter answers each kind in its own terms
  detail    what failed, which one, and why, in English for logs and developers
  code      which refusal of the catalogue (queue_server.domain.refusal_codes), and ``facts``, what it names
  message   the refusal said in Chinese for the page, naming things as the staff know them;
            ``message_en`` in English (queue_server.domain.refusal_words)
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

from queue_server.domain.centre import Centre
from queue_server.domain.errors import DomainError, InvalidTransition, IssueRefused, NotAllowed, NotFound
from queue_server.domain.refusal_codes import Fact, RefusalCode
from queue_server.domain.refusal_words import Said, say


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


DEFAULT_CODES: dict[RefusalKind, RefusalCode] = {
    RefusalKind.INVALID: RefusalCode.INVALID,
    RefusalKind.ISSUE_REFUSED: RefusalCode.ISSUE_REFUSED,
    RefusalKind.CHANGE_REFUSED: RefusalCode.CHANGE_REFUSED,
    RefusalKind.REQUEST_ID_REUSED: RefusalCode.REQUEST_ID_REUSED,
}
"""The code of a refusal that names none: the kinds that are one refusal each, else REFUSED."""


class Refusal(Exception):
    """A use case refused; nothing was changed."""

    def __init__(
        self,
        kind: RefusalKind,
        detail: str,
        fields: Iterable[FieldProblem] = (),
        extra: Mapping[str, Any] | None = None,
        *,
        code: RefusalCode | None = None,
        facts: Mapping[str, Fact] | None = None,
        centre: Centre | None = None,
        said: Said | None = None,
    ) -> None:
        """``centre`` names the facts' windows and matters; ``said`` gives the words instead."""
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.fields = tuple(fields)
        self.extra: dict[str, Any] = dict(extra or {})
        self.code: RefusalCode | None = code or DEFAULT_CODES.get(kind, RefusalCode.REFUSED)
        self.facts: dict[str, Fact] = dict(facts or {})
        words = said or say(self.code, self.facts, centre)
        self.message: str | None = words.zh
        self.message_en: str | None = words.en

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
        if self.code is not None:
            kept |= {"code": self.code.value, "facts": self.facts, "message": self.message}
            kept["message_en"] = self.message_en
        if self.fields:
            kept["fields"] = [{"field": p.field, "message": p.message} for p in self.fields]
        if self.extra:
            kept["extra"] = self.extra
        return kept

    @classmethod
    def from_record(cls, kept: Mapping[str, Any]) -> Refusal:
        """The kept refusal; one kept by an older release, without code or words, stays without them,
        so its repeat is answered exactly as the first time."""
        fields = (FieldProblem(p["field"], p["message"]) for p in kept.get("fields", ()))
        kind = RefusalKind(kept["kind"])
        if kept.get("code") not in set(RefusalCode):
            refusal = cls(kind, kept["detail"], fields, kept.get("extra"))
            refusal.code = refusal.message = refusal.message_en = None
            return refusal
        said = Said(kept.get("message") or "", kept.get("message_en") or "")
        code = RefusalCode(kept["code"])
        return cls(kind, kept["detail"], fields, kept.get("extra"), code=code, facts=kept.get("facts"), said=said)


def from_domain(error: DomainError, centre: Centre | None = None) -> Refusal:
    """The domain's refusal as the application's, its English message kept word for word as the
    detail and its code said in both languages, ``centre`` naming its windows and matters."""
    if isinstance(error, IssueRefused):
        extra = {"reason": error.reason.value, "message": error.message, "message_en": error.message_en}
        said = Said(error.message, error.message_en)
        return Refusal(
            RefusalKind.ISSUE_REFUSED, error.message_en, extra=extra, code=error.code, facts=error.facts, said=said
        )
    kind = RefusalKind.REFUSED
    match error:
        case NotFound():
            kind = RefusalKind.NOT_FOUND
        case NotAllowed():
            kind = RefusalKind.NOT_ALLOWED
        case InvalidTransition():
            kind = RefusalKind.CONFLICT
    return Refusal(kind, error.message, code=error.code, facts=error.facts, centre=centre)
