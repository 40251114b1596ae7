"""Summaries: inline Markdown whose formulas are typeset with the note's, stored typeset and
as readable plain text; what a summary may not hold is an error located in the front matter."""

import pytest

from notes.models import Revision
from notes.rendering import render
from notes.rendering.summary import readable_tex
from notes.services import revision_rerender
from tests.conftest import note_source

SUMMARY = r"Derives the softmax Jacobian $\diag(\bp) - \bp\bp^\top$ and why $\KL(p \Vert q) \ge 0$, *exactly*."


def test_summary_math_is_typeset_with_the_site_macros():
    result = render(note_source("Softmax", summary=SUMMARY), slug="softmax")
    assert result.errors == []
    html = result.summary_html
    assert html.startswith('Derives the softmax Jacobian <span class="katex">')
    assert html.count('<span class="katex">') == 2
    assert "<em>exactly</em>" in html
    assert "$" not in html.split("<math")[0]  # no delimiters left in the text
    assert "diag" in html and "undefined control sequence" not in html.casefold()
    assert result.summary == SUMMARY  # the source stays as written


def test_summary_sees_the_notes_own_macros():
    body = "$$\n\\newcommand{\\loss}{\\mathcal{L}}\n$$\n\nThe loss $\\loss$."
    result = render(note_source("Macros", summary=r"About $\loss(\theta)$.", body=body), slug="macros")
    assert result.errors == []  # \loss is defined where the summary is typeset
    assert "\\loss" not in result.summary_html.split("<annotation")[0]


def test_summary_plain_text_reads_formulas():
    result = render(note_source("Softmax", summary=SUMMARY), slug="softmax")
    assert result.summary_text == "Derives the softmax Jacobian diag(p) - ppᵀ and why D_KL(p ∥ q) ≥ 0, exactly."
    assert readable_tex(r"(\sqrt\kappa - 1)/(\sqrt\kappa + 1)") == "(√κ - 1)/(√κ + 1)"
    assert readable_tex(r"\frac{1}{\sqrt{K}}") == "1/√K"
    assert readable_tex(r"\eta/(1-\beta)") == "η/(1-β)"


def test_summary_math_error_is_an_error_of_the_note_at_the_summary_line():
    source = note_source("Broken", summary=r"A broken formula $\frac{a}{$ here.")
    result = render(source, slug="broken")
    (problem,) = result.errors
    assert problem.line == 3  # the summary: line of the front matter
    assert problem.message.startswith("math: ")
    assert problem.col > len("summary: A broken")  # at the formula, not the start of the line


def test_summary_refuses_links_and_labels():
    result = render(note_source("Links", summary=r"See [[other]] and $x \label{eq:x}$."), slug="links")
    messages = [(p.line, p.message) for p in result.errors]
    assert any(line == 3 and "a cross-link" in m and "inline math" in m for line, m in messages), messages
    assert any(line == 3 and "\\label belongs in a display formula" in m for line, m in messages), messages


def test_summary_without_math_is_escaped_text():
    result = render(note_source("Plain", summary="Plain <b>text</b> & more."), slug="plain")
    assert result.summary_html == "Plain &lt;b&gt;text&lt;/b&gt; &amp; more."
    assert result.summary_text == "Plain <b>text</b> & more."


@pytest.mark.django_db
def test_summary_html_is_stored_and_rerender_refreshes_it(publish):
    revision = publish("softmax", note_source("Softmax", summary=SUMMARY))
    stored = Revision.objects.get(pk=revision.pk)
    assert stored.summary_html.count('<span class="katex">') == 2
    assert stored.summary_text.startswith("Derives the softmax Jacobian diag(p)")
    assert str(stored.summary_typeset) == stored.summary_html
    Revision.objects.filter(pk=revision.pk).update(summary_html="", summary_text="")  # as before version 5
    assert str(Revision.objects.get(pk=revision.pk).summary_typeset).startswith("Derives the softmax Jacobian $")
    refreshed = revision_rerender(revision=revision)
    assert refreshed.summary_html == stored.summary_html
