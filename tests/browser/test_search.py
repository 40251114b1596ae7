"""Instant search in a real browser: results appear as the reader types, the keyboard moves
through them and opens one; without JavaScript the same box submits to the search page."""

import re

import pytest

from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = r"""
The softmax of a vector is $\softmax(\bz)$; its log is stable after subtracting the maximum.
"""


@pytest.fixture
def notes(publish):
    publish("softmax", note_source("Softmax", body=BODY))
    publish("attention", note_source("Attention", body=r"Each row of scores goes through $\softmax$."))
    publish("entropy", note_source("Entropy", body="Nothing about the other thing."))


def test_instant_results_open_with_the_keyboard(live_server, page, notes):
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/notes/entropy/")  # the header box is instant on every page
    box = page.locator("#site-search-q")
    box.press_sequentially("softmax", delay=20)

    options = page.locator("#instant-results-0 [role=option]")
    options.first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert options.count() == 2
    assert options.first.locator(".instant-title").inner_text() == "Softmax"  # title match first
    assert options.first.locator("mark").count() >= 1
    assert options.first.locator(".snippet-formula .katex").count() >= 1  # typeset, not TeX

    assert box.get_attribute("aria-activedescendant") is None
    box.press("ArrowDown")
    box.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    assert options.first.get_attribute("aria-selected") == "false"
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    box.press("ArrowUp")
    assert options.first.get_attribute("aria-selected") == "true"
    box.press("ArrowUp")  # wraps round to the last
    assert options.nth(1).get_attribute("aria-selected") == "true"
    box.press("ArrowDown")

    box.press("Escape")
    assert page.locator("#instant-results-0").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"

    box.press_sequentially(" ", delay=20)  # typing again brings the list back
    options.first.wait_for()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/notes/softmax/$"))
    assert page.locator("h1").inner_text() == "Softmax"
    assert console_errors == []  # CSP blocked nothing


def test_enter_without_a_selection_submits_to_the_search_page(live_server, page, notes):
    page.goto(f"{live_server.url}/search/")
    box = page.locator("#site-search-q")
    box.press_sequentially("attention", delay=20)
    page.locator("#instant-results-0 [role=option]").first.wait_for()
    assert box.get_attribute("aria-activedescendant") is None  # nothing selected until an arrow key
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=attention$"))
    assert page.locator(".search-hit-title").all_inner_texts() == ["Attention"]


def test_without_javascript_the_header_form_still_searches(live_server, browser, notes):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        page.locator("#site-search-q").fill("softmax")
        page.locator("#site-search-q").press("Enter")
        page.wait_for_url(re.compile(r"/search/\?q=softmax$"))
        assert page.locator(".search-hit-title").all_inner_texts() == ["Softmax", "Attention"]
        assert page.locator(".search-hit-snippet mark").count() >= 1
    finally:
        context.close()


SOURCE_MARKS = ("$", "\\begin", "\\label", "[[", "\\newcommand", "\\softmax", "\\KL")

MATH_BODY = r"""
$$
\newcommand{\logits}{\mathbf{z}}
$$

The divergence $\KL(p \Vert q)$ is never negative.

$$
\begin{align}
\bp &= \softmax(\logits) \label{eq:softmax}
\end{align}
$$

Its jacobian is $\diag(\bp) - \bp\bp^\top$, see [[#eq:softmax]].
"""


@pytest.mark.parametrize("query", ["softmax", "KL", "jacobian"])
def test_search_page_and_dropdown_show_typeset_math_and_no_source(live_server, page, publish, query):
    publish("math", note_source("Probabilities", summary=r"About $\softmax(\bz)$.", body=MATH_BODY))
    page.goto(f"{live_server.url}/search/?q={query}")
    hit = page.locator(".search-hit").first
    assert hit.locator(".search-hit-snippet .katex-html").count() >= 1
    assert hit.locator(".search-hit-summary .katex-html").count() == 1
    shown = hit.inner_text()
    assert not [mark for mark in SOURCE_MARKS if mark in shown], shown

    box = page.locator("#site-search-q")
    box.press_sequentially(query, delay=20)
    option = page.locator("#instant-results-0 [role=option]").first
    option.wait_for()
    assert option.locator(".katex-html").count() >= 1
    assert option.locator("mark").count() >= 1
    shown = option.inner_text()
    assert not [mark for mark in SOURCE_MARKS if mark in shown], shown


LONG_BODY = "\n\n".join(
    [f"## Section {n}\n\n" + "Filler prose about nothing in particular, long enough to scroll. " * 30 for n in range(4)]
    + ["## Gradient clipping\n\nClipping rescales the update when its norm is too large.\n"]
)


def test_a_result_lands_on_its_passage_and_the_page_marks_it(live_server, page, publish):
    publish("training", note_source("Training recurrent networks", body=LONG_BODY))
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(reduced_motion="reduce")  # no smooth scroll to wait for
    page.goto(f"{live_server.url}/search/")
    box = page.locator("#search-q")
    box.press_sequentially("gradient clip", delay=20)  # the last word as typed, unfinished
    option = page.locator(".search-fields .instant-results [role=option]").first
    option.wait_for()
    assert option.locator(".instant-unit").inner_text() == "Section: Gradient clipping"
    results = option.locator("xpath=..").bounding_box()
    field = box.bounding_box()
    # under the row of fields (on a phone: under the area and the button), not off screen
    assert field["y"] + field["height"] <= results["y"] < field["y"] + 150
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/notes/training/#gradient-clipping$"))
    heading = page.locator("h2#gradient-clipping")
    assert heading.evaluate("h => h.matches(':target')")
    box = heading.bounding_box()
    assert 0 <= box["y"] < 844  # scrolled to it
    assert heading.evaluate("h => getComputedStyle(h).backgroundColor") != "rgba(0, 0, 0, 0)"  # marked
