"""Geometry of the reports' bar charts of counts, drawn by the templates as inline
SVG (no script, no inline style: they render under the strict CSP and without
JavaScript). Each chart's numbers also go into a table beside it."""

import math
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28
ROW = 22  # height of one row of a horizontal chart


@dataclass(frozen=True)
class Segment:
    series: int  # which series (0, 1…): its colour comes from the stylesheet
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Bar:
    label: str
    total: float
    segments: list[Segment]
    label_x: float
    label_y: float
    show_label: bool


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × a power of ten that is at least `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover (the loop always returns)


def counts_ceiling(value: float) -> int:
    """The top of a counts axis: a nice number that four whole steps divide."""
    return max(4, math.ceil(nice_ceiling(value) / 4) * 4)


def _ticks(top: float, plot_height: float, y0: float) -> list[dict]:
    return [
        {"value": int(top * n / 4), "y": round(y0 - plot_height * n / 4, 1)}
        for n in range(5)
    ]


def column_chart(rows: list[tuple[str, list[float]]], *, label_every: int = 1) -> dict:
    """Vertical bars, one per row, each a stack of its series' values."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = counts_ceiling(max((sum(values) for _label, values in rows), default=0))
    slot = plot_width / max(len(rows), 1)
    bar_width = max(slot * 0.7, 1)
    y0 = TOP + plot_height
    bars = []
    for index, (label, values) in enumerate(rows):
        x = LEFT + index * slot + (slot - bar_width) / 2
        segments, y = [], y0
        for series, value in enumerate(values):
            height = plot_height * value / top
            y -= height
            segments.append(
                Segment(
                    series,
                    value,
                    round(x, 1),
                    round(y, 1),
                    round(bar_width, 1),
                    round(height, 1),
                )
            )
        bars.append(
            Bar(
                label=label,
                total=sum(values),
                segments=[s for s in segments if s.value],
                label_x=round(x + bar_width / 2, 1),
                label_y=HEIGHT - 8,
                show_label=index % label_every == 0,
            )
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "baseline": y0,
        "ticks": _ticks(top, plot_height, y0),
        "bars": bars,
    }


def bar_chart(rows: list[tuple[str, float]], *, label_width: int = 150) -> dict:
    """Horizontal bars, one per row, for comparing houses or providers."""
    plot_width = WIDTH - label_width - RIGHT - 48
    top = nice_ceiling(max((value for _label, value in rows), default=0))
    bars = []
    for index, (label, value) in enumerate(rows):
        y = TOP + index * ROW
        width = plot_width * value / top
        bars.append(
            {
                "label": label,
                "value": value,
                "y": y,
                "text_y": y + ROW * 0.68,
                "width": round(width, 1),
                "value_x": round(label_width + width + 6, 1),
            }
        )
    return {
        "width": WIDTH,
        "height": TOP * 2 + ROW * len(rows),
        "label_width": label_width,
        "label_x": label_width - 8,
        "bar_height": ROW - 6,
        "bars": bars,
    }
