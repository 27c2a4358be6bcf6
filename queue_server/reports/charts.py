"""Charts of a report drawn on the server as plain SVG, so they print with the page and need no script.

Every label is escaped here: the SVG goes into the page as markup, and a window's or matter's name
is configuration typed by people.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
LABEL_WIDTH = 200
VALUE_WIDTH = 80
ROW_HEIGHT = 26
BAR_HEIGHT = 16
TOP = 30


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float | None
    """None: nothing measured, shown as a dash without a bar."""


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    shown: Callable[[float], str],
    top: float | None = None,
    css_class: str = "",
) -> str:
    """A horizontal bar chart: one row per bar, its length against ``top`` (default the largest value)."""
    values = [bar.value for bar in bars if bar.value is not None]
    scale = top if top is not None else max(values, default=0.0)
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + ROW_HEIGHT * max(len(bars), 1) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {escape(css_class)}" role="img"'
        f' aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for place, bar in enumerate(bars):
        y = TOP + place * ROW_HEIGHT
        middle = y + BAR_HEIGHT / 2 + 5
        parts.append(
            f'<text class="bar-label" x="{LABEL_WIDTH - 8}" y="{middle:.0f}" font-size="13"'
            f' text-anchor="end">{escape(_short(bar.label))}</text>'
        )
        if bar.value is None:
            parts.append(f'<text class="bar-value" x="{LABEL_WIDTH + 4}" y="{middle:.0f}" font-size="13">—</text>')
            continue
        length = room * bar.value / scale if scale > 0 else 0.0
        parts.append(
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{max(length, 1.0):.1f}" height="{BAR_HEIGHT}"'
            f' fill="#2f6fb0"><title>{escape(bar.label)}: {escape(shown(bar.value))}</title></rect>'
        )
        parts.append(
            f'<text class="bar-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.0f}"'
            f' font-size="13">{escape(shown(bar.value))}</text>'
        )
    if not bars:
        parts.append(f'<text x="{LABEL_WIDTH}" y="{TOP + 16}" font-size="13">—</text>')
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, most: int = 14) -> str:
    """A label that fits left of the bars; the whole name is in the bar's tooltip and the table."""
    return label if len(label) <= most else label[: most - 1] + "…"


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"
