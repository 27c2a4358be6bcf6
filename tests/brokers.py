"""A real Mosquitto for tests, and a client that vanishes without saying goodbye.

:class:`Mosquitto` runs ``mosquitto -c <config>`` as a child process on a free port of
127.0.0.1, anonymous or with a password file and an ACL file, without persistence, logging
everything (denied publishes included) to a file under the test's folder for post-mortems. It
can be stopped and started again on the same port, as a broker outage looks to clients.

:func:`vanish_after_connect` speaks just enough MQTT 3.1.1 over a raw socket to connect with a
last will and then drop the connection without DISCONNECT, as a device losing power does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import struct
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

from tests.serverproc import free_port, wait_listening

STOP_TIMEOUT_S = 10.0
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def mosquitto_executable() -> str:
    """The mosquitto binary; a skip when it is missing, but a failure under CI (``CI`` set)."""
    found = shutil.which("mosquitto", path=SEARCH_PATH)
    if found is None:
        message = "mosquitto is not installed (Debian: apt-get install mosquitto; scripts/bootstrap test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


class Mosquitto:
    """One Mosquitto child process on 127.0.0.1; ``start()`` again after ``stop()`` keeps its port."""

    host = "127.0.0.1"

    def __init__(
        self,
        directory: Path,
        *,
        password_file: Path | None = None,
        acl_file: Path | None = None,
        port: int | None = None,
        executable: str | None = None,
    ) -> None:
        self.directory = directory
        self.password_file = password_file
        self.acl_file = acl_file
        self.port = port or free_port()
        self.executable = executable or mosquitto_executable()
        self.config_path = directory / f"mosquitto-{self.port}.conf"
        self.log_path = directory / f"mosquitto-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def config(self) -> str:
        lines = [
            f"listener {self.port} {self.host}",
            "persistence false",
            # As the hall's own broker and the documented system broker's settings have it.
            "set_tcp_nodelay true",
            "log_dest stderr",
            "log_type all",
            "log_timestamp_format %H:%M:%S",
        ]
        if os.geteuid() == 0:
            # As root, Mosquitto would drop to the `mosquitto` user, who cannot read the test's folder.
            lines.append(f"user {pwd.getpwuid(os.geteuid()).pw_name}")
        if self.password_file is None:
            lines.append("allow_anonymous true")
        else:
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        if self.acl_file is not None:
            lines.append(f"acl_file {self.acl_file}")
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"Cannot start Mosquitto on port {self.port}: it is running (pid {self.pid})")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config(), encoding="utf-8")
        with self.log_path.open("ab") as log:
            log.write(f"---- start on port {self.port}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [self.executable, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self.process is not None
        try:
            wait_listening(self.process, self.host, self.port, "Mosquitto", self.log)
        except RuntimeError:
            self.stop()
            raise

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def stop(self) -> None:
        """Terminate the process by its PID and wait for it (SIGKILL if it will not go)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


# --- A client that dies without DISCONNECT ---------------------------------------------------------


def _string(value: str | bytes) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(data)) + data


def _remaining_length(length: int) -> bytes:
    encoded = bytearray()
    while True:
        length, digit = divmod(length, 128)
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(encoded)


def connect_packet(
    client_id: str,
    *,
    will_topic: str,
    will_payload: bytes,
    will_qos: int = 1,
    will_retain: bool = False,
    username: str | None = None,
    password: str | None = None,
    keepalive: int = 60,
) -> bytes:
    """An MQTT 3.1.1 CONNECT with a clean session and a last will."""
    flags = 0x02 | 0x04 | (will_qos << 3) | (0x20 if will_retain else 0)
    payload = _string(client_id) + _string(will_topic) + _string(will_payload)
    if username is not None:
        flags |= 0x80
        payload += _string(username)
    if password is not None:
        flags |= 0x40
        payload += _string(password)
    variable = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive)
    body = variable + payload
    return bytes([0x10]) + _remaining_length(len(body)) + body


async def vanish_after_connect(
    host: str,
    port: int,
    client_id: str,
    *,
    will_topic: str,
    will_payload: bytes,
    will_qos: int = 1,
    will_retain: bool = False,
    username: str | None = None,
    password: str | None = None,
) -> bool:
    """Connect with a last will, read CONNACK, then reset the socket without DISCONNECT.

    Returns whether the broker accepted the connection. Async, never blocking: a blocking socket
    here would freeze an in-process broker.
    """
    packet = connect_packet(
        client_id,
        will_topic=will_topic,
        will_payload=will_payload,
        will_qos=will_qos,
        will_retain=will_retain,
        username=username,
        password=password,
    )
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(packet)
        await writer.drain()
        connack = await asyncio.wait_for(reader.readexactly(4), 5)
        assert connack[0] == 0x20, f"expected CONNACK, got {connack.hex()}"
        return connack[3] == 0
    finally:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # SO_LINGER 0: close with a reset, as a dead device's link ends
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
