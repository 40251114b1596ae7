"""A learner marks derivations in the page, sees a change flagged, and the dashboard follows."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_editor import login
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = r"""
::: derivation {#first} First derivation
1. Start from $a = b$.
2. Then $b = c$.

So $a = c$.
:::

::: derivation {#second} Second derivation
1. Take $x$.

Done with $x$.
:::
"""


def test_mark_in_place_then_see_a_change_and_reconfirm(live_server, page, reader, publish):
    publish("n", note_source("Note N", body=BODY))
    login(page, live_server, "bob", "bob-password-1")
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/notes/n/")

    first = page.locator('.progress-form[action$="/n/first/"]')
    first.get_by_role("button", name="Worked through").click()
    expect(first).to_have_attribute("data-state", "worked_through")
    assert page.url.endswith("/notes/n/")  # no page load: the module posted it
    assert first.get_by_role("button", name="Worked through").get_attribute("aria-pressed") == "true"
    expect(page.locator(".note-progress strong")).to_have_text("1 of 2")
    page.reload()
    assert first.get_by_role("button", name="Worked through").get_attribute("aria-pressed") == "true"

    page.goto(f"{live_server.url}/accounts/")
    assert "1 of 2" in page.locator(".dash-totals").inner_text()
    assert page.locator(".progress-chart .chart-done").count() >= 1
    assert "Note N" in page.locator(".fringe").inner_text()  # one derivation still to do

    publish("n", note_source("Note N", body=BODY.replace("Then $b = c$.", "Then $b = c$ by transitivity.")))
    page.goto(f"{live_server.url}/notes/n/")
    stale = first.locator(".progress-stale")
    assert "Changed since you worked through it" in stale.inner_text()
    stale.get_by_role("link", name="See what changed").click()
    assert "by transitivity" in page.locator(".step-changed").inner_text()
    page.get_by_role("button", name="re-confirm").click()
    page.wait_for_url("**/notes/n/#first")
    assert first.locator(".progress-stale").count() == 0
    assert errors == []
