"""Reads of search: `search_notes` is the only reader and returns the same `SearchHit`s on
both engines.

Each live note has one `SearchDocument` row (notes.search.services). The database indexes
that row itself (migration 0005): on PostgreSQL a stored generated, weighted `tsvector`
column with a GIN index, plus a small head vector that picks which matches to rank (0007);
on SQLite an FTS5 table kept in step by triggers.
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from notes.models import Topic
from notes.search.document import MARK_START, MARK_STOP
from notes.search.query import ParsedQuery, parse_query, to_fts5, to_websearch

DEFAULT_LIMIT = 20
# PostgreSQL: how many matches, the best by the head, are ranked by the full vector. Five
# pages' worth: enough that the body's weight reorders the top, few enough to stay cheap.
RERANK_CANDIDATES = 100
MAX_FORMULAS_PER_HIT = 3
FORMULA_EXCERPT = 120  # characters of TeX shown around a match


@dataclass(frozen=True)
class SearchHit:
    """One result. `rank` orders hits of one search (higher is better); its scale differs
    between engines. `snippet` is escaped HTML whose only tags are <mark>; empty when the
    body did not match (the title or summary did)."""

    slug: str
    title: str
    summary: str
    areas: tuple[tuple[str, str], ...]  # (slug, title) of each area
    rank: float
    title_match: bool
    snippet: SafeString
    formulas: tuple[str, ...]  # TeX of the formulas a math term matched


def _snippet_html(raw: str) -> SafeString:
    if MARK_START not in raw:
        return mark_safe("")
    return mark_safe(escape(raw).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>"))


@dataclass(frozen=True)
class _FormulaMatcher:
    pattern: re.Pattern
    names: tuple[str, ...]  # case-folded; a note whose TeX holds none of them has no match


def _formula_matcher(query: ParsedQuery) -> _FormulaMatcher | None:
    alternatives, names = [], []
    for term in query.positive_terms():
        if len(term.words) != 1:
            continue
        name = re.escape(term.words[0])
        if term.math:
            alternatives.append(rf"\\{name}(?![A-Za-z])")
        elif len(term.words[0]) > 2:
            # A bare word shows formulas only where it is a control sequence or operator
            # name: `softmax` shows \softmax(z), `x` shows nothing.
            alternatives.append(rf"\\{name}(?![A-Za-z])|\{{{name}\}}")
        else:
            continue
        names.append(term.words[0].casefold())
    if not alternatives:
        return None
    return _FormulaMatcher(re.compile("|".join(alternatives), re.IGNORECASE), tuple(names))


def _excerpt(tex: str, at: int) -> str:
    # A whole align environment would bury the match; show the stretch of TeX around it.
    if len(tex) <= FORMULA_EXCERPT:
        return tex
    start = max(0, min(at - FORMULA_EXCERPT // 2, len(tex) - FORMULA_EXCERPT))
    end = start + FORMULA_EXCERPT
    return ("… " if start else "") + tex[start:end] + (" …" if end < len(tex) else "")


def _matching_formulas(formulas: str, matcher: _FormulaMatcher | None) -> tuple[str, ...]:
    # A long note has hundreds of formulas, one a line. A case-insensitive regex is slow
    # over that much text, so a plain substring test rules most notes out first; the rest
    # get one scan, each match's line being the formula it is in.
    if matcher is None:
        return ()
    folded = formulas.casefold()
    if not any(name in folded for name in matcher.names):
        return ()
    found, position = [], 0
    while len(found) < MAX_FORMULAS_PER_HIT:
        match = matcher.pattern.search(formulas, position)
        if match is None:
            break
        start = formulas.rfind("\n", 0, match.start()) + 1
        end = formulas.find("\n", match.end())
        end = len(formulas) if end == -1 else end
        found.append(_excerpt(formulas[start:end], match.start() - start))
        position = end + 1
    return tuple(found)


# PostgreSQL ranks in two phases (migration 0007). Reading a note's full vector from TOAST
# costs more than anything else here, so `notes_search_candidates` takes every match from
# the GIN index and picks the best by the rank over a small inline head vector (title,
# summary, derivation titles, labels, the body's opening). Title match and the full
# weighted rank order just those candidates, and ts_headline runs for the `limit` shown.
# ts_headline parses all the text it is given (about 4 ms for a long note), so it gets a
# window of the body around the first place a query word starts (`window`, a regex of word
# prefixes, so "entropies" finds "entropy"); when no word is found there the window is the
# start and the snippet is usually empty, and the page shows the summary instead.
_PG_SQL = """
WITH q AS (
    SELECT websearch_to_tsquery('english', %(match)s) AS match,
           websearch_to_tsquery('english', %(mark)s) AS mark
), top AS (
    SELECT d.id,
           to_tsvector('english', d.title) @@ q.match AS title_match,
           ts_rank(d.search_vector, q.match) AS rank
    FROM q, notes_search_candidates(q.match, %(area)s, %(candidates)s) AS c(id)
    JOIN notes_searchdocument d ON d.id = c.id
    ORDER BY title_match DESC, rank DESC, d.title, d.id
    LIMIT %(limit)s
)
SELECT n.slug, d.title, d.summary, d.areas, top.rank, top.title_match,
       ts_headline('english', substr(d.body, greatest(1, regexp_instr(d.body, %(window)s, 1, 1, 0, 'i') - 300), 900),
                   q.mark, %(headline_options)s),
       d.formulas
FROM top
JOIN notes_searchdocument d ON d.id = top.id
JOIN notes_note n ON n.id = d.note_id
CROSS JOIN q
ORDER BY top.title_match DESC, top.rank DESC, d.title, d.id
"""
_PG_HEADLINE_OPTIONS = (
    f'StartSel="{MARK_START}", StopSel="{MARK_STOP}", MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
)

# SQLite: bm25 weights mirror PostgreSQL's A/B/C/D (title, summary, body, derivation
# titles, equation labels, math). bm25 adds a column's weight per use before saturating, so
# a word used often in the body would outrank one use in the summary; a match in the head
# columns (title, summary, derivation titles, labels) is sorted first instead, as
# PostgreSQL's ranking does. The outer query computes snippet() for the top rows only; its
# CROSS JOIN makes SQLite look each top row up in the FTS table by rowid (left to itself it
# walks every match of the MATCH again, about 200 ms for a word in most notes).
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
SELECT n.slug, d.title, d.summary, d.areas, top.rank, top.title_match,
       snippet(notes_searchdocument_fts, 2, %s, %s, ' … ', 32),
       d.formulas
FROM top
CROSS JOIN notes_searchdocument_fts ON notes_searchdocument_fts.rowid = top.id
JOIN notes_searchdocument d ON d.id = top.id
JOIN notes_note n ON n.id = d.note_id
WHERE notes_searchdocument_fts MATCH %s
ORDER BY top.title_match DESC, top.head_match DESC, top.rank DESC, d.title, d.id
"""


def _window_regex(query: ParsedQuery) -> str:
    # Words hold only letters and digits (the parser's pieces), so they are safe in a regex.
    prefixes = {w[: max(4, len(w) - 2)] for term in query.positive_terms() for w in term.words}
    return r"\m(" + "|".join(sorted(prefixes)) + ")"


def _rows(query: ParsedQuery, area: str, limit: int) -> list[tuple]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _PG_SQL,
                {
                    "match": to_websearch(query),
                    "mark": to_websearch(query, highlight=True),
                    "area": area,
                    "limit": limit,
                    "candidates": max(limit, RERANK_CANDIDATES),
                    "headline_options": _PG_HEADLINE_OPTIONS,
                    "window": _window_regex(query),
                },
            )
        else:
            match = to_fts5(query)
            title_match = "{title} : (" + match + ")"
            head_match = "{title summary derivations equations} : (" + match + ")"
            cursor.execute(
                _SQLITE_SQL, [title_match, head_match, match, area, area, limit, MARK_START, MARK_STOP, match]
            )
        return cursor.fetchall()


def search_notes(query: str, *, area: str | None = None, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
    """Live notes matching `query` (the websearch subset: words, "phrases", -exclusion, OR;
    `\\name` for a TeX control sequence), best first, at most `limit`, in at most two queries.

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
    slugs = {slug for row in rows for slug in row[3].split()}
    area_titles = dict(Topic.objects.filter(slug__in=slugs).values_list("slug", "title"))
    matcher = _formula_matcher(parsed)
    return [
        SearchHit(
            slug=slug,
            title=title,
            summary=summary,
            areas=tuple((s, area_titles.get(s, s)) for s in areas.split()),
            rank=float(rank),
            title_match=bool(title_match),
            snippet=_snippet_html(snippet or ""),
            formulas=_matching_formulas(formulas, matcher),
        )
        for slug, title, summary, areas, rank, title_match, snippet, formulas in rows
    ]
