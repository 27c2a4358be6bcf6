"""The simulator's charts as PNG files, drawn with Pillow: queue length, waits per class, window use.

Labels are Chinese when the WenQuanYi Micro Hei font is installed (Debian fonts-wqy-microhei,
the font the printer and the LED display use), else English with Pillow's own font, so charts
can be drawn on any machine. Charts read only the figures (``report.figures``), never a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
"""Debian's fonts-wqy-microhei, as in display_client/led.py and ticket_printer/raster.py."""
WIDTH, HEIGHT = 1000, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 30, 60, 70
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
GREEN_CHANNEL = "#2ca02c"
ORDINARY = "#1f77b4"
GRID = "#dddddd"
INK = "#222222"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

WORDS = {
    "queue": ("排队人数（全天）", "Tickets waiting over the day"),
    "time": ("时间", "time of day"),
    "waiting": ("等候人数", "waiting"),
    "waits": ("等候时间（分钟）：绿色通道与普通", "Waits (minutes): green channel and ordinary"),
    "green": ("绿色通道", "green channel"),
    "ordinary": ("普通", "ordinary"),
    "mean": ("平均", "mean"),
    "median": ("中位数", "median"),
    "p90": ("90%分位", "p90"),
    "max": ("最长", "max"),
    "minutes": ("分钟", "minutes"),
    "use": ("窗口利用率", "Window utilisation"),
    "window": ("窗口", "window"),
    "compare": ("方案对比：排队人数", "Plans compared: tickets waiting"),
    "compare_waits": ("方案对比：等候时间（分钟）", "Plans compared: waits (minutes)"),
    "green_mean": ("绿色通道平均", "green channel mean"),
    "all_mean": ("全部平均", "mean, all"),
    "all_p90": ("全部90%分位", "p90, all"),
    "all_max": ("最长等候", "longest wait"),
    "honesty": ("实际等候落在所告之内", "Real waits inside what was told"),
    "point": ("单值预计±5分钟", "point estimate ±5 min"),
    "printed": ("出号后推演的区间", "range of the plays at issue"),
    "told": ("出号时所告区间", "range told at issue"),
    "oracle": ("理想区间（80%）", "oracle's range (80%)"),
    "width": ("区间宽度中位数", "median width"),
}


@lru_cache(maxsize=16)
def _font(pixels: int) -> tuple[Font, bool]:
    """The CJK font at this size and True, or Pillow's own font and False (English labels)."""
    try:
        return ImageFont.truetype(str(FONT_PATH), pixels, index=0), True
    except OSError:
        return ImageFont.load_default(pixels), False


def chinese() -> bool:
    return _font(14)[1]


def word(key: str) -> str:
    zh, en = WORDS[key]
    return zh if chinese() else en


@dataclass
class _Canvas:
    """A chart area with its axes: x and y ranges mapped to pixels."""

    image: Image.Image
    draw: ImageDraw.ImageDraw
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def x(self, value: float) -> float:
        low, high = self.x_range
        return LEFT + (value - low) / ((high - low) or 1) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        low, high = self.y_range
        return HEIGHT - BOTTOM - (value - low) / ((high - low) or 1) * (HEIGHT - TOP - BOTTOM)


def _canvas(title: str, x_range: tuple[float, float], y_top: float, y_label: str) -> _Canvas:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    canvas = _Canvas(image, draw, x_range, (0.0, _nice(y_top)))
    draw.text((LEFT, 18), title, font=_font(22)[0], fill=INK)
    small = _font(13)[0]
    step = _nice(y_top) / 5
    for i in range(6):
        value = step * i
        y = canvas.y(value)
        draw.line([(LEFT, y), (WIDTH - RIGHT, y)], fill=GRID)
        label = f"{value:g}"
        draw.text((LEFT - 8 - draw.textlength(label, font=small), y - 8), label, font=small, fill=INK)
    draw.line([(LEFT, TOP), (LEFT, HEIGHT - BOTTOM), (WIDTH - RIGHT, HEIGHT - BOTTOM)], fill=INK, width=2)
    draw.text((8, TOP - 26), y_label, font=small, fill=INK)
    return canvas


def _nice(top: float) -> float:
    """A round axis maximum at or above ``top``."""
    if top <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(top))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= top:
            return float(step * magnitude)
    return float(10 * magnitude)


def _minutes(clock: str) -> float:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _legend(canvas: _Canvas, items: Sequence[tuple[str, str]]) -> None:
    font = _font(14)[0]
    x = float(WIDTH - RIGHT - 10)
    for label, colour in reversed(items):
        x -= canvas.draw.textlength(label, font=font) + 30
        canvas.draw.rectangle([x, 26, x + 14, 40], fill=colour)
        canvas.draw.text((x + 20, 24), label, font=font, fill=INK)


def queue_chart(series: Sequence[tuple[str, Sequence[dict[str, Any]]]], title: str) -> Image.Image:
    """Tickets waiting over the day, one line per series (a plan, or a day)."""
    points = [s for _, samples in series for s in samples]
    times = [_minutes(s["time"]) for s in points] or [0.0, 60.0]
    top = max((s["waiting"] for s in points), default=1)
    canvas = _canvas(title, (min(times), max(times)), top, word("waiting"))
    small = _font(13)[0]
    first, last = int(min(times) // 60), int(max(times) // 60)
    for hour in range(first, last + 1):
        if min(times) <= hour * 60 <= max(times):
            x = canvas.x(hour * 60)
            canvas.draw.line([(x, HEIGHT - BOTTOM), (x, HEIGHT - BOTTOM + 6)], fill=INK)
            canvas.draw.text((x - 16, HEIGHT - BOTTOM + 10), f"{hour:02d}:00", font=small, fill=INK)
    canvas.draw.text((WIDTH // 2 - 20, HEIGHT - 28), word("time"), font=small, fill=INK)
    legend = []
    for index, (label, samples) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        for day in dict.fromkeys(s["day"] for s in samples):
            line = [(canvas.x(_minutes(s["time"])), canvas.y(s["waiting"])) for s in samples if s["day"] == day]
            if len(line) > 1:
                canvas.draw.line(line, fill=colour, width=3)
        legend.append((label, colour))
    if len(series) > 1:
        _legend(canvas, legend)
    return canvas.image


def waits_chart(waits: dict[str, dict[str, Any]]) -> Image.Image:
    """Mean, median, p90 and longest wait, green channel beside ordinary."""
    stats = ["mean", "median", "p90", "max"]
    classes = [("green_channel", word("green"), GREEN_CHANNEL), ("ordinary", word("ordinary"), ORDINARY)]
    top = max((waits[c][s] or 0 for c, _, _ in classes for s in stats), default=1)
    canvas = _canvas(word("waits"), (0, len(stats)), top, word("minutes"))
    font = _font(14)[0]
    for index, stat in enumerate(stats):
        for offset, (key, _, colour) in enumerate(classes):
            value = waits[key][stat]
            if value is None:
                continue
            left = canvas.x(index + 0.15 + offset * 0.35)
            right = canvas.x(index + 0.15 + offset * 0.35 + 0.32)
            canvas.draw.rectangle([left, canvas.y(value), right, canvas.y(0)], fill=colour)
            label = f"{value:.0f}"
            canvas.draw.text(
                ((left + right) / 2 - canvas.draw.textlength(label, font=font) / 2, canvas.y(value) - 20),
                label, font=font, fill=INK,
            )  # fmt: skip
        name = word(stat)
        centre = canvas.x(index + 0.5)
        canvas.draw.text((centre - canvas.draw.textlength(name, font=font) / 2, HEIGHT - BOTTOM + 12), name,
                         font=font, fill=INK)  # fmt: skip
    _legend(canvas, [(label, colour) for _, label, colour in classes])
    return canvas.image


def utilisation_chart(windows: Sequence[dict[str, Any]]) -> Image.Image:
    """Each window's busy share of its staffed, unpaused opening time."""
    canvas = _canvas(word("use"), (0, max(len(windows), 1)), 100, "%")
    font = _font(12 if len(windows) > 30 else 14)[0]
    for index, window in enumerate(windows):
        use = window["utilisation"]
        left, right = canvas.x(index + 0.15), canvas.x(index + 0.85)
        if use is not None:
            colour = "#d62728" if use >= 0.95 else ORDINARY
            canvas.draw.rectangle([left, canvas.y(use * 100), right, canvas.y(0)], fill=colour)
        if len(windows) <= 30 or index % 2 == 0:
            label = str(window["number"])
            canvas.draw.text(((left + right) / 2 - canvas.draw.textlength(label, font=font) / 2, HEIGHT - BOTTOM + 8),
                             label, font=font, fill=INK)  # fmt: skip
    small = _font(13)[0]
    canvas.draw.text((WIDTH // 2 - 20, HEIGHT - 28), word("window"), font=small, fill=INK)
    return canvas.image


def honesty_chart(runs: Sequence[tuple[str, dict[str, Any]]]) -> Image.Image:
    """Per run, the share of real waits told right: within 5 minutes of the point estimate, inside
    the range of the plays at issue, inside the range told at issue (what the slip printed) and
    inside the oracle's range (each range's median width written under it, on the tickets the
    oracle was asked for when it was)."""
    bars = [("point", ORDINARY), ("printed", "#ff7f0e"), ("told", "#2ca02c"), ("oracle", "#7f7f7f")]
    canvas = _canvas(word("honesty"), (0, max(len(runs), 1)), 100, "%")
    font, small = _font(14)[0], _font(12)[0]
    for index, (label, estimates) in enumerate(runs):
        r = estimates.get("ranges") or {}
        values = {
            "point": (estimates.get("close_share"), None),
            "printed": (r.get("coverage"), r.get("median_width_on_oracle_tickets") or r.get("median_width")),
            "told": (
                r.get("told_coverage"),
                r.get("told_median_width_on_oracle_tickets") or r.get("told_median_width"),
            ),
            "oracle": (r.get("oracle_coverage"), r.get("oracle_median_width")),
        }
        for offset, (key, colour) in enumerate(bars):
            share, width = values[key]
            if share is None:
                continue
            left = canvas.x(index + 0.06 + offset * 0.22)
            right = canvas.x(index + 0.06 + offset * 0.22 + 0.2)
            canvas.draw.rectangle([left, canvas.y(share * 100), right, canvas.y(0)], fill=colour)
            text = f"{share:.0%}"
            canvas.draw.text(((left + right) / 2 - canvas.draw.textlength(text, font=font) / 2,
                              canvas.y(share * 100) - 20), text, font=font, fill=INK)  # fmt: skip
            if width is not None:
                note = f"{width:g} {word('minutes')}"
                canvas.draw.text(((left + right) / 2 - canvas.draw.textlength(note, font=small) / 2,
                                  canvas.y(share * 100) + 6), note, font=small, fill="white")  # fmt: skip
        centre = canvas.x(index + 0.5)
        canvas.draw.text((centre - canvas.draw.textlength(label, font=font) / 2, HEIGHT - BOTTOM + 12), label,
                         font=font, fill=INK)  # fmt: skip
    _legend(canvas, [(word(key), colour) for key, colour in bars])
    return canvas.image


def write_charts(figures: dict[str, Any], folder: Path) -> list[Path]:
    """queue.png, waits.png and utilisation.png of one run, in ``folder``; honesty.png when the
    run printed wait ranges."""
    folder.mkdir(parents=True, exist_ok=True)
    charts = {
        "queue.png": queue_chart([(figures["profile"], figures["queue"]["samples"])], word("queue")),
        "waits.png": waits_chart(figures["waits"]),
        "utilisation.png": utilisation_chart(figures["windows"]),
    }
    if (figures["estimates"].get("ranges") or {}).get("count"):
        charts["honesty.png"] = honesty_chart([(figures["profile"], figures["estimates"])])
    return [_save(image, folder / name) for name, image in charts.items()]


def write_comparison_chart(labels: Sequence[str], runs: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """compare.png: the plans' queues over the day in one chart, each plan's mean wait in the legend."""
    folder.mkdir(parents=True, exist_ok=True)
    series = []
    for label, figures in zip(labels, runs, strict=True):
        mean = figures["waits"]["all"]["mean"]
        suffix = f"（{word('mean')} {mean:.0f} {word('minutes')}）" if chinese() else f" (mean {mean:.0f} min)"
        series.append((label + (suffix if mean is not None else ""), figures["queue"]["samples"]))
    return [_save(queue_chart(series, word("compare")), folder / "compare.png")]


def plans_waits_chart(labels: Sequence[str], runs: Sequence[dict[str, Any]]) -> Image.Image:
    """The mean, p90 and longest wait of all tickets and the green channel's mean wait, one bar per plan."""
    stats = [("all", "mean", "all_mean"), ("all", "p90", "all_p90"), ("all", "max", "all_max"),
             ("green_channel", "mean", "green_mean")]  # fmt: skip
    top = max((run["waits"][c][s] or 0 for run in runs for c, s, _ in stats), default=1)
    canvas = _canvas(word("compare_waits"), (0, len(stats)), top, word("minutes"))
    font = _font(14)[0]
    width = 0.7 / max(len(runs), 1)
    for index, (cls, stat, key) in enumerate(stats):
        for offset, run in enumerate(runs):
            value = run["waits"][cls][stat]
            if value is None:
                continue
            left, right = canvas.x(index + 0.15 + offset * width), canvas.x(index + 0.15 + (offset + 0.9) * width)
            canvas.draw.rectangle([left, canvas.y(value), right, canvas.y(0)], fill=COLOURS[offset % len(COLOURS)])
            label = f"{value:.0f}"
            canvas.draw.text(
                ((left + right) / 2 - canvas.draw.textlength(label, font=font) / 2, canvas.y(value) - 20),
                label, font=font, fill=INK,
            )  # fmt: skip
        name = word(key)
        centre = canvas.x(index + 0.5)
        canvas.draw.text((centre - canvas.draw.textlength(name, font=font) / 2, HEIGHT - BOTTOM + 12), name,
                         font=font, fill=INK)  # fmt: skip
    _legend(canvas, [(label, COLOURS[i % len(COLOURS)]) for i, label in enumerate(labels)])
    return canvas.image


def write_advice_charts(labels: Sequence[str], runs: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """compare.png (the queues) and compare-waits.png (the waits) of a plan and the same plan following
    the staffing advice."""
    queues = write_comparison_chart(labels, runs, folder)
    return [*queues, _save(plans_waits_chart(labels, runs), folder / "compare-waits.png")]


def _save(image: Image.Image, path: Path) -> Path:
    image.save(path, format="PNG", optimize=True)
    return path


def write_honesty_chart(runs: Sequence[tuple[str, Path]], path: Path) -> Path:
    """The honesty chart of several runs' ``--json`` figures (label, file), as docs/simulator.md shows it."""
    import json

    figures = [(label, json.loads(file.read_text(encoding="utf-8"))["estimates"]) for label, file in runs]
    return _save(honesty_chart(figures), path)


if __name__ == "__main__":  # python -m queue_server.simulate.charts OUT.png LABEL=FIGURES.json ...
    import sys

    out, *given = sys.argv[1:]
    print(write_honesty_chart([(g.split("=", 1)[0], Path(g.split("=", 1)[1])) for g in given], Path(out)))
