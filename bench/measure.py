"""Figures from samples and from /proc: latency summaries, a process's memory and CPU time.

psutil is not a dependency: a process's resident memory is ``VmRSS`` in ``/proc/PID/status`` and
its CPU time is ``utime + stime`` in ``/proc/PID/stat``, which is all the benchmark needs (Linux).
"""

from __future__ import annotations

import math
import os
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Summary:
    """Latencies in milliseconds: how many, the median, the 99th percentile (nearest rank) and the worst."""

    count: int
    median_ms: float
    p99_ms: float
    worst_ms: float
    mean_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def percentile(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of sorted values: the smallest value at or above ``share`` of them."""
    if not ordered:
        raise ValueError("Cannot take a percentile of no samples")
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def summarise(seconds: Sequence[float]) -> Summary:
    """Summarise latencies measured in seconds; no samples give a count of 0 and zeros."""
    if not seconds:
        return Summary(0, 0.0, 0.0, 0.0, 0.0)
    ordered = sorted(seconds)
    return Summary(
        count=len(ordered),
        median_ms=percentile(ordered, 0.5) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        worst_ms=ordered[-1] * 1000,
        mean_ms=sum(ordered) / len(ordered) * 1000,
    )


class ProcessProbe:
    """Reads one process's resident memory and CPU time from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._proc = Path(f"/proc/{pid}")

    def _status(self, key: str) -> int:
        """A ``kB`` line of /proc/PID/status, in bytes."""
        for line in (self._proc / "status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"Cannot read {key} of process {self.pid}: /proc/{self.pid}/status has no such line")

    def rss_bytes(self) -> int:
        """Resident memory now (VmRSS)."""
        return self._status("VmRSS")

    def peak_rss_bytes(self) -> int:
        """The most resident memory the process ever had (VmHWM)."""
        return self._status("VmHWM")

    def cpu_seconds(self) -> float:
        """User plus system CPU time so far; the fields after the command name, which may hold spaces."""
        fields = (self._proc / "stat").read_text().rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5), counted from state (3)
        return (utime + stime) / CLOCK_TICKS


class Probe(Protocol):
    """What the scenarios read of a server: one process, or several instances added up."""

    def rss_bytes(self) -> int: ...

    def peak_rss_bytes(self) -> int: ...

    def cpu_seconds(self) -> float: ...


class ProbeSum:
    """Several processes read as one: their memory and CPU time added up (the server's instances)."""

    def __init__(self, probes: Sequence[ProcessProbe]) -> None:
        self.probes = list(probes)

    def rss_bytes(self) -> int:
        return sum(p.rss_bytes() for p in self.probes)

    def peak_rss_bytes(self) -> int:
        """The sum of each one's peak (the peaks need not have come at the same moment)."""
        return sum(p.peak_rss_bytes() for p in self.probes)

    def cpu_seconds(self) -> float:
        return sum(p.cpu_seconds() for p in self.probes)


FSYNC_BLOCK = 4096
"""Bytes appended before each fsync: a page, about what a commit of one action writes to the WAL."""


def fsync_times(folder: Path, count: int) -> list[float]:
    """Append a page to a file in ``folder`` and ``fsync`` it, ``count`` times; each one's seconds.

    The floor under every answer that waits for a synced commit (SQLite with ``synchronous=FULL``;
    PostgreSQL with ``fsync`` on), on the disk that holds the database, in the same run: a figure
    taken on a slower or busier disk than another shows it here.
    """
    path = folder / "fsync-probe"
    block = os.urandom(FSYNC_BLOCK)
    times: list[float] = []
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for _ in range(count):
            started = time.perf_counter()
            os.write(descriptor, block)
            os.fsync(descriptor)
            times.append(time.perf_counter() - started)
    finally:
        os.close(descriptor)
        path.unlink(missing_ok=True)
    return times


def own_cpu_seconds() -> float:
    """This process's CPU time (the load generator's share of the machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raise_open_files(wanted: int) -> int:
    """Raise the soft limit of open files towards ``wanted`` (up to the hard limit); returns the new limit.

    Every device twin and display holds a socket, and so does the server for each of them.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft
