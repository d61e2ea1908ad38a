"""The chart types the impact report added to qipacks/charts.py."""

from __future__ import annotations

from qipacks.charts import (
    LineSeries,
    Series,
    grouped_bar_chart,
    line_chart,
    nice_max,
)
from tests.qipacks.test_charts import SVG, parse


def texts(root) -> list[str]:
    return [
        (t.text or "") + "".join(c.tail or "" for c in t)
        for t in root.iter(f"{SVG}text")
    ]


def test_grouped_bars_one_per_series_with_values_and_no_figure():
    series = [
        Series("start", "At the start", "#425563"),
        Series("end", "At the end", "#005eb8"),
    ]
    svg = grouped_bar_chart(
        [("London <b>", [25.0, 50.0]), ("Midlands", [None, 100.0])],
        series,
        title="Share implemented & by region",
    )
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "Share implemented & by region"
    bars = [r for r in root.findall(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.find(f"{SVG}title").text for r in bars] == [
        "At the start: 25%",
        "At the end: 50%",
        "At the end: 100%",
    ]
    widths = [float(r.get("width")) for r in bars]
    assert widths[1] == 2 * widths[0] and widths[2] == 2 * widths[1]
    words = texts(root)
    assert "No figure" in words and "London <b>" in words
    assert "<b>" not in str(svg)
    # The second series is hatched (white strokes), in the legend and on its bars.
    assert any(line.get("stroke") == "#ffffff" for line in root.iter(f"{SVG}line"))


def test_nice_max_gives_whole_number_gridlines():
    assert [nice_max(v) for v in (0, 3, 4.5, 9, 37, 205, 999, 1000)] == [
        4,
        4,
        5,
        10,
        40,
        400,
        1000,
        1000,
    ]


def test_the_last_label_of_a_line_chart_ends_at_the_edge():
    root = parse(
        line_chart(
            [LineSeries("Views", "#005eb8", [("Jan 2025", 1.0), ("Mar 2025", 3.0)])],
            title="Views",
            max_value=4,
            unit="",
        )
    )
    labels = {t.text: t.get("text-anchor") for t in root.iter(f"{SVG}text")}
    assert (labels["Jan 2025"], labels["Mar 2025"]) == ("middle", "end")
