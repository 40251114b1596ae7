"""An editor writes a formula, sees it typeset in the live preview, saves, publishes, and a
reader sees it: the whole loop in Chromium."""

import pytest

from notes.models import Note
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")  # the header has a search button too
    page.wait_for_url(f"{live_server.url}/")


def test_write_preview_save_publish_read(live_server, page, editor, publish):
    publish("existing", note_source("Existing note"))  # the areas exist, a note to link to
    login(page, live_server, "alice", "alice-password-1")
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/edit/new/")
    page.fill("#id_title", "Gaussian integral")
    page.fill("#id_slug", "gaussian-integral")
    page.fill("#id_summary", "The value of the Gaussian integral.")
    page.check("input[name=topics][value=foundations]")
    body = page.locator(".markdownx textarea")
    body.fill("")
    body.type(
        "See [[existing]].\n\n$$\n\\int_{-\\infty}^{\\infty} e^{-x^2}\\,\\dd x = \\sqrt{\\pi} \\label{eq:gauss}\n$$\n"
    )
    preview = page.locator(".markdownx-preview")
    preview.locator(".katex-display").wait_for(timeout=10_000)
    assert preview.locator(".katex-error").count() == 0
    assert "(1)" in preview.locator(".equation").inner_text()
    page.locator("[data-problems-empty]").filter(has_text="No problems").wait_for()

    body.type("\nBroken $\\frac{$ here.\n")
    page.locator(".problem-list .problem-error").first.wait_for(timeout=10_000)
    assert "math:" in page.locator(".problem-list").inner_text()
    body.fill(body.input_value().replace("\nBroken $\\frac{$ here.\n", "\n"))
    page.locator("[data-problems-empty]").filter(has_text="No problems").wait_for(timeout=10_000)
    page.fill("#id_message", "First version")
    page.click("button:has-text('Save revision')")
    page.wait_for_url(f"{live_server.url}/edit/gaussian-integral/")
    assert "Saved revision 1" in page.content()

    page.goto(f"{live_server.url}/edit/gaussian-integral/review/")
    page.click("button:has-text('Publish revision 1')")
    assert "Published." in page.content()
    assert Note.objects.get(slug="gaussian-integral").live_revision.number == 1

    reader = page.context.browser.new_context().new_page()
    reader.goto(f"{live_server.url}/notes/gaussian-integral/")
    assert reader.locator("h1").inner_text() == "Gaussian integral"
    assert reader.locator(".katex-display").count() == 1
    assert reader.locator(".katex-error").count() == 0
    assert errors == []
