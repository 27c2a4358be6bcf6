"""Request bodies, derived from the domain's command models so the two never disagree.

A body is a command's fields minus what the path or the token already says (the window, the
ticket's serial, the channel), plus the action's ``request_id``. The command is then built from
the body and the path, and validated once more as a whole.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from queue_server.app.commands import TICKET_COMMANDS, WINDOW_COMMANDS, Command, IssueTicket, SignOff, SignOn

REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"

RequestId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=REQUEST_ID_PATTERN,
        description=(
            "One id per intended action (e.g. a UUID): a repeat with the same id returns the first"
            " answer and changes nothing. May come in the Idempotency-Key header instead."
        ),
    ),
]


class ActionBody(BaseModel):
    """What every action's body carries: its request id (or the ``Idempotency-Key`` header)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    request_id: RequestId | None = None

    def command_fields(self) -> dict[str, Any]:
        """The fields that go into the command (everything but the request id)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name != "request_id"}


def body_model(command: type[Command], *, omit: frozenset[str], name: str, **replace: Any) -> type[ActionBody]:
    """``command``'s fields without ``omit``, as a body model; ``replace`` swaps a field's definition,
    or adds one the edge turns into the command's own (an ID number into its hash)."""
    fields: dict[str, Any] = {}
    for field_name, info in command.model_fields.items():
        if field_name in omit:
            continue
        fields[field_name] = replace.get(field_name, (info.annotation, info))
    fields |= {added: kind for added, kind in replace.items() if added not in fields}
    return create_model(name, __base__=ActionBody, __doc__=command.__doc__, **fields)


_STAFF_OPTIONAL = (
    str | None,
    Field(
        default=None,
        min_length=1,
        max_length=40,
        description="The staff member's code; a staff token signs only its own staff member, so it may leave it out",
    ),
)


def _window_body(segment: str, command: type[Command]) -> type[ActionBody]:
    name = "".join(part.capitalize() for part in segment.split("-")) + "Body"
    if command in (SignOn, SignOff):
        return body_model(command, omit=frozenset({"window"}), name=name, staff=_STAFF_OPTIONAL)
    return body_model(command, omit=frozenset({"window"}), name=name)


WINDOW_BODIES: dict[str, type[ActionBody]] = {
    segment: _window_body(segment, command) for segment, command in WINDOW_COMMANDS.items()
}
"""The body of each window action, by route segment."""

TICKET_BODIES: dict[str, type[ActionBody]] = {
    segment: body_model(command, omit=frozenset({"serial"}), name=f"{segment.capitalize()}TicketBody")
    for segment, command in TICKET_COMMANDS.items()
}
"""The body of each ticket action, by route segment."""

IdNumber = Field(
    default=None,
    min_length=15,
    max_length=20,
    description="The citizen's resident ID number: needed for a real-name matter; only its keyed hash is kept,"
    " and its birth date answers the green channel's age question",
)

IssueBody = body_model(
    IssueTicket,
    omit=frozenset({"channel", "person", "born"}),
    name="IssueBody",
    id_number=(str | None, IdNumber),
)
"""Issuing a ticket: the channel comes from the token (kiosk or desk), never from the body; the ID
number is turned into its keyed hash at the edge (queue_server.domain.real_name.holder_of)."""


class RequestIdBody(ActionBody):
    """An action that needs nothing but its request id (closing the day, a citizen's cancel)."""
