"""The commands the docs tell people to type are commands `onewindow` takes, flags and all.

Every ``onewindow ...`` line in a code block of docs/deployment.md and docs/privacy.md, and every systemd unit's
``ExecStart``, is parsed by the real argument parser: a renamed flag or a command that moved makes
this test fail before a hall's administrator finds out. Each unit's command is also run, as the
installed ``onewindow`` with ``--help`` added at the end: the program starts, every value before
it is read and checked, and it exits 0 without serving.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from queue_server import cli

DOCS = Path(__file__).resolve().parent.parent / "docs"


def documented_commands(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL)
    commands = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        for raw in joined.splitlines():
            line = raw.strip().removeprefix("ExecStart=")
            match = re.search(r"(?:^|/)onewindow (.+)$", line)
            if match and not line.startswith("#"):
                commands.append(match.group(1).split("#", 1)[0].strip())
    return commands


def unit_commands(name: str) -> list[str]:
    """The command of every systemd unit's ``ExecStart`` in a guide, without the program's path."""
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"^ExecStart=\S*/onewindow (.+)$", text, re.MULTILINE)


def installed_onewindow() -> list[str]:
    """The ``onewindow`` command installed beside this Python, as a unit would run it."""
    script = Path(sys.executable).with_name("onewindow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "queue_server"]


@pytest.mark.parametrize("command", unit_commands("deployment.md"))
def test_each_unit_command_runs(command: str) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ONEWINDOW_")}
    result = subprocess.run(
        [*installed_onewindow(), *shlex.split(command), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
        check=False,
    )
    assert result.returncode == 0, f"`onewindow {command}` did not run (exit {result.returncode}):\n{result.stderr}"
    assert result.stdout.startswith("usage: onewindow "), result.stdout


@pytest.mark.parametrize("command", documented_commands("deployment.md") + documented_commands("privacy.md"))
def test_each_documented_command_parses(command: str) -> None:
    argv = shlex.split(command)
    try:
        args = cli.parse_arguments(argv, environ={})
    except SystemExit as error:  # argparse's way of saying a flag or command is wrong
        pytest.fail(f"`onewindow {command}` is not a valid command (exit {error.code})")
    assert args.handler is not None


def test_the_deployment_guide_has_its_units() -> None:
    commands = documented_commands("deployment.md")
    assert any(c.startswith("serve ") for c in commands)
    assert any(c.startswith("printer run ") for c in commands)
    assert any(c.startswith("display ") for c in commands)
    units = unit_commands("deployment.md")
    assert len(units) == 5, units  # the centre's server, printer, board and nightly backup; a city's instance
