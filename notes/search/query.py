"""A reader's query, parsed once and written for each engine (PostgreSQL websearch, SQLite FTS5).

Terms are words, quoted phrases, `-excluded` words and TeX control sequences (`\\KL`), which
become the indexed word `texKL` (notes.search.document).
"""

import re
from dataclasses import dataclass

from notes.search.document import MATH_PREFIX

MAX_QUERY_LENGTH = 200
# What both engines treat as one word: letters and digits (underscore separates in both).
_PIECE_RE = re.compile(r"\\[A-Za-z]+|[^\W_]+")
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class QueryError(ValueError):
    """A query that cannot be searched; the message is meant for the reader."""


@dataclass(frozen=True)
class Term:
    """One word, a phrase (several words in order) or a TeX control sequence (`math`)."""

    words: tuple[str, ...]
    math: bool = False


@dataclass(frozen=True)
class Conjunct:
    required: tuple[Term, ...]
    excluded: tuple[Term, ...]


@dataclass(frozen=True)
class ParsedQuery:
    """The websearch subset both engines accept: conjuncts joined by OR, as in PostgreSQL's
    websearch_to_tsquery, where `a b OR c` means (a and b) or c."""

    conjuncts: tuple[Conjunct, ...]

    def positive_terms(self) -> list[Term]:
        return [term for c in self.conjuncts for term in c.required]


def _term(text: str, *, quoted: bool) -> Term | None:
    pieces = _PIECE_RE.findall(text)
    if not pieces:
        return None
    if len(pieces) == 1 and pieces[0].startswith("\\") and not quoted:
        return Term((pieces[0][1:],), math=True)
    # Inside a phrase the words must be adjacent in one column, so a control sequence there
    # stands for its name as it appears in the body's TeX.
    return Term(tuple(p.lstrip("\\") for p in pieces))


def parse_query(text: str) -> ParsedQuery | None:
    """The reader's query in a form that cannot break either engine's syntax.

    None for an empty query; QueryError, with a message for the reader, for one too long or
    with nothing to search for. Stray quotes, operators and punctuation are never passed on:
    only letters and digits reach the engine, each inside a quoted string.
    """
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"Search queries are limited to {MAX_QUERY_LENGTH} characters; shorten yours.")
    conjuncts: list[Conjunct] = []
    required: list[Term] = []
    excluded: list[Term] = []

    def close() -> None:
        # An alternative made only of exclusions would match nearly every note.
        if required:
            conjuncts.append(Conjunct(tuple(required), tuple(excluded)))
        required.clear()
        excluded.clear()

    for negated_quote, phrase, bare in _TOKEN_RE.findall(text):
        if bare == "OR":
            close()
            continue
        negated = bool(negated_quote) if not bare else bare.startswith("-")
        term = _term(phrase, quoted=True) if not bare else _term(bare[1:] if negated else bare, quoted=False)
        if term is not None:
            (excluded if negated else required).append(term)
    close()
    if not conjuncts:
        raise QueryError("Type at least one word to search for (not only punctuation, operators or -exclusions).")
    return ParsedQuery(tuple(conjuncts))


def _quoted(words) -> str:
    return '"' + " ".join(words) + '"'


def to_websearch(query: ParsedQuery) -> str:
    """The query re-spelled for websearch_to_tsquery, every term quoted so that a word such
    as `or` stays a word."""
    parts = []
    for conjunct in query.conjuncts:
        terms = [_quoted([MATH_PREFIX + t.words[0]] if t.math else t.words) for t in conjunct.required]
        terms += ["-" + _quoted([MATH_PREFIX + t.words[0]] if t.math else t.words) for t in conjunct.excluded]
        parts.append(" ".join(terms))
    return " OR ".join(parts)


def _fts5_term(term: Term) -> str:
    return _quoted([MATH_PREFIX + term.words[0]] if term.math else term.words)


def to_fts5(query: ParsedQuery) -> str:
    """The query as an FTS5 expression (FTS5 has no unary NOT: exclusions follow the
    conjunction they belong to)."""
    parts = []
    for conjunct in query.conjuncts:
        expression = "(" + " AND ".join(_fts5_term(t) for t in conjunct.required) + ")"
        for term in conjunct.excluded:
            expression += " NOT " + _fts5_term(term)
        parts.append("(" + expression + ")")
    return " OR ".join(parts)
