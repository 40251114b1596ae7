"""Every starter note, opened in Chromium as readers open it: on a desktop (1280×800) and a
phone (390×844), light and dark, and printed on A4.

On screen: math laid out with no KaTeX error, nothing failing to load, no sideways scrolling
of the page itself; every equation number in view, beside its formula; every display either
fits its box or scrolls inside it with the fade that says so. In print: every display fits
the page and every folded block is open."""

from io import StringIO

import pytest
from django.core.management import call_command

from notes.models import Note
from tests.conftest import CORPUS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A4 is 210 mm wide; the print style sheet's @page margins are 1.8 cm each side: 174 mm of
# text, 658 px at CSS's 96 px to the inch.
A4_TEXT_WIDTH = 658

SCREEN = r"""() => {
  const problems = [];
  const name = (d) => d.id || (d.textContent || "").trim().slice(0, 40);
  const overflow = document.documentElement.scrollWidth - window.innerWidth;
  if (overflow > 1) problems.push(`page scrolls sideways by ${overflow}px`);
  for (const d of document.querySelectorAll(".math-display")) {
    if (d.scrollWidth > d.clientWidth + 1) {
      const fade = getComputedStyle(d).backgroundImage;
      if (!d.classList.contains("scrolls") || !fade.includes("gradient"))
        problems.push(`display ${name(d)} is cut with no sign that it scrolls`);
    }
  }
  for (const tag of document.querySelectorAll(".katex-tag")) {
    const r = tag.getBoundingClientRect();
    const box = tag.closest(".math-display").getBoundingClientRect();
    const left = Math.max(0, box.left), right = Math.min(window.innerWidth, box.right);
    if (r.left < left - 1 || r.right > right + 1)
      problems.push(`number ${tag.textContent.trim()} of ${name(tag.closest(".math-display"))} is out of view`);
  }
  // Summaries are typeset: no source reaches the reader (KaTeX's hidden MathML copy aside).
  for (const summary of document.querySelectorAll(".summary")) {
    const shown = summary.cloneNode(true);
    shown.querySelectorAll(".katex-mathml").forEach((m) => m.remove());
    if (/\$|\\begin|\[\[/.test(shown.textContent)) problems.push(`summary shows source: ${shown.textContent.slice(0, 80)}`);
  }
  return {
    problems,
    katex: document.querySelectorAll(".katex").length,
    errors: document.querySelectorAll(".katex-error, .math-error, .xref-broken").length,
  };
}"""

PRINT = """() => {
  const problems = [];
  for (const d of document.querySelectorAll(".math-display")) {
    const r = d.getBoundingClientRect();
    if (d.scrollWidth > d.clientWidth + 1 || r.right > window.innerWidth + 1)
      problems.push(`display ${d.id || d.textContent.trim().slice(0, 40)} is wider than the page`);
  }
  for (const d of document.querySelectorAll("main details:not([open])"))
    problems.push(`a folded ${d.className || "details"} block is printed closed`);
  return problems;
}"""


def fitted(page, mode: str) -> None:
    """Wait until static/js/displays.js has fitted the displays for `mode` ("screen" or
    "print"). Polled from here: the page's CSP forbids the eval that wait_for_function uses."""
    for _ in range(100):
        if page.evaluate("() => document.documentElement.dataset.displays") == mode:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"displays were not fitted for {mode}")


def test_every_corpus_note_reads_correctly_on_screen_and_in_print(live_server, browser):
    call_command("import_notes", str(CORPUS), stdout=StringIO(), stderr=StringIO())
    slugs = sorted(Note.objects.live().values_list("slug", flat=True))
    assert len(slugs) >= 24
    problems = []
    for scheme in ("light", "dark"):
        for width, height in ((1280, 800), (390, 844)):
            problems += screen_problems(live_server, browser, slugs, width, height, scheme)
    problems += print_problems(live_server, browser, slugs)
    assert problems == []


def screen_problems(live_server, browser, slugs, width, height, scheme) -> list[str]:
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    errors, problems = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    for slug in slugs:
        page.goto(f"{live_server.url}/notes/{slug}/")
        fitted(page, "screen")
        found = page.evaluate(SCREEN)
        if found["katex"] < 20 or found["errors"]:
            problems.append(f"{slug} at {width}px: {found['katex']} formulas, {found['errors']} errors")
        problems += [f"{slug} at {width}px {scheme}: {p}" for p in found["problems"]]
    if errors:
        problems.append(f"console errors at {width}px {scheme}: {errors[:3]}")
    context.close()
    return problems


def print_problems(live_server, browser, slugs) -> list[str]:
    context = browser.new_context(viewport={"width": A4_TEXT_WIDTH, "height": 1000})
    problems = []
    for slug in slugs:
        # Loaded as print, as a PDF renderer loads it: one page each, so that no media change
        # of the page before can reach this one.
        page = context.new_page()
        page.emulate_media(media="print")
        page.goto(f"{live_server.url}/notes/{slug}/")
        fitted(page, "print")
        problems += [f"{slug} in print: {p}" for p in page.evaluate(PRINT)]
        page.close()
    context.close()
    return problems
