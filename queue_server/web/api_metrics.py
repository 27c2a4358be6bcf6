"""Live figures for Prometheus: ``GET /api/v1/metrics`` in its text format.

For the centres the token (or session) may see: people waiting and the longest wait per ticket
group, windows by state, whether the centre is within its opening hours, devices online and offline
by kind, the devices lost by kind (those that said online and now say offline, by their last will
or a clean goodbye, apart from the devices never heard), today's tickets by state and ratings by
level, and how many halls this instance built from a centre's rows (each a read of the whole
queue: what its cache of halls missed). Read at the scrape, one query per kind for every centre
at once (queue_server.store.monitoring): the centres' state versions (a kept hall still current is
read as it is, without a query of its own), today's tickets and ratings, the relay's lag, print
jobs (waiting, and answered in the last day) and SMS notices by state; and
the database pools from memory. Then the process's own registry (queue_server.app.instruments):
what it counted as it worked, less the series of centres the token may not see, and the
process's, platform's and garbage collector's figures.
Prometheus scrapes it with a manager's, admin's or supervisor's bearer token
(``authorization: {credentials: ...}`` in its scrape configuration). The exposition is written by
prometheus_client, so its escaping and format follow the reference implementation.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Iterator

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry
from pydantic import RootModel

from queue_server.app.instruments import REGISTRY
from queue_server.auth.accounts import Action
from queue_server.domain.calendar import OpeningState
from queue_server.domain.hall import Hall
from queue_server.store.monitoring import (
    oldest_queued_jobs,
    oldest_unsent,
    print_jobs_by_state,
    sms_by_state,
    tickets_of_days,
)
from queue_server.store.repository import state_versions
from queue_server.store.sms import NoticeStatus
from queue_server.web.api import _service
from queue_server.web.auth import principal_of
from queue_server.web.keys import DATABASE
from queue_server.web.routes import Access, Route

PRINT_JOB_STATES = ("queued", "done", "failed", "unknown")
"""The states of a print job (queue_server.store.schema.print_jobs), each given even at 0."""


class _Figures(Collector):
    """Hands prometheus_client the families made for one scrape."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self._families


def _gauge(name: str, help_text: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"onewindow_{name}", help_text, labels=labels)


async def get_metrics(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    service = _service(request)
    waiting = _gauge("waiting", "Tickets waiting now, per ticket group", ["centre", "group"])
    longest = _gauge("longest_wait_minutes", "The longest wait of a ticket waiting now, per group", ["centre", "group"])
    windows = _gauge("windows", "Windows by state: open, paused, closed", ["centre", "status"])
    open_hours = _gauge(
        "centre_in_opening_hours",
        "1 while the centre is within its opening hours today (not before, after, at lunch or on a day off), else 0",
        ["centre"],
    )
    devices = _gauge("devices", "Registered devices by kind and whether they said online", ["centre", "kind", "online"])
    lost = _gauge(
        "devices_offline",
        "Devices that were online and now say offline (never-heard ones not counted)",
        ["centre", "kind"],
    )
    tickets = _gauge("tickets_today", "Today's tickets by state", ["centre", "status"])
    ratings = _gauge("ratings_today", "Today's ratings by level (5 非常满意 … 1 非常不满意)", ["centre", "level"])
    builds = CounterMetricFamily(
        "onewindow_hall_builds",
        "Halls this instance built from a centre's rows to act on or read from, since it started (each reads"
        " the whole queue)",
        labels=["centre"],
    )
    catch_ups = CounterMetricFamily(
        "onewindow_hall_catch_ups",
        "Times this instance brought its kept hall of a centre up to date with another instance's actions"
        " (reading only the tickets they changed), since it started",
        labels=["centre"],
    )
    built, caught_up = service.hall_builds(), service.hall_catch_ups()  # before the reads below
    today: dict[str, dt.date] = {}
    async with request.app[DATABASE].read() as conn:  # one query: each kept hall current is read as it is
        versions = await state_versions(conn, sorted(principal.centres))
    for code in sorted(principal.centres):
        builds.add_metric([code], built.get(code, 0))
        catch_ups.add_metric([code], caught_up.get(code, 0))
        hall = await service.hall(code, versions.get(code))
        _hall_figures(hall, waiting, longest, windows)
        opening = hall.calendar.opening(service.clock.now()).state
        open_hours.add_metric([code], 1 if opening is OpeningState.OPEN else 0)
        sightings = service.devices(code)
        online = sightings.online()
        seen: Counter[tuple[str, str]] = Counter(
            (device.kind.value, "yes" if online.get(device.id) else "no") for device in hall.centre.devices
        )
        for (kind, is_online), count in sorted(seen.items()):
            devices.add_metric([code, kind, is_online], count)
        gone = Counter(device.kind.value for device in sightings.lost(hall.centre.devices))
        for kind in sorted({device.kind.value for device in hall.centre.devices}):
            lost.add_metric([code, kind], gone.get(kind, 0))
        today[code] = hall.calendar.local_date(service.clock.now())
    async with request.app[DATABASE].read() as conn:
        of_today = await tickets_of_days(conn, today)
    for code, day in sorted(of_today.items()):
        for status, count in sorted(day.by_status.items()):
            tickets.add_metric([code, status], count)
        for level in range(5, 0, -1):
            ratings.add_metric([code, str(level)], day.by_rating.get(level, 0))
    codes = sorted(principal.centres)
    read_now = await _read_at_scrape(request, service.clock.now(), codes)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        _Figures([waiting, longest, windows, open_hours, devices, lost, tickets, ratings, builds, catch_ups, *read_now])
    )
    body = generate_latest(registry) + generate_latest(_Visible(REGISTRY, principal.centres))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _read_at_scrape(request: web.Request, now: dt.datetime, codes: list[str]) -> list[Metric]:
    """The figures a query answers, for all the centres at once: the relay's lag, the print jobs
    and SMS notices by state; and the database's pools, from memory."""
    db = request.app[DATABASE]
    async with db.read() as conn:
        unsent = await oldest_unsent(conn, codes)
        jobs = await print_jobs_by_state(conn, codes, now)
        queued = await oldest_queued_jobs(conn, codes)
        notices = await sms_by_state(conn, codes)
    lag = _gauge(
        "relay_lag_seconds",
        "Age of the oldest outbox row not yet published to the broker (0: all published), per centre",
        ["centre"],
    )
    jobs_now = _gauge(
        "print_jobs",
        "Print jobs waiting for their printer's answer (queued), and those answered in the last 24 hours by"
        " state (done, failed, unknown)",
        ["centre", "state"],
    )
    waiting_job = _gauge(
        "print_job_oldest_queued_seconds",
        "Age of the oldest print job still waiting for its printer's answer (0: none), per centre",
        ["centre"],
    )
    sms = _gauge(
        "sms_notices", "SMS notices kept, by centre and state (pending, sent, delivered, failed)", ["centre", "state"]
    )
    for code in codes:
        lag.add_metric([code], _age(now, unsent.get(code)))
        waiting_job.add_metric([code], _age(now, queued.get(code)))
        for state in PRINT_JOB_STATES:
            jobs_now.add_metric([code, state], jobs.get((code, state), 0))
        for notice_state in NoticeStatus:
            sms.add_metric([code, notice_state.value], notices.get((code, notice_state.value), 0))
    size = _gauge("db_pool_size", "Connections the database pool keeps open", ["pool"])
    in_use = _gauge("db_pool_in_use", "Connections of the database pool in use now", ["pool"])
    waits = CounterMetricFamily(
        "onewindow_db_pool_waits",
        "Times a connection was asked for while every one the pool may open was in use, since start",
        labels=["pool"],
    )
    for pool in db.pool_figures():
        size.add_metric([pool.pool], pool.size)
        in_use.add_metric([pool.pool], pool.in_use)
        waits.add_metric([pool.pool], pool.waits)
    return [lag, jobs_now, waiting_job, sms, size, in_use, waits]


def _age(now: dt.datetime, since: dt.datetime | None) -> float:
    return round(max((now - since).total_seconds(), 0.0), 3) if since is not None else 0.0


class _Visible(Collector):
    """The process's own figures (queue_server.app.instruments), without other centres' series: a
    token sees the centres it may see, as in the figures above."""

    def __init__(self, registry: CollectorRegistry, centres: Collection[str]) -> None:
        self._registry = registry
        self._centres = centres

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            samples = [
                s for s in family.samples if s.labels.get("centre", "") == "" or s.labels["centre"] in self._centres
            ]
            family.samples = samples
            yield family


def _hall_figures(
    hall: Hall, waiting: GaugeMetricFamily, longest: GaugeMetricFamily, windows: GaugeMetricFamily
) -> None:
    code = hall.centre.code
    now = hall.clock.now()
    queued = hall.waiting()
    for group in hall.centre.ticket_groups:
        mine = [t for t in queued if t.prefix == group.prefix]
        waiting.add_metric([code, group.prefix], len(mine))
        oldest = max(((now - t.issued_at).total_seconds() / 60 for t in mine), default=0.0)
        longest.add_metric([code, group.prefix], round(oldest, 1))
    states = Counter(hall.window(w.number).status.value for w in hall.centre.windows)
    for status in ("open", "paused", "closed"):
        windows.add_metric([code, status], states.get(status, 0))


class Metrics(RootModel[str]):
    """The Prometheus text exposition format"""


ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/metrics",
        operation_id="get_metrics",
        summary="Read the live figures in Prometheus format",
        handler=get_metrics,
        access=Access(Action.REPORT),
        tag="reports",
        response=Metrics,
        media_type="text/plain",
        description=(
            "For the centres the token may see: onewindow_waiting and onewindow_longest_wait_minutes per"
            " ticket group, onewindow_windows by state, onewindow_centre_in_opening_hours,"
            " onewindow_devices by kind and online, onewindow_devices_offline (were online, now offline) by"
            " kind, today's onewindow_tickets_today by state and onewindow_ratings_today by level,"
            " onewindow_relay_lag_seconds (the oldest unsent outbox message), onewindow_print_jobs and"
            " onewindow_sms_notices by state, onewindow_print_job_oldest_queued_seconds;"
            " onewindow_hall_builds_total and onewindow_hall_catch_ups_total; the database pool"
            " (onewindow_db_pool_size, onewindow_db_pool_in_use, onewindow_db_pool_waits_total); what this"
            " instance counted since it started: onewindow_actions_total by action, outcome and refusal code,"
            " onewindow_http_request_duration_seconds per route template, onewindow_device_requests_total and"
            " onewindow_device_answers_total, onewindow_outbox_published_total and"
            " onewindow_mqtt_publish_failures_total; and the process's own (process_*, python_*)."
            " docs/deployment.md lists them with their labels."
        ),
    ),
]
