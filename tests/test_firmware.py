"""The ESPHome configurations of firmware_configs/: rendered from the protocol, valid, and in contract.

Three promises: the committed files are what the templates render now (so nobody edited them
by hand and no protocol change was left unrendered); ESPHome itself accepts every one
(``esphome config``, from the separate environment ``scripts/esphome-venv`` makes); and every
topic and JSON key they use, lambdas included, is the protocol's, and every one the protocol asks
of a device kind is there. The contract is read from the YAML here, not from the renderer, so
a template that spells a key by hand is caught too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel

from queue_server import cli
from queue_server.bus.acl import device_grants, filter_covers, readable, topic_matches, writable
from queue_server.config.centre_file import load_demo_centre
from queue_server.domain.devices import DeviceKind
from queue_server.domain.tickets import TicketStatus
from queue_server.domain.windows import WindowStatus
from queue_server.firmware.render import COMMITTED, SECRETS_EXAMPLE, render_tree
from queue_server.firmware.vocabulary import FIRMWARE_KINDS
from queue_server.protocol import OFFLINE, ONLINE, REQUESTS
from queue_server.protocol.payloads import (
    PROTOCOL_REVISION,
    DeviceResponse,
    PadState,
    PadStatus,
    ServerProtocol,
    WindowState,
)
from queue_server.protocol.topics import (
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    PAD_STATE,
    SERVER_PROTOCOL,
    WINDOW_STATE,
    TopicPattern,
    match_topic,
)

REPO = Path(__file__).resolve().parents[1]
ESPHOME_VENV = Path(os.environ.get("ONEWINDOW_ESPHOME_VENV") or REPO / ".venv-esphome")
TEST_SECRETS = 'wifi_ssid: "hall"\nwifi_password: "hall-password"\nmqtt_password: "device-pw"\nota_password: "ota-pw"\n'
KIND_FILES = {kind: f"{kind.value}.yaml" for kind in FIRMWARE_KINDS}

READS: dict[TopicPattern, type[BaseModel]] = {
    WINDOW_STATE: WindowState,
    PAD_STATE: PadState,
    DEVICE_RESPONSE: DeviceResponse,
    SERVER_PROTOCOL: ServerProtocol,
}
"""What a device reads on each topic it subscribes to."""
SERVER_SAYS = {SERVER_PROTOCOL: {"protocol", "revision"}}
"""Every device reads the protocol the server speaks, to note a newer revision."""
MUST_SHOW: dict[DeviceKind, dict[TopicPattern, set[str]]] = {
    DeviceKind.DISPLAY: {WINDOW_STATE: {"seq", "status", "ticket.number"}, **SERVER_SAYS},
    DeviceKind.KEYPAD: {
        WINDOW_STATE: {"seq", "status", "ticket.number", "ticket.status"},
        DEVICE_RESPONSE: {"request_id", "ok"},
        **SERVER_SAYS,
    },
    DeviceKind.PAD: {PAD_STATE: {"seq", "state", "serial"}, DEVICE_RESPONSE: {"request_id", "ok"}, **SERVER_SAYS},
    DeviceKind.KIOSK: {DEVICE_RESPONSE: {"request_id", "ok"}, **SERVER_SAYS},
}
"""The keys each kind must read to do its job (domain.md): the other direction of the contract."""


# --- Reading a configuration as ESPHome would -----------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML with ESPHome's tags: ``!include`` and ``!secret`` kept as markers, ``!lambda`` as its text."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    value = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    return {"!include": value} if suffix == "include" else value if suffix == "lambda" else f"!{suffix} {value}"


_Loader.add_multi_constructor("!", _tagged)


@dataclass
class Config:
    """One device kind's configuration: its packages merged, its substitutions applied."""

    kind: DeviceKind
    substitutions: dict[str, str] = field(default_factory=dict)
    parts: list[Any] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path, kind: DeviceKind) -> Config:
        main = yaml.load((folder / KIND_FILES[kind]).read_text(encoding="utf-8"), _Loader)
        config = cls(kind)
        for package in (main.pop("packages", None) or {}).values():
            part = yaml.load((folder / package["!include"]).read_text(encoding="utf-8"), _Loader)
            config.substitutions.update({k: str(v) for k, v in (part.pop("substitutions", None) or {}).items()})
            config.parts.append(part)
        config.substitutions.update({k: str(v) for k, v in main.pop("substitutions").items()})
        config.parts.append(main)
        return config

    def text(self, value: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda match: self.substitutions[match.group(1)], value)

    def walk(self) -> Iterator[tuple[str, Any]]:
        """Every (key, value) pair of every mapping, depth first."""

        def visit(node: Any) -> Iterator[tuple[str, Any]]:
            if isinstance(node, dict):
                for key, value in node.items():
                    yield str(key), value
                    yield from visit(value)
            elif isinstance(node, list):
                for item in node:
                    yield from visit(item)

        for part in self.parts:
            yield from visit(part)

    def mqtt(self, key: str) -> list[Any]:
        return [value for part in self.parts for value in [(part.get("mqtt") or {}).get(key)] if value is not None]

    def subscriptions(self) -> list[dict[str, Any]]:
        return [handler for handlers in self.mqtt("on_json_message") for handler in handlers]

    def publications(self) -> list[dict[str, Any]]:
        return [value for key, value in self.walk() if key == "mqtt.publish_json"]

    def lambdas(self) -> list[str]:
        found = []
        for key, value in self.walk():
            if (key in ("lambda", "payload") and isinstance(value, str)) or (
                isinstance(value, str) and key not in ("lambda", "payload") and "return " in value
            ):
                found.append(value)
        return found

    @property
    def centre(self) -> str:
        return self.substitutions["centre"]

    @property
    def device(self) -> str:
        return self.substitutions["device_id"]


def _handler_text(handler: dict[str, Any]) -> str:
    """Every lambda of an on_json_message handler, joined."""
    texts: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, str):
            texts.append(node)

    visit(handler.get("then"))
    return "\n".join(texts)


def key_paths(code: str, root: str) -> set[str]:
    """JSON key paths read from ``root`` in C++: ``x["ticket"]["number"]`` and aliases of sub-objects."""
    aliases = {root: ""}
    for alias, chain in re.findall(r"JsonVariant\s+(\w+)\s*=\s*" + re.escape(root) + r'((?:\["\w+"\])+)', code):
        aliases[alias] = ".".join(re.findall(r'\["(\w+)"\]', chain))
    paths = set()
    for name, prefix in aliases.items():
        for chain in re.findall(r"\b" + re.escape(name) + r'((?:\["\w+"\])+)', code):
            keys = re.findall(r'\["(\w+)"\]', chain)
            paths.add(".".join([prefix, *keys]).strip("."))
    return paths


def model_has(model: type[BaseModel], path: str) -> bool:
    """Whether ``a.b`` names a field of ``model`` (through nested models, optional or not)."""
    current: Any = model
    for key in path.split("."):
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or key not in current.model_fields:
            return False
        annotation = current.model_fields[key].annotation
        if get_origin(annotation) in (Union, UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        current = annotation
    return True


def concrete(config: Config, topic: str) -> tuple[TopicPattern, dict[str, str], bool]:
    """The protocol's pattern for a topic of the configuration (``+`` allowed as the last level)."""
    text = config.text(topic)
    wildcard = text.endswith("/+")
    matched = match_topic(text[:-1] + "x" if wildcard else text)
    assert matched is not None, f"{config.kind.value}: {text} is no topic of the protocol"
    return matched[0], matched[1], wildcard


@pytest.fixture(scope="module")
def configs() -> dict[DeviceKind, Config]:
    return {kind: Config.load(COMMITTED, kind) for kind in FIRMWARE_KINDS}


# --- The committed files are rendered --------------------------------------------------------------


def test_the_committed_configurations_are_what_the_templates_render_now() -> None:
    rendered = render_tree()
    committed = {
        str(path.relative_to(COMMITTED)): path.read_text(encoding="utf-8")
        for path in COMMITTED.rglob("*.yaml")
        if path.name != "secrets.yaml" and ".esphome" not in path.parts
    }
    assert sorted(committed) == sorted(rendered), "run `python -m queue_server.firmware` to render them again"
    for name, text in rendered.items():
        assert committed[name] == text, f"firmware_configs/{name} differs: run `python -m queue_server.firmware`"


def test_the_real_secrets_file_is_ignored_and_the_example_names_every_secret(configs: dict[DeviceKind, Config]) -> None:
    assert "/firmware_configs/secrets.yaml" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    example = yaml.safe_load((COMMITTED / SECRETS_EXAMPLE).read_text(encoding="utf-8"))
    used = {
        value.split()[1] for c in configs.values() for value in c.substitutions.values() if value.startswith("!secret")
    }
    assert used == set(example)


# --- The contract with the protocol, both ways -----------------------------------------------------


@pytest.mark.parametrize("kind", FIRMWARE_KINDS, ids=[kind.value for kind in FIRMWARE_KINDS])
def test_availability_is_the_protocols_birth_and_last_will(configs: dict[DeviceKind, Config], kind: DeviceKind) -> None:
    config = configs[kind]
    own = DEVICE_AVAILABILITY.build(config.centre, kind=kind.value, device=config.device)
    (mqtt,) = [part["mqtt"] for part in config.parts if "broker" in (part.get("mqtt") or {})]
    assert config.text(mqtt["client_id"]) == config.text(mqtt["username"]) == f"{config.centre}.{config.device}"
    for message, payload in (("birth_message", ONLINE), ("will_message", OFFLINE), ("shutdown_message", OFFLINE)):
        assert config.text(mqtt[message]["topic"]) == own
        assert (mqtt[message]["payload"], mqtt[message]["retain"], mqtt[message]["qos"]) == (payload, True, 1)
    assert mqtt["discovery"] is False and mqtt["log_topic"] is None


@pytest.mark.parametrize("kind", FIRMWARE_KINDS, ids=[kind.value for kind in FIRMWARE_KINDS])
def test_every_topic_is_the_protocols_and_the_acl_allows_it(
    configs: dict[DeviceKind, Config], kind: DeviceKind
) -> None:
    config = configs[kind]
    device = load_demo_centre().devices_by_id[config.device]
    grants = device_grants(config.centre, device)
    topics = [value for key, value in config.walk() if key == "topic"]
    assert topics
    for topic in topics:
        pattern, parts, wildcard = concrete(config, topic)
        assert parts["centre"] == config.centre
        text = config.text(topic)
        if pattern.publisher.value == "device":
            assert not wildcard and parts.get("device") == config.device and parts.get("kind") == kind.value
            assert any(topic_matches(text, allowed) for allowed in writable(grants)), f"the ACL refuses {text}"
        else:
            assert any(filter_covers(allowed, text) for allowed in readable(grants)), f"the ACL hides {text}"
    for code in config.lambdas():
        for literal in re.findall(r'"([^"\s]*/[^"\s]*)"', code):
            assert match_topic(config.text(literal)) is not None, f"{kind.value}: a lambda names {literal}"


@pytest.mark.parametrize("kind", FIRMWARE_KINDS, ids=[kind.value for kind in FIRMWARE_KINDS])
def test_every_request_is_the_protocols_with_exactly_its_fields(
    configs: dict[DeviceKind, Config], kind: DeviceKind
) -> None:
    config = configs[kind]
    sent = {}
    for publication in config.publications():
        pattern, parts, _ = concrete(config, publication["topic"])
        assert pattern is DEVICE_REQUEST and publication["qos"] == 1 and not publication.get("retain", False)
        keys = set(re.findall(r'\broot\["(\w+)"\]', publication["payload"]))
        sent[parts["what"]] = keys
    expected = {what: set(model.model_fields) for (k, what), model in REQUESTS.items() if k is kind}
    assert sent == expected


@pytest.mark.parametrize("kind", FIRMWARE_KINDS, ids=[kind.value for kind in FIRMWARE_KINDS])
def test_every_key_read_is_the_protocols_and_every_one_needed_is_read(
    configs: dict[DeviceKind, Config], kind: DeviceKind
) -> None:
    config = configs[kind]
    read: dict[TopicPattern, set[str]] = {}
    for handler in config.subscriptions():
        pattern, parts, wildcard = concrete(config, handler["topic"])
        assert pattern in READS, f"{kind.value} subscribes to {pattern.name}, which no firmware reads"
        assert handler["qos"] == 1
        if pattern is DEVICE_RESPONSE:
            assert wildcard and (parts["kind"], parts["device"]) == (kind.value, config.device)
        paths = key_paths(_handler_text(handler), "x")
        for path in paths:
            assert model_has(READS[pattern], path), f"{kind.value} reads {path} on {pattern.name}: not in the protocol"
        read.setdefault(pattern, set()).update(paths)
    for pattern, needed in MUST_SHOW[kind].items():
        assert needed <= read.get(pattern, set()), f"{kind.value} does not read {needed - read.get(pattern, set())}"
    assert set(read) == set(MUST_SHOW[kind])


@pytest.mark.parametrize("kind", FIRMWARE_KINDS, ids=[kind.value for kind in FIRMWARE_KINDS])
def test_every_word_a_lambda_compares_is_the_protocols(configs: dict[DeviceKind, Config], kind: DeviceKind) -> None:
    words = {s.value for s in WindowStatus} | {s.value for s in PadStatus} | {s.value for s in TicketStatus}
    words |= {what for (k, what) in REQUESTS if k is kind}
    for code in configs[kind].lambdas():
        for word in re.findall(r'[!=]=\s*"([^"]*)"', code):
            assert word in words, f"{kind.value} compares with {word!r}, which the protocol does not say"


@pytest.mark.parametrize("kind", FIRMWARE_KINDS, ids=[kind.value for kind in FIRMWARE_KINDS])
def test_a_newer_revision_heard_on_server_protocol_is_logged_and_noted(
    configs: dict[DeviceKind, Config], kind: DeviceKind
) -> None:
    """Each device compares the server's revision with the one it was rendered for, logs a newer one
    once and keeps working, and keeps the note until it restarts; the window display alone shows it,
    to staff, as a blinking corner dot."""
    config = configs[kind]
    (handler,) = [h for h in config.subscriptions() if concrete(config, h["topic"])[0] is SERVER_PROTOCOL]
    code = _handler_text(handler)
    assert "revision <= id(ow_heard_revision)) return;" in code and "id(ow_update_available) = true;" in code
    assert (
        code.index("id(ow_update_available) = true;") < code.index("ESP_LOGW(")
        and "update_available) = false" not in code
    )
    (heard,) = [g for part in config.parts for g in part.get("globals") or () if g["id"] == "ow_heard_revision"]
    assert heard["initial_value"] == str(PROTOCOL_REVISION), "newer than the revision it was rendered for"
    shows = [text for text in config.lambdas() if "id(ow_update_available)" in text and "it." in text]
    if kind is DeviceKind.DISPLAY:
        (screen,) = shows
        assert "it.draw_pixel_at(it.get_width() - 1, it.get_height() - 1)" in screen
    else:
        assert shows == [], f"only the window display shows the note, not the {kind.value}"


# --- ESPHome's own validation ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def esphome() -> Path:
    """The ``esphome`` of the separate environment; a skip (a failure under CI) when it is missing."""
    command = ESPHOME_VENV / "bin" / "esphome"
    if not command.exists():
        message = f"ESPHome is not installed at {command}: run scripts/esphome-venv (scripts/bootstrap test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return command


def validate(esphome: Path, config: Path) -> None:
    """``esphome config FILE`` in the file's folder; fails with ESPHome's own words."""
    result = subprocess.run(
        [str(esphome), "config", config.name],
        check=False,
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"esphome config {config.name}:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of firmware_configs/ with a test secrets file, as a hall would have it."""
    folder = tmp_path_factory.mktemp("firmware") / "firmware_configs"
    shutil.copytree(COMMITTED, folder, ignore=shutil.ignore_patterns("secrets.yaml", ".esphome"))
    (folder / "secrets.yaml").write_text(TEST_SECRETS, encoding="utf-8")
    return folder


@pytest.mark.parametrize("kind", FIRMWARE_KINDS, ids=[kind.value for kind in FIRMWARE_KINDS])
def test_esphome_accepts_every_configuration(esphome: Path, workdir: Path, kind: DeviceKind) -> None:
    validate(esphome, workdir / KIND_FILES[kind])


# --- onewindow firmware render --device ------------------------------------------------------------


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A database with the demo centre, and the secrets file of `onewindow mqtt-config`."""
    folder = tmp_path_factory.mktemp("hall")
    url = f"sqlite:///{folder / 'hall.db'}"
    assert cli.main(["init", "--database-url", url, "--demo"]) == 0
    secrets = folder / "device-secrets.json"
    assert cli.main(["mqtt-config", "--database-url", url, "--secrets", str(secrets), "--output-dir", str(folder)]) == 0
    return url, secrets


@pytest.mark.parametrize("device_id", ["keypad-1", "pad-1", "display-1", "kiosk-1"])
def test_firmware_render_writes_a_valid_configuration_for_one_device(
    hall: tuple[str, Path], esphome: Path, tmp_path: Path, device_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url, secrets = hall
    output = tmp_path / f"{device_id}.yaml"
    argv = ["firmware", "render", "--device", device_id, "--database-url", url, "--secrets", str(secrets)]
    assert cli.main([*argv, "--broker-host", "10.1.2.3", "--broker-port", "8883", "-o", str(output)]) == 0
    assert f"Wrote {output}" in capsys.readouterr().err
    assert output.stat().st_mode & 0o777 == 0o600
    device = load_demo_centre().devices_by_id[device_id]
    text = output.read_text(encoding="utf-8")
    substitutions = yaml.load(text, _Loader)["substitutions"]
    password = json.loads(secrets.read_text(encoding="utf-8"))["demo"][device_id]
    assert substitutions["device_id"] == device_id and substitutions["centre"] == "demo"
    assert substitutions.get("window") == (None if device.window is None else str(device.window))
    assert (substitutions["broker_host"], substitutions["broker_port"], substitutions["mqtt_password"]) == (
        "10.1.2.3",
        "8883",
        password,
    )
    assert "!include" not in text
    (tmp_path / "secrets.yaml").write_text(TEST_SECRETS, encoding="utf-8")
    validate(esphome, output)


def test_firmware_render_prints_to_standard_output_with_a_secret_password(
    hall: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = hall
    assert cli.main(["firmware", "render", "--device", "pad-3", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "mqtt_password: !secret mqtt_password" in out
    assert "topic: onewindow/${centre}/window/${window}/state" not in out  # a pad reads its own state
    assert "topic: onewindow/${centre}/pad/${device_id}/state" in out
    assert 'window: "3"' in out


@pytest.mark.parametrize(
    ("device_id", "words"),
    [
        ("board-1", "it is the hall board"),
        ("printer-1", "it runs a Python client"),
        ("nope", "no centre in the database has it"),
    ],
)
def test_firmware_render_refuses_what_has_no_esphome_configuration(
    hall: tuple[str, Path], device_id: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = hall
    assert cli.main(["firmware", "render", "--device", device_id, "--database-url", url]) == 1
    assert words in capsys.readouterr().err
