"""Small server-rendered SVG charts: no JavaScript, no library, nothing the CSP has to allow.

Each chart is an inline ``<svg role="img">`` with an ``aria-label``, a ``<title>`` and a
``<desc>`` summarising the figures, value labels on the marks and labelled axes, so that it
reads without colour and without sight. The page shows the same figures as a table beside it.
Charts scale with ``viewBox`` and ``width="100%"``; the drawing is narrow (400 units) so that
its text stays legible on a 390 px phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 400
FONT = 13
INK = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
BAR = "#0b5ed7"
TRACK = "#e9ecef"
LINE = "#0b5ed7"
MAX_LABEL = 48  # characters of a bar's name before it is shortened (the table has it in full)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..max_value


@dataclass(frozen=True)
class Point:
    day: date
    count: int


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _num(value: float) -> str:
    """An SVG coordinate: short, with no locale surprises."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _shorten(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _svg(*, chart_id: str, title: str, summary: str, height: float, body: list[str]) -> SafeString:
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    label = f"{title}. {summary}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_num(height)}" '
        f'width="100%" role="img" aria-label="{escape(label)}" '
        f'aria-describedby="{desc_id}" class="chart" id="{escape(chart_id)}" '
        f"font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" "
        f'font-size="{FONT}">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(summary)}</desc>',
        *body,
        "</svg>",
    ]
    # Every piece is a number, a constant of this module or text passed through escape().
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703


def bar_summary(bars: Sequence[Bar], unit: str = "%") -> str:
    if not bars:
        return "No figures to show."
    return "; ".join(f"{bar.label}: {_fmt(bar.value)}{unit}" for bar in bars) + "."


def _bar_row(bar: Bar, *, y: float, scale_width: float, max_value: float, unit: str) -> str:
    """A ``<g class="bar">``: the name, the track, the bar and the value written at its end."""
    share = max(0.0, min(bar.value, max_value)) / max_value if max_value else 0.0
    width = scale_width * share
    value_text = f"{_fmt(bar.value)}{unit}"
    return (
        f'<g class="bar">'
        f'<text x="0" y="{_num(y + FONT)}" fill="{INK}">{escape(_shorten(bar.label))}</text>'
        f'<rect x="0" y="{_num(y + 20)}" width="{_num(scale_width)}" height="14" '
        f'fill="{TRACK}"/>'
        f'<rect class="bar-value" x="0" y="{_num(y + 20)}" width="{_num(width)}" '
        f'height="14" fill="{BAR}"><title>{escape(bar.label)}: {value_text}</title></rect>'
        f'<text class="value" x="{_num(width + 6)}" y="{_num(y + 32)}" fill="{INK}" '
        f'font-weight="600">{value_text}</text>'
        f"</g>"
    )


def _bar_scale(
    *, axis_y: float, scale_width: float, max_value: float, unit: str, axis_label: str
) -> list[str]:
    """A scale from 0 to max along the bottom, with its name."""
    parts = [
        f'<line x1="0" y1="{axis_y}" x2="{_num(scale_width)}" y2="{axis_y}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    ]
    for fraction in (0, 0.5, 1):
        x = scale_width * fraction
        anchor = "start" if fraction == 0 else "end" if fraction == 1 else "middle"
        parts.append(
            f'<line x1="{_num(x)}" y1="{axis_y}" x2="{_num(x)}" y2="{axis_y + 4}" '
            f'stroke="{MUTED}"/>'
            f'<text x="{_num(x)}" y="{axis_y + 18}" text-anchor="{anchor}" fill="{MUTED}" '
            f'font-size="12">{_fmt(max_value * fraction)}{unit}</text>'
        )
    parts.append(
        f'<text class="axis-label" x="{_num(scale_width / 2)}" y="{axis_y + 36}" '
        f'text-anchor="middle" fill="{INK}">{escape(axis_label)}</text>'
    )
    return parts


def horizontal_bars(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    max_value: float = 100.0,
    unit: str = "%",
    axis_label: str = "Percentage signed",
) -> SafeString:
    """One bar per item, its name above it and its value written at its end.

    Each row is a ``<g class="bar">`` holding the name, the track, the bar and the value text.
    """
    row_height = 42
    top = 8
    value_room = 56  # right of the longest bar, for its value label
    scale_width = WIDTH - value_room
    body = [
        _bar_row(
            bar,
            y=top + index * row_height,
            scale_width=scale_width,
            max_value=max_value,
            unit=unit,
        )
        for index, bar in enumerate(bars)
    ]
    axis_y = top + max(len(bars), 1) * row_height + 4
    if not bars:
        body.append(
            f'<text x="{WIDTH / 2}" y="{top + 24}" text-anchor="middle" fill="{MUTED}">'
            f"No figures to show.</text>"
        )
    body += _bar_scale(
        axis_y=axis_y,
        scale_width=scale_width,
        max_value=max_value,
        unit=unit,
        axis_label=axis_label,
    )
    return _svg(
        chart_id=chart_id,
        title=title,
        summary=bar_summary(bars, unit),
        height=axis_y + 44,
        body=body,
    )


def fill_days(points: Sequence[Point], start: date, end: date) -> list[Point]:
    """Every day from ``start`` to ``end`` (inclusive), zero where nothing happened."""
    if end < start:
        start = end
    counts = {point.day: point.count for point in points}
    days = (end - start).days + 1
    return [
        Point(day, counts.get(day, 0)) for day in (start + timedelta(days=n) for n in range(days))
    ]


def line_summary(points: Sequence[Point]) -> str:
    total = sum(point.count for point in points)
    if not points or total == 0:
        return "No signatures in this period."
    busiest = max(points, key=lambda point: point.count)
    first, last = points[0].day, points[-1].day
    return (
        f"{total} signature{'s' if total != 1 else ''} from {_long_date(first)} to "
        f"{_long_date(last)}; the busiest day was {_long_date(busiest.day)} "
        f"with {busiest.count}."
    )


def _nice_max(value: int) -> int:
    """A round top for the count axis: 1, 2, 5, 10, 20, 50 ..."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


@dataclass(frozen=True)
class _Plot:
    """The line chart's plotting area, and where a day and a count fall in it."""

    days: int
    peak: int
    height: int = 240
    left: int = 44
    right: int = 12
    top: int = 12
    bottom: int = 190

    @property
    def width(self) -> int:
        return WIDTH - self.left - self.right

    @property
    def tall(self) -> int:
        return self.bottom - self.top

    def x_at(self, index: int) -> float:
        spread = self.width * index / (self.days - 1) if self.days > 1 else self.width / 2
        return self.left + spread

    def y_at(self, count: float) -> float:
        return self.bottom - self.tall * count / self.peak


def _line_axes(plot: _Plot, *, y_label: str, x_label: str) -> list[str]:
    """The count axis with gridlines at 0, half and the top; both axes and their names."""
    parts = []
    for fraction in (0, 0.5, 1):
        value = plot.peak * fraction
        y = plot.y_at(value)
        parts.append(
            f'<line x1="{plot.left}" y1="{_num(y)}" x2="{WIDTH - plot.right}" y2="{_num(y)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{plot.left - 6}" y="{_num(y + 4)}" text-anchor="end" fill="{MUTED}" '
            f'font-size="12">{_fmt(value)}</text>'
        )
    middle = _num(plot.top + plot.tall / 2)
    parts.append(
        f'<line x1="{plot.left}" y1="{plot.top}" x2="{plot.left}" y2="{plot.bottom}" '
        f'stroke="{MUTED}"/>'
        f'<line x1="{plot.left}" y1="{plot.bottom}" x2="{WIDTH - plot.right}" '
        f'y2="{plot.bottom}" stroke="{MUTED}"/>'
        f'<text class="axis-label" x="12" y="{middle}" text-anchor="middle" '
        f'fill="{INK}" transform="rotate(-90 12 {middle})">'
        f"{escape(y_label)}</text>"
        f'<text class="axis-label" x="{_num(plot.left + plot.width / 2)}" '
        f'y="{plot.height - 6}" text-anchor="middle" fill="{INK}">{escape(x_label)}</text>'
    )
    return parts


def _line_marks(plot: _Plot, points: Sequence[Point]) -> list[str]:
    """Dates at both ends of the time axis (and the middle when there is room), the line, and a
    dot per day that had any."""
    marks = {0: "start", len(points) - 1: "end"}
    if len(points) > 2:
        marks[(len(points) - 1) // 2] = "middle"
    if len(points) == 1:
        marks = {0: "middle"}
    parts = [
        f'<text x="{_num(plot.x_at(index))}" y="{plot.bottom + 18}" text-anchor="{anchor}" '
        f'fill="{MUTED}" font-size="12">{_short_date(points[index].day)}</text>'
        for index, anchor in sorted(marks.items())
    ]
    coords = " ".join(
        f"{_num(plot.x_at(i))},{_num(plot.y_at(point.count))}" for i, point in enumerate(points)
    )
    if len(points) > 1:
        parts.append(
            f'<polyline class="line" points="{coords}" fill="none" stroke="{LINE}" '
            f'stroke-width="2" stroke-linejoin="round"/>'
        )
    parts += [
        f'<circle cx="{_num(plot.x_at(i))}" cy="{_num(plot.y_at(point.count))}" r="3" '
        f'fill="{LINE}"><title>{_long_date(point.day)}: {point.count}</title></circle>'
        for i, point in enumerate(points)
        if point.count or len(points) == 1
    ]
    return parts


def daily_line(
    points: Sequence[Point],
    *,
    chart_id: str,
    title: str,
    y_label: str = "Signatures",
    x_label: str = "Date (UK time)",
) -> SafeString:
    """Counts per day as a line with a dot per day that had any, axes labelled with dates."""
    plot = _Plot(days=len(points), peak=_nice_max(max((p.count for p in points), default=0)))
    body = _line_axes(plot, y_label=y_label, x_label=x_label)
    if points:
        body += _line_marks(plot, points)
    else:
        body.append(
            f'<text x="{_num(plot.left + plot.width / 2)}" y="{_num(plot.top + plot.tall / 2)}" '
            f'text-anchor="middle" fill="{MUTED}">No signatures yet.</text>'
        )
    return _svg(
        chart_id=chart_id,
        title=title,
        summary=line_summary(points),
        height=plot.height,
        body=body,
    )
