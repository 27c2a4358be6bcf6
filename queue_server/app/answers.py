"""What an action answers, in no transport's terms: a result, or a refusal saying why not.

An answer is kept with its request id (:meth:`Answer.record`) in the action's transaction, and a
repeat of the request id gets it back (:meth:`Answer.from_record`, marked ``replayed``). Each
adapter says it in its own terms: the web as JSON or problem+json, the bus as a device response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from queue_server.app.refusals import Refusal
from queue_server.app.views import View


@dataclass(frozen=True, slots=True)
class Answer:
    """An action's result (``body``, a JSON view), or its ``refusal`` (``body`` is then empty)."""

    body: View = field(default_factory=dict)
    refusal: Refusal | None = None
    created: bool = False
    """The action made something new (a ticket, a print job, a case)."""
    replayed: bool = False
    """The first answer to the same request id, given again."""

    @classmethod
    def refused(cls, refusal: Refusal) -> Answer:
        return cls(refusal=refusal)

    @property
    def ok(self) -> bool:
        return self.refusal is None

    def record(self) -> dict[str, Any]:
        """The answer as JSON, to keep with its request id."""
        if self.refusal is not None:
            return {"refusal": self.refusal.record()}
        return {"result": self.body, "created": self.created}

    @classmethod
    def from_record(cls, kept: Mapping[str, Any]) -> Answer:
        """A kept answer, given again to a repeat."""
        if "refusal" in kept:
            return cls(refusal=Refusal.from_record(kept["refusal"]), replayed=True)
        return cls(kept["result"], created=bool(kept["created"]), replayed=True)
