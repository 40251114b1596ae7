"""Full-text search, on whichever engine the suite runs on (SQLite by default, PostgreSQL with
DATABASE_URL): ranking, escaping, filters, math tokens, what is live, bad input, query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notes.editorial.services import note_publish
from notes.models import Note, Revision, SearchDocument, Topic
from notes.search.query import MAX_QUERY_LENGTH, QueryError, parse_query, to_fts5, to_tsquery_text
from notes.search.selectors import search
from notes.selectors import LiveNoteIndex
from notes.services import revision_create, revision_rerender
from tests.conftest import note_source

pytestmark = pytest.mark.django_db


def search_notes(query, **kwargs):
    return search(query, **kwargs).hits


SEARCH = reverse("notes:search")
SEARCH_JSON = reverse("notes:search_json")


def slugs(query, **kwargs):
    return [hit.slug for hit in search_notes(query, **kwargs)]


def only_marks(html: str) -> bool:
    return {tag for tag in re.findall(r"</?([a-zA-Z][^\s/>]*)", html)} <= {"mark"}


# --- ranking ---------------------------------------------------------------------------


def test_title_matches_rank_first(publish):
    many = " ".join(["The jacobian of the layer."] * 20)
    publish("body-heavy", note_source("Layer calculus", summary="The jacobian, again and again.", body=many))
    publish("titled", note_source("The jacobian", summary="A short note.", body="Only the title says it."))
    publish("unrelated", note_source("Something else", body="Nothing to see."))
    hits = search_notes("jacobian")
    assert [h.slug for h in hits] == ["titled", "body-heavy"]
    assert hits[0].title_match and not hits[1].title_match


def test_summary_outranks_body(publish):
    publish("in-body", note_source("Alpha", summary="A note.", body="It mentions curvature once, late."))
    publish("in-summary", note_source("Beta", summary="All about curvature.", body="Nothing here."))
    assert slugs("curvature") == ["in-summary", "in-body"]


def test_derivation_titles_and_equation_labels_are_searchable(publish):
    body = r"""
$$
a = b \label{eq:tautology}
$$

::: derivation {#shift} Shift invariance
1. Step $x$.

Done.
:::
"""
    publish("deriv", note_source("Deriv", body=body))
    assert slugs("invariance") == ["deriv"]
    assert slugs("tautology") == ["deriv"]


FILLER = "Unrelated prose about something else entirely. " * 30  # past the head's opening


@pytest.fixture
def quaternion_notes(publish):
    publish("deep", note_source("Alpha", body=FILLER + "One quaternion, late."))
    publish("heavy-deep", note_source("Beta", body=FILLER + "The quaternion product. " * 15))
    publish("opening", note_source("Gamma", body="A quaternion opens this note. " + FILLER))
    publish("summarized", note_source("Delta", summary="On the quaternion.", body=FILLER))
    publish("titled", note_source("Quaternion basics", body=FILLER))


def test_many_matches_rank_title_then_summary_then_body(quaternion_notes):
    hits = slugs("quaternion")
    assert hits[:2] == ["titled", "summarized"]
    assert set(hits[2:]) == {"deep", "heavy-deep", "opening"}
    assert hits.index("heavy-deep") < hits.index("deep")  # more uses, higher rank


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two-phase ranking is PostgreSQL's")
def test_postgresql_ranks_by_the_full_vector_only_the_best_candidates(quaternion_notes, monkeypatch):
    # With room for three candidates, the tiers pick them: the title, then of the heads the
    # summary and the note whose opening names the word; the one using it fifteen times deep
    # in its body would outrank that opening on the full vector, but is not a candidate.
    monkeypatch.setattr("notes.search.ranking.RERANK_PER_HIT", 1)
    assert slugs("quaternion", limit=3) == ["titled", "summarized", "opening"]
    monkeypatch.setattr("notes.search.ranking.RERANK_PER_HIT", 2)
    assert slugs("quaternion", limit=3) == ["titled", "summarized", "heavy-deep"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's head vector")
def test_a_head_match_is_a_match(publish):
    # The head holds the body's opening, cut before a word it would split: "lossless" across
    # the 1000th character must not leave "loss" in the head of a note that never says loss.
    publish("cut", note_source("Cut", body="Prose."))
    opening = "word " * 198 + "word  "  # 996 characters
    SearchDocument.objects.filter(note__slug="cut").update(body=opening + "lossless tail")
    assert slugs("lossless") == ["cut"]
    assert slugs("loss") == []


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plan")
def test_postgresql_reads_full_vectors_only_for_candidates(quaternion_notes, monkeypatch):
    monkeypatch.setattr("notes.search.ranking.RERANK_PER_HIT", 1)
    with CaptureQueriesContext(connection) as captured:
        assert len(search_notes("quaternion", limit=3)) == 3
    (sql,) = [q["sql"] for q in captured.captured_queries if "notes_search_candidates" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]
    # The most rows any plan node computed each expensive call for (the planner renames
    # the table's aliases, d_1 and so on).
    rows = {}
    for node in _plan_nodes(plan):
        output = " ".join(node.get("Output", []))
        for call in (r"ts_headline\(", r"ts_rank\(\w+\.search_vector"):  # snippets: none, cut in Python
            if re.search(call, output):
                rows[call] = max(rows.get(call, 0), node["Actual Rows"] * node["Actual Loops"])
    assert rows == {r"ts_rank\(\w+\.search_vector": 3}


# --- snippets are escaped --------------------------------------------------------------

HOSTILE = (
    "Beware <b>bold</b> tags & <script>alert('pwned')</script> injections "
    "and a stray \ue000 private-use marker \ue001 in the text."
)


def test_snippets_are_escaped_and_only_marked(client, publish):
    publish("hostile", note_source("Hostile", summary="A <i>summary</i> & more.", body=HOSTILE))
    for query in ("injections", "beware", "private"):
        (hit,) = search_notes(query)
        assert "<mark>" in hit.snippet, query
        assert only_marks(hit.snippet), hit.snippet
        assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>")
        assert "&amp;" in hit.snippet or "&" not in hit.snippet.replace("&lt;", "").replace("&gt;", "")
    if connection.vendor == "sqlite":
        # SQLite indexes the tag's text (PostgreSQL's parser drops tags); the snippet shows it escaped.
        (hit,) = search_notes("script")
        assert "&lt;<mark>script</mark>&gt;alert(" in hit.snippet
    html = client.get(SEARCH, {"q": "injections"}).content.decode()
    assert "<script>alert" not in html and "<b>bold" not in html and "<i>summary" not in html
    assert "A &lt;i&gt;summary&lt;/i&gt; &amp; more." in html
    payload = client.get(SEARCH_JSON, {"q": "injections"}).json()
    assert only_marks(payload["results"][0]["snippet"])


# --- filters ---------------------------------------------------------------------------


def test_area_filter_includes_sub_topics(publish, areas):
    optimization = Topic.objects.get(slug="optimization")
    Topic.objects.create(slug="second-order", title="Second order", parent=optimization)
    publish("opt", note_source("Opt", body="Curvature matters.", topics=["optimization"]))
    publish("sub", note_source("Sub", body="Curvature again.", topics=["second-order"]))
    publish("arch", note_source("Arch", body="Curvature of a loss surface.", topics=["architectures"]))
    assert set(slugs("curvature")) == {"opt", "sub", "arch"}
    assert set(slugs("curvature", area="optimization")) == {"opt", "sub"}
    assert slugs("curvature", area="architectures") == ["arch"]
    assert slugs("curvature", area="generative-modeling") == []
    (hit,) = search_notes("curvature", area="architectures")
    assert hit.areas == (("architectures", "Architectures"),)


def test_area_filter_on_the_page_and_unknown_areas(client, publish):
    publish("opt", note_source("Opt", body="Curvature matters.", topics=["optimization"]))
    publish("arch", note_source("Arch", body="Curvature too.", topics=["architectures"]))
    html = client.get(SEARCH, {"q": "curvature", "area": "architectures"}).content.decode()
    assert "/notes/arch/" in html and "/notes/opt/" not in html
    assert '<option value="architectures" selected>' in html
    # an unknown area is ignored, not an empty page
    html = client.get(SEARCH, {"q": "curvature", "area": "nope'--"}).content.decode()
    assert "/notes/arch/" in html and "/notes/opt/" in html


# --- math ------------------------------------------------------------------------------

MATH_NOTE = r"""
The divergence $\KL(p \Vert q)$ is never negative.

$$
\bp = \softmax(\bz) \label{eq:probs}
$$
"""


@pytest.fixture
def math_notes(publish):
    publish("with-math", note_source("Divergences", body=MATH_NOTE))
    publish("prose-only", note_source("Prose", body="People say KL and softmax without formulas."))


def test_a_control_sequence_finds_only_formulas_that_use_it(math_notes):
    (hit,) = search_notes(r"\KL")
    assert hit.slug == "with-math"
    # The formula is shown typeset and marked as a whole, never as its TeX.
    assert '<mark><span class="snippet-formula"><span class="katex">' in hit.snippet
    assert "\\KL" not in hit.snippet and "$" not in hit.snippet
    assert slugs(r"\softmax") == ["with-math"]
    assert slugs(r"\nabla") == []


def test_a_bare_word_finds_prose_and_formulas(math_notes):
    assert set(slugs("softmax")) == {"with-math", "prose-only"}
    snippets = {hit.slug: str(hit.snippet) for hit in search_notes("softmax")}
    assert '<mark><span class="snippet-formula">' in snippets["with-math"]
    assert "\\label" not in snippets["with-math"] and "\\softmax" not in snippets["with-math"]
    assert snippets["prose-only"] == "People say KL and <mark>softmax</mark> without formulas."
    assert set(slugs("KL")) == {"with-math", "prose-only"}
    assert slugs(r"divergence -\KL") == []
    assert slugs(r"people -\KL") == ["prose-only"]


def test_matched_formulas_are_typeset_on_the_page(client, publish):
    publish("lt", note_source("Less", body=r"We use $\KL(p \Vert q) < \infty$ here."))
    html = client.get(SEARCH, {"q": r"\KL"}).content.decode()
    snippet = html.split('class="search-hit-snippet">', 1)[1].split("</p>", 1)[0]
    assert snippet.startswith('We use <mark><span class="snippet-formula"><span class="katex">')
    assert "∞" in snippet and "\\infty" not in snippet.split("<annotation")[0]


# --- only what is live -----------------------------------------------------------------


def test_drafts_never_appear(publish, editor):
    publish("live", note_source("Live", body="Shared word: zeugma."))
    draft = Note.objects.create(slug="draft")
    revision_create(note=draft, source=note_source("Draft", body="Shared word: zeugma."), author=editor)
    assert slugs("zeugma") == ["live"]
    assert not SearchDocument.objects.filter(note=draft).exists()


def test_an_unpublished_revision_changes_nothing_until_published(publish, editor):
    publish("versioned", note_source("Versioned", body="First text about apples."))
    note = Note.objects.get(slug="versioned")
    newer = revision_create(
        note=note,
        source=note_source("Versioned", body="Second text about pears."),
        author=editor,
        index=LiveNoteIndex(),
    )
    assert slugs("apples") == ["versioned"]
    assert slugs("pears") == []
    note_publish(revision=newer, user=None)
    assert slugs("apples") == []
    assert slugs("pears") == ["versioned"]


def test_rerendering_the_live_revision_rewrites_its_row(publish):
    revision = publish("rr", note_source("Rerendered", body="Quokka facts."))
    SearchDocument.objects.all().delete()
    revision_rerender(revision=revision)
    assert slugs("quokka") == ["rr"]


def test_a_rerender_fills_the_search_parts_of_rows_made_before_them(publish):
    revision = publish("one", note_source("One", body="## Wombats\n\nWombat burrows."))
    SearchDocument.objects.get().units.all().delete()  # as migration 0011 leaves a row
    Revision.objects.filter(pk=revision.pk).update(search_units=[])
    assert search("wombat burrows").hits[0].anchor == ""
    revision_rerender(revision=revision)
    assert search("wombat burrows").hits[0].anchor == "wombats"


# --- the query language and bad input --------------------------------------------------


def test_websearch_subset_on_both_engines(publish):
    publish("adam", note_source("Adam", body="Adam keeps moment estimates."))
    publish("rms", note_source("RMSProp", body="RMSProp keeps a second moment estimate."))
    publish("sgd", note_source("SGD", body="Plain steps, no moment estimates at all."))
    assert set(slugs("adam OR rmsprop")) == {"adam", "rms"}
    assert set(slugs("moment -adam")) == {"rms", "sgd"}
    assert slugs('"second moment"') == ["rms"]
    assert set(slugs("moment estimates")) == {"adam", "rms", "sgd"}
    relaxed = search("moment zebra")  # no note has both: those with some, said so
    assert {h.slug for h in relaxed.hits} == {"adam", "rms", "sgd"} and relaxed.partial_from == 0
    # an excluded word deep in the body excludes the note whose title matches
    publish("methods", note_source("Moment methods", body="Unrelated prose. " * 80 + "Adam too."))
    assert set(slugs("moment -adam")) == {"rms", "sgd"}
    assert "methods" in slugs("moment")


def test_parsed_query_is_quoted_for_each_engine():
    query = parse_query(r'adam "second moment" -sgd OR \KL or cross-entropy "unclosed')
    assert to_tsquery_text(query) == "(adam & (second <-> moment) & !sgd) | (texKL & (cross <-> entropy) & unclosed)"
    assert (
        to_fts5(query) == '(("adam" AND "second moment") NOT "sgd") OR (("texKL" AND "cross entropy" AND "unclosed"))'
    )


@pytest.mark.parametrize(
    "query",
    ["!!!", '"', '""', "-", "--", "OR", "OR OR", "-word", '-"a phrase"', "()", "*", "^", "\\", "$$", "%_"],
)
def test_queries_with_nothing_to_search_say_so(query):
    with pytest.raises(QueryError, match="at least one word"):
        parse_query(query)


def test_over_long_query_says_so():
    parse_query("x" * MAX_QUERY_LENGTH)
    with pytest.raises(QueryError, match=f"{MAX_QUERY_LENGTH} characters"):
        parse_query("x" * (MAX_QUERY_LENGTH + 1))


BAD_INPUT = [
    "",
    "   ",
    "x" * (MAX_QUERY_LENGTH + 1),
    "!!!",
    '"',
    "-",
    "OR",
    "AND",
    "NOT",
    "'; DROP TABLE notes_note; --",
    '" OR 1=1 --',
    'a"b',
    '"unterminated phrase',
    "NEAR(a b)",
    "title:apples",
    "{title} : apples",
    "apples*",
    "^apples",
    "\\",
    "\\\\KL",
    "%",
    "_",
    "\x00",
    "\ue000apples\ue001",
    "<script>alert(1)</script>",
    "{unbalanced",
    "\\frac{a",
    "}}}",
    "apples 🍎",
    "🍎",
    "\u05ea\u05e4\u05d5\u05d7",  # right to left: Hebrew "apple"
    "apples \u202e reversed",
    "a:* & b | !c <-> d",  # tsquery's own operators, typed
    "apples:*",
    "x" * MAX_QUERY_LENGTH,
]


@pytest.mark.parametrize("query", BAD_INPUT)
def test_bad_input_never_breaks_the_page_or_the_json(client, publish, query):
    publish("apples", note_source("Apples", body="About apples."))
    page = client.get(SEARCH, {"q": query})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert" not in html
    data = client.get(SEARCH_JSON, {"q": query})
    assert data.status_code in (200, 400)
    assert data.json()["results"] == [] or data.status_code == 200
    if data.status_code == 400:
        assert data.json()["error"] in html  # the page shows the same message
    assert Note.objects.filter(slug="apples").exists()


def test_messages_for_long_and_empty_queries(client, areas):
    long_page = client.get(SEARCH, {"q": "x" * 500}).content.decode()
    assert f"limited to {MAX_QUERY_LENGTH} characters" in long_page
    punct = client.get(SEARCH_JSON, {"q": "?!"})
    assert punct.status_code == 400 and "at least one word" in punct.json()["error"]
    empty = client.get(SEARCH, {"q": ""}).content.decode()
    assert "No live note matches" not in empty and 'role="alert"' not in empty
    assert client.get(SEARCH_JSON, {"q": ""}).json() == {
        "results": [],
        "query": "",
        "corrected_from": "",
        "suggestion": "",
        "partial_from": None,
    }


def test_punctuation_inside_words_searches_the_words(publish):
    publish("sql", note_source("Tables", body="Never drop a table without a backup."))
    strict = search("'; DROP TABLE notes_note; --")  # "notes" and "note" are not in it
    assert strict.partial_from == 0  # found only with some of the words
    assert slugs("'; DROP TABLE") == ["sql"]


# --- the page and the JSON -------------------------------------------------------------


def test_search_page_lists_results_with_links_and_areas(client, publish):
    publish("softmax", note_source("Softmax", body=MATH_NOTE, topics=["information-theory"]))
    response = client.get(SEARCH, {"q": "softmax"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/notes/softmax/">Softmax</a>' in html
    assert "Information Theory" in html
    assert "<mark>" in html
    assert '<script type="module" src="/static/js/search.js">' in html
    assert 'value="softmax"' in html


def test_header_has_a_labelled_search_form_on_every_page(client, areas):
    html = client.get(reverse("notes:home")).content.decode()
    assert f'<form class="site-search" role="search" method="get" action="{SEARCH}"' in html
    assert '<label class="visually-hidden" for="site-search-q">Search notes</label>' in html
    assert "css/search.css" in html


def test_json_endpoint(client, math_notes):
    response = client.get(SEARCH_JSON, {"q": r"\KL"})
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["slug"] == "with-math"
    assert result["url"] == "/notes/with-math/"  # the formula is in no section, derivation or labelled display
    assert result["unit"] is None
    assert result["title"] == "Divergences"
    assert result["areas"] == ["Foundations"]
    assert "formulas" not in result  # no TeX source is sent
    assert '<mark><span class="snippet-formula"><span class="katex">' in result["snippet"]


def test_json_returns_at_most_eight(client, publish):
    for i in range(10):
        publish(f"n{i}", note_source(f"Note {i}", body="Ubiquitous word."))
    assert len(client.get(SEARCH_JSON, {"q": "ubiquitous"}).json()["results"]) == 8


def test_search_page_query_count_is_constant(client, publish, django_assert_num_queries):
    def add(start, count):
        for i in range(start, start + count):
            publish(f"n{i}", note_source(f"Softmax {i}", body=MATH_NOTE, topics=["optimization", "architectures"]))

    add(0, 2)
    # areas for the filter, the words the site knows with those "softmax" may be the start of,
    # the notes, their matching parts, the hits' area titles, the formulas their snippets
    # show (every title says "softmax": each result lands on its note, no part is read)
    with django_assert_num_queries(6):
        client.get(SEARCH, {"q": "softmax"})
    add(2, 6)
    # a TeX name has no words to look up; the parts results land on are read
    with django_assert_num_queries(6):
        html = client.get(SEARCH, {"q": r"\softmax", "area": "optimization"}).content.decode()
    assert html.count('class="search-hit"') == 8
    # no hits: no area titles to look up, but corrections for the word the site does not use
    with django_assert_num_queries(4):
        client.get(SEARCH, {"q": "zebra"})
