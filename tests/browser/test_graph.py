"""The graph page in a real browser: the drawing shows, its script runs under the CSP, and a
node is a link that leads to its note."""

import pytest

from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_a_node_from_the_graph(live_server, page, publish):
    publish("base", note_source("Base note"))
    publish("second", note_source("Second note", prerequisites=["base"], topics=["optimization"]))
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/graph/")

    nodes = page.locator("svg.graph-svg a.graph-node")
    assert nodes.count() == 2
    assert page.locator("svg.graph-svg path.graph-edge").count() == 1
    box = page.locator('a.graph-node[data-slug="second"] rect').bounding_box()
    assert box["width"] > 50 and box["height"] > 20  # laid out and styled, not collapsed
    assert page.locator(".graph-toolbar button").count() == 4  # js/graph.js ran

    page.locator('a.graph-node[data-slug="second"]').click()
    page.wait_for_url(f"{live_server.url}/notes/second/")
    assert page.locator("h1").inner_text() == "Second note"
    assert console_errors == []


def test_fit_on_a_phone_keeps_labels_readable(live_server, page, publish):
    for n in range(14):  # a chain of prerequisites: far larger than a phone
        prerequisites = [f"note-{n - 1}"] if n else []
        publish(f"note-{n}", note_source(f"A note with a long title number {n}", prerequisites=prerequisites))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/graph/")
    label = page.locator("svg.graph-svg a.graph-node text").first
    shown_px = (
        "t => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getBoundingClientRect().width"
        " / t.ownerSVGElement.viewBox.baseVal.width"
    )
    page.get_by_role("button", name="Fit").click()
    readout = page.locator(".graph-toolbar span")
    assert readout.inner_text() == "77%"  # the floor, 10 px labels, not the 4 px that fitting would need
    assert label.evaluate(shown_px) >= 9.9
    canvas = page.locator("svg.graph-svg").locator("xpath=..")
    assert canvas.evaluate(
        "c => c.scrollHeight > c.clientHeight || c.scrollWidth > c.clientWidth"
    )  # scrolls in its box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # never the page
