"""The editors' pages in Chromium, on a phone (390x844) and a laptop (1280x800): tables fit
their column, rolling back asks first, Tab leaves the body field, the preview reads like the
note, and diffs are coloured with enough contrast."""

import re

import pytest

from notes.models import Note
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": (390, 844), "laptop": (1280, 800)}
LONG_MESSAGE = "Say normal for the first Gaussian, a longer message to see how the history table wraps on a phone"


@pytest.fixture
def history(publish, editor):
    """Revisions 1 and 2 published (2 live, with a long message), 3 a draft."""
    publish("kl", note_source("KL divergence", body="Between two Gaussians.\n\nAn added closing paragraph."))
    note = Note.objects.get(slug="kl")
    source = note_source("KL divergence", body="Between two normals.\n\nAn added closing paragraph.")
    publish("kl", source)
    revision_create(
        note=note,
        source=note_source("KL divergence", body="Between two normals.\n\nA draft closing paragraph."),
        author=editor,
        index=LiveNoteIndex(),
        message=LONG_MESSAGE,
    )
    return Note.objects.get(slug="kl")


def open_as_editor(browser, live_server, viewport, scheme="light"):
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password-1")
    page.click("main button[type=submit]")  # the header has a search button too
    page.wait_for_url(f"{live_server.url}/")
    return page


def assert_no_sideways_scroll(page):
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: the page scrolls sideways ({width} > {inner})"


# The part of an element that no ancestor clips (a table that scrolls inside its own box hides
# its last column without making the page scroll) must be the whole element.
UNCLIPPED = """e => {
  const box = e.getBoundingClientRect();
  let left = 0, right = window.innerWidth;
  for (let a = e.parentElement; a; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== "visible") {
      const r = a.getBoundingClientRect();
      left = Math.max(left, r.left); right = Math.min(right, r.right);
    }
  }
  return box.width > 0 && box.left >= left - 0.5 && box.right <= right + 0.5;
}"""


def assert_in_view_horizontally(page, locator):
    assert locator.count() > 0
    for i in range(locator.count()):
        assert locator.nth(i).evaluate(UNCLIPPED), f"{locator} #{i} is hidden or cut off"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_history_table_fits_with_its_buttons_in_view(live_server, browser, editor, history, viewport):
    page = open_as_editor(browser, live_server, viewport)
    page.goto(f"{live_server.url}/notes/kl/history/")
    assert_no_sideways_scroll(page)
    buttons = page.locator(".history-table tbody tr td:last-child .btn")
    assert buttons.count() == 2  # revisions 1 and 3; the live one has none
    assert_in_view_horizontally(page, buttons)
    # no clipped words: every state label and message is wholly inside its cell and the page
    for selector in (".history-table .state", ".history-table td.message:not(:empty)"):
        cells = page.locator(selector)
        assert_in_view_horizontally(page, cells)
        clipped = cells.evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length")
        assert clipped == 0, selector
    assert page.locator(".history-table .state", has_text="published before").count() == 1
    page.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_rolling_back_asks_first_and_nothing_changes_until_confirmed(live_server, browser, editor, history, viewport):
    page = open_as_editor(browser, live_server, viewport)
    page.goto(f"{live_server.url}/notes/kl/history/")
    page.locator(".history-table tr", has=page.locator("a", has_text=re.compile(r"^\s*(Revision )?1$"))).locator(
        ".btn", has_text="Roll back"
    ).click()
    page.wait_for_url(f"{live_server.url}/edit/kl/rollback/1/")
    assert page.locator("h1").inner_text() == "Roll back to revision 1?"
    assert (
        page.locator("[data-consequence]").inner_text()
        == "Revision 1's text becomes live again as revision 4; revisions 2–3 stay in the history."
    )
    assert_no_sideways_scroll(page)
    assert_in_view_horizontally(page, page.locator(".confirm-actions .btn"))
    note = Note.objects.get(slug="kl")
    assert (note.revisions.count(), note.live_revision.number) == (3, 2)

    page.click("text=Cancel")
    page.wait_for_url(f"{live_server.url}/notes/kl/history/")
    note = Note.objects.get(slug="kl")
    assert (note.revisions.count(), note.live_revision.number) == (3, 2)

    page.goto(f"{live_server.url}/edit/kl/rollback/1/")
    page.click("button:has-text('Roll back to revision 1')")
    page.wait_for_url(f"{live_server.url}/edit/kl/review/")
    assert "Rolled back to the content of revision 1." in page.content()
    note = Note.objects.get(slug="kl")
    assert (note.revisions.count(), note.live_revision.number) == (4, 4)
    page.context.close()


def test_retiring_asks_first(live_server, browser, editor, history):
    page = open_as_editor(browser, live_server, "phone")
    page.goto(f"{live_server.url}/edit/kl/review/")
    page.click("a:has-text('Retire this note')")
    page.wait_for_url(f"{live_server.url}/edit/kl/retire/")
    assert page.locator("[data-consequence]").inner_text().startswith("Retire this note? It leaves the site")
    assert Note.objects.get(slug="kl").live_revision_id is not None
    page.click("button:has-text('Retire this note')")
    page.wait_for_url(f"{live_server.url}/edit/kl/review/")
    assert Note.objects.get(slug="kl").live_revision_id is None
    page.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_editor_pages_fit_and_buttons_follow_one_system(live_server, browser, editor, history, viewport, scheme):
    page = open_as_editor(browser, live_server, viewport, scheme)
    for path in (
        "/edit/",
        "/edit/kl/review/",
        "/edit/kl/rollback/1/",
        "/edit/kl/retire/",
        "/notes/kl/diff/?from=1&to=3",
    ):
        page.goto(f"{live_server.url}{path}")
        assert_no_sideways_scroll(page)
    page.goto(f"{live_server.url}/edit/kl/review/")
    publish = page.locator("button", has_text="Publish revision 3")
    comment = page.locator("button", has_text="Comment")
    retire = page.locator("a", has_text="Retire this note")
    assert "btn-primary" in publish.get_attribute("class")
    assert "btn-secondary" in comment.get_attribute("class")
    assert "btn-danger" in retire.get_attribute("class")
    heights = {round(b.bounding_box()["height"]) for b in (publish, comment, retire)}
    assert len(heights) == 1, heights  # one size
    colours = [b.evaluate("e => getComputedStyle(e).backgroundColor") for b in (publish, comment)]
    assert colours[0] != colours[1]  # the primary stands out; Comment is not the big one
    page.context.close()


def test_tab_leaves_the_body_field_unless_indenting_is_turned_on(live_server, browser, editor, history):
    page = open_as_editor(browser, live_server, "laptop")
    page.goto(f"{live_server.url}/edit/kl/")
    body = page.locator(".markdownx textarea")
    page.locator(".markdownx-preview .note-body").wait_for()
    before = body.input_value()
    toggle = page.locator("[data-tab-toggle] input")
    assert toggle.is_visible() and not toggle.is_checked()  # off by default
    assert "Tab moves to the next field" in page.locator("#id_body_keys").inner_text()
    assert body.get_attribute("aria-describedby") == "id_body_keys"

    body.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('.markdownx textarea')") is False
    assert body.input_value() == before
    # keyboard-only, the next controls lead on to "Save revision"
    for _ in range(40):
        if page.evaluate("document.activeElement.textContent.trim() === 'Save revision'"):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached 'Save revision'")

    body.focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.matches('.markdownx textarea')") is False

    toggle.check()
    assert "Esc, then Tab" in page.locator("#id_body_keys").inner_text()
    body.focus()
    page.evaluate("document.querySelector('.markdownx textarea').setSelectionRange(0, 0)")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('.markdownx textarea')") is True
    assert body.input_value() == "\t" + before
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('.markdownx textarea')") is False

    page.reload()
    assert page.locator("[data-tab-toggle] input").is_checked()  # remembered
    page.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_preview_uses_the_note_typography(live_server, browser, editor, history, viewport):
    page = open_as_editor(browser, live_server, viewport)
    style = "e => { const s = getComputedStyle(e); return [s.fontFamily, s.fontSize, s.lineHeight, s.fontWeight]; }"
    page.goto(f"{live_server.url}/notes/kl/")
    note = page.locator(".note-body p").first.evaluate(style)
    page.goto(f"{live_server.url}/edit/kl/")
    preview = page.locator(".markdownx-preview .note-body p").first
    preview.wait_for()
    assert preview.evaluate(style) == note
    page.context.close()


def _contrast(fg: str, bg: str) -> float:
    def luminance(rgb: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", rgb)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_public_diff_uses_colour_and_marks_with_enough_contrast(live_server, browser, history, scheme):
    width, height = VIEWPORTS["laptop"]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{live_server.url}/notes/kl/diff/?from=1&to=2")  # both published: a reader's view
    style = "e => { const s = getComputedStyle(e); return [s.color, s.backgroundColor, s.textDecorationLine]; }"
    page_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    for selector, mark in (("table.diff-table del", "line-through"), ("table.diff-table ins", "underline")):
        colour, background, decoration = page.locator(selector).first.evaluate(style)
        assert background not in ("rgba(0, 0, 0, 0)", page_bg), selector  # coloured
        assert mark in decoration, selector  # and marked
        assert _contrast(colour, background) >= 4.5, (selector, colour, background)
    for selector in (".diff-replace td.diff-left", ".diff-replace td.diff-right"):
        background = page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", page_bg), selector
    assert (
        page.locator(".diff-replace td.ln-new").first.evaluate("e => getComputedStyle(e, '::after').content") == '" +"'
    )
    context.close()
