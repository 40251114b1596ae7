"""Every starter note, opened in Chromium on a desktop and a phone: math laid out with no
KaTeX error, nothing failing to load, and no sideways scrolling of the page itself (wide
formulas, tables and code scroll inside their own boxes)."""

from io import StringIO

import pytest
from django.core.management import call_command

from notes.models import Note
from tests.conftest import CORPUS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_corpus_note_reads_correctly(live_server, browser):
    call_command("import_notes", str(CORPUS), stdout=StringIO(), stderr=StringIO())
    slugs = sorted(Note.objects.live().values_list("slug", flat=True))
    assert len(slugs) >= 24
    problems = []
    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        errors = []
        page.on("console", lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None)
        for slug in slugs:
            page.goto(f"{live_server.url}/notes/{slug}/")
            katex = page.locator(".katex").count()
            broken = page.locator(".katex-error, .math-error, .xref-broken").count()
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if katex < 20 or broken or overflow > 1:
                problems.append(f"{slug} at {width}px: {katex} formulas, {broken} errors, {overflow}px overflow")
        if errors:
            problems.append(f"console errors at {width}px: {errors[:3]}")
        context.close()
    assert problems == []
