"""Annotations read beside their passages (issue 14): margin notes on wide screens, a note
opened under its highlight on phones, annotating by keyboard, block controls on hover or
focus only, quotes shown typeset, link previews that hold no controls and close when focus
moves on."""

import pytest
from playwright.sync_api import expect

from accounts.annotations.services import annotation_create
from accounts.models import Annotation
from tests.browser.test_editor import login
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILLER = " ".join(["Filler prose that only makes the page long enough to scroll a good way."] * 6)
BODY = f"""
The first passage to mark sits in the opening paragraph, about logits $\\bz$ and their scale. {FILLER}

A second passage to mark is here, and a third passage to mark right after it in the same line. {FILLER}

$$
g(x) = \\exp(x) \\label{{eq:growth}}
$$

{FILLER}

::: derivation {{#grow}} Growth
We differentiate $g$.

1. Differentiate [[#eq:growth]] with respect to $x$:

   $$
   g'(x) = \\exp(x) \\label{{eq:slope}}
   $$
2. Conclude that $g' = g$.

So $g$ is its own derivative.
:::

See [[#eq:growth]] for the definition. {FILLER}

{FILLER}

{FILLER}

The last paragraph has a passage for the keyboard test and ends here. {FILLER}
"""


@pytest.fixture
def annotated(publish, reader):
    revision = publish("m", note_source("Margins", body=BODY))
    for quote, body in [
        ("The first passage to mark", "First."),
        ("second passage to mark", "Second, a longer note that takes a few lines in a narrow margin column."),
        ("third passage to mark", "Third, pushed down below the second."),
    ]:
        annotation_create(owner=reader, slug="m", revision_number=revision.number, quote=quote, body=body)
    step = revision.derivations.get().steps[0]["id"]
    annotation_create(owner=reader, slug="m", revision_number=revision.number, kind="step", block_id=step, body="Step.")
    annotation_create(
        owner=reader, slug="m", revision_number=revision.number, kind="equation", block_id="eq:growth", body="Eq."
    )
    annotation_create(
        owner=reader, slug="m", revision_number=revision.number, quote="about logits $\\bz$ and", body="Math."
    )
    return revision


def open_note(page, live_server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server, "bob", "bob-password-1")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/notes/m/")
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)  # the layout pass after fonts load
    return errors


def boxes(page):
    return page.evaluate(
        """() => [...document.querySelectorAll('.annotation-margin > .annotation-entry')].map((entry) => {
          const mark = document.querySelector(`[data-annotation="${entry.dataset.annotation}"]:not(.annotation-entry)`);
          const e = entry.getBoundingClientRect(), m = mark.getBoundingClientRect();
          return {entry: [e.top, e.bottom, e.left], mark: [m.top, m.right]};
        })"""
    )


def test_margin_notes_sit_beside_their_highlights_without_overlap(live_server, page, annotated):
    errors = open_note(page, live_server, 1280, 800)
    placed = boxes(page)
    assert len(placed) == 6  # every anchored annotation is in the margin
    placed.sort(key=lambda b: b["entry"][0])
    previous_bottom = None
    for b in placed:
        top, bottom, left = b["entry"]
        assert left > b["mark"][1]  # right of the text
        if previous_bottom is None or b["mark"][0] >= previous_bottom:
            assert abs(top - b["mark"][0]) <= 8, b  # level with its highlight
        else:
            assert top >= previous_bottom - 0.5, b  # pushed down by the note above, not overlapping
        previous_bottom = bottom
    assert any(abs(b["entry"][0] - b["mark"][0]) > 8 for b in placed)  # the third was pushed down

    # Clicking a highlight focuses its margin note, without a jump down the page.
    mark = page.locator("mark.annotation-hl", has_text="third passage to mark")
    mark.scroll_into_view_if_needed()
    before = page.evaluate("scrollY")
    mark.click()
    focused = page.evaluate("document.activeElement.closest('.annotation-margin .annotation-entry')?.innerText || ''")
    assert "Third" in focused
    assert abs(page.evaluate("scrollY") - before) < 800
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.textContent") == "third passage to mark"

    # Narrowed below the margin's width, the notes go back into the panel at the foot.
    page.set_viewport_size({"width": 1000, "height": 800})
    page.wait_for_timeout(200)
    assert page.locator(".annotation-margin").count() == 0
    expect(page.locator(".annotation-panel .annotation-entry")).to_have_count(6)
    assert errors == []


def test_phone_highlight_opens_its_note_under_it_and_escape_returns(live_server, page, annotated):
    errors = open_note(page, live_server, 390, 844)
    assert page.locator(".annotation-margin").count() == 0
    mark = page.locator("mark.annotation-hl", has_text="second passage to mark")
    mark.scroll_into_view_if_needed()
    before = page.evaluate("scrollY")
    mark.click()
    note = page.locator(".annotation-popover")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Second, a longer note")
    box, mark_box = note.bounding_box(), mark.bounding_box()
    assert box["y"] >= 0 and box["y"] + 40 <= 844  # in view
    assert mark_box["y"] < box["y"] < mark_box["y"] + 844 / 2  # under the highlight, near it
    assert abs(page.evaluate("scrollY") - before) < 844
    page.keyboard.press("Escape")
    expect(note).to_have_count(0)
    assert page.evaluate("document.activeElement.textContent") == "second passage to mark"
    # The close button does the same.
    mark.press("Enter")
    page.get_by_role("button", name="Close the annotation").click()
    expect(note).to_have_count(0)
    assert page.evaluate("document.activeElement.textContent") == "second passage to mark"
    assert errors == []


def select_by_keyboard(page, text, characters):
    """Put the caret before `text` with a click, then extend the selection with shift+arrows.
    The passage is scrolled to first and measured once the page has drawn it (blocks far from
    the screen are laid out when they come near it, site.css), as a reader clicks what they see."""
    find = """(text) => {
          const walker = document.createTreeWalker(document.querySelector('.note-body'), NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            const at = node.data.indexOf(text);
            if (at >= 0) return [node, at];
          }
        }"""
    # Until it stays put: blocks drawn as they come near the screen take their real height.
    where = None
    for _ in range(20):
        page.evaluate(f"(text) => ({find})(text)[0].parentElement.scrollIntoView({{block: 'center'}})", text)
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        now = page.evaluate(f"(text) => ({find})(text)[0].parentElement.getBoundingClientRect().top", text)
        if now == where:
            break
        where = now
    box = page.evaluate(
        f"""(text) => {{
          const [node, at] = ({find})(text);
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + 1);
          const r = range.getBoundingClientRect();
          return {{x: r.left + 1, y: r.top + r.height / 2}};
        }}""",
        text,
    )
    page.mouse.click(box["x"], box["y"])
    for _ in range(characters):
        page.keyboard.press("Shift+ArrowRight")
    page.wait_for_timeout(250)  # the button follows the selection after a short pause


@pytest.fixture
def caret_page(browser):
    """A page in a Chromium with caret browsing on (F7): how a keyboard user selects text that is
    not in a field. Without it shift+arrows do not move a selection in static text."""
    from tests.browser.conftest import ARGS, CHROMIUM

    caret = browser.browser_type.launch(executable_path=CHROMIUM, args=[*ARGS, "--enable-caret-browsing"])
    yield caret.new_page()
    caret.close()


@pytest.mark.parametrize("how", ["shortcut", "tab"])
def test_keyboard_only_annotation_of_a_selection(live_server, caret_page, annotated, reader, how):
    page = caret_page
    errors = open_note(page, live_server, 1280, 800)
    select_by_keyboard(page, "a passage for the keyboard test", 20)
    selected = page.evaluate("getSelection().toString()")
    assert len(selected) >= 15
    if how == "shortcut":
        page.keyboard.press("a")
    else:
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className").startswith("annotation-select-button")
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "annotation-editor-body"
    page.keyboard.type("Made without a mouse.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Save
    expect(page.locator(".annotation-entry", has_text="Made without a mouse.")).to_have_count(1)
    made = Annotation.objects.get(owner=reader, body="Made without a mouse.")
    assert made.quote.strip().startswith(selected.strip()[:10])
    assert errors == []


SHOWN_BUTTONS = "[...document.querySelectorAll('.annotation-block-button')].filter((b) => getComputedStyle(b).opacity !== '0').length"


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_block_annotate_control_shows_only_on_hover_or_focus(live_server, page, annotated, width, height):
    open_note(page, live_server, width, height)
    button = page.locator(".annotation-frame .annotation-block-button").first
    opacity = "(el) => getComputedStyle(el).opacity"
    assert page.evaluate(SHOWN_BUTTONS) == 0  # no chip after every equation and step
    equation = page.locator(".equation").first
    equation.hover()
    page.wait_for_timeout(200)
    assert button.evaluate(opacity) == "1"
    shown, formula = button.bounding_box(), equation.bounding_box()
    assert shown["y"] + shown["height"] <= formula["y"] + 1  # above the display, never over the formula
    in_step = page.locator(".derivation-step .equation").first
    in_step.hover()
    page.wait_for_timeout(200)
    assert page.evaluate(SHOWN_BUTTONS) == 1  # the equation's, not also its step's
    assert in_step.locator("xpath=..").locator(".annotation-block-button").evaluate(opacity) == "1"
    equation.hover()
    page.wait_for_timeout(200)
    button.hover()  # the pointer can reach it: it stays
    page.wait_for_timeout(200)
    assert button.evaluate(opacity) == "1"
    page.mouse.move(1, 1)
    page.wait_for_timeout(200)
    assert button.evaluate(opacity) == "0"
    button.focus()
    page.wait_for_timeout(200)
    assert button.evaluate(opacity) == "1"
    page.keyboard.press("Enter")
    expect(page.locator("#annotation-editor-body")).to_be_focused()


def test_link_preview_holds_no_controls_and_closes_when_focus_moves_on(live_server, page, annotated):
    open_note(page, live_server, 1280, 800)
    link = page.locator(".note-body p a.eqref").first
    link.focus()
    popover = page.locator("#link-popover")
    expect(popover).to_be_visible()
    assert popover.locator("button, input, textarea, select, [tabindex], [role=button]").count() == 0
    assert "Annotate" not in popover.inner_text()
    page.keyboard.press("Tab")  # on to whatever comes next
    expect(popover).to_be_hidden()


def test_quotes_are_shown_typeset_never_as_source(live_server, page, annotated):
    def no_source(texts):
        for text in texts:
            assert "$" not in text and "\\begin" not in text and "[[" not in text and "\\bz" not in text, text

    open_note(page, live_server, 390, 844)
    quotes = page.locator(".annotation-panel .annotation-quote")
    expect(quotes).to_have_count(6)
    no_source(quotes.all_inner_texts())
    step = page.locator(".annotation-entry", has_text="Step.").locator(".annotation-quote")
    expect(step).to_contain_text("Differentiate (1) with respect to")
    assert step.locator(".katex").count() == 2  # $x$ and the step's display
    assert page.locator(".annotation-entry", has_text="Math.").locator(".annotation-quote .katex").count() == 1

    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_timeout(200)
    no_source(page.locator(".annotation-margin .annotation-entry").all_inner_texts())

    page.goto(f"{live_server.url}/accounts/annotations/")
    listed = page.locator(".annotations-item .annotation-quote")
    expect(listed).to_have_count(6)
    no_source(listed.all_inner_texts())
