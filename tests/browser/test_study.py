"""Study mode in a real browser, at a desktop and a phone size: each step revealed one at a time,
by button and by keyboard, takes the focus and lands in view, clear of the sticky reveal bar;
hidden steps are out of sight and out of the accessibility tree; the "n" shortcut is scoped to
the study panel, never fires while typing and can be turned off; links preview in place and
never take the study tab away; every control shows a focus ring; the attempt is kept in the
browser across a reload; a self-grade lands on the queue."""

import pytest
from django.db.models import F
from playwright.sync_api import expect

from accounts.models import ReviewCard, ReviewLog
from accounts.study.services import FIRST_REVIEW_AFTER
from tests.accounts.helpers import work_through
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1280, 800), (390, 844)]

BASICS = r"""
Products distribute over sums:

$$
(a + b)(c + d) = ac + ad + bc + bd \label{eq:distribute}
$$
"""

# A statement long enough that, at both sizes, the steps start below the sticky bar: a step
# that is not scrolled into view is under it or off screen, and the tests see it.
STATEMENT = "\n\n".join(
    [r"Let $a, b \in \R$. We expand $(a + b)^2$, the square of a sum, into a sum of three terms."]
    + [f"Paragraph {i} of the statement, which a learner reads before deriving anything at all." for i in range(6)]
)

BODY = rf"""
::: derivation {{#sq}} Square of a sum
{STATEMENT}

1. Write the square as a product: $(a + b)^2 = (a + b)(a + b)$.
2. Distribute, by [[basics#eq:distribute]]: $(a + b)(a + b) = a^2 + ab + ba + b^2$.
3. Multiplication commutes (see [[basics]]), so $ab + ba = 2ab$.
4. Collect the terms: $a^2 + ab + ba + b^2 = a^2 + 2ab + b^2$.

Hence $(a + b)^2 = a^2 + 2ab + b^2$.
:::
"""

STEP_WORDS = ["as a product", "Distribute", "Multiplication commutes", "Collect the terms"]

# Where a step is, after any smooth scroll has settled: measured, never assumed.
WHERE = """async (i) => {
  let last = -1, still = 0;
  while (still < 6) {
    await new Promise(requestAnimationFrame);
    still = scrollY === last ? still + 1 : 0;
    last = scrollY;
  }
  const step = document.querySelectorAll("[data-step]")[i];
  const bar = document.querySelector("[data-controls]");
  const s = step.getBoundingClientRect(), b = bar.getBoundingClientRect();
  return {focused: document.activeElement === step, top: s.top, bottom: s.bottom,
          barTop: bar.hidden ? innerHeight : b.top, height: innerHeight,
          ring: getComputedStyle(step).outlineStyle !== "none" && parseFloat(getComputedStyle(step).outlineWidth) > 0};
}"""


def log_in(page, client, live_server, user):
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.fixture
def studied(publish, reader):
    publish("basics", note_source("Basics of algebra", body=BASICS, summary="How products spread over sums"))
    publish("squares", note_source("Squares", body=BODY, prerequisites=["basics"]))
    work_through(reader, "squares", "sq")
    return reader


@pytest.fixture
def sized(browser, request):
    """A page at each size, with errors from the page collected."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def open_study(page, client, live_server, reader):
    log_in(page, client, live_server, reader)
    page.goto(f"{live_server.url}/study/squares/sq/")


def shown(page):
    return page.locator("[data-step]").evaluate_all("els => els.map(e => !e.hidden)")


def assert_in_view_and_focused(page, i):
    where = page.evaluate(WHERE, i)
    assert where["focused"], f"step {i + 1} is not focused"
    assert where["ring"], f"step {i + 1} shows no focus ring"
    assert where["top"] >= 0 and where["bottom"] <= where["height"], f"step {i + 1} is off screen: {where}"
    assert where["bottom"] <= where["barTop"], f"step {i + 1} is under the sticky bar: {where}"


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=["1280x800", "390x844"])
@pytest.mark.parametrize("how", ["button", "keyboard"])
def test_each_revealed_step_takes_the_focus_in_view_above_the_sticky_bar(sized, how, live_server, client, studied):
    page = sized
    open_study(page, client, live_server, studied)
    steps = page.locator("[data-step]")
    # the premise that makes this test able to fail: where the steps begin is under the bar
    first_top = page.locator("[data-steps]").evaluate("ol => ol.getBoundingClientRect().top")
    assert first_top > page.locator("[data-controls]").evaluate("bar => bar.getBoundingClientRect().top")

    if how == "keyboard":
        page.get_by_role("heading", level=1, name="Square of a sum").click()  # into the study panel
    for i in range(4):
        if how == "button":
            page.get_by_role("button", name="Reveal next step").click()
        else:
            page.keyboard.press("n")
        assert shown(page) == [j <= i for j in range(4)]
        assert_in_view_and_focused(page, i)
        if how == "keyboard" and i < 3:
            expect(steps.nth(i)).to_be_focused()  # the next "n" is pressed from the step itself
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    expect(page.get_by_role("button", name="Reveal next step")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert page.errors == []  # CSP blocked nothing, the modules ran cleanly


def test_with_reduced_motion_the_step_is_in_place_at_once(browser, live_server, client, studied):
    context = browser.new_context(viewport={"width": 390, "height": 844}, reduced_motion="reduce")
    page = context.new_page()
    try:
        open_study(page, client, live_server, studied)
        page.get_by_role("button", name="Reveal next step").click()
        # measured before any animation frame could have moved it: no smooth scroll
        where = page.evaluate(
            """() => { const s = document.querySelector("[data-step]").getBoundingClientRect();
                       return [s.bottom, document.querySelector("[data-controls]").getBoundingClientRect().top]; }"""
        )
        assert where[0] <= where[1]
    finally:
        context.close()


def test_the_study_page_step_by_step_then_a_grade(live_server, page, client, studied):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, client, live_server, studied)
    page.goto(f"{live_server.url}/study/")
    # marked just now by the fixture: not due until a day later
    expect(page.get_by_text("Nothing is due.")).to_be_visible()
    assert "first due for re-derivation a day later" in page.locator(".due-rule").inner_text()
    ReviewCard.objects.filter(owner=studied).update(due=F("due") - FIRST_REVIEW_AFTER)  # a day passes
    page.reload()
    page.get_by_role("link", name="Square of a sum").click()
    assert page.url.endswith("/study/squares/sq/")

    article = page.locator("article.study")
    expect(page.get_by_role("heading", level=1, name="Square of a sum")).to_be_visible()
    assert shown(page) == [False] * 4
    tree = article.aria_snapshot()
    assert "expand" in tree and not any(word in tree for word in STEP_WORDS) and "Hence" not in tree
    assert page.locator(".katex").first.is_visible()  # the statement's math

    page.get_by_role("button", name="Reveal next step").click()
    expect(page.locator("[data-count]")).to_have_text("1 of 4 steps shown")
    tree = article.aria_snapshot()
    assert STEP_WORDS[0] in tree and not any(word in tree for word in STEP_WORDS[1:])

    page.get_by_label("Your attempt").fill("(a+b)^2 = ?")
    page.reload()
    expect(page.get_by_label("Your attempt")).to_have_value("(a+b)^2 = ?")
    assert shown(page) == [False] * 4  # a reload starts the steps over

    page.get_by_role("button", name="Show all steps").click()
    assert shown(page) == [True] * 4
    expect(page.locator("[data-step]").first).to_be_focused()
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    assert "Hence" in article.aria_snapshot()

    page.get_by_role("button", name="Good").click()
    page.wait_for_url(f"{live_server.url}/study/")
    expect(page.locator(".messages")).to_contain_text("Graded good. Next review of this derivation in 2")
    expect(page.get_by_text("Nothing is due.")).to_be_visible()
    assert list(ReviewLog.objects.values_list("owner__username", "derivation_key", "rating")) == [("bob", "sq", 3)]


def test_n_does_nothing_while_typing_or_outside_the_study_panel(live_server, page, client, studied):
    open_study(page, client, live_server, studied)
    attempt = page.get_by_label("Your attempt")
    attempt.click()
    page.keyboard.type("n(n+1) and N")
    expect(attempt).to_have_value("n(n+1) and N")
    assert shown(page) == [False] * 4

    page.locator("#site-search-q").press("n")  # the site search field: typing, and outside the panel
    page.get_by_role("link", name="Notes", exact=True).focus()  # the site's header: outside the panel
    page.keyboard.press("n")
    assert shown(page) == [False] * 4

    page.get_by_role("button", name="Reveal next step").focus()
    page.keyboard.press("n")
    assert shown(page) == [True, False, False, False]


def test_keyboard_shortcuts_can_be_turned_off_and_the_choice_is_remembered(live_server, page, client, studied):
    open_study(page, client, live_server, studied)
    switch = page.get_by_label("Keyboard shortcuts")
    expect(switch).to_be_checked()
    switch.uncheck()
    page.get_by_role("heading", level=1).click()
    page.keyboard.press("n")
    assert shown(page) == [False] * 4

    page.reload()
    expect(page.get_by_label("Keyboard shortcuts")).not_to_be_checked()
    page.get_by_role("button", name="Reveal next step").focus()
    page.keyboard.press("n")
    assert shown(page) == [False] * 4
    page.get_by_role("button", name="Reveal next step").press("Enter")  # the button still works
    assert shown(page) == [True, False, False, False]

    page.get_by_label("Keyboard shortcuts").check()
    page.get_by_role("heading", level=1).click()
    page.keyboard.press("n")
    assert shown(page) == [True, True, False, False]


def test_links_preview_in_place_and_never_take_the_study_tab_away(live_server, page, client, studied):
    open_study(page, client, live_server, studied)
    url = page.url
    page.get_by_role("button", name="Show all steps").click()
    assert page.locator("article.study .uses-link").count() == 0  # "used by" chips are not shown here

    equation = page.locator("[data-step] a.eqref")
    equation.click()
    preview = page.get_by_role("group", name="Preview of Equation (1)")
    expect(preview).to_contain_text("Basics of algebra")
    expect(preview.locator(".katex-display")).to_have_count(1)
    assert page.url == url and len(page.context.pages) == 1
    expect(equation).to_have_attribute("aria-expanded", "true")
    preview.get_by_role("button", name="Close preview").press("Enter")
    expect(preview).to_have_count(0)
    expect(equation).to_be_focused()

    note = page.locator("[data-step] a.xref")
    note.press("Enter")
    expect(page.get_by_role("group", name="Preview of Basics of algebra")).to_contain_text("How products spread")
    page.keyboard.press("Escape")
    expect(page.locator(".study-preview")).to_have_count(0)
    assert page.url == url

    # what stays a link opens a new tab: the preview's own link, a modified click, the breadcrumb
    note.click()
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open in a new tab").click()
    opened.value.wait_for_load_state()
    assert opened.value.url.endswith("/notes/basics/")
    with page.context.expect_page() as breadcrumb:
        page.get_by_role("link", name="Squares (opens in a new tab)").click()
    breadcrumb.value.wait_for_load_state()
    assert page.url == url and shown(page) == [True] * 4  # the session is where it was
    for other in page.context.pages[1:]:
        assert other.evaluate("window.opener") is None  # rel=noopener


def test_every_control_in_the_study_panel_shows_a_focus_ring(live_server, page, client, studied):
    open_study(page, client, live_server, studied)
    page.get_by_role("button", name="Show all steps").click()
    page.get_by_role("heading", level=1).click()
    seen = {}
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement, style = getComputedStyle(el);
                       if (!el.closest("article.study")) return null;
                       return [el.outerHTML.slice(0, 60), style.outlineStyle !== "none"
                               && parseFloat(style.outlineWidth) >= 2]; }"""
        )
        if focused is None:
            break
        seen[focused[0]] = focused[1]
    assert len(seen) >= 8  # breadcrumbs, the switch, the attempt, links in steps, the grades
    assert [control for control, ring in seen.items() if not ring] == []


def test_without_javascript_each_step_opens_in_turn_and_links_open_a_new_tab(
    live_server, browser, client, publish, reader
):
    publish("basics", note_source("Basics of algebra", body=BASICS))
    publish("squares", note_source("Squares", body=BODY))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        open_study(page, client, live_server, reader)
        folds = page.locator("[data-step] details")
        assert folds.count() == 4
        assert not page.get_by_text("Distribute").is_visible()
        folds.nth(1).locator("summary").click()
        assert page.get_by_text("Distribute").is_visible()
        assert not page.get_by_text("as a product").is_visible()
        with context.expect_page() as opened:
            page.locator("[data-step] a.eqref").click()
        assert opened.value.url.endswith("/notes/basics/#eq:distribute")
        assert page.url.endswith("/study/squares/sq/")
        # not marked worked through: the page explains instead of offering grades
        expect(page.get_by_text("Grades count only for derivations in your review schedule")).to_be_visible()
    finally:
        context.close()
