"""The domain's exceptions: what failed, which one, and why, in words a person can act on.

DomainError
├── NotFound            no such ticket, window, matter or staff member
├── InvalidTransition   the action does not fit the current state ("never called")
├── NotAllowed          the actor may not do this here (another window, wrong staff)
└── IssueRefused        no ticket today, with a reason a citizen understands

Each carries a ``code`` from the catalogue (queue_server.domain.refusal_codes) and the ``facts``
it names, so a screen says it in its own language (queue_server.domain.refusal_words); the
English ``message`` is for logs and developers.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from queue_server.domain.refusal_codes import Fact, RefusalCode


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str, code: RefusalCode = RefusalCode.REFUSED, **facts: Fact) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.facts: Mapping[str, Fact] = facts


class NotFound(DomainError):
    pass


class InvalidTransition(DomainError):
    pass


class NotAllowed(DomainError):
    pass


class RefusalReason(StrEnum):
    CLOSED_TODAY = "closed_today"
    BEFORE_OPENING = "before_opening"
    LUNCH_BREAK = "lunch_break"
    AFTER_CLOSING = "after_closing"
    STOPPED_ISSUING = "stopped_issuing"
    QUOTA_USED_UP = "quota_used_up"
    NO_WINDOW_OPEN = "no_window_open"


class IssueRefused(DomainError):
    """A ticket cannot be issued; ``message`` is Chinese for the citizen, ``message_en`` English."""

    def __init__(self, reason: RefusalReason, message: str, message_en: str) -> None:
        super().__init__(message, RefusalCode.ISSUE_REFUSED, reason=reason.value)
        self.reason = reason
        self.message_en = message_en
