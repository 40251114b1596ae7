"""The two ranked reads of a search, written once per engine: the notes that match, and the
part of each that matches best.

Notes: a note whose title or aliases alone satisfy the query comes first, then the engine's
weighted rank (title and aliases > summary, derivation titles, equation labels > body > math
tokens). PostgreSQL ranks in two phases (migration 0007): `notes_search_candidates` takes every
match from the GIN index and picks the best by a small inline head vector, and only those
are ranked by the full vector, which is read from TOAST. SQLite's bm25 weights mirror the
same order; bm25 adds a column's weight per use before saturating, so a word used often in
the body would outrank one use in the summary, and a match in the head columns is sorted
first instead, as PostgreSQL's ranking does.

Units: the parts of the notes found, any of whose terms match, best first per note (title
> body > math; at equal matches the shorter part, as bm25 does and PostgreSQL's rank with
length normalization 1), so a query's words need not all be in one section for it to be found.
"""

from django.db import connection

from notes.search.query import ParsedQuery, to_fts5, to_tsquery_text

# PostgreSQL: how many matches, the best by the head, are ranked by the full vector. Five
# pages' worth: enough that the body's weight reorders the top, few enough to stay cheap.
RERANK_CANDIDATES = 100

_PG_NOTES = """
WITH q AS (
    SELECT to_tsquery('english', %(match)s) AS match
), top AS (
    SELECT d.id,
           to_tsvector('english', d.title || ' ' || d.aliases) @@ q.match AS title_match,
           ts_rank(d.search_vector, q.match) AS rank
    FROM q, notes_search_candidates(q.match, %(area)s, %(candidates)s) AS c(id)
    JOIN notes_searchdocument d ON d.id = c.id
    ORDER BY title_match DESC, rank DESC, d.title, d.id
    LIMIT %(limit)s
)
SELECT d.id, n.slug, r.title, r.summary, r.summary_html, r.summary_text, d.areas, top.rank, top.title_match,
       d.snippet_text, d.aliases
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
           d.id IN (SELECT rowid FROM notes_searchdocument_fts WHERE notes_searchdocument_fts MATCH %s) AS head_match,
           -bm25(notes_searchdocument_fts, 10.0, 4.0, 1.0, 4.0, 4.0, 0.5, 10.0) AS rank
    FROM notes_searchdocument_fts
    JOIN notes_searchdocument d ON d.id = notes_searchdocument_fts.rowid
    WHERE notes_searchdocument_fts MATCH %s AND (%s = '' OR instr(d.areas, ' ' || %s || ' ') > 0)
    ORDER BY title_match DESC, head_match DESC, rank DESC, d.title, d.id
    LIMIT %s
)
SELECT d.id, n.slug, r.title, r.summary, r.summary_html, r.summary_text, d.areas, top.rank, top.title_match,
       d.snippet_text, d.aliases
FROM top
JOIN notes_searchdocument d ON d.id = top.id
JOIN notes_note n ON n.id = d.note_id
JOIN notes_revision r ON r.id = d.revision_id
ORDER BY top.title_match DESC, top.head_match DESC, top.rank DESC, r.title, d.id
"""

_PG_UNITS = """
SELECT DISTINCT ON (u.document_id) u.document_id, u.kind, u.anchor, u.title, u.snippet_text
FROM notes_searchunit u, to_tsquery('english', %(match)s) AS q
WHERE u.document_id = ANY(%(documents)s) AND u.search_vector @@ q
ORDER BY u.document_id, ts_rank(u.search_vector, q, 1) DESC, u.position
"""

_SQLITE_UNITS = """
SELECT u.document_id, u.kind, u.anchor, u.title, u.snippet_text
FROM notes_searchunit_fts
JOIN notes_searchunit u ON u.id = notes_searchunit_fts.rowid
WHERE notes_searchunit_fts MATCH %s AND u.document_id IN ({documents})
ORDER BY bm25(notes_searchunit_fts, 4.0, 1.0, 0.5), u.position
"""


def note_rows(query: ParsedQuery, area: str, limit: int) -> list[tuple]:
    """(id, slug, title, summary, summary_html, summary_text, areas, rank, title_match,
    snippet_text, aliases) of the best `limit` matching notes, best first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            params = {
                "match": to_tsquery_text(query),
                "area": area,
                "limit": limit,
                "candidates": max(limit, RERANK_CANDIDATES),
            }
            cursor.execute(_PG_NOTES, params)
        else:
            match = to_fts5(query)
            title_match = "{title aliases} : (" + match + ")"
            head_match = "{title aliases summary derivations equations} : (" + match + ")"
            cursor.execute(_SQLITE_NOTES, [title_match, head_match, match, area, area, limit])
        return cursor.fetchall()


def best_units(query: ParsedQuery, documents: list[int]) -> dict[int, tuple]:
    """document id -> (kind, anchor, title, snippet_text) of its unit matching best."""
    if not documents:
        return {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_UNITS, {"match": to_tsquery_text(query, any_term=True), "documents": documents})
        else:
            sql = _SQLITE_UNITS.format(documents=", ".join(["%s"] * len(documents)))
            cursor.execute(sql, [to_fts5(query, any_term=True), *documents])
        best: dict[int, tuple] = {}
        for document, *unit in cursor.fetchall():
            best.setdefault(document, tuple(unit))
        return best
