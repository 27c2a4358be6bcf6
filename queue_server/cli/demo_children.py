"""The demo's device clients (the kiosks' printers, the hall board) as child processes, kept running.

A client that dies (a crash, a kill, a machine short of memory) is said aloud and started again,
so the demo goes on printing and showing calls; one that keeps dying is started again less
often. Each child dies with the demo, even a SIGKILLed one (``setpriv --pdeathsig TERM``), and
on Ctrl-C each is asked to stop and, after ``STOP_SECONDS``, killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from device_client.stopping import stop_tasks
from queue_server.bus.broker import dies_with_parent

Say = Callable[[str], None]

CHECK_SECONDS = 0.5
"""How often the children are looked at."""
QUICK_DEATH_SECONDS = 10.0
"""A child that dies sooner than this after its start counts as failing to start."""
MAX_PAUSE_SECONDS = 30.0
"""The longest wait before starting again a child that keeps failing."""
STOP_SECONDS = 10.0
"""How long a child may take to stop on Ctrl-C before it is killed."""


@dataclass
class Child:
    """One client: what it is called, the command that starts it and the file it logs to."""

    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    start_again_at: float | None = None
    """When a dead child is to be started again (None while it runs)."""


@dataclass
class Children:
    """The demo's clients: started together, watched, started again when one dies, stopped together."""

    say: Say
    children: list[Child] = field(default_factory=list)
    _watcher: asyncio.Task[None] | None = None

    def start(self, name: str, command: list[str], log: Path) -> Child:
        child = Child(name, command, log)
        self.children.append(child)
        self._launch(child)
        if self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="demo children")
        return child

    def _launch(self, child: Child) -> None:
        child.log.parent.mkdir(parents=True, exist_ok=True)
        with child.log.open("ab") as log:
            child.process = subprocess.Popen(
                dies_with_parent(child.command, "TERM"), stdout=log, stderr=subprocess.STDOUT
            )
        child.started_at = asyncio.get_running_loop().time()

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            now = loop.time()
            for child in self.children:
                if child.start_again_at is not None:
                    if now >= child.start_again_at:
                        child.start_again_at = None
                        self._launch(child)
                    continue
                code = child.process.poll() if child.process is not None else None
                if code is None:
                    continue
                child.quick_deaths = child.quick_deaths + 1 if now - child.started_at < QUICK_DEATH_SECONDS else 0
                pause = min(MAX_PAUSE_SECONDS, 2.0 ** (child.quick_deaths - 1)) if child.quick_deaths else 0.0
                later = f" in {pause:g} s" if pause else ""
                self.say(f"The {child.name} stopped (exit code {code}); starting it again{later} (log: {child.log})")
                child.process = None
                child.start_again_at = now + pause

    async def stop(self) -> None:
        """Stop watching, then ask each child to stop; kill those still running after STOP_SECONDS."""
        if self._watcher is not None:
            await stop_tasks([self._watcher])
            self._watcher = None
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            process.terminate()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_SECONDS
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, max(0.0, deadline - loop.time()))
            if process.poll() is None:
                process.kill()
                await asyncio.to_thread(process.wait)
