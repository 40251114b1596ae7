"""Finding one's way on a phone (390x844) and a desktop (1280x800): a one-row header with a
menu, a note's text in the first screen, the contents list following the reader and, on a
phone, reachable from anywhere in the note."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_editor import login
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

PARAGRAPH = "A paragraph long enough to take several lines on a phone, so that sections are tall. " * 6
SECTIONS = ["Setting", "Notation", "First result", "Second result", "Practice", "Check yourself"]
BODY = "\n\n".join(f"## {title}\n\n" + "\n\n".join([PARAGRAPH] * 5) for title in SECTIONS).replace(
    "## Second result", "### A detail\n\nMore.\n\n## Second result"
)
SUMMARY = "A summary long enough to fill several lines of a phone screen before the note begins. " * 4


@pytest.fixture
def long_note(publish):
    publish("base", note_source("Base note"))
    publish("long", note_source("A long note", body=BODY, prerequisites=["base"], summary=SUMMARY))
    return "/notes/long/"


def open_at(browser, live_server, viewport, path, *, user=None):
    page = browser.new_context(viewport=viewport).new_page()
    if user:
        login(page, live_server, *user)
    page.goto(live_server.url + path)
    return page


def section_top(page, index):
    return page.locator(".note-body h2").nth(index).bounding_box()["y"]


@pytest.mark.parametrize("user", [None, ("bob", "bob-password-1")], ids=["anonymous", "signed-in"])
def test_phone_header_is_one_row_and_the_note_starts_in_the_first_screen(browser, live_server, reader, long_note, user):
    page = open_at(browser, live_server, PHONE, long_note, user=user)
    assert page.locator(".site-header").bounding_box()["height"] < 80
    assert page.locator("#site-search-q").is_visible()  # search stays one tap away
    assert section_top(page, 0) < PHONE["height"]
    assert not page.locator(".note-intro .summary").is_visible()  # folded, one tap away
    page.get_by_text("Summary and prerequisites").click()
    expect(page.locator(".note-intro .summary")).to_be_visible()

    menu = page.locator(".nav-links a[href='/graph/']")
    expect(menu).to_be_hidden()
    page.locator(".nav-menu-toggle").click()
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(page.locator(".nav-menu-toggle")).to_be_focused()
    page.context.close()


def test_desktop_header_keeps_its_links_and_the_summary_shows(browser, live_server, long_note):
    page = open_at(browser, live_server, DESKTOP, long_note)
    expect(page.locator(".nav-links a[href='/graph/']")).to_be_visible()
    expect(page.locator(".nav-menu-toggle")).to_be_hidden()
    expect(page.locator(".note-intro .summary")).to_be_visible()
    expect(page.locator("nav.toc ol")).to_be_visible()
    expect(page.locator(".toc-toggle")).to_be_hidden()
    page.context.close()


# How a reader comes to a section: its heading scrolled to the top crosses the line a quarter
# down the window; a jump (the End key, a dragged scrollbar, a link to a paragraph) can land
# with the heading just above the window, so that no frame ever shows a heading near the line.
ARRIVALS = {
    "scrolled": "h => h.scrollIntoView()",
    "jump": "h => scrollTo(0, h.getBoundingClientRect().bottom + scrollY + 20)",
}


@pytest.mark.parametrize("arrival", ARRIVALS)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_contents_entry_of_the_section_in_view_is_current(browser, live_server, long_note, viewport, arrival):
    page = open_at(browser, live_server, viewport, long_note)
    page.emulate_media(reduced_motion="reduce")
    current = page.locator("nav.toc a[aria-current]")
    expect(current).to_have_text("Setting")
    page.locator(".note-body h2").nth(3).evaluate(ARRIVALS[arrival])
    expect(current).to_have_text("Second result")
    expect(current).to_have_attribute("aria-current", "location")
    assert page.locator("nav.toc a[aria-current]").count() == 1
    if viewport is DESKTOP:  # the sticky column is still in view, mid-note
        box = page.locator("nav.toc").bounding_box()
        assert 0 <= box["y"] < DESKTOP["height"] / 2
    page.context.close()


def test_phone_contents_button_opens_the_list_mid_note_and_goes_to_an_entry(browser, live_server, long_note):
    page = open_at(browser, live_server, PHONE, long_note)
    page.emulate_media(reduced_motion="reduce")
    page.locator(".note-body h2").nth(2).evaluate("h => h.scrollIntoView()")
    button = page.get_by_role("button", name="Contents")
    expect(button).to_be_in_viewport()
    button.click()
    sheet = page.get_by_role("dialog", name="Contents")
    expect(sheet).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(sheet.locator("a[aria-current]")).to_be_focused()  # focus lands on where you are
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(button).to_be_focused()

    button.click()
    sheet.get_by_role("link", name="Practice").click()
    expect(sheet).to_be_hidden()
    page.wait_for_url("**/notes/long/#practice")
    top = section_top(page, 4)
    assert 0 <= top < PHONE["height"] / 2
    expect(page.locator("nav.toc a[aria-current]")).to_have_text("Practice")
    page.context.close()


def test_phone_contents_button_steps_aside_while_the_list_is_in_view(browser, live_server, long_note):
    page = open_at(browser, live_server, PHONE, long_note)
    fold = page.locator("nav.toc summary")
    expect(fold).to_be_in_viewport()
    expect(fold).to_contain_text("6 sections")  # sections, not the sub-heading under one of them
    button = page.locator(".toc-toggle")
    expect(button).to_be_hidden()  # the list it would open is on screen
    page.locator(".note-body h2").nth(2).evaluate("h => h.scrollIntoView()")
    expect(button).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    expect(button).to_be_hidden()
    page.context.close()
