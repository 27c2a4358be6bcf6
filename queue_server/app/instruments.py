"""The figures this process counts as it works, for Prometheus: one registry, kept in memory.

Each edge counts what passes through it (the actions here, the HTTP requests in
queue_server.web.http_figures, the device requests and the relay's publishes in
queue_server.bus.figures) with an increment of a prometheus_client counter or histogram, cheap on
the hot path; ``GET /api/v1/metrics`` writes :data:`REGISTRY` after the figures it reads at scrape
time. The registry also holds prometheus_client's own collectors of the process (CPU, memory, open
files), the platform (Python's version) and the garbage collector.

Every label takes few values: a centre's code (a centre that does not exist is counted under
``""``), an action's name, an outcome, a refusal code from the catalogue.
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import Counter, disable_created_metrics
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import CollectorRegistry

from queue_server.app.answers import Answer
from queue_server.domain.refusal_codes import RefusalCode

__all__ = ["ACTIONS", "REGISTRY", "ActionOutcome", "count_action"]

disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
"""No ``_created`` series beside each counter and histogram: twice the series, and nothing the
alert rules or the dashboard read (Prometheus sees a restart as a counter's reset)."""

REGISTRY = CollectorRegistry(auto_describe=True)
"""OneWindow's own figures and the process's, apart from prometheus_client's default registry."""

ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)


class ActionOutcome(StrEnum):
    DONE = "done"
    REFUSED = "refused"
    """The hall said no (the ``code`` label says which refusal); nothing changed."""
    REPEAT = "repeat"
    """A request id answered before: its first answer given again."""
    FAILED = "failed"
    """An error (the database away, a bug): the caller got no answer."""


ACTIONS = Counter(
    "onewindow_actions",
    "Actions run by this instance, by centre, action, outcome (done, refused, repeat, failed) and refusal code",
    ["centre", "action", "outcome", "code"],
    registry=REGISTRY,
)


def count_action(centre: str, action: str, answer: Answer | None) -> None:
    """Count one action's outcome; ``answer`` None when it failed with an error."""
    if answer is None:
        ACTIONS.labels(centre, action, ActionOutcome.FAILED, "").inc()
        return
    refusal = answer.refusal
    if refusal is not None and refusal.code is RefusalCode.CENTRE_NOT_FOUND:
        centre = ""  # a code nobody configured: one series for them all, not one each
    if answer.replayed:
        outcome, code = ActionOutcome.REPEAT, ""
    elif refusal is not None:
        outcome, code = ActionOutcome.REFUSED, refusal.code.value if refusal.code is not None else ""
    else:
        outcome, code = ActionOutcome.DONE, ""
    ACTIONS.labels(centre, action, outcome, code).inc()
