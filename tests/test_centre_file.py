"""Centre files: every error names file, line and field; export parses back to the same centre."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.config.centre_file import (
    CentreFileError,
    Problem,
    centre_to_toml,
    load_centre,
    load_demo_centre,
    locate,
    locator,
    parse_centre,
)
from queue_server.domain.centre import Centre, ClosingPolicy, NoShowRequeue

SOURCE = "hall.toml"

BASE = """\
[centre]
code = "test-hall"
name = "测试便民服务中心"

[hours]
monday = [["08:30", "12:00"], ["13:30", "17:00"]]

[[domains]]
code = "civil"
name = "民政"

[[window_kinds]]
code = "general"
name = "综合受理"

[[ticket_groups]]
prefix = "A"
name = "综合"

[[windows]]
number = 1
name = "1号窗口"
kinds = ["general"]
"""


def matter(code: str, **fields: str | None) -> str:
    """A [[matters]] block; each field is TOML source, None leaves it out."""
    values: dict[str, str | None] = {
        "code": json.dumps(code),
        "name": '"事项"',
        "domain": '"civil"',
        "window_kinds": '["general"]',
        "expected_minutes": "10",
        "prefix": '"A"',
    }
    values.update(fields)
    return "\n[[matters]]\n" + "".join(f"{key} = {value}\n" for key, value in values.items() if value)


CENTRE = BASE + matter("m1")
"""The smallest valid centre: one of everything required."""


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} should occur once"
    return text.replace(old, new)


def line_of(text: str, snippet: str, nth: int | None = None) -> int:
    """The line holding `snippet` (the only one, or the nth), found without the code under test."""
    found = [number for number, line in enumerate(text.splitlines(), 1) if snippet in line]
    if nth is None:
        assert len(found) == 1, f"{snippet!r} is on lines {found}"
        nth = 0
    return found[nth]


def problems_of(text: str) -> tuple[Problem, ...]:
    with pytest.raises(CentreFileError) as info:
        parse_centre(text, SOURCE)
    assert info.value.source == SOURCE
    return info.value.problems


def test_the_minimal_centre_is_valid() -> None:
    centre = parse_centre(CENTRE, SOURCE)

    assert centre.centre.code == "test-hall"
    assert centre.matters[0].window_kinds == ("general",)


# --- each kind of error names file, line and field ----------------------------------------------


def test_unknown_field_in_centre_suggests_the_known_one() -> None:
    text = edit(CENTRE, 'code = "test-hall"', 'code = "test-hall"\nnmae = "别名"')

    assert problems_of(text) == (
        Problem(line_of(text, "nmae"), "centre.nmae", "unknown field (check the spelling; did you mean name?)"),
    )


def test_unknown_field_without_a_near_name() -> None:
    text = edit(CENTRE, 'code = "test-hall"', 'code = "test-hall"\ncolour = "red"')

    assert problems_of(text) == (
        Problem(line_of(text, "colour"), "centre.colour", "unknown field (check the spelling)"),
    )


def test_bad_time_zone() -> None:
    text = edit(CENTRE, 'name = "测试便民服务中心"', 'name = "测试便民服务中心"\ntime_zone = "Asia/Beijing"')

    assert problems_of(text) == (
        Problem(
            line_of(text, "Asia/Beijing"),
            "centre.time_zone",
            "unknown time zone 'Asia/Beijing' (e.g. Asia/Shanghai)",
        ),
    )


def test_negative_expected_minutes_in_the_third_matter() -> None:
    text = BASE + matter("m1") + matter("m2") + matter("m3", expected_minutes="-5")

    with pytest.raises(CentreFileError) as info:
        parse_centre(text, "demo.toml")

    line = line_of(text, "expected_minutes = -5")
    assert str(info.value) == (
        f"demo.toml:{line}: matters[2].expected_minutes: Input should be greater than 0 (got -5)"
    )


def test_bad_time_points_at_its_period_in_a_multi_line_array() -> None:
    text = edit(
        CENTRE,
        'monday = [["08:30", "12:00"], ["13:30", "17:00"]]',
        'monday = [\n    ["08:30", "12:00"],\n    ["13:30", "25:00"],\n]',
    )

    assert problems_of(text) == (
        Problem(line_of(text, '["13:30", "25:00"]'), "hours.monday[1]", "'25:00' is not a time of day"),
    )


def test_bad_time_in_a_one_line_array_points_at_the_key() -> None:
    text = edit(CENTRE, '["13:30", "17:00"]', '["13:30", "7:00"]')

    assert problems_of(text) == (
        Problem(line_of(text, "monday ="), "hours.monday[1]", "a time is written HH:MM, got '7:00'"),
    )


def test_overlapping_periods() -> None:
    text = edit(CENTRE, '["13:30", "17:00"]', '["11:30", "17:00"]')

    assert problems_of(text) == (
        Problem(
            line_of(text, "monday ="),
            "hours.monday",
            "periods overlap or are out of order (08:30-12:00 then 11:30-17:00)",
        ),
    )


def test_matter_naming_an_unknown_window_kind_points_at_its_window_kinds() -> None:
    text = BASE + matter("m1") + matter("m2", window_kinds='["general", "police"]')

    assert problems_of(text) == (
        Problem(
            line_of(text, '"police"'),
            "matters[1].window_kinds",
            "matter 'm2' names unknown window kind 'police'",
        ),
    )


def test_duplicate_window_number_points_at_the_second_window() -> None:
    second = '[[windows]]\nnumber = 1\nname = "2号窗口"\nkinds = ["general"]\n'
    text = BASE + "\n" + second + matter("m1")

    assert problems_of(text) == (
        Problem(line_of(text, "number = 1", nth=1), "windows[1].number", "two windows share the number 1"),
    )


KIOSK_WITH_SPARES = """
[[devices]]
id = "kiosk-1"
kind = "kiosk"
printer = "printer-1"
spare_printers = [
    "printer-2",
    "keypad-1",
]

[[devices]]
id = "printer-1"
kind = "printer"

[[devices]]
id = "printer-2"
kind = "printer"

[[devices]]
id = "keypad-1"
kind = "keypad"
window = 1
"""


def test_a_kiosk_lists_its_spare_printers_and_only_a_kiosk_exports_them() -> None:
    centre = parse_centre(CENTRE + edit(KIOSK_WITH_SPARES, '    "keypad-1",\n', ""), SOURCE)

    exported = centre_to_toml(centre)

    assert centre.devices_by_id["kiosk-1"].spare_printers == ("printer-2",)
    assert exported.count("spare_printers") == 1, "left out where there are none"
    assert parse_centre(exported, SOURCE) == centre


def test_a_spare_printer_that_is_no_printer_points_at_its_item() -> None:
    text = CENTRE + KIOSK_WITH_SPARES

    assert problems_of(text) == (
        Problem(
            line_of(text, '"keypad-1",'),
            "devices[0].spare_printers[1]",
            "kiosk 'kiosk-1' names spare printer 'keypad-1', which is no printer of this centre",
        ),
    )


@pytest.mark.parametrize(
    ("spares", "message"),
    [
        ('"printer-1"', "kiosk 'kiosk-1' names its own printer 'printer-1' as a spare"),
        ('"printer-2"', "kiosk 'kiosk-1' names 'printer-2' twice"),
    ],
)
def test_a_kiosk_names_neither_its_own_printer_nor_one_twice_as_a_spare(spares: str, message: str) -> None:
    text = CENTRE + edit(KIOSK_WITH_SPARES, '    "keypad-1",\n', f"    {spares},  # the second\n")

    assert problems_of(text) == (Problem(line_of(text, "# the second"), "devices[0].spare_printers[1]", message),)


def test_only_a_kiosk_names_spare_printers() -> None:
    text = CENTRE + edit(KIOSK_WITH_SPARES, "window = 1\n", 'window = 1\nspare_printers = ["printer-2"]\n')

    assert problems_of(text) == (
        Problem(
            line_of(text, 'spare_printers = ["printer-2"]'),
            "devices[3].spare_printers",
            "only a kiosk names spare printers",
        ),
    )


def test_only_a_kiosk_stands_in_the_self_service_area() -> None:
    text = CENTRE + edit(KIOSK_WITH_SPARES, "window = 1\n", "window = 1\nself_service_area = true\n")

    assert problems_of(text) == (
        Problem(
            line_of(text, "self_service_area = true"),
            "devices[3].self_service_area",
            "only a kiosk stands in the self-service area",
        ),
    )


def test_missing_required_field_points_at_its_table_header() -> None:
    text = BASE + matter("m1") + matter("m2", name=None) + matter("m3")

    assert problems_of(text) == (Problem(line_of(text, "[[matters]]", nth=1), "matters[1].name", "missing (required)"),)


def test_missing_section_has_no_line() -> None:
    text = edit(CENTRE, '[hours]\nmonday = [["08:30", "12:00"], ["13:30", "17:00"]]\n', "")

    with pytest.raises(CentreFileError) as info:
        parse_centre(text, SOURCE)

    assert str(info.value) == "hall.toml: hours: missing (required)"


def test_toml_syntax_error_names_its_line() -> None:
    text = edit(CENTRE, "expected_minutes = 10", "expected_minutes = 10 minutes")

    assert problems_of(text) == (
        Problem(
            line_of(text, "10 minutes"),
            "",
            "not valid TOML: Expected newline or end of document after a statement (column 23)",
        ),
    )


def test_toml_error_at_the_end_names_the_last_line() -> None:
    text = CENTRE + 'materials = ["身份证",\n'

    (problem,) = problems_of(text)

    assert problem == Problem(line_of(text, "materials"), "", "not valid TOML: Invalid value (at the end of the file)")


def test_holiday_also_listed_as_working_day_points_at_the_working_day() -> None:
    calendar = "\n[calendar]\nholidays = [2026-10-01, 2026-10-02]\nworking_days = [2026-10-02]\n"
    text = CENTRE + calendar

    assert problems_of(text) == (
        Problem(
            line_of(text, "working_days"),
            "calendar.working_days[0]",
            "2026-10-02 is listed both as a holiday and as a working day",
        ),
    )


def test_every_problem_is_reported_sorted_by_line() -> None:
    text = edit(CENTRE, 'prefix = "A"\nname = "综合"', 'prefix = "a1"\nname = ""')
    text = edit(text, 'name = "测试便民服务中心"', 'name = "测试便民服务中心"\ntime_zone = "Mars"')
    text = edit(text, "number = 1", "number = 0")
    zone, prefix, name, number = (line_of(text, s) for s in ("Mars", "a1", 'name = ""', "number = 0"))

    with pytest.raises(CentreFileError) as info:
        parse_centre(text, SOURCE)

    assert str(info.value).splitlines() == [
        f"hall.toml:{zone}: centre.time_zone: unknown time zone 'Mars' (e.g. Asia/Shanghai)",
        f'hall.toml:{prefix}: ticket_groups[0].prefix: should be one or two capital letters, e.g. "A" (got "a1")',
        f"hall.toml:{name}: ticket_groups[0].name: must not be empty",
        f"hall.toml:{number}: windows[0].number: Input should be greater than or equal to 1 (got 0)",
    ]


def test_an_empty_list_is_reported_but_a_list_of_bad_items_only_by_its_items() -> None:
    text = edit(CENTRE, 'code = "civil"', 'code = "Civil Affairs"')
    text = edit(text, '\nkinds = ["general"]', "\nkinds = []")

    assert problems_of(text) == (
        Problem(
            line_of(text, "Civil Affairs"),
            "domains[0].code",
            'should be a code of at most 40 lowercase letters, digits, "-" and "_", e.g. "birth-cert"'
            ' (got "Civil Affairs")',
        ),
        Problem(line_of(text, "kinds = []"), "windows[0].kinds", "must not be empty"),
    )


def test_wrong_shapes_are_explained() -> None:
    text = edit(CENTRE, 'window_kinds = ["general"]', 'window_kinds = "general"')
    text = "hours = 8\n" + edit(text, '[hours]\nmonday = [["08:30", "12:00"], ["13:30", "17:00"]]\n', "")

    assert problems_of(text) == (
        Problem(1, "hours", "should be a table: a [section] or { key = value, ... } (got 8)"),
        Problem(
            line_of(text, 'window_kinds = "general"'),
            "matters[0].window_kinds",
            'should be a list in brackets, e.g. ["a", "b"] (got "general")',
        ),
    )


# --- reading files ------------------------------------------------------------------------------


def test_load_centre_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_text(CENTRE, encoding="utf-8")

    assert load_centre(path) == parse_centre(CENTRE, SOURCE)


def test_load_centre_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_bytes(b"\xef\xbb\xbf" + CENTRE.encode())

    assert load_centre(str(path)).centre.name == "测试便民服务中心"


def test_parse_centre_accepts_a_byte_order_mark() -> None:
    assert parse_centre("\ufeff" + CENTRE, SOURCE) == parse_centre(CENTRE, SOURCE)


def test_long_values_are_shortened_in_messages() -> None:
    text = edit(CENTRE, 'code = "test-hall"', f'code = "{"x" * 50}"')

    (problem,) = problems_of(text)

    assert problem.message.endswith(f'(got "{"x" * 40}…")')


def test_load_centre_names_the_path_as_given(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_text(edit(CENTRE, "expected_minutes = 10", "expected_minutes = 0"), encoding="utf-8")

    with pytest.raises(CentreFileError) as info:
        load_centre(path)

    assert str(info.value).startswith(f"{path}:{line_of(path.read_text('utf-8'), 'expected_minutes')}: ")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"

    with pytest.raises(CentreFileError) as info:
        load_centre(path)

    assert info.value.source == str(path)
    assert str(info.value) == f"{path}: cannot read the file (No such file or directory)"


def test_a_folder_is_not_a_centre_file(tmp_path: Path) -> None:
    with pytest.raises(CentreFileError) as info:
        load_centre(tmp_path)

    assert str(info.value) == f"{tmp_path}: cannot read the file (Is a directory)"


def test_a_file_saved_as_gbk_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_bytes(CENTRE.encode("gbk"))

    with pytest.raises(CentreFileError) as info:
        load_centre(path)

    assert info.value.problems == (
        Problem(
            line_of(CENTRE, "测试便民服务中心"),
            "",
            "the file is not UTF-8 text (was it saved as GBK?); save it as UTF-8",
        ),
    )


# --- the line locator ---------------------------------------------------------------------------

LOCATED = """\
# a comment with [[matters]] and key = "value"
title = "a # not a comment [x] = y"
"quoted key" = 1
dotted.key.path = 2

[centre]  # trailing comment
name = 'C:\\path [x] = #'
time_zone = "Asia/Shanghai"

[hours]
monday = [["08:30", "12:00"], ["13:30", "17:00"]]
tuesday = [
    ["08:31", "12:00"],  # morning, [not] an element
    # ["09:00", "10:00"], a commented-out element
    ["13:45", "17:15"],
]
wednesday = [ ["08:32",
  "12:02"], ["13:00", "14:00"] ]
description = \"\"\"
[[matters]]
code = "fake" \\\"\"\"
\"\"\"

[[matters]]  # m0
code = "m0"

[[matters]]  # m1
code = "m1"
window_kinds = ["a", "b"]
limits = { daily = 5, "per hour" = 2 }

[matters.extra]
note = "belongs to matters[1]"

[[matters]]  # m2
code = "m2"

[[matters.steps]]  # s0
name = "s0"

[[matters.steps]]  # s1
name = "s1"

[ a . "b c" ]
d = 1

[[windows]]  # w0
number = 1

[[windows]]  # w1
number = 2
points = [
  { x = 1 },
  { x = 2, y = [1, 2] },
]
"""


def test_the_locator_text_is_valid_toml() -> None:
    data = tomllib.loads(LOCATED)

    assert [m["code"] for m in data["matters"]] == ["m0", "m1", "m2"]
    assert data["matters"][2]["steps"][1] == {"name": "s1"}


@pytest.mark.parametrize(
    ("loc", "snippet"),
    [
        (("title",), "title ="),
        (("quoted key",), '"quoted key"'),
        (("dotted", "key", "path"), "dotted.key.path"),
        (("dotted",), "dotted.key.path"),
        (("centre",), "[centre]"),
        (("centre", "name"), "name = 'C:"),
        (("centre", "time_zone"), "time_zone ="),
        (("hours", "monday"), "monday ="),
        (("hours", "monday", 1), "monday ="),
        (("hours", "monday", 1, 0), "monday ="),
        (("hours", "tuesday", 0), '["08:31", "12:00"]'),
        (("hours", "tuesday", 1), '["13:45", "17:15"]'),
        (("hours", "wednesday", 0), "wednesday ="),
        (("hours", "wednesday", 0, 1), '"12:02"'),
        (("hours", "wednesday", 1), '"12:02"'),
        (("hours", "description"), "description ="),
        (("matters",), "# m0"),
        (("matters", 0), "# m0"),
        (("matters", 0, "code"), 'code = "m0"'),
        (("matters", 1), "# m1"),
        (("matters", 1, "window_kinds", 1), "window_kinds ="),
        (("matters", 1, "limits", "per hour"), "limits ="),
        (("matters", 1, "extra"), "[matters.extra]"),
        (("matters", 1, "extra", "note"), "note ="),
        (("matters", 2, "steps"), "# s0"),
        (("matters", 2, "steps", 1), "# s1"),
        (("matters", 2, "steps", 1, "name"), 'name = "s1"'),
        (("a",), '[ a . "b c" ]'),
        (("a", "b c", "d"), "d = 1"),
        (("windows", 1, "number"), "number = 2"),
        (("windows", 1, "points", 0, "x"), "{ x = 1 }"),
        (("windows", 1, "points", 1, "y", 1), "{ x = 2"),
    ],
)
def test_locate_finds_the_line(loc: tuple[str | int, ...], snippet: str) -> None:
    assert locate(LOCATED, loc) == line_of(LOCATED, snippet)


@pytest.mark.parametrize(
    ("loc", "snippet"),
    [
        (("centre", "address"), "[centre]"),
        (("hours", "tuesday", 2), "tuesday ="),
        (("matters", 0, "name"), "# m0"),
        (("matters", 5, "code"), "# m0"),
        (("matters", 2, "steps", 1, "minutes"), "# s1"),
        (("windows", 1, "points", 2), "points ="),
    ],
)
def test_locate_falls_back_to_the_enclosing_line(loc: tuple[str | int, ...], snippet: str) -> None:
    assert locate(LOCATED, loc) == line_of(LOCATED, snippet)


@pytest.mark.parametrize("loc", [(), ("policy",), ("policy", "number_width"), (3,)])
def test_locate_says_none_for_what_the_file_never_mentions(loc: tuple[str | int, ...]) -> None:
    assert locate(LOCATED, loc) is None


def test_locate_handles_windows_line_endings() -> None:
    text = LOCATED.replace("\n", "\r\n")

    assert locate(text, ("hours", "tuesday", 1)) == line_of(LOCATED, '["13:45", "17:15"]')
    assert locate(text, ("matters", 2, "steps", 1, "name")) == line_of(LOCATED, 'name = "s1"')


def test_locate_on_broken_toml_still_finds_earlier_lines() -> None:
    text = 'title = "unterminated\n[centre]\nname = {a = 1\n[[matters]]\ncode = [1, 2\n'

    assert locate(text, ("centre", "name")) == 3
    assert locate(text, ("matters", 0, "code")) == 5
    assert locate(text, ("matters", 0, "code", 1)) == 5


TOML_BITS = st.sampled_from(
    ["[", "]", "[[", "]]", "{", "}", '"', "'", '"""', "'''", "#", "=", ".", ",", "\n", " ", "\\", "a", "b", "1"]
)


@settings(max_examples=400)
@given(
    text=st.one_of(st.text(), st.lists(TOML_BITS, max_size=60).map("".join)),
    loc=st.lists(st.one_of(st.sampled_from(["a", "b", "matters"]), st.integers(0, 3)), max_size=4),
)
def test_locate_never_fails_and_stays_inside_the_text(text: str, loc: list[str | int]) -> None:
    line = locate(text, tuple(loc))

    assert line is None or 1 <= line <= text.count("\n") + 1


def _scalars(data: object, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], object]]:
    """Every one-line scalar value in parsed TOML data, with its location."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _scalars(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _scalars(value, (*loc, index))
    elif not (isinstance(data, str) and "\n" in data):
        yield loc, data


def assert_every_value_located(text: str) -> None:
    """Each value's line shows that value, and its key when it has one: a check on real files."""
    lines = text.splitlines()
    line_of_place = locator(text)
    for loc, value in _scalars(tomllib.loads(text)):
        line = lines[(line_of_place(loc) or 0) - 1]
        shown = {json.dumps(value, ensure_ascii=False, default=str), str(value), str(value).lower()}
        assert any(form in line for form in shown), (loc, value, line)
        key = next(part for part in reversed(loc) if isinstance(part, str))
        assert key in line or line.lstrip()[:1] in set("[{\"'0123456789"), (loc, line)


def test_locate_agrees_with_the_locator_text() -> None:
    assert_every_value_located(LOCATED)


def test_locate_agrees_with_the_demo_file() -> None:
    text = resources.files("queue_server").joinpath("demo", "demo.toml").read_text(encoding="utf-8")

    assert_every_value_located(text)


# --- the demo centre and export -----------------------------------------------------------------


def test_the_demo_centre_loads() -> None:
    centre = load_demo_centre()

    assert len(centre.matters) >= 25
    assert centre.windows
    assert centre.hours.monday


RICH = (
    BASE
    + matter("m1", daily_quota="40", promised_days="5", materials='["身份证", "户口簿 # 原件", "\\"证明\\" [x]"]')
    + matter("m2", expected_minutes="7.5", name_en='"Birth \\"certificate\\""')
    + """
[[staff]]
code = "zhang-san"
name = "张三"
windows = [1]

[[staff]]
code = "li-si"
name = "李四"

[policy]
at_closing = "carry"
no_show_requeue = "end"
estimate_weight = 0.35
rejection_reasons = ["材料不齐"]

[calendar]
holidays = [2026-10-01, 2026-10-02]
working_days = [2026-10-10]
working_day_hours = [["09:00", "12:00"]]
"""
)


def test_export_parses_back_to_the_same_small_centre() -> None:
    centre = parse_centre(CENTRE, SOURCE)

    assert parse_centre(centre_to_toml(centre), SOURCE) == centre


def test_export_parses_back_to_the_same_rich_centre() -> None:
    centre = parse_centre(RICH, SOURCE)
    assert centre.policy.at_closing is ClosingPolicy.CARRY
    assert centre.policy.no_show_requeue is NoShowRequeue.END

    exported = centre_to_toml(centre)

    assert parse_centre(exported, SOURCE) == centre
    assert_every_value_located(exported)


def test_export_writes_a_readable_file() -> None:
    exported = centre_to_toml(parse_centre(RICH, SOURCE))

    headers = [line for line in exported.splitlines() if line.startswith("[")]
    assert headers == [
        "[centre]",
        "[policy]",
        "[hours]",
        "[calendar]",
        "[[domains]]",
        "[[window_kinds]]",
        "[[ticket_groups]]",
        "[[matters]]",
        "[[matters]]",
        "[[windows]]",
        "[[staff]]",
        "[[staff]]",
    ]
    assert 'monday = [["08:30", "12:00"], ["13:30", "17:00"]]\n' in exported
    assert "holidays = [2026-10-01, 2026-10-02]\n" in exported
    assert 'working_day_hours = [["09:00", "12:00"]]\n' in exported
    assert "daily_quota = 40\n" in exported
    assert exported.count("daily_quota") == 1  # None is left out, not written
    assert 'at_closing = "carry"\n' in exported


def test_export_leaves_out_an_empty_staff_list() -> None:
    exported = centre_to_toml(parse_centre(CENTRE, SOURCE))

    assert "[[staff]]" not in exported
    assert "\nstaff =" not in exported and "\nstaff=" not in exported
    assert "working_day_hours" not in exported


def test_export_splits_long_lists_one_item_a_line() -> None:
    materials = [f"材料{n}：身份证明或户口簿原件及复印件" for n in range(8)]
    centre = parse_centre(CENTRE, SOURCE)
    long = centre.model_copy(
        update={"matters": (centre.matters[0].model_copy(update={"materials": tuple(materials)}),)}
    )

    exported = centre_to_toml(long)

    assert "materials = [\n" in exported
    assert f'    "{materials[3]}",\n' in exported
    assert parse_centre(exported, SOURCE) == long


def test_export_round_trips_the_demo_centre() -> None:
    centre = load_demo_centre()

    assert parse_centre(centre_to_toml(centre), "<export>") == centre


def test_exported_dates_are_toml_dates() -> None:
    exported = centre_to_toml(parse_centre(RICH, SOURCE))

    assert tomllib.loads(exported)["calendar"]["holidays"] == [dt.date(2026, 10, 1), dt.date(2026, 10, 2)]


def test_centre_file_error_keeps_its_parts() -> None:
    problems = (Problem(3, "centre.code", "missing (required)"), Problem(None, "", "whole file"))

    error = CentreFileError("x.toml", problems)

    assert error.problems == problems
    assert str(error) == "x.toml:3: centre.code: missing (required)\nx.toml: whole file"


def test_problem_fields_with_odd_keys_are_quoted() -> None:
    text = edit(CENTRE, 'code = "test-hall"', 'code = "test-hall"\n"开放 时间" = 1')

    assert problems_of(text) == (
        Problem(line_of(text, "开放 时间"), 'centre."开放 时间"', "unknown field (check the spelling)"),
    )


def test_centre_type_is_returned() -> None:
    assert isinstance(parse_centre(CENTRE, SOURCE), Centre)
