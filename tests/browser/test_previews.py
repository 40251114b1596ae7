"""Link previews and "used by" popovers in a real browser: mouse, keyboard and touch."""

import pytest

from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGET = r"""
## Setup

$$
f(x) = x^2 \label{eq:square}
$$
"""

CITER = "Intro. Squares are in [[target]], and [[target#eq:square]] is the map. Outro."


@pytest.fixture
def notes(publish):
    publish("target", note_source("Target note", body=TARGET, summary="Squares and their slopes"))
    publish("citer", note_source("Citer", body=CITER))


def test_hovering_a_cross_link_shows_the_target_note(live_server, page, notes):
    page.goto(f"{live_server.url}/notes/citer/")
    page.locator(".note-body a.xref").hover()
    card = page.locator("#link-popover")
    card.wait_for(state="visible")
    assert "Target note" in card.inner_text() and "Squares and their slopes" in card.inner_text()
    page.mouse.move(0, 0)
    card.wait_for(state="detached")


def test_focusing_an_equation_reference_shows_the_equation_and_escape_hides_it(live_server, page, notes):
    page.goto(f"{live_server.url}/notes/citer/")
    page.locator(".note-body a.eqref").focus()
    card = page.locator("#link-popover")
    card.wait_for(state="visible")
    assert card.locator(".katex-display").count() == 1
    page.keyboard.press("Escape")
    card.wait_for(state="detached")
    # Without the module the link is a plain link: following it still works.
    page.locator(".note-body a.eqref").press("Enter")
    page.wait_for_url("**/notes/target/#eq:square")


def test_a_first_tap_previews_and_the_card_leads_on(live_server, browser, notes):
    context = browser.new_context(has_touch=True, is_mobile=True, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/notes/citer/")
    page.locator(".note-body a.xref").tap()
    card = page.locator("#link-popover")
    card.wait_for(state="visible")
    assert page.url.endswith("/notes/citer/")
    card.locator(".popover-go").tap()
    page.wait_for_url("**/notes/target/")
    context.close()


def test_used_by_shows_its_count_and_the_citing_sentence(live_server, page, notes):
    page.goto(f"{live_server.url}/notes/target/")
    uses = page.locator(".note-body a.uses-link")
    assert uses.inner_text() == "used by 1"
    uses.click()
    card = page.locator("#link-popover")
    card.wait_for(state="visible")
    assert "Citer" in card.inner_text() and "is the map" in card.inner_text()
    card.locator("a", has_text="Citer").click()
    page.wait_for_url("**/notes/citer/")


def test_used_by_is_hidden_where_nothing_cites_and_is_a_page_without_javascript(live_server, browser, publish):
    publish("lonely", note_source("Lonely", body=TARGET))
    page = browser.new_page()
    page.goto(f"{live_server.url}/notes/lonely/")
    assert page.locator(".note-body a.uses-link").is_hidden()
    page.close()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/notes/lonely/")
    page.locator(".note-body a.uses-link").click()
    page.wait_for_url("**/notes/lonely/uses/eq:square/")
    assert "No other note references this equation yet." in page.content()
    context.close()
