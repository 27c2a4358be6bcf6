"""Who serves at a window, as the centre's policy (show_staff) lets its display and pad show them."""

from __future__ import annotations

import pytest

from display_client.led import MatrixSize, render_window
from queue_server.app.views import shown_staff, window_view
from queue_server.protocol.payloads import WindowView
from tests.factories import make_centre, make_hall

STAFF = [{"code": "s1", "name": "王芳", "number": "33010201"}, {"code": "s2", "name": "李娜"}]


@pytest.mark.parametrize(
    ("policy", "shown"),
    [
        ("name_and_number", {"name": "王芳", "number": "33010201", "photo": None}),
        ("number", {"name": None, "number": "33010201", "photo": None}),
        ("none", None),
    ],
)
def test_the_policy_says_how_much_is_shown(policy: str, shown: dict[str, object] | None) -> None:
    hall, _ = make_hall(make_centre(staff=STAFF, policy={"show_staff": policy}), staffed=False)
    hall.sign_on(1, "s1")
    assert shown_staff(hall.centre, hall.window(1)) == shown
    assert window_view(hall.centre, hall.window(1), None, public=True)["shown_staff"] == shown


def test_the_acting_staff_member_is_shown_and_the_code_stands_for_a_missing_number() -> None:
    hall, _ = make_hall(make_centre(staff=STAFF), staffed=False)
    hall.sign_on(1, "s1")
    hall.sign_on(1, "s2")  # covers the window (B岗)
    assert shown_staff(hall.centre, hall.window(1)) == {"name": "李娜", "number": "s2", "photo": None}


def test_nothing_is_shown_for_a_closed_window() -> None:
    hall, _ = make_hall(make_centre(staff=STAFF), staffed=False)
    assert shown_staff(hall.centre, hall.window(1)) is None
    hall.sign_on(1, "s1")
    hall.sign_off(1, "s1")
    assert shown_staff(hall.centre, hall.window(1)) is None


def test_the_led_frame_shows_who_serves_where_a_line_is_spare() -> None:
    view = WindowView.model_validate(
        {"number": 1, "name": "综合受理", "status": "open", "shown_staff": {"name": "王芳", "number": "33010201"}}
    )
    tall = render_window(view, MatrixSize(128, 48))
    assert tall.text[-1] in ("王芳 工号 33010201", "工号 33010201"), tall.text
    short = render_window(view, MatrixSize(64, 32))
    assert not any("33010201" in line for line in short.text), "two lines: the name and the welcome first"
