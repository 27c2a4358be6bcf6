"""Render the ESPHome configurations from the Jinja2 templates and the protocol's vocabulary.

Two shapes of the same configuration: the committed tree (``<kind>.yaml`` with the demo's first
device of that kind as defaults, the shared parts as ``!include common/<name>.yaml``, credentials
as ``!secret``), and one device's ready file (``onewindow firmware render``) with its identity
filled in and the shared parts inlined, so the file works wherever it is written.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from queue_server.domain.centre import Centre, Device
from queue_server.domain.devices import DeviceKind
from queue_server.firmware.vocabulary import FIRMWARE_KINDS, context

TEMPLATES = Path(__file__).with_name("templates")
COMMITTED = Path(__file__).parents[2] / "firmware_configs"
"""Where the rendered files are committed, in a checkout of the repository."""
COMMON = ("device", "wifi", "mqtt", "ota", "requests")
"""The shared packages, written to ``common/<name>.yaml``."""
SECRETS_EXAMPLE = "secrets.example.yaml"
DEFAULT_BROKER_HOST = "192.168.1.10"
DEFAULT_BROKER_PORT = 1883
NODE_NAME_MAX = 31
"""ESPHome's limit on a device's name (it becomes a host name)."""


class FirmwareError(ValueError):
    """A configuration cannot be made as asked; the message says which and why."""


@dataclasses.dataclass(frozen=True, slots=True)
class Identity:
    """Who one device is: the values its configuration's substitutions take."""

    centre: str
    device_id: str
    window: int | None = None
    broker_host: str = DEFAULT_BROKER_HOST
    broker_port: int = DEFAULT_BROKER_PORT
    mqtt_password: str | None = None
    """The password itself, or None for ``!secret mqtt_password``."""
    matters: tuple[str, ...] = ()
    """A kiosk's matter codes, one button each."""

    @property
    def node_name(self) -> str:
        """``<centre>-<device id>`` as ESPHome takes a name: a-z, 0-9 and -, at most 31 characters."""
        name = re.sub(r"[^a-z0-9-]", "-", f"{self.centre}-{self.device_id}")
        return name[:NODE_NAME_MAX].strip("-")

    def substitutions(self) -> dict[str, object]:
        password = "!secret mqtt_password" if self.mqtt_password is None else json.dumps(self.mqtt_password)
        return {
            "centre": self.centre,
            "device_id": self.device_id,
            "window": "" if self.window is None else str(self.window),
            "node_name": self.node_name,
            "broker_host": self.broker_host,
            "broker_port": str(self.broker_port),
            "mqtt_password": password,
            "matters": self.matters,
        }


KIOSK_BUTTONS = 3
"""Matter buttons of a button kiosk: the centre's first matters unless told otherwise."""
DEMO_DEVICES: Mapping[DeviceKind, str] = {
    DeviceKind.DISPLAY: "display-1",
    DeviceKind.PAD: "pad-1",
    DeviceKind.KEYPAD: "keypad-1",
    DeviceKind.KIOSK: "kiosk-1",
}
"""The committed files' defaults: these devices of the demo centre."""


def identity(centre: Centre, device: Device, **options: Any) -> Identity:
    """``device`` of ``centre`` as its configuration names it (``options``: broker, password)."""
    matters = tuple(matter.code for matter in centre.matters[:KIOSK_BUTTONS])
    if device.kind is DeviceKind.DISPLAY and device.window is None:
        raise FirmwareError(
            f"Cannot render display {device.id!r}: bound to no window, it is the hall board, which runs"
            " `onewindow display --mode hall`, not ESPHome"
        )
    return Identity(
        centre.code,
        device.id,
        device.window,
        matters=matters if device.kind is DeviceKind.KIOSK else (),
        **options,
    )


def demo_identity(kind: DeviceKind) -> Identity:
    from queue_server.config.centre_file import load_demo_centre

    centre = load_demo_centre()
    return identity(centre, centre.devices_by_id[DEMO_DEVICES[kind]])


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def glyphs(text: str | list[str]) -> str:
    """The characters a font must hold, each once, in the order first seen (ESPHome refuses repeats)."""
    seen = dict.fromkeys("".join(text))
    return "".join(seen).replace("\\", "\\\\").replace('"', '\\"')


def _render(env: jinja2.Environment, name: str, kind: DeviceKind, **extra: object) -> str:
    try:
        return env.get_template(name).render(**context(kind), glyphs=glyphs, **extra)
    except jinja2.UndefinedError as error:
        raise FirmwareError(f"Cannot render {name}: it names {error.message}, which the protocol has not") from None


def _common(env: jinja2.Environment, kind: DeviceKind) -> dict[str, str]:
    return {name: _render(env, f"common/{name}.yaml.j2", kind) for name in COMMON}


def render_kind(kind: DeviceKind, who: Identity, *, inline: bool = False) -> str:
    """The configuration of a device of ``kind``; ``inline`` puts the shared parts in the file."""
    if kind not in FIRMWARE_KINDS:
        raise FirmwareError(f"Cannot render a configuration for a {kind.value}: it runs a Python client, not ESPHome")
    env = _environment()
    common = _common(env, kind) if inline else {}
    package: Callable[[str], str]
    if inline:

        def package(name: str) -> str:
            body = _without_comments(common[name])
            return "\n" + "\n".join(f"    {line}" if line else "" for line in body.splitlines())

    else:

        def package(name: str) -> str:
            return f" !include common/{name}.yaml"

    return _render(env, f"{kind.value}.yaml.j2", kind, who=who.substitutions(), package=package)


def _without_comments(text: str) -> str:
    """A shared part without its leading comment lines, to inline it under ``packages:``."""
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "\n".join(lines).strip("\n")


def render_tree() -> dict[str, str]:
    """Every committed file of ``firmware_configs/``, by its path relative to that folder."""
    env = _environment()
    files = {f"common/{name}.yaml": text for name, text in _common(env, DeviceKind.KEYPAD).items()}
    for kind in FIRMWARE_KINDS:
        files[f"{kind.value}.yaml"] = render_kind(kind, demo_identity(kind))
    files[SECRETS_EXAMPLE] = env.get_template(f"{SECRETS_EXAMPLE}.j2").render()
    return files


def write_tree(folder: Path) -> list[Path]:
    """Write :func:`render_tree` under ``folder``; returns the files written."""
    written = []
    for relative, text in render_tree().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
