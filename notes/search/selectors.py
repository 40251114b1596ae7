"""Reads of search: `search` is the only reader and returns the same results on both engines.

Each live note has one `SearchDocument` row and a `SearchUnit` row per section, derivation and
labelled equation (notes.search.services). The database indexes them itself (migrations
0005, 0007, 0011, 0012): on PostgreSQL stored generated, weighted `tsvector` columns with
GIN indexes, plus small name and head vectors that pick which matches to rank; on SQLite
FTS5 tables kept in step by triggers.

A search, in a fixed number of queries whatever the data:
1. the vocabulary: which words the site knows, and the words the last one may be the start of;
2. the notes, ranked (notes.search.ranking);
3. the parts of them that match, and the snippet material of the ones results land on
   (notes.search.landing);
4. the areas' titles and the typeset formulas the snippets and unit titles show;
and, only when a query finds fewer than CORRECT_BELOW notes (none, unless it has an OR) and
has words the site does not use, the corrections and the notes for the corrected query.
"""

from dataclasses import dataclass, field, replace

from django.db.models import Q
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from notes.models import SearchFormula, Topic
from notes.search import vocabulary
from notes.search.landing import landings
from notes.search.query import ParsedQuery, parse_query
from notes.search.ranking import note_rows
from notes.search.snippets import SnippetCutter, formula_numbers, fragment_html

DEFAULT_LIMIT = 20
CORRECT_BELOW = 3  # a query finding fewer notes than this is worth correcting
UNIT_KINDS = {"section": "Section", "derivation": "Derivation", "equation": ""}


@dataclass(frozen=True)
class SearchHit:
    """One result. `rank` orders hits of one search (higher is better); its scale differs
    between engines. `anchor` is the part of the note the result lands on (a section's,
    derivation's or equation's id), "" when the note as a whole is the answer (its title or
    aliases satisfy the query, or no part matched); `unit_title` is that part's title as
    HTML (a heading's formulas typeset). `snippet` is the matching passage, escaped, its
    formulas typeset from HTML stored at render time and the matches in <mark>
    (notes.search.snippets); empty when no passage matched. `summary_html` is the typeset
    summary, `summary` the same as plain text; `alias` the alias the query matched, if any."""

    slug: str
    title: str
    summary: str
    summary_html: SafeString
    areas: tuple[tuple[str, str], ...]  # (slug, title) of each area
    rank: float
    title_match: bool
    snippet: SafeString
    anchor: str = ""
    unit_kind: str = ""  # section, derivation, equation
    unit_title: SafeString = mark_safe("")
    alias: str = ""

    @property
    def url(self) -> str:
        base = reverse("notes:note", args=[self.slug])
        return f"{base}#{self.anchor}" if self.anchor else base

    @property
    def unit_label(self) -> str:
        """What the unit is, in words: "Section", "Derivation" ("" for an equation, whose
        title says it)."""
        return UNIT_KINDS.get(self.unit_kind, "")


@dataclass(frozen=True)
class SearchResults:
    """A search's hits. `corrected_from` is the reader's query when it found almost nothing
    and its corrected spelling (`query`) was searched instead; `suggestion` a corrected
    spelling offered beside the hits of the query as typed; `partial_from` the index of the
    first hit that has only some of the query's words."""

    query: str
    hits: list[SearchHit] = field(default_factory=list)
    corrected_from: str = ""
    suggestion: str = ""
    # hits from `partial_from` on have only some of the query's words: no note had all of them
    partial_from: int | None = None


def search(query: str, *, area: str | None = None, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """Live notes matching `query` (words, "phrases", -exclusion, OR; `\\name` for a TeX
    control sequence; its last word may be unfinished), best first, at most `limit`, each
    landing on its best-matching part. `area` keeps notes in that area (a root topic's slug).
    Raises QueryError for a query that cannot be searched; an empty query finds nothing.

    On PostgreSQL the rank orders a few candidates per hit, taken from the notes whose names
    match, then whose head does, then the body (notes.search.ranking): when more notes
    match, one that uses the words only past its opening can be missing from a page the full
    rank alone would give it.
    """
    parsed = parse_query(query)
    if parsed is None:
        return SearchResults(query="")
    area = area or ""
    parsed, unknown = _with_vocabulary(parsed)
    hits = _hits(parsed, area, limit)
    results = SearchResults(query=query, hits=hits)
    # Hits of a query without OR hold all its words, known to the vocabulary or not (a label's
    # word, a stem it spells differently): nothing to correct or suggest.
    if len(hits) < CORRECT_BELOW and unknown and (not hits or len(parsed.conjuncts) > 1):
        results, parsed = _corrected(results, parsed, unknown, area, limit)
    if len(results.hits) < CORRECT_BELOW and len(parsed.positive_terms()) > 1:
        # A reader's question rarely has all its words in one note: the notes with most of
        # them follow the ones with all.
        seen = {hit.slug for hit in results.hits}
        more = [hit for hit in _hits(parsed, area, limit, any_term=True) if hit.slug not in seen]
        if more:
            hits = results.hits + more[: limit - len(results.hits)]
            results = replace(results, hits=hits, partial_from=len(results.hits))
    return results


def _corrected(
    results: SearchResults, parsed: ParsedQuery, unknown: list[str], area: str, limit: int
) -> tuple[SearchResults, ParsedQuery]:
    """The results of the query with its misspelt words corrected, and that query, if it
    found nothing as typed and finds something corrected; else the results as typed (with
    the corrected spelling offered when there is one) and the query as typed."""
    fixes = vocabulary.corrections(unknown)
    if not fixes:
        return results, parsed
    corrected = parsed.respelled(fixes)
    if results.hits:  # found something as typed: keep it, and offer the spelling the site uses
        return replace(results, suggestion=corrected.text()), parsed
    corrected, _ = _with_vocabulary(corrected)
    fixed_hits = _hits(corrected, area, limit)
    if not fixed_hits:
        return results, parsed
    return SearchResults(query=corrected.text(), hits=fixed_hits, corrected_from=results.query), corrected


def _with_vocabulary(parsed: ParsedQuery) -> tuple[ParsedQuery, list[str]]:
    """The query with its last word also matching the site's words it begins, and the words
    the site does not use (candidates for correction): one query."""
    words = parsed.words()
    last = parsed.last_term()
    found, finished = vocabulary.lookup(words, last.words[0].casefold() if last else None)
    if finished:
        parsed = parsed.completed(finished)
    unfinished = last.words[0].casefold() if finished else None
    return parsed, [w for w in words if w not in found and w != unfinished]


def _hits(parsed: ParsedQuery, area: str, limit: int, *, any_term: bool = False) -> list[SearchHit]:
    """The hits of a parsed query (with `any_term`, of any of its terms): at most four queries
    (notes, their best parts, areas' titles, typeset formulas), one when nothing matches."""
    rows = note_rows(parsed, area, limit, any_term=any_term)
    if not rows:
        return []
    cutter = SnippetCutter(parsed)
    units = landings(parsed, cutter, rows)
    slugs = {slug for row in rows for slug in row.areas.split()}
    area_titles = dict(Topic.objects.filter(slug__in=slugs).values_list("slug", "title"))
    snippets = {row.id: cutter.cut(units[row.id].snippet_text if row.id in units else row.snippet_text) for row in rows}
    wanted = {doc: set(s.numbers) if s else set() for doc, s in snippets.items()}
    for doc, landing in units.items():
        wanted[doc] |= formula_numbers(landing.title)
    formulas = _typeset_formulas({doc: numbers for doc, numbers in wanted.items() if numbers})
    return [
        _hit(row, units.get(row.id), snippets[row.id], formulas.get(row.id, {}), area_titles, cutter) for row in rows
    ]


def _hit(row, landing, snippet, formulas: dict[int, str], area_titles: dict[str, str], cutter) -> SearchHit:
    return SearchHit(
        slug=row.slug,
        title=row.title,
        summary=row.summary_text or row.summary,
        summary_html=mark_safe(row.summary_html) if row.summary_html else escape(row.summary),
        areas=tuple((s, area_titles.get(s, s)) for s in row.areas.split()),
        rank=float(row.rank),
        title_match=bool(row.title_match),
        snippet=snippet.html(formulas) if snippet else mark_safe(""),
        anchor=landing.anchor if landing else "",
        unit_kind=landing.kind if landing else "",
        unit_title=fragment_html(landing.title, formulas) if landing else mark_safe(""),
        alias=cutter.matching_alias(row.aliases) if row.title_match else "",
    )


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
