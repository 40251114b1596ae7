"""Reads of search: `search_notes` is the only reader and returns the same `SearchHit`s on
both engines.

Each live note has one `SearchDocument` row (notes.search.services). The database indexes
that row itself (migration 0005): on PostgreSQL a stored generated, weighted `tsvector`
column with a GIN index, plus a small head vector that picks which matches to rank (0007);
on SQLite an FTS5 table kept in step by triggers.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from notes.models import SearchFormula, Topic
from notes.search.query import ParsedQuery, parse_query, to_fts5, to_websearch
from notes.search.snippets import SnippetCutter

DEFAULT_LIMIT = 20
# PostgreSQL: how many matches, the best by the head, are ranked by the full vector. Five
# pages' worth: enough that the body's weight reorders the top, few enough to stay cheap.
RERANK_CANDIDATES = 100


@dataclass(frozen=True)
class SearchHit:
    """One result. `rank` orders hits of one search (higher is better); its scale differs
    between engines. `snippet` is the matching passage, escaped, its formulas typeset from
    HTML stored at render time and the matches in <mark> (notes.search.snippets); empty when
    no passage matched (the title or summary did). `summary_html` is the typeset summary,
    `summary` the same as plain text."""

    slug: str
    title: str
    summary: str
    summary_html: SafeString
    areas: tuple[tuple[str, str], ...]  # (slug, title) of each area
    rank: float
    title_match: bool
    snippet: SafeString


# PostgreSQL ranks in two phases (migration 0007). Reading a note's full vector from TOAST
# costs more than anything else here, so `notes_search_candidates` takes every match from
# the GIN index and picks the best by the rank over a small inline head vector (title,
# summary, derivation titles, labels, the body's opening). Title match and the full
# weighted rank order just those candidates. Snippets are cut in Python from the rows'
# stored fragments (notes.search.snippets), as on SQLite.
_PG_SQL = """
WITH q AS (
    SELECT websearch_to_tsquery('english', %(match)s) AS match
), top AS (
    SELECT d.id,
           to_tsvector('english', d.title) @@ q.match AS title_match,
           ts_rank(d.search_vector, q.match) AS rank
    FROM q, notes_search_candidates(q.match, %(area)s, %(candidates)s) AS c(id)
    JOIN notes_searchdocument d ON d.id = c.id
    ORDER BY title_match DESC, rank DESC, d.title, d.id
    LIMIT %(limit)s
)
SELECT d.id, n.slug, d.title, d.summary, r.summary_html, r.summary_text, d.areas, top.rank, top.title_match,
       d.snippet_text
FROM top
JOIN notes_searchdocument d ON d.id = top.id
JOIN notes_note n ON n.id = d.note_id
JOIN notes_revision r ON r.id = d.revision_id
ORDER BY top.title_match DESC, top.rank DESC, d.title, d.id
"""

# SQLite: bm25 weights mirror PostgreSQL's A/B/C/D (title, summary, body, derivation
# titles, equation labels, math). bm25 adds a column's weight per use before saturating, so
# a word used often in the body would outrank one use in the summary; a match in the head
# columns (title, summary, derivation titles, labels) is sorted first instead, as
# PostgreSQL's ranking does.
_SQLITE_SQL = """
WITH top AS (
    SELECT d.id,
           d.id IN (SELECT rowid FROM notes_searchdocument_fts WHERE notes_searchdocument_fts MATCH %s) AS title_match,
           d.id IN (SELECT rowid FROM notes_searchdocument_fts WHERE notes_searchdocument_fts MATCH %s) AS head_match,
           -bm25(notes_searchdocument_fts, 10.0, 4.0, 1.0, 4.0, 4.0, 0.5) AS rank
    FROM notes_searchdocument_fts
    JOIN notes_searchdocument d ON d.id = notes_searchdocument_fts.rowid
    WHERE notes_searchdocument_fts MATCH %s AND (%s = '' OR instr(d.areas, ' ' || %s || ' ') > 0)
    ORDER BY title_match DESC, head_match DESC, rank DESC, d.title, d.id
    LIMIT %s
)
SELECT d.id, n.slug, d.title, d.summary, r.summary_html, r.summary_text, d.areas, top.rank, top.title_match,
       d.snippet_text
FROM top
JOIN notes_searchdocument d ON d.id = top.id
JOIN notes_note n ON n.id = d.note_id
JOIN notes_revision r ON r.id = d.revision_id
ORDER BY top.title_match DESC, top.head_match DESC, top.rank DESC, d.title, d.id
"""


def _rows(query: ParsedQuery, area: str, limit: int) -> list[tuple]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _PG_SQL,
                {
                    "match": to_websearch(query),
                    "area": area,
                    "limit": limit,
                    "candidates": max(limit, RERANK_CANDIDATES),
                },
            )
        else:
            match = to_fts5(query)
            title_match = "{title} : (" + match + ")"
            head_match = "{title summary derivations equations} : (" + match + ")"
            cursor.execute(_SQLITE_SQL, [title_match, head_match, match, area, area, limit])
        return cursor.fetchall()


def search_notes(query: str, *, area: str | None = None, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
    """Live notes matching `query` (the websearch subset: words, "phrases", -exclusion, OR;
    `\\name` for a TeX control sequence), best first, at most `limit`, in at most three queries
    (the matches, their areas' titles, the typeset formulas their snippets show).

    Notes whose title alone satisfies the query come first, then by the engine's weighted
    rank (title > summary, derivation titles, equation labels > body > math tokens). On
    PostgreSQL that rank orders the RERANK_CANDIDATES matches that rank best over the head
    (those fields and the body's opening): when more notes match, one that uses the words
    only past its opening can be missing from a page the full rank alone would give it.
    `area` keeps notes in that area (a root topic's slug). Raises QueryError for a query that
    cannot be searched; an empty query finds nothing.
    """
    parsed = parse_query(query)
    if parsed is None:
        return []
    rows = _rows(parsed, area or "", limit)
    if not rows:
        return []
    slugs = {slug for row in rows for slug in row[6].split()}
    area_titles = dict(Topic.objects.filter(slug__in=slugs).values_list("slug", "title"))
    cutter = SnippetCutter(parsed)
    snippets = {row[0]: cutter.cut(row[9]) for row in rows}
    formulas = _typeset_formulas({doc: s.numbers for doc, s in snippets.items() if s and s.numbers})
    return [
        SearchHit(
            slug=slug,
            title=title,
            summary=summary_text or summary,
            summary_html=mark_safe(summary_html) if summary_html else escape(summary),
            areas=tuple((s, area_titles.get(s, s)) for s in areas.split()),
            rank=float(rank),
            title_match=bool(title_match),
            snippet=snippets[doc].html(formulas.get(doc, {})) if snippets[doc] else mark_safe(""),
        )
        for doc, slug, title, summary, summary_html, summary_text, areas, rank, title_match, _ in rows
    ]


def _typeset_formulas(wanted: dict[int, set[int]]) -> dict[int, dict[int, str]]:
    """The stored HTML of the formulas the snippets show, in one query: {row: {number: html}}."""
    if not wanted:
        return {}
    condition = Q()
    for document, numbers in wanted.items():
        condition |= Q(document_id=document, number__in=sorted(numbers))
    found: dict[int, dict[int, str]] = {}
    for document, number, html in SearchFormula.objects.filter(condition).values_list("document_id", "number", "html"):
        found.setdefault(document, {})[number] = html
    return found
