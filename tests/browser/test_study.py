"""Study mode in a real browser, on a phone-sized screen: steps revealed one at a time by button
and keyboard, hidden steps out of sight and out of the accessibility tree, the attempt kept in
the browser across a reload, then a self-grade that lands on the queue."""

import pytest
from playwright.sync_api import expect

from accounts.models import ReviewLog
from tests.accounts.helpers import work_through
from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = r"""
::: derivation {#sq} Square of a sum
Let $a, b \in \R$. We expand $(a + b)^2$.

1. Write the square as a product: $(a + b)^2 = (a + b)(a + b)$.
2. Distribute: $(a + b)(a + b) = a^2 + ab + ba + b^2$.
3. Multiplication commutes, so $ab + ba = 2ab$.

Hence $(a + b)^2 = a^2 + 2ab + b^2$.
:::
"""

STEP_WORDS = ["as a product", "Distribute", "Multiplication commutes"]


def log_in(page, client, live_server, user):
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_study_one_derivation_step_by_step(live_server, page, client, publish, reader):
    publish("squares", note_source("Squares", body=BODY))
    work_through(reader, "squares", "sq")

    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, client, live_server, reader)

    page.goto(f"{live_server.url}/study/")
    page.get_by_role("link", name="Square of a sum").click()
    assert page.url.endswith("/study/squares/sq/")

    steps = page.locator("[data-step]")
    article = page.locator("article.study")
    reveal = page.get_by_role("button", name="Reveal next step")
    result = page.get_by_role("heading", name="Result")

    def shown():
        return [steps.nth(i).is_visible() for i in range(3)]

    def accessible():
        return article.aria_snapshot()

    expect(reveal).to_be_visible()
    assert shown() == [False, False, False]
    assert steps.evaluate_all("els => els.map(e => e.hidden)") == [True, True, True]
    tree = accessible()
    assert "expand" in tree and not any(word in tree for word in STEP_WORDS)
    expect(result).to_be_hidden()
    assert "Hence" not in tree
    assert page.locator(".katex").first.is_visible()  # the statement's math

    reveal.click()
    assert shown() == [True, False, False]
    expect(page.locator("[data-count]")).to_have_text("1 of 3 steps shown")
    tree = accessible()
    assert STEP_WORDS[0] in tree and STEP_WORDS[1] not in tree and STEP_WORDS[2] not in tree

    reveal.focus()
    page.keyboard.press("Space")
    assert shown() == [True, True, False]

    # typing "n" in the attempt box is writing, not revealing
    attempt = page.get_by_label("Your attempt")
    attempt.click()
    page.keyboard.type("n(n+1): no")
    assert shown() == [True, True, False]

    page.reload()
    expect(page.get_by_label("Your attempt")).to_have_value("n(n+1): no")
    assert shown() == [False, False, False]  # a reload starts the steps over

    page.locator("h1").click()
    for expected in ([True, False, False], [True, True, False], [True, True, True]):
        page.keyboard.press("n")
        assert shown() == expected
    expect(result).to_be_visible()
    expect(result).to_be_focused()
    expect(reveal).to_be_hidden()
    assert "Hence" in accessible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows the phone

    page.get_by_role("button", name="Good").click()
    page.wait_for_url(f"{live_server.url}/study/")
    expect(page.get_by_role("heading", name="Due today")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Graded good")
    expect(page.get_by_text("Nothing is due.")).to_be_visible()
    assert list(ReviewLog.objects.values_list("owner__username", "derivation_key", "rating")) == [("bob", "sq", 3)]
    assert errors == []  # CSP blocked nothing, the module ran cleanly


def test_without_javascript_each_step_opens_in_turn(live_server, browser, client, publish, reader):
    publish("squares", note_source("Squares", body=BODY))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, client, live_server, reader)
        page.goto(f"{live_server.url}/study/squares/sq/")
        folds = page.locator("[data-step] details")
        assert folds.count() == 3
        assert not page.get_by_text("Distribute").is_visible()
        folds.nth(1).locator("summary").click()
        assert page.get_by_text("Distribute").is_visible()
        assert not page.get_by_text("as a product").is_visible()
        # not marked worked through: the page explains instead of offering grades
        expect(page.get_by_text("Grades count only for derivations in your review schedule")).to_be_visible()
    finally:
        context.close()
