"""The window's LED matrix sign: frames drawn from the window's state, read back as bits and by OCR.

tesseract (Debian tesseract-ocr) reads the ticket number off the frame, as a person would; it is
too unreliable on 16-LED Chinese to judge 暂停服务, which is compared with a reference rendering
of the same font instead. Without tesseract the OCR test skips locally and fails under CI.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from display_client.led import (
    FONT_PATH,
    LedFrame,
    LedOutput,
    MatrixSize,
    MemoryOutput,
    NullOutput,
    PngDirOutput,
    render_window,
)
from queue_server.protocol.payloads import CurrentTicket, PauseInfo, WindowView

SMALL = MatrixSize(64, 32)
WIDE = MatrixSize(128, 32)
SIZES = pytest.mark.parametrize(
    "size", [SMALL, WIDE, MatrixSize(64, 16), MatrixSize(128, 64), MatrixSize(16, 8)], ids=str
)


def _ticket(number: str = "A012", *, green: bool = False) -> CurrentTicket:
    return CurrentTicket(
        serial=12, number=number, matter="M01", matter_name="居住证申领", green_channel=green, status="called"
    )


def _window(status: str = "open", **fields: object) -> WindowView:
    return WindowView.model_validate(
        {"number": 3, "name": "3号窗口", "name_en": "Window 3", "status": status, **fields}
    )


SERVING = _window(ticket=_ticket())
GREEN = _window(ticket=_ticket(green=True))
IDLE = _window()
PAUSED = _window("paused", pause=PauseInfo(reason="break", reason_name="休息", minutes=15))
CLOSED = _window("closed")
STATES = {"serving": SERVING, "green": GREEN, "idle": IDLE, "paused": PAUSED, "closed": CLOSED, "unknown": None}


def _lit(frame: LedFrame) -> int:
    return frame.image.histogram()[255]


# --- Matrix size -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("64x32", SMALL), ("128X32", WIDE), (" 64 × 16 ", MatrixSize(64, 16)), ("512x256", MatrixSize(512, 256))],
)
def test_matrix_size_is_read(text: str, expected: MatrixSize) -> None:
    assert MatrixSize.parse(text) == expected
    assert str(expected) == f"{expected.width}x{expected.height}"


@pytest.mark.parametrize("text", ["", "64", "64-32", "x32", "64x", "sixty-four", "64x32x8", "-64x32", "64.0x32"])
def test_unreadable_matrix_size_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"Cannot read the LED matrix size .*: expected WIDTHxHEIGHT, e\.g\. 64x32"):
        MatrixSize.parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8x32", "8 wide: the width must be a multiple of 8 from 16 to 512"),
        ("520x32", "520 wide"),
        ("60x32", "60 wide"),
        ("0x0", "0 wide"),
        ("64x4", "4 high: the height must be from 8 to 256"),
        ("64x300", "300 high"),
    ],
)
def test_matrix_size_out_of_range_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"Cannot use an LED matrix {message}"):
        MatrixSize.parse(text)
    width, height = (int(n) for n in text.split("x"))
    with pytest.raises(ValueError, match="Cannot use an LED matrix"):
        MatrixSize(width, height)


# --- What each state shows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "size", "english", "expected"),
    [
        ("serving", SMALL, False, ("3号窗口", "A012")),
        ("serving", WIDE, False, ("3号窗口", "A012")),
        ("serving", MatrixSize(64, 16), False, ("3号 A012",)),
        ("green", SMALL, False, ("3号 绿", "A012")),
        ("green", WIDE, False, ("3号窗口 绿色通道", "A012")),
        ("idle", SMALL, False, ("3号窗口", "欢迎光临")),
        ("paused", SMALL, False, ("暂停服务", "休息")),
        ("paused", MatrixSize(128, 64), False, ("3号窗口", "暂停服务", "休息")),
        ("paused", MatrixSize(64, 16), False, ("暂停服务",)),
        ("closed", SMALL, False, ("3号窗口", "已关闭")),
        ("unknown", SMALL, False, ("3号窗口", "连接中…")),
        ("serving", WIDE, True, ("Window 3", "A012")),
        ("serving", SMALL, True, ("No. 3", "A012")),
        ("green", WIDE, True, ("Window 3 Green", "A012")),
        ("idle", WIDE, True, ("Window 3", "Welcome")),
        ("paused", WIDE, True, ("Paused", "Break")),
        ("closed", WIDE, True, ("Window 3", "Closed")),
        ("unknown", WIDE, True, ("Window 3", "Connecting…")),
    ],
)
def test_each_state_shows_its_lines(state: str, size: MatrixSize, english: bool, expected: tuple[str, ...]) -> None:
    frame = render_window(STATES[state], size, english=english, number=3)
    assert frame.text == expected
    assert frame.size == size
    assert len(frame.boxes) == len(expected)
    assert frame.boxes[0][1] == 0
    assert frame.boxes[-1][3] == size.height
    # Every line has ink of its own, inside its band.
    for box in frame.boxes:
        assert frame.image.crop(box).getbbox() is not None


@SIZES
@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("english", [False, True], ids=["zh", "en"])
def test_every_frame_is_the_matrix_exactly_and_lit(state: str, size: MatrixSize, english: bool) -> None:
    frame = render_window(STATES[state], size, english=english, number=3)
    assert frame.image.mode == "1"
    assert frame.image.size == (size.width, size.height)
    assert 0 < _lit(frame) < size.width * size.height
    assert all(text for text in frame.text)


def test_a_state_not_known_yet_without_a_number() -> None:
    assert render_window(None, SMALL).text == ("连接中…",)
    assert render_window(None, WIDE, english=True).text == ("Connecting…",)


def test_an_unknown_status_shows_the_window_alone() -> None:
    assert render_window(_window("maintenance"), SMALL).text == ("3号窗口",)


def test_paused_differs_from_serving() -> None:
    serving = render_window(SERVING, SMALL)
    paused = render_window(PAUSED, SMALL)
    assert serving.to_bytes() != paused.to_bytes()
    assert render_window(CLOSED, SMALL).to_bytes() not in (serving.to_bytes(), paused.to_bytes())


def test_the_green_channel_is_marked() -> None:
    assert render_window(GREEN, SMALL).to_bytes() != render_window(SERVING, SMALL).to_bytes()
    assert "绿" in render_window(GREEN, SMALL).text[0]


def test_a_long_pause_note_is_cut_and_keeps_the_pause_whole() -> None:
    note = "去三楼取材料请稍等片刻谢谢您的理解"
    frame = render_window(_window("paused", pause=PauseInfo(reason=None, note=note)), SMALL)
    assert frame.text[0] == "暂停服务"
    assert frame.text[1].endswith("…")
    assert note.startswith(frame.text[1][:-1])
    # 暂停服务 is the full line height, untouched by the cut below it.
    ink = frame.image.crop(frame.boxes[0]).getbbox()
    assert ink is not None
    assert ink[3] - ink[1] >= 14  # a 16 px ideograph, its anti-aliased fringe cut


def test_the_status_and_the_number_are_shrunk_never_cut() -> None:
    tiny = MatrixSize(16, 8)
    assert render_window(PAUSED, tiny).text == ("暂停服务",)
    assert render_window(CLOSED, tiny).text == ("已关闭",)
    assert render_window(_window(ticket=_ticket("GC1234")), tiny).text == ("GC1234",)
    assert render_window(IDLE, tiny, english=True).text == ("W…",)  # a greeting may be cut


def test_a_long_window_name_falls_back_to_the_number() -> None:
    window = _window(name="综合受理第三窗口", ticket=_ticket())
    assert render_window(window, SMALL).text == ("3号窗口", "A012")
    assert render_window(window, MatrixSize(160, 32)).text == ("综合受理第三窗口", "A012")


def test_the_ticket_number_fills_its_line() -> None:
    frame = render_window(SERVING, SMALL)
    ink = frame.image.crop(frame.boxes[1]).getbbox()
    assert ink is not None
    assert ink[3] - ink[1] >= 15
    # Centred: the margins either side differ by at most one LED.
    assert abs(ink[0] - (SMALL.width - ink[2])) <= 1


# --- Bits --------------------------------------------------------------------------------------


@SIZES
def test_bytes_are_rows_msb_first_one_lit(size: MatrixSize) -> None:
    frame = render_window(SERVING, size)
    data = frame.to_bytes()
    assert len(data) == size.width * size.height // 8
    for y in range(size.height):
        for x in range(size.width):
            bit = data[(y * size.width + x) // 8] >> (7 - x % 8) & 1
            assert bit == (1 if frame.image.getpixel((x, y)) else 0), (x, y)


@pytest.mark.parametrize("state", list(STATES))
def test_frames_are_pure_one_bit(state: str) -> None:
    frame = render_window(STATES[state], SMALL, number=3)
    colours = frame.image.convert("L").getcolors()
    assert colours is not None
    assert {value for _, value in colours} <= {0, 255}
    with Image.open(io.BytesIO(frame.to_png())) as png:
        assert png.mode == "1"
        assert png.size == (64, 32)
        assert png.tobytes() == frame.to_bytes()


def test_scaled_png_draws_dots() -> None:
    frame = render_window(SERVING, SMALL)
    with Image.open(io.BytesIO(frame.to_png(8))) as png:
        assert png.size == (512, 256)
        image = png.convert("RGB")
    x, y = next((x, y) for y in range(32) for x in range(64) if frame.image.getpixel((x, y)))
    assert image.getpixel((x * 8 + 4, y * 8 + 4)) == (255, 40, 24)  # the dot's centre, lit
    assert image.getpixel((x * 8, y * 8)) == (0, 0, 0)  # its corner, between dots
    with pytest.raises(ValueError, match="Cannot draw an LED frame at scale 0"):
        frame.to_png(0)


# --- Outputs -----------------------------------------------------------------------------------


def test_png_dir_numbers_frames_and_skips_repeats(tmp_path: Path) -> None:
    out = PngDirOutput(tmp_path / "led")
    for window in (SERVING, SERVING, PAUSED, PAUSED, SERVING):
        out.show(render_window(window, SMALL))
    names = sorted(p.name for p in (tmp_path / "led").iterdir())
    assert names == ["frame-0001.png", "frame-0002.png", "frame-0003.png", "latest.png"]
    with Image.open(tmp_path / "led" / "frame-0002.png") as second:
        assert second.mode == "1"
        assert second.tobytes() == render_window(PAUSED, SMALL).to_bytes()
    with Image.open(tmp_path / "led" / "latest.png") as latest:
        assert latest.size == (512, 256)
    assert (tmp_path / "led" / "latest.png").read_bytes() == render_window(SERVING, SMALL).to_png(8)


def test_png_dir_goes_on_after_the_frames_already_there(tmp_path: Path) -> None:
    PngDirOutput(tmp_path, scale=2).show(render_window(SERVING, SMALL))
    again = PngDirOutput(tmp_path, scale=2)
    again.show(render_window(SERVING, SMALL))
    assert sorted(p.name for p in tmp_path.glob("frame-*.png")) == ["frame-0001.png", "frame-0002.png"]
    with Image.open(tmp_path / "latest.png") as latest:
        assert latest.size == (128, 64)


def test_outputs_share_one_interface() -> None:
    memory = MemoryOutput()
    outputs: list[LedOutput] = [NullOutput(), memory]
    frame = render_window(IDLE, SMALL)
    for output in outputs:
        output.show(frame)
    assert memory.frames == [frame]


# --- Legibility --------------------------------------------------------------------------------


def _need_tesseract() -> None:
    """Skip without tesseract, except under CI, where testing less must fail."""
    if shutil.which("tesseract") is None and not os.environ.get("CI"):
        pytest.skip("tesseract is not installed (Debian tesseract-ocr, tesseract-ocr-chi-sim)")


def _ocr(image: Image.Image, language: str) -> str:
    """One line read as a camera would see the sign: 8x, dark on light, with a quiet zone around it."""
    page = ImageOps.expand(ImageOps.invert(image.convert("L")), border=8, fill=255)
    page = page.resize((page.width * 8, page.height * 8), Image.Resampling.NEAREST)
    png = io.BytesIO()
    page.save(png, format="PNG")
    result = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", language, "--psm", "7"],
        input=png.getvalue(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return "".join(result.stdout.decode("utf-8").split())


@pytest.mark.parametrize("size", [SMALL, WIDE], ids=str)
def test_ticket_number_reads_back(size: MatrixSize) -> None:
    _need_tesseract()
    frame = render_window(SERVING, size)
    assert _ocr(frame.image.crop(frame.boxes[1]), "eng") == "A012"


def test_pause_is_drawn_whole_in_the_font_at_line_height() -> None:
    """tesseract misreads 16-LED Chinese too often to judge it: compare with the font's own glyphs."""
    frame = render_window(PAUSED, SMALL)
    drawn = frame.image.crop(frame.boxes[0])
    font = ImageFont.truetype(str(FONT_PATH), 16, index=0)
    scratch = Image.new("L", (80, 24), 0)
    ImageDraw.Draw(scratch).text((4, 2), "暂停服务", font=font, fill=255)
    reference = scratch.point(lambda value: 255 if value >= 128 else 0).convert("1")
    drawn_box, reference_box = drawn.getbbox(), reference.getbbox()
    assert drawn_box is not None
    assert reference_box is not None
    assert drawn.crop(drawn_box).tobytes() == reference.crop(reference_box).tobytes()
    assert drawn_box[3] - drawn_box[1] >= 14  # a 16 px ideograph, its anti-aliased fringe cut
