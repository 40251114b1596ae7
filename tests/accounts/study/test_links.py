"""Links in study mode never take the study tab away (accounts.study.links): on the pipeline's
real output, and on the page."""

import re

import pytest
from django.urls import reverse

from accounts.study.links import study_links
from notes.models import Derivation, Note
from tests.accounts.helpers import work_through
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BASICS = r"""
$$
(a + b)(c + d) = ac + ad + bc + bd \label{eq:distribute}
$$
"""

BODY = r"""
$$
x = y \label{eq:here}
$$

::: derivation {#sq} Square of a sum
By [[#eq:here]], with [[basics]] open.

1. Distribute, by [[basics#eq:distribute]]: $(a + b)^2 = a^2 + ab + ba + b^2$.
2. As [the reference](https://example.org/algebra) says, $ab = ba$.

$$
(a + b)^2 = a^2 + 2ab + b^2 \label{eq:square}
$$
:::
"""


@pytest.fixture
def squares(publish):
    publish("basics", note_source("Basics", body=BASICS))
    publish("squares", note_source("Squares", body=BODY))
    note = Note.objects.get(slug="squares")
    return Derivation.objects.get(revision=note.live_revision, key="sq")


def anchors(html):
    return re.findall(r"<a\b[^>]*>", html)


def test_every_link_opens_a_new_tab_and_used_by_chips_are_dropped(squares):
    html = squares.statement_html + "".join(s["html"] for s in squares.steps) + squares.result_html
    assert 'class="uses-link"' in html and 'href="#eq:here"' in html  # what the pipeline stores
    shown = study_links(html, note_url="/notes/squares/")
    assert "uses-link" not in shown and "used by" not in shown
    tags = anchors(shown)
    assert len(tags) == 4  # the equation here, the note, its equation, the outside reference
    for tag in tags:
        assert ' target="_blank"' in tag and tag.count("rel=") == 1, tag
        assert "noopener" in re.search(r'rel="([^"]*)"', tag).group(1).split(), tag
    assert 'href="/notes/squares/#eq:here"' in shown and 'href="#' not in shown
    assert 'rel="noopener noreferrer noopener"' not in shown
    assert any('rel="noopener noreferrer"' in tag and "example.org" in tag for tag in tags)


def test_study_links_leaves_text_and_other_tags_alone():
    html = '<p>An <abbr title="x">abbr</abbr>, <a href="/notes/n/">a link</a>.</p>'
    assert study_links(html, note_url="/notes/m/") == (
        '<p>An <abbr title="x">abbr</abbr>, <a href="/notes/n/" rel="noopener" target="_blank">a link</a>.</p>'
    )


def test_the_study_page_shows_no_link_that_would_leave_it(client, reader, squares):
    work_through(reader, "squares", "sq")
    client.force_login(reader)
    page = client.get(reverse("study:derivation", args=["squares", "sq"])).content.decode()
    article = page[page.index("<article") : page.index("</article>")]
    content = article[article.index('class="study-statement"') :]
    assert "uses-link" not in content
    for tag in anchors(content):
        assert 'target="_blank"' in tag, tag
    crumbs = article[article.index('class="breadcrumbs"') : article.index("</nav>")]
    assert 'href="/notes/squares/#sq" target="_blank" rel="noopener"' in crumbs
    assert "(opens in a new tab)" in crumbs
    assert re.search(r'<h1 id="study-title">Square of a sum</h1>', article)  # the title is a heading
