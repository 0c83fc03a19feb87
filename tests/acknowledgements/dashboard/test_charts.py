"""The dashboard's charts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from acknowledgements import charts
from tests.acknowledgements.dashboard.helpers import SVG, parse_svg


# Charts -------------------------------------------------------------------------------------
def test_bar_chart_is_valid_svg_with_one_labelled_bar_per_department() -> None:
    bars = [charts.Bar("Care & Support <Homes>", 50.0), charts.Bar("Finance", 25.0)]
    svg = parse_svg(str(charts.horizontal_bars(bars, chart_id="c", title="Signed")))
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("width") == "100%"
    assert svg.get("viewBox").startswith("0 0 400 ")
    assert "Care & Support <Homes>: 50%" in svg.get("aria-label")
    assert svg.find(f"{SVG}title").text == "Signed"
    groups = svg.findall(f"{SVG}g[@class='bar']")
    assert len(groups) == 2
    texts = [[t.text for t in g.iter(f"{SVG}text")] for g in groups]
    assert texts == [["Care & Support <Homes>", "50%"], ["Finance", "25%"]]
    widths = [float(g.find(f"{SVG}rect[@class='bar-value']").get("width")) for g in groups]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "Percentage signed" in [t.text for t in svg.iter(f"{SVG}text")]


def test_bar_chart_with_no_bars_says_so() -> None:
    svg = parse_svg(str(charts.horizontal_bars([], chart_id="c", title="Signed")))
    assert svg.findall(f"{SVG}g[@class='bar']") == []
    assert "No figures to show." in [t.text for t in svg.iter(f"{SVG}text")]


def test_line_chart_is_valid_svg_with_axes_and_a_summary() -> None:
    start = date(2025, 3, 1)
    points = charts.fill_days(
        [charts.Point(start, 2), charts.Point(start + timedelta(days=3), 5)],
        start,
        start + timedelta(days=4),
    )
    assert [p.count for p in points] == [2, 0, 0, 5, 0]
    svg = parse_svg(str(charts.daily_line(points, chart_id="l", title="Signatures per day")))
    assert svg.get("role") == "img"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"Signatures", "Date (UK time)", "1 Mar 2025", "5 Mar 2025"} <= set(texts)
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == 5
    assert len(svg.findall(f"{SVG}circle")) == 2  # a dot on each day with signatures
    desc = svg.find(f"{SVG}desc").text
    assert desc == (
        "7 signatures from 1 March 2025 to 5 March 2025; the busiest day was 4 March 2025 with 5."
    )


def test_line_chart_without_signatures() -> None:
    svg = parse_svg(str(charts.daily_line([], chart_id="l", title="Signatures per day")))
    assert "No signatures yet." in [t.text for t in svg.iter(f"{SVG}text")]
