"""Print latency: from a kiosk's ticket request to the last byte of the ticket reaching the printer.

The kiosk ``kiosk-1`` has the printer ``printer-1``; the real printer client (``onewindow printer
run``, a process of its own, text mode) takes its jobs from the bus and prints to a network printer
on a loopback TCP port, played by bench.printer_socket, which answers status queries as a ready
printer and records when each job's first and last bytes arrive. Tickets are asked for one at a
time, each over HTTP with the kiosk's token: the request's answer, the first byte and the last
byte (the cut) are timed from the moment the request left.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import aiomqtt

from bench.hall import CENTRE, MATTER, PRINTER
from bench.measure import Summary, summarise
from bench.printer_socket import RecordingPrinter
from bench.rig import START_TIMEOUT_S, Rig, RigError, stop_process
from bench.scenarios.base import Options, Result, Row, Scenario, latency_text, new_session
from queue_server.protocol.topics import PRINTER_STATE

JOB_TIMEOUT_S = 30.0
GAP_S = 0.05
"""A pause between tickets, so each is timed on an idle path."""


async def _printer_ready(broker_port: int) -> None:
    """Wait for the printer client's retained state ``ready``: it has reached the printer."""
    topic = PRINTER_STATE.build(CENTRE, device=PRINTER)
    async with asyncio.timeout(START_TIMEOUT_S), aiomqtt.Client("127.0.0.1", broker_port) as client:
        await client.subscribe(topic, qos=1)
        async for message in client.messages:
            # The embedded broker may hand a new client a retained message of another topic: look at ours only.
            if message.topic.value == topic and isinstance(message.payload, bytes) and b'"ready"' in message.payload:
                return


async def run(options: Options) -> Result:
    tickets = 3 if options.small else 100
    answers: list[float] = []
    first_bytes: list[float] = []
    last_bytes: list[float] = []
    sizes: list[int] = []
    settings = options.rig("print", 1, printer=True)
    async with Rig(settings) as rig, RecordingPrinter() as printer, new_session(1) as session:
        await rig.sign_on_all(session)
        log = rig.folder / "printer.log"
        command = [
            sys.executable, "-m", "queue_server", "printer", "run",
            "--mqtt-url", rig.broker_url,
            "--id", PRINTER,
            "--centre-code", CENTRE,
            "--printer", f"tcp://127.0.0.1:{printer.port}",
            "--spool", str(rig.folder / "spool"),
            "--mode", "text",
        ]  # fmt: skip
        with log.open("ab") as out:
            client = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            try:
                await _printer_ready(rig.mqtt_port)
            except TimeoutError:
                raise RigError(f"The printer client did not report ready:\n{log.read_text(errors='replace')}") from None
            for n in range(tickets):
                started = time.perf_counter()
                await rig.post(session, "tickets", rig.token.printing_kiosk, {"matter": MATTER}, expect=201)
                answers.append(time.perf_counter() - started)
                await printer.wait_jobs(n + 1, JOB_TIMEOUT_S)
                job = printer.jobs[n]
                first_bytes.append(job.first_byte - started)
                last_bytes.append(job.last_byte - started)
                sizes.append(job.size)
                await asyncio.sleep(GAP_S)
        finally:
            stop_process(client)
    return {
        "tickets": tickets,
        "mode": "text",
        "job_bytes": sum(sizes) / len(sizes),
        "answer": summarise(answers).as_dict(),
        "first_byte": summarise(first_bytes).as_dict(),
        "last_byte": summarise(last_bytes).as_dict(),
    }


def rows(result: Result, broker: Summary | None) -> list[Row]:
    return [
        ("kiosk request → its answer", latency_text(result["answer"], broker)),
        ("kiosk request → first byte at the printer", latency_text(result["first_byte"], broker)),
        (
            f"kiosk request → last byte at the printer ({result['job_bytes']:.0f} B a ticket)",
            latency_text(result["last_byte"], broker),
        ),
    ]


SCENARIO = Scenario("print", "print latency", run, rows)
