"""A year's holidays and 调休 typed from the State Council's notice, checked, and put into a centre."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from queue_server import cli
from queue_server.config.holidays import HolidayInputError, with_year, year_calendar
from queue_server.domain.calendar import WorkCalendar
from tests.factories import make_centre

NOTICE_2027 = (["2027-01-01..2027-01-03", "2027-02-05..2027-02-13"], ["2027-02-20"])
"""Two holidays and one 调休 working day, shaped like a real notice (the days are made up)."""


def test_the_notice_replaces_its_year_and_keeps_the_others() -> None:
    centre = make_centre()  # 2026's National Day week and its 调休
    notice = year_calendar(2027, *NOTICE_2027)
    assert len(notice.holidays) == 3 + 9 and notice.working_days == (dt.date(2027, 2, 20),)
    changed = with_year(centre, notice)
    assert dt.date(2026, 10, 1) in changed.calendar.holidays and dt.date(2027, 2, 13) in changed.calendar.holidays
    assert WorkCalendar(changed).known_through == dt.date(2027, 12, 31)
    again = with_year(changed, year_calendar(2027, ["2027-01-01"], []))
    assert [d for d in again.calendar.holidays if d.year == 2027] == [dt.date(2027, 1, 1)], "the year is replaced"
    assert again.calendar.working_days == centre.calendar.working_days


@pytest.mark.parametrize(
    ("holidays", "working", "message"),
    [
        (["2027-13-01"], [], "is not a day"),
        (["2027-02-10..2027-02-01"], [], "is not a range"),
        (["2026-12-31..2027-01-02"], [], "2026-12-31 is not in 2027"),
        (["2027-01-01"], ["2027-01-04"], "2027-01-04 is a weekday"),
        (["2027-02-06"], ["2027-02-06"], "both as a holiday and a working day"),
        ([], [], "give the 2027 notice's days off"),
    ],
)
def test_a_mistyped_notice_is_refused_with_what_is_wrong(holidays: list[str], working: list[str], message: str) -> None:
    with pytest.raises(HolidayInputError, match=message):
        year_calendar(2027, holidays, working)


def test_the_command_shows_the_difference_then_applies_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    assert cli.main(["init", "--demo", "--database-url", url]) == 0
    holidays, working = NOTICE_2027
    command = ["centre", "holidays", "--database-url", url, "--year", "2027", "--holidays", *holidays]
    capsys.readouterr()
    assert cli.main([*command, "--working-days", *working]) == 0
    shown = capsys.readouterr().out
    assert "differs from the 2027 notice" in shown and "added 2027-01-01, 2027-01-02, 2027-01-03" in shown
    assert "Nothing was changed" in shown
    assert cli.main([*command, "--working-days", *working, "--apply"]) == 0
    assert cli.main([*command, "--working-days", *working]) == 0
    assert "matches the 2027 notice" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "hall.db") as db:
        (config,) = db.execute("SELECT config FROM centres WHERE code = 'demo'").fetchone()
    assert '"2027-02-13"' in config and '"2027-02-20"' in config
    assert cli.main([*command, "--working-days", "2027-01-04"]) == 1
    assert "2027-01-04 is a weekday" in capsys.readouterr().err
