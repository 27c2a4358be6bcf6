"""What the server writes on SIGUSR1: where each task waits and, when tracemalloc traces, what holds memory."""

from __future__ import annotations

import tracemalloc

import pytest

from queue_server.cli.server import MEMORY_SITES, write_task_stacks


async def test_the_dump_names_the_lines_holding_memory_only_when_tracing(capsys: pytest.CaptureFixture[str]) -> None:
    write_task_stacks()
    plain = capsys.readouterr().err
    assert "tasks of the server (SIGUSR1)" in plain
    assert "memory traced" not in plain
    tracemalloc.start()
    try:
        held = [bytearray(1024) for _ in range(2000)]  # about 2 MB on this very line
        write_task_stacks()
    finally:
        tracemalloc.stop()
    traced = capsys.readouterr().err
    assert "memory traced:" in traced
    sites = traced.split("(SIGUSR1)\n")[-1].splitlines()
    assert 0 < len(sites) <= MEMORY_SITES
    assert "test_server_dumps.py" in sites[0], sites[:3]
    assert len(held) == 2000
