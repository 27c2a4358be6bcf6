"""The printer client: a device on the bus that prints each job it is sent exactly once.

It is a twin (device_client) of kind ``printer``: same connection loop, availability
(``online`` retained, last will ``offline``) and requests repeated until answered. What it adds:

- it connects with a persistent session (MQTT 3.1.1 ``clean_session=False``, the fixed client id
  ``<centre>.<printer id>``), so QoS 1 jobs published while it was down wait at the broker;
- every job is written to the :class:`~ticket_printer.client.spool.Spool` before anything else, and a job
  id already there is dropped: the server's relay delivers at least once;
- one job at a time: read the printer's status, then ``sending`` (synced), the bytes, the status
  again, then ``done`` (synced); a printer that drops the link or runs out of paper during the job
  ends it ``unknown`` (part may be on paper: never printed again by itself, the kiosk is told). A
  printer out of paper or with its cover open before the job fails it with that reason; a printer
  that cannot be reached keeps the job waiting, retried with backoff, and says ``offline``;
- each final state is reported with a ``result`` request, repeated until the server answers;
- the printer's state goes out retained on ``printer/<id>/state`` at start, on every reconnect,
  after each job and whenever a poll finds it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Self, Unpack

import aiomqtt

from device_client import Twin, TwinOptions, TwinTimeout
from device_client.stopping import stop_tasks
from queue_server.protocol import DeviceKind
from queue_server.protocol.broker import LOCAL_BROKER, Broker
from queue_server.protocol.payloads import PrinterState, PrinterStatus, PrintJob
from queue_server.protocol.topics import OFFLINE, PRINTER_JOB, PRINTER_STATE
from ticket_printer.client.connections import Connection, PrinterUnreachable
from ticket_printer.client.slips import slip_for
from ticket_printer.client.spool import JobState, Spool
from ticket_printer.client.status import Reading
from ticket_printer.layout import PrinterProfile
from ticket_printer.render import render

logger = logging.getLogger("ticket_printer.client")

DEFAULT_POLL_INTERVAL = 5.0
"""Seconds between status reads while no job waits."""
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)
"""Waits before each new attempt at a printer that could not be reached; the last one repeats."""
REPORT_TIMEOUT = 3600.0
"""How long one ``result`` request is repeated before it is sent again under a new request id."""
NOT_PRINTABLE = frozenset({PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN})
"""States in which the printer answers but cannot print: the job fails with the reason."""
PRINTED_STATES = frozenset({PrinterStatus.READY, PrinterStatus.PAPER_LOW})
"""States after a job's bytes in which it was printed whole; any other ends it ``unknown``."""


class PrinterClient(Twin):
    """Prints the jobs for one printer id; use it as ``async with PrinterClient(...) as client:``."""

    kind: ClassVar[DeviceKind] = DeviceKind.PRINTER

    def __init__(
        self,
        centre: str,
        device_id: str,
        broker: Broker | str = LOCAL_BROKER,
        *,
        printer: Connection,
        spool: Spool | Path,
        profile: PrinterProfile,
        english: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        pause_after_send: float = 0.0,
        **options: Unpack[TwinOptions],
    ) -> None:
        super().__init__(centre, device_id, broker, **options)
        if poll_interval <= 0 or not retry_delays or min(retry_delays) <= 0:
            raise ValueError(f"Cannot make {self.name}: poll_interval and retry_delays must be positive")
        self.printer = printer
        self.spool = spool if isinstance(spool, Spool) else Spool(spool)
        self.profile = profile
        self.english = english
        self.poll_interval = poll_interval
        self.retry_delays = tuple(retry_delays)
        self.pause_after_send = pause_after_send
        """Test hook: seconds to wait after the bytes were sent and before ``done`` is recorded."""
        self.reading = Reading(PrinterStatus.OFFLINE, "not read yet")
        """The printer's latest state, as published."""
        self._work = asyncio.Event()
        self._reporting: set[str] = set()
        self._workers: list[asyncio.Task[None]] = []

    # --- Lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        for job in self.spool.recover():
            logger.warning(
                "%s: job %s was being sent when the client stopped; it is now unknown", self.name, job.job_id
            )
        self.reading = await self._read_printer()
        await super().__aenter__()
        tasks = self._tasks
        assert tasks is not None  # set by Twin.__aenter__
        self._workers.append(tasks.create_task(self._print_loop(), name=f"printer {self.device_id} jobs"))
        for job in self.spool.unreported():
            self._start_report(job.job_id)
        return self

    async def _close(self) -> None:
        """Stop printing and reporting first (awaited), then leave the bus as every twin does."""
        workers, self._workers = self._workers, []
        await stop_tasks(workers)
        await self.printer.close()
        await super()._close()

    def _new_client(self) -> aiomqtt.Client:
        """A persistent session: the broker keeps QoS 1 jobs for this client id while it is away."""
        return self.broker.client(
            self.identifier,
            will=aiomqtt.Will(self.availability_topic, OFFLINE, qos=1, retain=True),
            clean=False,
            keepalive=self.keepalive,
            logger=logging.getLogger(f"ticket_printer.client.mqtt.{self.device_id}"),
        )

    def _subscriptions(self) -> list[str]:
        return [PRINTER_JOB.build(self.centre, device=self.device_id)]

    async def _start_session(self, client: aiomqtt.Client) -> None:
        await super()._start_session(client)
        await client.publish(self.state_topic, self._state_payload(), qos=1, retain=True)

    @property
    def state_topic(self) -> str:
        return PRINTER_STATE.build(self.centre, device=self.device_id)

    # --- Taking jobs ---------------------------------------------------------------------------

    def _receive(self, topic: str, payload: bytes) -> bool:
        job = PrintJob.model_validate_json(payload)
        known = self.spool.get(job.job_id)
        if known is not None:
            logger.info("%s: job %s came again (it is %s); not printed again", self.name, job.job_id, known.state)
            return False
        self.spool.take(job.job_id, job.model_dump(mode="json"), time.time())
        self._work.set()
        return True

    # --- Printing ------------------------------------------------------------------------------

    async def _print_loop(self) -> None:
        """Print taken jobs oldest first; while none waits, read the printer's status now and then."""
        delays = self._delays()
        while True:
            waiting = self.spool.jobs(JobState.TAKEN)
            if not waiting:
                self._work.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._work.wait()
                if not self._work.is_set():
                    await self._set_reading(await self._read_printer())
                continue
            if await self._print(waiting[0].job_id):
                delays = self._delays()
            else:
                delay = next(delays)
                logger.warning("%s: %s; trying again in %g s", self.name, self.reading.detail, delay)
                await asyncio.sleep(delay)

    def _delays(self) -> Iterator[float]:
        yield from self.retry_delays
        while True:
            yield self.retry_delays[-1]

    async def _print(self, job_id: str) -> bool:
        """Print one taken job; False if the printer could not be reached (the job still waits)."""
        try:
            await self.printer.open()
            try:
                reading = await self.printer.read_status()
                if reading.state is PrinterStatus.OFFLINE:
                    await self._set_reading(reading)
                    return False
                if reading.state in NOT_PRINTABLE:
                    self._finish(job_id, JobState.FAILED, reading.detail)
                    await self._set_reading(reading, force=True)
                    return True
                try:
                    job = PrintJob.model_validate(self._job(job_id))
                    data = render(slip_for(job, english=self.english), self.profile)
                except ValueError as error:
                    self._finish(job_id, JobState.FAILED, f"cannot render the job: {error}")
                    return True
                self.spool.mark(job_id, JobState.SENDING)
                try:
                    await self.printer.send(data)
                    # Written is not printed: a printer that dropped the link or ran out of paper
                    # mid-job still took the bytes into the socket. Its status after them tells.
                    after = await self.printer.read_status()
                except PrinterUnreachable as error:
                    # Some bytes may be on paper: never print it again by ourselves.
                    self._finish(job_id, JobState.UNKNOWN, str(error))
                    await self._set_reading(Reading(PrinterStatus.OFFLINE, str(error)))
                    return True
                if after.state not in PRINTED_STATES:
                    reason = f"the printer said {after.state.value} ({after.detail}) after the job; part may be missing"
                    self._finish(job_id, JobState.UNKNOWN, reason)
                    await self._set_reading(after, force=True)
                    return True
                if self.pause_after_send:
                    await asyncio.sleep(self.pause_after_send)
                self._finish(job_id, JobState.DONE)
                await self._set_reading(reading, force=True)
                return True
            finally:
                await self.printer.close()
        except PrinterUnreachable as error:
            await self._set_reading(Reading(PrinterStatus.OFFLINE, str(error)))
            return False

    def _job(self, job_id: str) -> dict[str, object]:
        record = self.spool.get(job_id)
        assert record is not None  # only jobs from the spool are printed
        return record.job

    async def _read_printer(self) -> Reading:
        try:
            await self.printer.open()
            try:
                return await self.printer.read_status()
            finally:
                await self.printer.close()
        except PrinterUnreachable as error:
            return Reading(PrinterStatus.OFFLINE, str(error))

    def _finish(self, job_id: str, state: JobState, reason: str = "") -> None:
        self.spool.mark(job_id, state, reason)
        log = logger.info if state is JobState.DONE else logger.warning
        log("%s: job %s %s%s", self.name, job_id, state, f" ({reason})" if reason else "")
        self._start_report(job_id)

    # --- State and results ---------------------------------------------------------------------

    async def _set_reading(self, reading: Reading, *, force: bool = False) -> None:
        """Publish the state (retained) if it changed, or when ``force`` (the pending count moved)."""
        changed = reading != self.reading
        self.reading = reading
        if not (changed or force):
            return
        self._show_change()
        client = self._client
        if client is None:
            return  # published on the next connection, by _start_session
        try:
            await client.publish(self.state_topic, self._state_payload(), qos=1, retain=True)
        except aiomqtt.MqttError as error:
            logger.warning("%s could not publish its state %s: %s", self.name, reading.state, error)

    def _state_payload(self) -> str:
        state = PrinterState(
            state=self.reading.state,
            detail=self.reading.detail,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            pending=self.spool.pending,
        )
        return state.model_dump_json()

    def _start_report(self, job_id: str) -> None:
        if job_id in self._reporting or self._tasks is None:
            return
        self._reporting.add(job_id)
        self._workers.append(self._tasks.create_task(self._report(job_id), name=f"printer {self.device_id} result"))

    async def _report(self, job_id: str) -> None:
        """Send the job's result until the server answers; then the spool records it as reported."""
        record = self.spool.get(job_id)
        assert record is not None
        while True:
            try:
                answer = await self.request(
                    "result", job_id=job_id, status=record.state.value, reason=record.reason, timeout=REPORT_TIMEOUT
                )
            except TwinTimeout as error:
                logger.warning("%s: %s; sending it again", self.name, error)
                continue
            if not answer.ok:
                detail = answer.error.detail if answer.error else "no reason given"
                logger.error("%s: the server refused the result of job %s: %s", self.name, job_id, detail)
            self.spool.mark_reported(job_id)
            self._reporting.discard(job_id)
            return
