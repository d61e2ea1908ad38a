"""Charts drawn on the server as SVG: no script, no third-party service, print-ready.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``, drawn
with presentation attributes only (no ``style``, so a strict Content-Security-Policy
holds). A chart never stands alone: the page puts a table with the same figures
beside it, so nothing depends on seeing colour or shape. Colours are from the NHS
palette, each at least 3:1 against white (WCAG 1.4.11); series in line charts also
differ by marker shape.

    bar_chart([BarRow("Implemented", 62.5, target=80)], title="...")
    stacked_bar_chart([("R1", {"implemented": 3, ...})], STATUS_SERIES, title="...")
    line_chart([LineSeries("National", "#005eb8", [("Jan", 20.0), ...])], title="...")
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import UptakeStatus

WIDTH = 640
LABEL_WIDTH = 200
VALUE_WIDTH = 56
BAR_HEIGHT = 22
GAP = 10
TEXT = "#212b32"
GRID = "#d8dde0"
NO_RESPONSE = "no_response"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    text_colour: str = "#ffffff"


# Uptake statuses, in the order a bar reads: done first, nothing yet last.
STATUS_SERIES = [
    Series(UptakeStatus.IMPLEMENTED, "Implemented", "#007f3b"),
    Series(UptakeStatus.IN_PROGRESS, "In progress", "#005eb8"),
    Series(UptakeStatus.PLANNED, "Planned", "#330072"),
    Series(UptakeStatus.NOT_STARTED, "Not started", "#425563"),
    Series(UptakeStatus.NOT_APPLICABLE, "Not applicable", "#768692"),
    Series(NO_RESPONSE, "No response yet", "#ffffff", text_colour=TEXT),
]

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _number(value: float, unit: str) -> str:
    text = f"{value:.1f}".removesuffix(".0") if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def _svg(height: float, title: str, description: str, body: list[str]) -> SafeString:
    title_id, desc_id = _id("chart-title"), _id("chart-desc")
    return mark_safe(  # noqa: S308 - every value below is escaped or a number
        f'<svg class="qi-chart" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Frutiger W01, Arial, sans-serif" font-size="14">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _label(y: float, label: str) -> str:
    return (
        f'<text x="0" y="{y + BAR_HEIGHT * 0.7:.1f}" fill="{TEXT}">'
        f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
    )


@dataclass(frozen=True)
class BarRow:
    label: str
    value: float | None
    target: float | None = None
    median: float | None = None


def bar_chart(
    rows: Sequence[BarRow],
    *,
    title: str,
    description: str = "The table beside this chart gives the same figures.",
    max_value: float | None = 100,
    unit: str = "%",
    colour: str = "#005eb8",
) -> SafeString:
    """Horizontal bars, one per row, with optional target (solid) and median
    (dashed) marks; a row without a value says so instead of drawing a bar."""
    top = max(
        [max_value or 0]
        + [v for r in rows for v in (r.value, r.target, r.median) if v is not None]
    )
    top = top or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    legend = any(r.target is not None or r.median is not None for r in rows)
    y = 28.0 if legend else 0.0
    body = []
    if legend:
        body.append(
            f'<line x1="{LABEL_WIDTH}" y1="8" x2="{LABEL_WIDTH}" y2="22" '
            f'stroke="{TEXT}" stroke-width="3"/>'
            f'<text x="{LABEL_WIDTH + 8}" y="20" fill="{TEXT}">Target</text>'
            f'<line x1="{LABEL_WIDTH + 80}" y1="8" x2="{LABEL_WIDTH + 80}" y2="22" '
            f'stroke="{TEXT}" stroke-width="2" stroke-dasharray="3 2"/>'
            f'<text x="{LABEL_WIDTH + 88}" y="20" fill="{TEXT}">National median</text>'
        )
    for row in rows:
        body.append(_label(y, row.label))
        if row.value is None:
            body.append(
                f'<text x="{LABEL_WIDTH}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
                f'fill="{TEXT}">No figure</text>'
            )
        else:
            width = max(0.0, span * row.value / top)
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}" fill="{colour}"/>'
                f'<text x="{LABEL_WIDTH + width + 6:.1f}" '
                f'y="{y + BAR_HEIGHT * 0.7:.1f}" fill="{TEXT}">'
                f"{escape(_number(row.value, unit))}</text>"
            )
        for mark, dash in ((row.target, ""), (row.median, ' stroke-dasharray="3 2"')):
            if mark is not None:
                x = LABEL_WIDTH + span * mark / top
                body.append(
                    f'<line x1="{x:.1f}" y1="{y - 3:.1f}" x2="{x:.1f}" '
                    f'y2="{y + BAR_HEIGHT + 3:.1f}" stroke="{TEXT}" '
                    f'stroke-width="{3 if not dash else 2}"{dash}/>'
                )
        y += BAR_HEIGHT + GAP
    return _svg(max(y, BAR_HEIGHT), title, description, body)


def stacked_bar_chart(
    rows: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[Series] = STATUS_SERIES,
    *,
    title: str,
    description: str = "The table beside this chart gives the same figures.",
) -> SafeString:
    """One 100% bar per row, split by series (counts), with a legend above."""
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body, x = [], 0.0
    for s in series:  # legend, wrapping onto a second line if needed
        if x + 150 > WIDTH:
            break
        body.append(
            f'<rect x="{x:.1f}" y="4" width="14" height="14" fill="{s.colour}" '
            f'stroke="{TEXT}" stroke-width="1"/>'
            f'<text x="{x + 20:.1f}" y="16" fill="{TEXT}">{escape(s.label)}</text>'
        )
        x += 26 + 8 * len(s.label)
    y = 30.0
    for label, counts in rows:
        total = sum(counts.get(s.key, 0) for s in series)
        body.append(_label(y, label))
        left = float(LABEL_WIDTH)
        for s in series:
            n = counts.get(s.key, 0)
            if not n or not total:
                continue
            width = span * n / total
            body.append(
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT}" fill="{s.colour}" stroke="{TEXT}" '
                f'stroke-width="0.5"><title>{escape(s.label)}: {n}</title></rect>'
            )
            if width >= 24:
                body.append(
                    f'<text x="{left + width / 2:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
                    f'text-anchor="middle" fill="{s.text_colour}">{n}</text>'
                )
            left += width
        body.append(
            f'<text x="{WIDTH - VALUE_WIDTH + 6}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
            f'fill="{TEXT}">{total}</text>'
        )
        y += BAR_HEIGHT + GAP
    return _svg(y, title, description, body)


MARKERS = ("circle", "square", "triangle", "diamond")


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}"/>'
    if shape == "square":
        return (
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
            f'fill="{colour}"/>'
        )
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 5.5:.1f} {x + 5:.1f},{y + 4:.1f} '
            f'{x - 5:.1f},{y + 4:.1f}" fill="{colour}"/>'
        )
    return (
        f'<polygon points="{x:.1f},{y - 5.5:.1f} {x + 5.5:.1f},{y:.1f} '
        f'{x:.1f},{y + 5.5:.1f} {x - 5.5:.1f},{y:.1f}" fill="{colour}"/>'
    )


@dataclass
class LineSeries:
    label: str
    colour: str
    points: list[tuple[str, float | None]] = field(default_factory=list)


def line_chart(
    series: Sequence[LineSeries],
    *,
    title: str,
    description: str = "The table beside this chart gives the same figures.",
    max_value: float = 100,
    unit: str = "%",
) -> SafeString:
    """Values over time (the same x labels in every series), gridlines at quarters."""
    labels = [x for x, _ in series[0].points] if series else []
    left, right, top, bottom = 48.0, WIDTH - 12.0, 34.0, 250.0
    step = (right - left) / max(1, len(labels) - 1)
    body = []
    for n, s in enumerate(series):  # legend
        x = n * 170.0
        body.append(_marker(MARKERS[n % len(MARKERS)], x + 7, 12, s.colour))
        body.append(
            f'<text x="{x + 18:.1f}" y="17" fill="{TEXT}">{escape(s.label)}</text>'
        )
    for q in range(5):
        value = max_value * q / 4
        y = bottom - (bottom - top) * q / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(_number(round(value, 1), unit))}</text>"
        )
    every = max(1, len(labels) // 8)  # no more than about eight x labels
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            # The last label ends at the right edge, so it is never cut off.
            last = i == len(labels) - 1 and i > 0
            body.append(
                f'<text x="{left + i * step:.1f}" y="{bottom + 20:.1f}" '
                f'text-anchor="{"end" if last else "middle"}" fill="{TEXT}">'
                f"{escape(label)}</text>"
            )
    for n, s in enumerate(series):
        points = [
            (left + i * step, bottom - (bottom - top) * min(v, max_value) / max_value)
            for i, (_, v) in enumerate(s.points)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{s.colour}" '
                f'stroke-width="2.5"/>'
            )
        body.extend(
            _marker(MARKERS[n % len(MARKERS)], x, y, s.colour) for x, y in points
        )
    return _svg(bottom + 30, title, description, body)


def nice_max(value: float) -> float:
    """A round top for a count axis (1, 2, 4 or 5 times a power of ten, and at
    least 4) so the gridlines at quarters fall on whole numbers."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 4, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def grouped_bar_chart(
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[Series],
    *,
    title: str,
    description: str = "The table beside this chart gives the same figures.",
    max_value: float | None = 100,
    unit: str = "%",
) -> SafeString:
    """Side-by-side horizontal bars: one per series for each row (say, before and
    after), each labelled with its value; a legend above names the series in the
    order the bars are drawn, and the second series is hatched, not only coloured."""
    values = [v for _, row in rows for v in row if v is not None]
    top = max([max_value or 0, *values]) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = BAR_HEIGHT * 0.75
    body, x = [], 0.0
    for n, s in enumerate(series):
        body.append(
            f'<rect x="{x:.1f}" y="4" width="14" height="14" fill="{s.colour}" '
            f'stroke="{TEXT}" stroke-width="1"/>'
            + _hatch(x, 4, 14, 14, n)
            + f'<text x="{x + 20:.1f}" y="16" fill="{TEXT}">{escape(s.label)}</text>'
        )
        x += 26 + 8 * len(s.label)
    y = 30.0
    for label, row in rows:
        body.append(_label(y, label))
        for n, (s, value) in enumerate(zip(series, row, strict=False)):
            bar_y = y + n * height
            if value is None:
                body.append(
                    f'<text x="{LABEL_WIDTH}" y="{bar_y + height * 0.8:.1f}" '
                    f'fill="{TEXT}">No figure</text>'
                )
                continue
            width = max(0.0, span * value / top)
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{bar_y:.1f}" width="{width:.1f}" '
                f'height="{height:.1f}" fill="{s.colour}">'
                f"<title>{escape(s.label)}: {escape(_number(value, unit))}</title>"
                "</rect>"
                + _hatch(LABEL_WIDTH, bar_y, width, height, n)
                + f'<text x="{LABEL_WIDTH + width + 6:.1f}" '
                f'y="{bar_y + height * 0.8:.1f}" fill="{TEXT}">'
                f"{escape(_number(value, unit))}</text>"
            )
        y += height * max(1, len(series)) + GAP
    return _svg(y, title, description, body)


def _hatch(x: float, y: float, width: float, height: float, n: int) -> str:
    """White diagonal strokes over every second series' bars (not colour alone)."""
    if n % 2 == 0 or width < 2:
        return ""
    lines = []
    step = 6.0
    offset = 0.0
    while offset < width + height:
        x1, y1 = x + max(0.0, offset - height), y + min(height, offset)
        x2, y2 = x + min(width, offset), y + max(0.0, offset - width)
        lines.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="#ffffff" stroke-width="1.5"/>'
        )
        offset += step
    return "".join(lines)
