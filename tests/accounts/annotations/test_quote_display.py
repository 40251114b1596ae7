"""Quotes are shown as the page shows their text: prose and typeset math, rendered once per
anchoring and stored, never Markdown or TeX source."""

import pytest
from django.urls import reverse

from accounts.annotations.quote_display import annotation_quotes_render, quote_render
from accounts.annotations.services import annotation_create
from accounts.models import Annotation
from jobs.models import Job
from tests.conftest import note_source, run_queue_worker

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


@pytest.mark.queue
def test_a_publish_queues_the_quotes_it_moved_and_a_worker_typesets_them(transactional_db, publish, reader):
    step_id = publish("q", note_source("Q", body=BODY)).derivations.get().steps[0]["id"]
    step = annotation_create(owner=reader, slug="q", revision_number=1, kind="step", block_id=step_id)
    assert "Differentiate (1)" in step.quote_html
    # a new first equation renumbers eq:f to (2): the step's stored rendering is out of date
    renumbered = BODY.replace("$$\nf(x)", "$$\ng(x) = 1 \\label{eq:g}\n$$\n\n$$\nf(x)", 1)
    publish("q", note_source("Q", body=renumbered))
    waiting = Annotation.objects.get(pk=step.pk)
    assert waiting.revision.number == 1  # the publish only queued the move
    assert Job.objects.filter(key__startswith="reanchor:", state=Job.State.QUEUED).count() == 1
    run_queue_worker()
    moved = Annotation.objects.get(pk=step.pk)
    assert moved.revision.number == 2
    assert "Differentiate (2) with respect to" in moved.quote_html


def test_reading_pages_only_read_quotes(publish, reader, client, django_assert_max_num_queries):
    publish("q", note_source("Q", body=BODY))
    a = annotation_create(owner=reader, slug="q", revision_number=1, quote="stay prose with $\\sq(y)$")
    Annotation.objects.filter(pk=a.pk).update(quote_html="")  # as a publish leaves it, before its render
    client.force_login(reader)
    page = client.get(reverse("notes:note", args=["q"])).content.decode()
    assert "stay prose with [formula]" in page  # words meanwhile, never the source
    assert Annotation.objects.get(pk=a.pk).quote_html == ""  # the page rendered and wrote nothing
    assert annotation_quotes_render(revision_ids=[a.revision_id]) == 1
    assert "katex" in Annotation.objects.get(pk=a.pk).quote_html
    assert annotation_quotes_render(revision_ids=[a.revision_id]) == 0  # nothing left to render


def test_a_quote_that_will_not_render_shows_words_not_source():
    html = quote_render("text", "bad $\\undefinedmacro{x}$ here", plain_text="", numbers={})
    assert "$" not in html and "undefinedmacro" not in html
    assert "bad" in html and "here" in html
