"""Annotating in a real browser: select, write with math, reload, follow the text through
revisions, and find the orphan when the passage is gone."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_editor import login
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSAGE = "The gradient of the loss with respect to the logits is the prediction minus the target."
INTRO = "Softmax turns logits $\\bz$ into probabilities."
OTHER = "A paragraph that stays where it is, about temperature $\\tau$."


def select_text(page, text):
    """Select the first occurrence of `text` inside the note body, as a reader would."""
    page.evaluate(
        """(text) => {
          const body = document.querySelector('.note-body');
          const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            const at = node.data.indexOf(text);
            if (at >= 0) {
              const range = document.createRange();
              range.setStart(node, at);
              range.setEnd(node, at + text.length);
              const selection = getSelection();
              selection.removeAllRanges();
              selection.addRange(range);
              return;
            }
          }
          throw new Error('text not found: ' + text);
        }""",
        text,
    )


def test_annotate_reload_follow_and_orphan(live_server, page, reader, publish):
    publish("n", note_source("Note N", body=f"{INTRO}\n\n{PASSAGE}\n\n{OTHER}"))
    login(page, live_server, "bob", "bob-password-1")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/notes/n/")

    page.locator(".note-body p").nth(1).scroll_into_view_if_needed()
    select_text(page, "the prediction minus the target")
    page.get_by_role("button", name="Annotate", exact=True).last.click()
    page.fill("#annotation-editor-body", "So $\\nabla_{\\bz} L = \\bp - \\by$ for one example.")
    page.get_by_role("button", name="Save").click()
    entry = page.locator(".annotation-entry")
    expect(entry).to_have_count(1)  # saved: the script reloads the page with the new entry

    page.reload()
    mark = page.locator("mark.annotation-hl")
    expect(mark).to_have_text("the prediction minus the target")
    expect(entry).to_have_count(1)
    assert entry.locator(".annotation-body .katex").count() == 1  # the math in the body is typeset

    # A new revision moves the passage below another paragraph: the highlight follows it.
    publish("n", note_source("Note N", body=f"{INTRO}\n\n{OTHER}\n\nA new first sentence. {PASSAGE}"))
    page.reload()
    expect(page.locator("mark.annotation-hl")).to_have_text("the prediction minus the target")
    assert "orphaned" not in entry.inner_text()

    # A revision without the passage: the annotation is an orphan, listed with its quote.
    publish("n", note_source("Note N", body=f"{INTRO}\n\n{OTHER}"))
    page.reload()
    expect(page.locator("mark.annotation-hl")).to_have_count(0)
    expect(entry).to_contain_text("orphaned")
    expect(entry).to_contain_text("the prediction minus the target")
    entry.get_by_role("link", name="see it in revision 2").click()
    expect(page.locator("mark.annotation-hl")).to_have_text("the prediction minus the target")
    assert errors == []


@pytest.mark.queue
def test_annotations_waiting_for_their_move_are_listed_as_being_updated_and_not_drawn(
    live_server, page, reader, publish
):
    from accounts.annotations.services import annotation_create
    from tests.conftest import run_queue_worker

    first = publish("n", note_source("Note N", body=f"{INTRO}\n\n{PASSAGE}\n\n{OTHER}"))
    run_queue_worker()
    annotation_create(owner=reader, slug="n", revision_number=first.number, quote="the prediction minus the target")
    login(page, live_server, "bob", "bob-password-1")
    page.goto(f"{live_server.url}/notes/n/")
    expect(page.locator("mark.annotation-hl")).to_have_text("the prediction minus the target")

    # A publish that moves the passage down: until the worker has run, the stored offsets are
    # the old text's, so nothing is highlighted (a highlight there would mark the wrong words).
    publish("n", note_source("Note N", body=f"A new opening paragraph.\n\n{INTRO}\n\n{OTHER}\n\n{PASSAGE}"))
    page.reload()
    entry = page.locator(".annotation-entry")
    expect(entry).to_contain_text("being updated")
    assert "orphaned" not in entry.inner_text()
    expect(page.locator("mark.annotation-hl")).to_have_count(0)

    run_queue_worker()
    page.reload()
    expect(page.locator("mark.annotation-hl")).to_have_text("the prediction minus the target")
    assert "being updated" not in entry.inner_text()
