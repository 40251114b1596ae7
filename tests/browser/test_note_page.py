"""What a reader sees in a real browser: math laid out by KaTeX on the server, no errors."""

import pytest

from tests.conftest import note_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = r"""
## Softmax

The softmax of $\bz \in \R^n$ is

$$
\softmax(\bz)_i = \frac{e^{z_i}}{\sum_{j=1}^n e^{z_j}} \label{eq:softmax}
$$

::: derivation {#shift} Shift invariance
Let $c \in \R$.

1. Multiply numerator and denominator of [[#eq:softmax]] by $e^{-c}$.
2. The factor cancels: $\softmax(\bz - c\bone) = \softmax(\bz)$.

So subtracting $\max_j z_j$ changes nothing but the range of the exponentials.
:::
"""


def test_note_math_is_laid_out_with_no_katex_error(live_server, page, publish):
    publish("softmax", note_source("Softmax", body=BODY))
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/notes/softmax/")

    assert page.locator("h1").inner_text() == "Softmax"
    assert page.locator(".katex").count() >= 5
    assert page.locator(".katex-error").count() == 0
    # no math JavaScript on reader pages: the modules are the search box, the fitting of
    # displays to the page, the header's menu, link previews and the contents list
    assert page.locator("script").evaluate_all("els => els.map(e => e.src.split('/static/')[1])") == [
        "js/search.js",
        "js/displays.js",
        "js/menu.js",
        "js/note-links.js",
        "js/contents.js",
    ]
    # KaTeX's CSS and fonts are loaded: a fraction is laid out with real height, the
    # MathML copy is visually hidden, and the display equation carries its number.
    frac = page.locator(".katex-display .mfrac").first
    assert frac.bounding_box()["height"] > 20
    mathml = page.locator(".katex-mathml").first.bounding_box()
    assert mathml is None or mathml["height"] <= 1
    assert "(1)" in page.locator("#eq\\:softmax").inner_text()
    fonts = page.evaluate("() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any(family.startswith("KaTeX") for family in fonts)

    page.locator("a.eqref").first.click()
    assert page.url.endswith("#eq:softmax")
    page.goto(f"{live_server.url}/notes/softmax/#shift-step-2")
    assert page.locator("#shift-step-2").is_visible()
    assert console_errors == []  # CSP blocked nothing, nothing failed to load


def test_each_stylesheet_is_fetched_once_though_named_twice(live_server, page, publish):
    # The Link header preloads each stylesheet the head links (notes.link_header): the <link>
    # elements use those fetches, and the page is styled by every one of them.
    publish("softmax", note_source("Softmax", body=BODY))
    response = page.goto(f"{live_server.url}/notes/softmax/")
    linked = page.locator('link[rel="stylesheet"]').evaluate_all("els => els.map((e) => e.href)")
    fetched = page.evaluate(
        "() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.css'))"
    )
    applied = page.evaluate("() => [...document.styleSheets].map((s) => s.href)")
    assert "rel=preload; as=style" in response.headers["link"]
    assert len(linked) >= 3
    assert sorted(fetched) == sorted(linked) == sorted(applied)


def test_the_faces_preloaded_are_the_ones_the_page_sets_text_in(live_server, page, publish):
    # A short note is all "top" (notes.font_preloads): the page preloads each face it lays text
    # out in, and no other; each face is fetched once (the preload is the fetch the font uses).
    publish("softmax", note_source("Softmax", body=BODY))
    page.goto(f"{live_server.url}/notes/softmax/")
    page.evaluate("() => document.fonts.ready")
    preloaded = page.locator('link[rel="preload"][as="font"]').evaluate_all("els => els.map((e) => e.href)")
    fetched = page.evaluate(
        "() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.woff2'))"
    )
    used = page.evaluate(
        "() => [...document.fonts].filter((f) => f.family.startsWith('KaTeX') && f.status === 'loaded').length"
    )
    assert len(preloaded) >= 3
    assert sorted(fetched) == sorted(preloaded)
    assert used == len(preloaded)
