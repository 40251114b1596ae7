"""The two ranked reads of a search, written once per engine: the notes that match, and the
part of each that matches best.

Notes: a note whose title or aliases alone satisfy the query comes first, then the engine's
weighted rank (title and aliases > summary, derivation titles, equation labels > body > math
tokens). PostgreSQL ranks in phases (migrations 0007, 0012): `notes_search_candidates`
picks a few candidates per hit wanted, tier by tier from small vectors with their own GIN
indexes (the notes whose names match, then those whose head does, then the body), so a
word in every note costs no more than a rare one; only those candidates are ranked by the
full vector, which is read from TOAST, first by the query's words alone, then the best of
them by the query itself (for several words, how close together they stand). SQLite's bm25 weights mirror the same order; bm25
adds a column's weight per use before saturating, so a word used often in the body would
outrank one use in the summary, and a match in the head columns is sorted first instead,
as PostgreSQL's ranking does.

Units: every part of the notes found that any term of the query matches, with the engine's
rank (title > body > math; at equal matches the shorter part, as bm25 does and PostgreSQL's
rank with length normalization 1); notes.search.landing picks each note's best.
"""

import json
from typing import NamedTuple

from django.db import connection

from notes.search.query import ParsedQuery, to_fts5, to_tsquery_text

# PostgreSQL: how many candidates per hit wanted are ranked by the full vector (100 for the
# page's 20, 40 for the instant box's 8): enough that the body's weight reorders the top,
# few enough to stay cheap.
RERANK_PER_HIT = 5
# PostgreSQL: of those, how many per hit are ranked again with the distances between the
# query's words (a multi-word query's ts_rank, which costs ten times the words' own rank: it
# weighs every pair of their positions) to order the page.
FINALISTS_PER_HIT = 2
# PostgreSQL: at most how many matches of one tier (head, body: migration 0012) are ranked
# to pick candidates; a tier with more ranks the first this many in the table.
RANK_POOL = 1000

_PG_NOTES = """
WITH q AS (
    SELECT to_tsquery('english', %(match)s) AS match, to_tsquery('english', %(whole)s) AS whole,
           to_tsquery('english', %(terms)s) AS terms
), finalist AS (
    SELECT d.id,
           d.name_vector @@ q.whole AS title_match,
           to_tsvector('english', d.title) @@ q.whole AS named
    FROM q, notes_search_candidates(q.match, %(area)s, %(candidates)s, %(pool)s) AS c(id)
    JOIN notes_searchdocument d ON d.id = c.id
    ORDER BY title_match DESC, ts_rank(d.search_vector, q.terms) DESC, d.id
    LIMIT %(finalists)s
), top AS (
    SELECT d.id, f.title_match, f.named, ts_rank(d.search_vector, q.match) AS rank
    FROM q, finalist f
    JOIN notes_searchdocument d ON d.id = f.id
    ORDER BY f.title_match DESC, rank DESC, d.title, d.id
    LIMIT %(limit)s
)
SELECT d.id, n.slug, r.title, r.summary, r.summary_html, r.summary_text, d.areas, top.rank, top.title_match,
       d.snippet_text, d.aliases, top.named, d.alias_anchors
FROM top
JOIN notes_searchdocument d ON d.id = top.id
JOIN notes_note n ON n.id = d.note_id
JOIN notes_revision r ON r.id = d.revision_id
ORDER BY top.title_match DESC, top.rank DESC, r.title, d.id
"""

_SQLITE_NOTES = """
WITH top AS (
    SELECT d.id,
           d.id IN (SELECT rowid FROM notes_searchdocument_fts WHERE notes_searchdocument_fts MATCH %s) AS title_match,
           d.id IN (SELECT rowid FROM notes_searchdocument_fts WHERE notes_searchdocument_fts MATCH %s) AS named,
           d.id IN (SELECT rowid FROM notes_searchdocument_fts WHERE notes_searchdocument_fts MATCH %s) AS head_match,
           -bm25(notes_searchdocument_fts, 10.0, 4.0, 1.0, 4.0, 4.0, 0.5, 10.0) AS rank
    FROM notes_searchdocument_fts
    JOIN notes_searchdocument d ON d.id = notes_searchdocument_fts.rowid
    WHERE notes_searchdocument_fts MATCH %s AND (%s = '' OR instr(d.areas, ' ' || %s || ' ') > 0)
    ORDER BY title_match DESC, head_match DESC, rank DESC, d.title, d.id
    LIMIT %s
)
SELECT d.id, n.slug, r.title, r.summary, r.summary_html, r.summary_text, d.areas, top.rank, top.title_match,
       d.snippet_text, d.aliases, top.named, d.alias_anchors
FROM top
JOIN notes_searchdocument d ON d.id = top.id
JOIN notes_note n ON n.id = d.note_id
JOIN notes_revision r ON r.id = d.revision_id
ORDER BY top.title_match DESC, top.head_match DESC, top.rank DESC, r.title, d.id
"""

_PG_UNITS = """
SELECT u.document_id, u.id, u.position, u.kind, u.anchor, u.title, ts_rank(u.search_vector, q, 1) AS rank
FROM notes_searchunit u, to_tsquery('english', %(match)s) AS q
WHERE u.document_id = ANY(%(documents)s) AND u.search_vector @@ q
"""

_SQLITE_UNITS = """
SELECT u.document_id, u.id, u.position, u.kind, u.anchor, u.title, -bm25(notes_searchunit_fts, 4.0, 1.0, 0.5) AS rank
FROM notes_searchunit_fts
JOIN notes_searchunit u ON u.id = notes_searchunit_fts.rowid
WHERE notes_searchunit_fts MATCH %s AND u.document_id IN ({documents})
"""


class NoteRow(NamedTuple):
    id: int  # the search row's
    slug: str
    title: str
    summary: str
    summary_html: str
    summary_text: str
    areas: str
    rank: float
    title_match: bool  # the title or the aliases satisfy the whole query
    snippet_text: str | None
    aliases: str
    named: bool  # the title itself does
    alias_anchors: dict


def note_rows(query: ParsedQuery, area: str, limit: int, *, any_term: bool = False) -> list[NoteRow]:
    """The best `limit` notes matching the query (with `any_term`, any one of its terms:
    those matching more rank higher), best first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            params = {
                "match": to_tsquery_text(query, any_term=any_term),
                "whole": to_tsquery_text(query),  # a title match is one that satisfies the whole query
                "area": area,
                "limit": limit,
                "terms": to_tsquery_text(query, any_term=True),  # the words alone, for the first rank
                "candidates": limit * RERANK_PER_HIT,
                "finalists": limit * FINALISTS_PER_HIT,
                "pool": RANK_POOL,
            }
            cursor.execute(_PG_NOTES, params)
        else:
            match = to_fts5(query, any_term=any_term)
            title_match = "{title aliases} : (" + to_fts5(query) + ")"  # satisfies the whole query
            named = "{title} : (" + to_fts5(query) + ")"
            head_match = "{title aliases summary derivations equations} : (" + match + ")"
            cursor.execute(_SQLITE_NOTES, [title_match, named, head_match, match, area, area, limit])
        rows = cursor.fetchall()
    # JSON arrives decoded from psycopg and as text from SQLite
    return [NoteRow(*row[:-1], json.loads(row[-1]) if isinstance(row[-1], str) else row[-1]) for row in rows]


def unit_rows(query: ParsedQuery, documents: list[int]) -> list[tuple]:
    """(document id, unit id, position, kind, anchor, title, rank) of every part of these
    notes matching any term of the query."""
    if not documents:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_UNITS, {"match": to_tsquery_text(query, any_term=True), "documents": documents})
        else:
            sql = _SQLITE_UNITS.format(documents=", ".join(["%s"] * len(documents)))
            cursor.execute(sql, [to_fts5(query, any_term=True), *documents])
        return cursor.fetchall()
