"""The printer client's memory of every job it took: one JSON file per job, synced to disk.

A job is written here before anything is done with it, and each change of its state is written
(to a temporary file, synced, renamed over the old one, the directory synced) before the next
step, so after a crash or a power cut the spool says how far each job got:

    taken -> sending -> done | failed(reason) | unknown

A job found ``sending`` at start was being written to the printer when the client died: it may
or may not be on paper, so it becomes ``unknown`` and is never printed again by itself (a person
decides). A job id already in the spool is never taken again, which is what makes the server's
at-least-once delivery print once. ``reported`` says the server acknowledged the result.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any


class JobState(StrEnum):
    TAKEN = "taken"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"


FINAL = frozenset({JobState.DONE, JobState.FAILED, JobState.UNKNOWN})


class SpoolError(Exception):
    """The spool directory cannot be used (missing permissions, a full disk, a corrupt file)."""


@dataclass(frozen=True, slots=True)
class SpooledJob:
    job_id: str
    state: JobState
    job: dict[str, Any]
    """The PrintJob as it arrived (JSON), so a restarted client can print it."""
    taken_at: float
    reason: str = ""
    reported: bool = False


class Spool:
    """A directory of job files; one writer (the client) at a time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SpoolError(f"Cannot use {directory} as the print spool: {error}") from None
        self._jobs: dict[str, SpooledJob] = {}
        for path in sorted(directory.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                record = SpooledJob(**{**data, "state": JobState(data["state"])})
            except (OSError, ValueError, TypeError, KeyError) as error:
                raise SpoolError(f"Cannot read the spooled job {path}: {error}") from None
            self._jobs[record.job_id] = record

    def __contains__(self, job_id: str) -> bool:
        return job_id in self._jobs

    def get(self, job_id: str) -> SpooledJob | None:
        return self._jobs.get(job_id)

    def jobs(self, *states: JobState) -> list[SpooledJob]:
        """Jobs in these states (all when none given), oldest first."""
        chosen = [job for job in self._jobs.values() if not states or job.state in states]
        return sorted(chosen, key=lambda job: job.taken_at)

    def unreported(self) -> list[SpooledJob]:
        """Jobs with a final state the server has not acknowledged yet."""
        return [job for job in self.jobs(*FINAL) if not job.reported]

    @property
    def pending(self) -> int:
        """Jobs taken and not yet printed."""
        return len(self.jobs(JobState.TAKEN))

    def take(self, job_id: str, job: dict[str, Any], at: float) -> SpooledJob:
        if job_id in self._jobs:
            raise SpoolError(f"Cannot take job {job_id!r}: the spool already has it")
        return self._write(SpooledJob(job_id, JobState.TAKEN, job, at))

    def mark(self, job_id: str, state: JobState, reason: str = "") -> SpooledJob:
        return self._write(replace(self._jobs[job_id], state=state, reason=reason))

    def mark_reported(self, job_id: str) -> SpooledJob:
        return self._write(replace(self._jobs[job_id], reported=True))

    def recover(self) -> list[SpooledJob]:
        """At start: every job caught ``sending`` becomes ``unknown``; returns them."""
        return [
            self.mark(job.job_id, JobState.UNKNOWN, "the client stopped while sending it")
            for job in self.jobs(JobState.SENDING)
        ]

    def _write(self, record: SpooledJob) -> SpooledJob:
        name = hashlib.sha256(record.job_id.encode()).hexdigest()[:32]
        path = self.directory / f"{name}.json"
        temporary = path.with_suffix(".tmp")
        try:
            with temporary.open("w", encoding="utf-8") as file:
                json.dump(asdict(record), file, ensure_ascii=False)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as error:
            raise SpoolError(
                f"Cannot record job {record.job_id!r} as {record.state} in {self.directory}: {error}"
            ) from None
        self._jobs[record.job_id] = record
        return record
