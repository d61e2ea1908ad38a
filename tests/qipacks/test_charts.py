"""Server-side SVG charts: valid, named for assistive technology, escaped."""

import xml.etree.ElementTree as ET

from qipacks.charts import (
    STATUS_SERIES,
    BarRow,
    LineSeries,
    bar_chart,
    line_chart,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert "style" not in str(svg)  # presentation attributes only (strict CSP)
    return root


def test_bar_chart_draws_a_bar_per_value_and_marks_targets():
    svg = bar_chart(
        [
            BarRow("Completeness <b>", 62.5, target=80, median=70),
            BarRow("Timeliness", None),
        ],
        title='Data quality & "timeliness"',
    )
    root = parse(svg)
    assert root.find(f"{SVG}title").text == 'Data quality & "timeliness"'
    assert len(root.findall(f"{SVG}rect")) == 1
    texts = [
        (t.text or "") + "".join(c.tail or "" for c in t)
        for t in root.iter(f"{SVG}text")
    ]
    assert "62.5%" in texts and "No figure" in texts
    assert "Completeness <b>" in texts  # escaped in the markup, text when parsed
    assert "<b>" not in str(svg)
    assert len(root.findall(f"{SVG}line")) == 4  # legend (2) + target + median


def test_stacked_bar_widths_follow_the_counts():
    root = parse(
        stacked_bar_chart(
            [("R1", {"implemented": 3, "planned": 1}), ("R2", {})],
            STATUS_SERIES,
            title="Uptake by status",
        )
    )
    bars = [r for r in root.findall(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    widths = {r.find(f"{SVG}title").text: float(r.get("width")) for r in bars}
    assert widths["Implemented: 3"] == 3 * widths["Planned: 1"]


def test_line_chart_marks_each_series_with_its_own_shape():
    root = parse(
        line_chart(
            [
                LineSeries("National", "#005eb8", [("Jan", 10.0), ("Feb", 20.0)]),
                LineSeries("Yours", "#007f3b", [("Jan", None), ("Feb", 50.0)]),
            ],
            title="Implemented over time",
        )
    )
    assert len(root.findall(f"{SVG}polyline")) == 1  # one point draws no line
    assert len(root.findall(f"{SVG}circle")) == 3  # legend + two points
    assert len(root.findall(f"{SVG}rect")) == 2  # legend + one point
