"""Search snippets show text and typeset math, never Markdown or TeX source: cut from the
fragments stored at render time, on whichever engine the suite runs on."""

import pytest
from django.urls import reverse

from notes.models import SearchDocument, SearchFormula
from notes.search.query import parse_query
from notes.search.selectors import search
from notes.search.snippets import SnippetCutter
from tests.conftest import note_source


def search_notes(query, **kwargs):
    return search(query, **kwargs).hits


SOURCE_MARKS = ("$", "\\begin", "\\label", "[[", "\\newcommand", "\\KL", "\\softmax", "\\bx", "**")

BODY = r"""
$$
\newcommand{\logits}{\mathbf{z}}
$$

The divergence $\KL(p \Vert q) = \E_{\bx \sim p}[\log p(\bx) - \log q(\bx)]$ is never negative.

## The softmax

Applying the softmax to the logits $\logits$ gives **probabilities**:

$$
\begin{align}
\bp &= \softmax(\logits) \label{eq:softmax}
\end{align}
$$

Its jacobian is $\diag(\bp) - \bp\bp^\top$, see [[#eq:softmax]] and [[other-note]].
"""


@pytest.fixture
def notes(publish):
    publish("other-note", note_source("Other", body="Nothing to find here."))
    publish("softmax", note_source("Softmax and KL", body=BODY))


def snippet_of(query, slug="softmax"):
    (hit,) = [hit for hit in search_notes(query) if hit.slug == slug]
    return str(hit.snippet)


def assert_no_source(html):
    for mark in SOURCE_MARKS:
        assert mark not in html, (mark, html)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["softmax", "KL", r"\KL", "jacobian", "divergence", "probabilities", "logits"])
def test_snippets_show_typeset_math_and_no_source(notes, query):
    html = snippet_of(query)
    assert "<mark>" in html
    assert '<span class="katex">' in html, html
    assert_no_source(html)


@pytest.mark.django_db
def test_a_word_near_a_formula_is_marked_and_the_formula_typeset(notes):
    html = snippet_of("jacobian")
    assert html.startswith('Its <mark>jacobian</mark> is <span class="snippet-formula"><span class="katex">')
    assert html.endswith(", see (1) and Other.")  # links as the reader sees them


@pytest.mark.django_db
def test_a_named_formula_is_marked_whole(notes):
    html = snippet_of(r"\KL")
    assert html.startswith('The divergence <mark><span class="snippet-formula"><span class="katex">')
    html = snippet_of("softmax")  # the display formula that uses it, rather than the heading
    assert '<mark><span class="snippet-formula"><span class="katex-display">' in html


@pytest.mark.django_db
def test_definitions_are_not_snippet_material(notes):
    document = SearchDocument.objects.get(note__slug="softmax")
    assert "newcommand" not in document.snippet_text
    assert "\\newcommand" in document.body  # still searchable: the index keeps the TeX
    formulas = SearchFormula.objects.filter(document=document)
    assert formulas.count() == 4  # \KL..., \logits, the align, \diag...; the definition is not
    assert all("application/x-tex" not in f.html for f in formulas)


@pytest.mark.django_db
def test_instant_json_shows_typeset_math_and_no_source(client, notes):
    for query in ("softmax", "KL", "jacobian"):
        (result, *_) = client.get(reverse("notes:search_json"), {"q": query}).json()["results"]
        assert result["slug"] == "softmax"
        assert '<span class="katex">' in result["snippet"] and "<mark>" in result["snippet"]
        assert_no_source(result["snippet"])
        assert "formulas" not in result


@pytest.mark.django_db
def test_search_page_shows_typeset_math_and_no_source(client, notes):
    html = client.get(reverse("notes:search"), {"q": "jacobian"}).content.decode()
    snippet = html.split('class="search-hit-snippet">', 1)[1].split("</p>", 1)[0]
    assert '<span class="katex">' in snippet
    assert_no_source(snippet)


def test_cutter_keeps_a_window_around_the_first_match_and_escapes():
    words = " ".join(f"w{i}" for i in range(100))
    text = f"nothing here\n{words} <b>target</b> & {words}"
    html = SnippetCutter(parse_query("target")).cut(text).html({})
    assert html.startswith("… w92 ") and html.endswith(" …")
    assert "&lt;b&gt;<mark>target</mark>&lt;/b&gt; &amp;" in html
    assert SnippetCutter(parse_query("absent")).cut(text) is None


def test_cutter_prefers_the_block_matching_more_terms():
    text = "adam alone\nsecond moment alone\nadam and its second moment together"
    html = SnippetCutter(parse_query("adam moment")).cut(text).html({})
    assert html == "<mark>adam</mark> and its second <mark>moment</mark> together"
