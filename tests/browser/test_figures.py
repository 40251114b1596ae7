"""Figures as readers see them in Chromium: on a phone (390 px) and a desktop (1280 px), each
figure's SVG has a size, is visible, fits the column, is named by its <title>, and takes its
colours from the palette, so its lines change colour in dark mode; in print they are black.
Nothing on the page breaks the security policy (a console error would say so)."""

import pytest

from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECKS = """
import numpy as np

def figure_decay():
    t = np.arange(30)
    return {"title": "Two geometric decays", "x": {"label": "step t"}, "y": {"label": "value", "scale": "log"},
            "series": [{"label": "0.5^t", "x": t, "y": 0.5 ** t}, {"label": "0.8^t", "x": t, "y": 0.8 ** t}],
            "rules": [{"axis": "y", "at": 1e-3, "label": "10⁻³"}]}

def figure_samples():
    x = np.random.default_rng(0).uniform(0, 1, 40)
    return {"title": "Samples", "x": {"label": "x"}, "y": {"label": "x²"},
            "series": [{"label": "samples", "x": x, "y": x ** 2, "style": "points"}]}
"""

BODY = """
[[#decay]] and [[#samples]] show the two.

::: figure {#decay}
Two decays, $0.5^t$ and $0.8^t$.
:::

::: figure {#samples}
Points on a parabola.
:::
"""

MEASURE = """() => [...document.querySelectorAll("figure.figure")].map((f) => {
  const svg = f.querySelector("svg.chart");
  const r = svg.getBoundingClientRect();
  const line = svg.querySelector(".chart-s1");
  const style = getComputedStyle(svg.querySelector(".chart-line, .chart-point"));
  return {
    id: f.id, width: r.width, height: r.height, right: r.right, column: f.getBoundingClientRect().right,
    visible: style.visibility === "visible" && style.display !== "none" && r.width > 0,
    colour: line.classList.contains("chart-point") ? style.fill : style.stroke,
    title: svg.querySelector("title").textContent, caption: f.querySelector("figcaption").textContent.trim(),
  };
})"""


@pytest.fixture
def figures_note(settings, tmp_path, publish):
    settings.CHECKS_DIR = tmp_path
    (tmp_path / "figs.checks.py").write_text(CHECKS)
    return publish("figs", note_source("Figures", body=BODY))


def measured(browser, url, width, scheme, media="screen"):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.emulate_media(media=media)
    page.goto(url)
    figures = page.evaluate(MEASURE)
    context.close()
    assert errors == []
    return figures


@pytest.mark.parametrize("width", [390, 1280])
def test_figures_show_fit_and_follow_dark_mode(live_server, browser, figures_note, width):
    url = f"{live_server.url}/notes/figs/"
    light = measured(browser, url, width, "light")
    dark = measured(browser, url, width, "dark")
    assert [f["id"] for f in light] == ["decay", "samples"]
    for figure in light + dark:
        assert figure["visible"] and figure["width"] > 200 and figure["height"] > 150, figure
        assert figure["right"] <= min(width, figure["column"]) + 1, f"{figure['id']} is wider than its column"
    assert light[0]["title"] == "Two geometric decays"
    assert light[0]["caption"].startswith("Figure 1. Two decays")
    assert light[1]["caption"] == "Figure 2. Points on a parabola."
    for day, night in zip(light, dark, strict=True):
        assert day["colour"] != night["colour"], f"{day['id']} keeps colour {day['colour']} in dark mode"


def test_figures_print_in_black(live_server, browser, figures_note):
    printed = measured(browser, f"{live_server.url}/notes/figs/", 658, "light", media="print")
    assert [f["colour"] for f in printed] == ["rgb(0, 0, 0)", "rgb(0, 0, 0)"]
    assert all(f["width"] > 200 for f in printed)
