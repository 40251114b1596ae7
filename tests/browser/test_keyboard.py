"""A reader and an editor who use only the keyboard: Tab to reach things, Enter or Space to act.
(Annotating a selection by keyboard is in test_margin_annotations; revealing study steps by
keyboard in test_study.)"""

import pytest

from accounts.models import DerivationProgress
from notes.models import Note, Revision
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = r"""
## Setting

The square of a sum.

::: derivation {#sq} Square of a sum
1. Expand: $(a + b)^2 = (a + b)(a + b)$.
2. Distribute: $= a^2 + 2ab + b^2$.

So $(a + b)^2 = a^2 + 2ab + b^2$.
:::
"""


def open_as(page, client, live_server, user, path: str) -> None:
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}{path}")


def tab_to(page, selector: str, limit: int = 300) -> None:
    """Press Tab until the focused element matches `selector`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_reader_marks_progress_with_the_keyboard(live_server, page, client, publish, reader):
    publish("squares", note_source("Squares", body=BODY))
    open_as(page, client, live_server, reader, "/notes/squares/")
    tab_to(page, ".progress-states button[value=worked_through]")
    page.keyboard.press("Enter")
    page.locator(".progress-states button[value=worked_through][aria-pressed=true]").wait_for()
    assert DerivationProgress.objects.get(owner=reader, derivation_key="sq").state == "worked_through"


def test_an_editor_saves_an_edit_with_the_keyboard(live_server, page, client, publish, editor):
    publish("squares", note_source("Squares", body=BODY))
    open_as(page, client, live_server, editor, "/edit/squares/")
    tab_to(page, ".markdownx textarea")
    page.keyboard.press("Control+End")
    page.keyboard.type("\nA sentence typed without a mouse.\n")
    tab_to(page, "main button[type=submit].btn-primary")  # "Save revision"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    latest = Note.objects.get(slug="squares").latest_revision
    assert latest.number == 2 and "typed without a mouse" in Revision.objects.get(pk=latest.pk).source
