"""The ``onewindow`` command line: every command answers --help, settings, centre files."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from queue_server import cli
from queue_server.cli.settings import DEFAULT_DATABASE_URL, EnvDefault, SettingError, port_number

# Every command of the architecture's table, nested ones as a path, plus `centre`.
COMMANDS = [
    ("demo",),
    ("serve",),
    ("init",),
    ("user",),
    ("user", "add"),
    ("user", "token"),
    ("mqtt-config",),
    ("devices",),
    ("devices", "simulate"),
    ("printer",),
    ("printer", "run"),
    ("printer", "preview"),
    ("display",),
    ("firmware",),
    ("firmware", "render"),
    ("simulate",),
    ("backup",),
    ("restore",),
    ("centre",),
    ("centre", "check"),
    ("centre", "show"),
    ("centre", "holidays"),
    ("privacy",),
    ("privacy", "export"),
    ("privacy", "erase"),
    ("audit",),
    ("audit", "verify"),
]

GOOD_CENTRE = """\
[centre]
code = "test-centre"
name = "测试街道便民服务中心"
name_en = "Test Street Convenience Service Centre"

[hours]
monday = [["08:30", "12:00"], ["13:30", "17:00"]]
tuesday = [["08:30", "12:00"], ["13:30", "17:00"]]
saturday = [["09:00", "12:00"]]

[[domains]]
code = "police"
name = "公安"

[[window_kinds]]
code = "general"
name = "无差别综合受理"

[[window_kinds]]
code = "police"
name = "公安"

[[ticket_groups]]
prefix = "A"
name = "综合业务"

[[ticket_groups]]
prefix = "B"
name = "公安业务"

[[matters]]
code = "id-card"
name = "居民身份证换领"
domain = "police"
window_kinds = ["police", "general"]
expected_minutes = 8
prefix = "B"

[[matters]]
code = "residence"
name = "居住证申领"
domain = "police"
window_kinds = ["general"]
expected_minutes = 10
prefix = "A"

[[matters]]
code = "household"
name = "户口迁移"
domain = "police"
window_kinds = ["police"]
expected_minutes = 15
prefix = "B"

[[windows]]
number = 1
name = "综合受理一号窗口"
kinds = ["general"]

[[windows]]
number = 12
name = "公安窗口"
kinds = ["police", "general"]
green_channel = true
"""


def write_centre(tmp_path: Path, text: str = GOOD_CENTRE) -> Path:
    path = tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    return path


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path the parser knows, found through its sub-parser actions."""
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*path, name))
                found += walk(sub, (*path, name))
    return found


def test_the_parser_has_exactly_the_documented_commands() -> None:
    assert sorted(walk(cli.build_parser())) == sorted(COMMANDS)


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "onewindow")
def test_every_command_answers_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {' '.join(('onewindow', *path))}")
    assert len(out.splitlines()) > 3  # a description, not just a usage line


def test_top_level_help_lists_commands_and_settings(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("demo", "serve", "init", "mqtt-config", "firmware", "backup", "centre"):
        assert command in out
    assert "ONEWINDOW_*" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("onewindow 0.")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "usage: onewindow" in err
    assert "invalid choice: 'frobnicate'" in err


@pytest.mark.parametrize("argv", [[], ["user"], ["printer"], ["centre"], ["centre", "check"]])
def test_a_missing_command_or_argument_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    assert "the following arguments are required" in capsys.readouterr().err


def test_serve_refuses_a_database_that_was_not_initialised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--database-url", f"sqlite:///{tmp_path / 'new.db'}"]) == 1
    assert "has no OneWindow tables: run `onewindow init` first" in capsys.readouterr().err


def test_init_seeds_then_shows_the_difference_then_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    centre = write_centre(tmp_path)
    assert cli.main(["init", "--database-url", url]) == 0
    assert "No centre file given" in capsys.readouterr().out
    assert cli.main(["init", "--database-url", url, "--centre", str(centre)]) == 0
    assert "Loaded centre" in capsys.readouterr().out
    centre.write_text(centre.read_text(encoding="utf-8").replace("expected_minutes = 10", "expected_minutes = 12"))
    assert cli.main(["init", "--database-url", url, "--centre", str(centre)]) == 0
    out = capsys.readouterr().out
    assert "expected_minutes: 10.0 -> 12.0" in out
    assert "Run again with --apply" in out
    assert cli.main(["init", "--database-url", url, "--centre", str(centre), "--apply"]) == 0
    assert "Applied 1 changes" in capsys.readouterr().out
    assert cli.main(["init", "--database-url", url, "--centre", str(centre)]) == 0
    assert "matches the file" in capsys.readouterr().out


def test_init_reports_a_bad_centre_file_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[centre]\ncode = 'x'\n", encoding="utf-8")
    assert cli.main(["init", "--database-url", f"sqlite:///{tmp_path / 'h.db'}", "--centre", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.toml" in err
    assert "Traceback" not in err


# --- Settings ----------------------------------------------------------------------------------


def test_env_default_uses_the_default_when_the_variable_is_unset_or_empty() -> None:
    setting = EnvDefault("ONEWINDOW_PORT", 8080, port_number)
    assert setting.resolve({}) == 8080
    assert setting.resolve({"ONEWINDOW_PORT": ""}) == 8080


def test_env_default_parses_the_variable() -> None:
    setting = EnvDefault("ONEWINDOW_PORT", 8080, port_number)
    assert setting.resolve({"ONEWINDOW_PORT": "9000"}) == 9000


def test_env_default_names_the_variable_when_its_value_is_bad() -> None:
    setting = EnvDefault("ONEWINDOW_PORT", 8080, port_number)
    with pytest.raises(SettingError, match=r"ONEWINDOW_PORT='70000': 70000 is not a port number"):
        setting.resolve({"ONEWINDOW_PORT": "70000"})


def test_serve_settings_have_named_defaults() -> None:
    args = cli.parse_arguments(["serve"], environ={})
    assert (args.host, args.port, args.mqtt_url, args.mqtt_port) == ("127.0.0.1", 8080, "", 1883)
    assert args.database_url == DEFAULT_DATABASE_URL


def test_settings_come_from_the_environment() -> None:
    environ = {
        "ONEWINDOW_HOST": "0.0.0.0",
        "ONEWINDOW_PORT": "9000",
        "ONEWINDOW_DATABASE_URL": "postgresql://onewindow@127.0.0.1/onewindow",
        "ONEWINDOW_MQTT_URL": "mqtt://server:secret@127.0.0.1:1884",
        "ONEWINDOW_MQTT_PORT": "1999",
    }
    args = cli.parse_arguments(["serve"], environ=environ)
    assert args.host == "0.0.0.0"
    assert args.port == 9000
    assert args.database_url == "postgresql://onewindow@127.0.0.1/onewindow"
    assert args.mqtt_url == "mqtt://server:secret@127.0.0.1:1884"
    assert args.mqtt_port == 1999


def test_a_flag_wins_over_the_environment() -> None:
    args = cli.parse_arguments(["serve", "--port", "9100"], environ={"ONEWINDOW_PORT": "9000"})
    assert args.port == 9100


def test_os_environ_is_the_default_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEWINDOW_PORT", "9001")
    assert cli.parse_arguments(["serve"]).port == 9001


def test_a_bad_environment_value_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ONEWINDOW_MQTT_URL", "localhost:1883")
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "ONEWINDOW_MQTT_URL='localhost:1883': 'localhost:1883' is not an MQTT URL" in err


def test_a_bad_flag_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--port", "http"]) == 2
    assert "argument --port: 'http' is not a port number" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("path", "variables"),
    [
        (["serve"], ["ONEWINDOW_HOST", "ONEWINDOW_PORT", "ONEWINDOW_DATABASE_URL", "ONEWINDOW_MQTT_URL"]),
        (["demo"], ["ONEWINDOW_PORT", "ONEWINDOW_MQTT_PORT", "ONEWINDOW_CENTRE"]),
        (
            ["display"],
            [
                "ONEWINDOW_MQTT_URL",
                "ONEWINDOW_CENTRE_CODE",
                "ONEWINDOW_DISPLAY_ID",
                "ONEWINDOW_DISPLAY_PORT",
                "ONEWINDOW_DISPLAY_VOICE",
            ],
        ),
        (
            ["printer", "run"],
            [
                "ONEWINDOW_PRINTER_ID",
                "ONEWINDOW_PRINTER_URL",
                "ONEWINDOW_MQTT_URL",
                "ONEWINDOW_CENTRE_CODE",
                "ONEWINDOW_PRINTER_SPOOL",
                "ONEWINDOW_PRINTER_PROFILE",
                "ONEWINDOW_PRINTER_MODE",
                "ONEWINDOW_PRINTER_ENGLISH",
            ],
        ),
    ],
)
def test_help_names_each_settings_variable(
    path: list[str], variables: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main([*path, "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for variable in variables:
        assert f"env {variable}" in out


# --- Centre files --------------------------------------------------------------------------------


def test_centre_check_accepts_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_centre(tmp_path)
    assert cli.main(["centre", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: OK: 测试街道便民服务中心 (test-centre)")
    assert "2 windows, 3 matters in 2 ticket groups, 0 staff" in out


def test_centre_check_lists_the_problems_of_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = GOOD_CENTRE.replace(
        'domain = "police"\nwindow_kinds = ["general"]', 'domain = "tax"\nwindow_kinds = ["general"]'
    )
    assert bad != GOOD_CENTRE
    path = write_centre(tmp_path, bad)
    assert cli.main(["centre", "check", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    line = bad.splitlines().index('domain = "tax"') + 1
    assert captured.err.startswith(f"{path}:{line}: matters[1].domain: ")
    assert "unknown domain 'tax'" in captured.err


def test_centre_check_reports_toml_syntax_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_centre(tmp_path, "[centre\ncode = 1\n")
    assert cli.main(["centre", "check", str(path)]) == 1
    assert str(path) in capsys.readouterr().err


def test_centre_check_reports_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere.toml"
    assert cli.main(["centre", "check", str(path)]) == 1
    assert str(path) in capsys.readouterr().err


def test_centre_show_prints_hours_windows_and_matters_per_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["centre", "show", str(write_centre(tmp_path))]) == 0
    out = capsys.readouterr().out
    expected = textwrap.dedent(
        """\
        测试街道便民服务中心 / Test Street Convenience Service Centre
        code test-centre · time zone Asia/Shanghai · 2 windows, 3 matters, 0 staff

        Hours
          Monday     08:30-12:00, 13:30-17:00
          Tuesday    08:30-12:00, 13:30-17:00
          Wednesday  closed
          Thursday   closed
          Friday     closed
          Saturday   09:00-12:00
          Sunday     closed

        Windows
           1  综合受理一号窗口: 无差别综合受理 (general)
          12  公安窗口: 公安 (police), 无差别综合受理 (general) · green channel (绿色通道)

        Matters per ticket group
          A  综合业务: 1
          B  公安业务: 2
        """
    )
    assert out == expected


def test_centre_show_without_a_file_shows_the_demo_centre(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["centre", "show"]) == 0
    out = capsys.readouterr().out
    assert "\nHours\n" in out
    assert "\nWindows\n" in out
    assert "\nMatters per ticket group\n" in out


# --- Installed entry points ---------------------------------------------------------------------


def test_the_installed_console_script_answers_help() -> None:
    script = Path(sys.executable).parent / "onewindow"
    assert script.exists(), f"{script} is missing: run scripts/bootstrap test"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: onewindow")


def test_python_dash_m_queue_server_is_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "queue_server", "serve", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "run `onewindow init` first" in result.stderr
