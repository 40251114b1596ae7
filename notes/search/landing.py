"""Where a search result lands: the part of the note (section, derivation or labelled
equation) that answers the query, or the note itself.

Each note's parts that match any term of the query are ordered by how many of the query's
terms their own title holds (a section titled "Gradient clipping" answers "what does
gradient clipping do"; a "Check yourself" section that mentions everything does not), then
of those whose titles name as much of it, the best by rank (for a one-word query, the first in
the note, where the idea is introduced; later parts build on it); of parts whose titles name
none of it, the engine's best by rank over
title, body and math. A query of TeX names alone (`\\KL`) lands on the first labelled equation
that uses them, where notes define their notation. The result lands on:
0. the part an alias names, when the query is that alias exactly ("VJP", "AdamW");
1. the best part, when its title holds every term of the query that the note's own title does
   not ("evidence lower bound"; "adam bias correction" in Adam and AdamW);
2. else, when the note was found by an alias that names one part of it (`{MHA: "#multi-head"}`
   in the front matter, as a redirect to a section), that part;
3. else the note's top, when the note's own title satisfies the query ("adam");
4. else the best part (an alias matched, "vae", or the words are in the text).
"""

import re
from dataclasses import dataclass

from django.db.models import Q

from notes.models import SearchUnit
from notes.search.query import ParsedQuery
from notes.search.ranking import NoteRow, unit_rows
from notes.search.snippets import SnippetCutter


@dataclass(frozen=True)
class Landing:
    kind: str
    anchor: str
    title: str  # as stored: a search_text line, formulas as placeholders
    snippet_text: str


def landings(query: ParsedQuery, cutter: SnippetCutter, notes: list[NoteRow]) -> dict[int, Landing]:
    """document id -> where its result lands; notes landing on their top are left out. Two
    queries: the matching parts, then the chosen parts' titles and snippet material."""
    named = {note.id: cutter.terms_in(note.title) for note in notes}
    best = _best_parts(query, cutter, named)
    chosen: dict[int, tuple[str, int | None]] = {}  # document -> (anchor, unit id if known)
    typed = " ".join(query.words())
    for note in notes:
        alias = cutter.matching_alias(note.aliases) if note.title_match else ""
        redirect = note.alias_anchors.get(alias)
        part = best.get(note.id)
        rest = cutter.term_count - len(named[note.id])  # what the note's title does not say
        if redirect and _same_name(alias, typed):  # the name of one part of the note, exactly
            chosen[note.id] = (redirect, None)
        elif part and (part[0][1] >= cutter.term_count or (rest and part[0][0] >= rest)):
            chosen[note.id] = (part[2], part[1])
        elif redirect and not note.named:  # an alias that names one part of the note: go there
            chosen[note.id] = (redirect, None)
        elif part and not note.named:
            chosen[note.id] = (part[2], part[1])
    wanted = Q(pk__in=[unit for _, unit in chosen.values() if unit])
    for document, (anchor, unit) in chosen.items():
        if unit is None:
            wanted |= Q(document_id=document, anchor=anchor)
    rows = SearchUnit.objects.filter(wanted).values_list("document_id", "anchor", "kind", "title", "snippet_text")
    found = {(document, anchor): Landing(kind, anchor, title, text) for document, anchor, kind, title, text in rows}
    return {
        document: found[(document, anchor)] for document, (anchor, _) in chosen.items() if (document, anchor) in found
    }


def _same_name(alias: str, typed: str) -> bool:
    """An alias and a query's words are the same name, whatever the case and punctuation."""
    return re.sub(r"[\W_]+", " ", alias).casefold().split() == typed.split()


def _best_parts(query: ParsedQuery, cutter: SnippetCutter, named: dict[int, frozenset]) -> dict[int, tuple]:
    """document id -> ((how many query terms its title holds that the note's title does not,
    how many it holds), unit id, anchor) of its best matching part. Terms of the note's own title tell nothing
    about which part of it is meant ("convolution" in Convolution as a linear map)."""
    math_only = all(term.math for term in query.positive_terms())
    single = cutter.term_count == 1
    best: dict[int, tuple] = {}
    for document, unit, position, kind, anchor, title, rank in unit_rows(query, list(named)):
        held = cutter.terms_in(title)
        terms = (len(held - named[document]), len(held))
        if math_only:  # the first equation using the notation, where it is defined
            key = (terms, kind == "equation", -position)
        elif terms[1] and (single or not terms[0]):
            # Of the parts whose titles name only the note's subject, the first: it introduces
            # the idea and later parts build on it.
            key = (terms, 1, -position)
        elif terms[1]:
            key = (terms, 1, rank)
        else:
            key = (terms, 0, rank)
        if document not in best or key > best[document][0]:
            best[document] = (key, unit, anchor)
    return {document: (key[0], unit, anchor) for document, (key, unit, anchor) in best.items()}
