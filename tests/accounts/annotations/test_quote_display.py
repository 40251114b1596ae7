"""Quotes are shown as the page shows their text: prose and typeset math, rendered once per
anchoring and stored, never Markdown or TeX source."""

import pytest

from accounts.annotations.quote_display import annotation_quotes_fill, quote_render
from accounts.annotations.selectors import annotations_on_note
from accounts.annotations.services import annotation_create
from accounts.models import Annotation
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = """
Define $\\newcommand{\\sq}{\\operatorname{sq}}\\sq(x)$ first; then \\*stars\\* and 1. stay prose with $\\sq(y)$.

$$
f(x) = x^2 \\label{eq:f}
$$

::: derivation {#d} A derivation
We differentiate $f$.

1. Differentiate [[#eq:f]] with respect to $x$.

So $f' = 2x$.
:::
"""


def test_quotes_are_stored_rendered_with_the_notes_macros_and_numbers(publish, reader):
    revision = publish("q", note_source("Q", body=BODY))
    step = revision.derivations.get().steps[0]["id"]
    made = [
        annotation_create(owner=reader, slug="q", revision_number=1, quote="and 1. stay prose with $\\sq(y)$"),
        annotation_create(owner=reader, slug="q", revision_number=1, kind="step", block_id=step),
        annotation_create(owner=reader, slug="q", revision_number=1, kind="equation", block_id="eq:f"),
    ]
    for a in made:
        stored = Annotation.objects.get(pk=a.pk).quote_html
        assert 'class="katex' in stored, stored
        assert "$" not in stored.replace('encoding="application/x-tex"', "")
        assert "[[" not in stored and "\\label" not in stored and "math-error" not in stored
    text, step_quote, _ = (Annotation.objects.get(pk=a.pk) for a in made)
    assert "and 1. stay prose" in text.quote_html and "<ol" not in text.quote_html  # prose, not Markdown
    assert "Differentiate (1) with respect to" in step_quote.quote_html
    assert step_quote.quote.startswith("1. Differentiate [[#eq:f]]")  # the source is kept for anchoring


def test_missing_quote_html_is_rendered_once_then_read(publish, reader, django_assert_num_queries):
    publish("q", note_source("Q", body=BODY))
    a = annotation_create(owner=reader, slug="q", revision_number=1, quote="stay prose with $\\sq(y)$")
    Annotation.objects.filter(pk=a.pk).update(quote_html="")  # as re-anchoring leaves it
    items = annotation_quotes_fill(annotations_on_note(reader, a.note))
    assert "katex" in items[0].quote_html
    assert "katex" in Annotation.objects.get(pk=a.pk).quote_html
    again = annotations_on_note(reader, a.note)
    with django_assert_num_queries(0):
        annotation_quotes_fill(again)  # nothing missing: no query, no render


def test_a_quote_that_will_not_render_shows_words_not_source():
    html = quote_render("text", "bad $\\undefinedmacro{x}$ here", plain_text="", numbers={})
    assert "$" not in html and "undefinedmacro" not in html
    assert "bad" in html and "here" in html
