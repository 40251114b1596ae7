"""A figure's data to SVG: the documented shape is validated with messages that name the field,
and the drawing is an accessible image (named, described, with axes, ticks and a legend) with
every author's text escaped and nothing a page's security policy would block."""

import re
from xml.etree import ElementTree

import pytest

from notes.rendering.chart_data import MAX_POINTS, MAX_SERIES, ChartError, chart_from_data
from notes.rendering.chart_svg import chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def data(**changes):
    base = {
        "title": "Loss on a quadratic",
        "summary": "Momentum is faster.",
        "x": {"label": "step t"},
        "y": {"label": "loss", "scale": "log"},
        "series": [
            {"label": "gradient descent", "x": [0, 1, 2, 3], "y": [1.0, 0.5, 0.25, 0.125]},
            {"label": "momentum", "x": [0, 1, 2, 3], "y": [1.0, 0.3, 0.05, 0.01], "style": "points"},
        ],
        "rules": [{"axis": "y", "at": 0.1, "label": "target"}],
    }
    base.update(changes)
    return base


def drawn(**changes) -> tuple[str, ElementTree.Element]:
    svg = chart_svg(chart_from_data(data(**changes)), "loss")
    return svg, ElementTree.fromstring(svg)


def test_the_svg_is_a_named_described_image_with_axes_ticks_and_a_legend():
    svg, root = drawn()
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root[0].tag == f"{SVG}title" and root[0].text == "Loss on a quadratic"
    desc = root[1]
    assert desc.tag == f"{SVG}desc"
    # The description says what the picture shows, for a reader who cannot see it.
    assert desc.text.startswith(
        "Momentum is faster. Horizontal axis: step t, linear. Vertical axis: loss, logarithmic."
    )
    assert "gradient descent: 4 points, from (0, 1) to (3, 0.125); lowest 0.125 at 3." in desc.text
    assert "Reference line at y = 0.1: target." in desc.text
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"step t", "loss", "gradient descent", "momentum", "target"} <= set(texts)
    assert {"0", "1", "2", "3"} <= set(texts)  # linear ticks on x
    lines = [p for p in root.iter(f"{SVG}path") if "chart-line" in p.get("class", "")]
    assert [p.get("class") for p in lines] == [
        "chart-line chart-s1",
        "chart-line chart-s1",
    ]  # the series and its legend key
    points = [c for c in root.iter(f"{SVG}circle") if "chart-s2" in c.get("class")]
    assert len(points) == 4 + 1  # four data points and the legend's
    assert root.find(f"{SVG}clipPath").get("id") == "chart-clip-loss"


def test_log_axis_ticks_are_powers_of_ten():
    _, root = drawn()
    ticks = [
        t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end" and t.get("class") == "chart-tick"
    ]
    assert ticks == ["10⁻²", "10⁻¹", "1"]  # whole decades around the data, 0.01 to 1


def test_colours_come_from_classes_never_from_style_attributes_or_scripts():
    svg, root = drawn()
    assert "style" not in svg and "<script" not in svg and "fill=" not in svg and "stroke=" not in svg
    assert all(not name.startswith("on") for el in root.iter() for name in el.attrib)


def test_every_text_from_the_author_is_escaped():
    hostile = '<script>alert("x")</script> & "quotes"'
    svg, root = drawn(
        title=hostile,
        x={"label": hostile},
        series=[{"label": hostile, "x": [0, 1], "y": [1, 2]}],
        rules=[{"axis": "x", "at": 0.5, "label": hostile}],
    )
    assert "<script" not in svg
    assert svg.count("&lt;script&gt;") >= 5  # title, desc, axis label, legend, rule
    assert root[0].text == hostile  # parsed back, the text is the author's, unchanged


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "title must be a non-empty string"),
        ({"x": "step"}, "'x' must be a dict with a 'label'"),
        ({"y": {"label": "loss", "scale": "symlog"}}, "y.scale is 'symlog'; use 'linear' or 'log'"),
        ({"series": []}, f"'series' must be a list of 1 to {MAX_SERIES} series"),
        ({"series": [{"label": "a", "x": [0, 1], "y": [1.0]}]}, "series[0] has 2 x values and 1 y values"),
        (
            {"series": [{"label": "a", "x": [0, 1], "y": [1.0, 0.0]}]},
            "series[0].y has 0, but the y axis is logarithmic",
        ),
        ({"series": [{"label": "a", "x": [0, 1], "y": [1.0, float("nan")]}]}, "series[0].y[1] is nan"),
        ({"series": [{"label": "a", "x": [0, "1"], "y": [1.0, 2.0]}]}, "series[0].x[1] must be a number, not str"),
        ({"series": [{"label": "a", "x": list(range(MAX_POINTS + 1)), "y": [1.0] * (MAX_POINTS + 1)}]}, "the limit is"),
        ({"series": [{"label": "a", "x": [0, 1], "y": [1, 2], "style": "bars"}]}, "series[0].style is 'bars'"),
        ({"rules": [{"axis": "z", "at": 1, "label": "r"}]}, "rules[0] must be a dict with 'axis'"),
        ({"rules": [{"axis": "y", "at": -1, "label": "r"}]}, "rules[0].at is -1 on a logarithmic axis"),
        ({"colour": "red"}, "unknown field(s) colour"),
        ({"x": {"label": "t", "min": 3, "max": 1}}, "x.min (3) must be below x.max (1)"),
    ],
)
def test_bad_data_is_refused_with_a_message_naming_the_field(changes, message):
    with pytest.raises(ChartError) as caught:
        chart_from_data(data(**changes))
    assert message in str(caught.value)


def test_a_function_returning_something_else_than_a_dict_is_told_what_to_return():
    with pytest.raises(ChartError, match="a figure function returns a dict"):
        chart_from_data([1, 2, 3])


def test_the_author_bounds_hold_and_a_single_value_still_draws():
    _, root = drawn(
        x={"label": "t", "min": 0, "max": 10},
        y={"label": "v"},
        series=[{"label": "flat", "x": [5], "y": [2.0]}],
        rules=[],
    )
    x_ticks = [
        float(t.text)
        for t in root.iter(f"{SVG}text")
        if t.get("text-anchor") == "middle" and re.fullmatch(r"[\d.]+", t.text or "")
    ]
    assert min(x_ticks) == 0 and max(x_ticks) == 10
