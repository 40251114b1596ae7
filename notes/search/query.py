"""A reader's query, parsed once and written for each engine (PostgreSQL tsquery, SQLite FTS5).

Terms are words, quoted phrases, `-excluded` words and TeX control sequences (`\\KL`), which
become the indexed word `texKL` (notes.search.document).

A query is searched as typed: its last word may be unfinished, so it also matches the words
of the site's vocabulary that begin with it (`attent` finds attention). That is done with the
vocabulary rather than the engines' own prefix search, which stems the prefix: `normaliz`
would look for words starting `normaliz` among stems where normalization is `normal`.
"""

import re
from dataclasses import dataclass, field, replace

from notes.search.document import MATH_PREFIX

MAX_QUERY_LENGTH = 200
# PostgreSQL's English stop words (tsearch_data/english.stop): its 'english' configuration
# drops them from documents and queries; FTS5 indexes them, so they are dropped from queries
# here for both engines to answer alike ("why does adam need bias correction" is about adam,
# bias and correction). A phrase keeps its words, and a query of stop words alone keeps them.
STOP_WORDS = frozenset(
    [
        "i",
        "me",
        "my",
        "myself",
        "we",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "a",
        "an",
        "the",
        "and",
        "but",
        "if",
        "or",
        "because",
        "as",
        "until",
        "while",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "in",
        "out",
        "on",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "s",
        "t",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
    ]
)
# What both engines treat as one word: letters and digits (underscore separates in both).
_PIECE_RE = re.compile(r"\\[A-Za-z]+|[^\W_]+")
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# What makes a typed word notation rather than a hyphenated or dotted word (cross-entropy, e.g.).
_NOTATION_RE = re.compile(r"[()\[\]{}^=+*/|<>]")


class QueryError(ValueError):
    """A query that cannot be searched; the message is meant for the reader."""


@dataclass(frozen=True)
class Term:
    """One word, a phrase (several words in order) or a TeX control sequence (`math`).
    `completions`: for the query's last word, the vocabulary's words that begin with it; any
    of them, or the word itself, matches."""

    words: tuple[str, ...]
    math: bool = False
    quoted: bool = False
    completions: tuple[str, ...] = field(default=(), compare=False)

    @property
    def completable(self) -> bool:
        return not self.math and not self.quoted and len(self.words) == 1 and len(self.words[0]) >= 2


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

    def words(self) -> list[str]:
        """The plain words of its terms (no TeX names), lowercased, in order."""
        return [w.casefold() for term in self.positive_terms() if not term.math for w in term.words]

    def last_term(self) -> Term | None:
        """The term typed last, if a reader could still be typing it."""
        terms = self.conjuncts[-1].required
        return terms[-1] if terms and terms[-1].completable else None

    def completed(self, completions: tuple[str, ...]) -> "ParsedQuery":
        """The query with its last term matching these words as well."""
        *first, last = self.conjuncts
        done = replace(last.required[-1], completions=completions)
        return ParsedQuery((*first, replace(last, required=(*last.required[:-1], done))))

    def respelled(self, corrections: dict[str, str]) -> "ParsedQuery":
        """The query with misspelt words replaced (each word -> its correction)."""

        def fix(term: Term) -> Term:
            if term.math:
                return term
            return replace(term, words=tuple(corrections.get(w.casefold(), w) for w in term.words), completions=())

        return ParsedQuery(
            tuple(Conjunct(tuple(map(fix, c.required)), tuple(map(fix, c.excluded))) for c in self.conjuncts)
        )

    def text(self) -> str:
        """The query as a reader would type it again."""
        parts = []
        for conjunct in self.conjuncts:
            terms = [_typed(t) for t in conjunct.required] + ["-" + _typed(t) for t in conjunct.excluded]
            parts.append(" ".join(terms))
        return " OR ".join(parts)


def _typed(term: Term) -> str:
    if term.math:
        return "\\" + term.words[0]
    return f'"{" ".join(term.words)}"' if term.quoted else " ".join(term.words)


def _terms(text: str, *, quoted: bool) -> list[Term]:
    pieces = _PIECE_RE.findall(text)
    if not pieces:
        return []
    if len(pieces) == 1 and pieces[0].startswith("\\") and not quoted:
        return [Term((pieces[0][1:],), math=True)]
    names = [p for p in dict.fromkeys(pieces) if len(p) > 1]
    if not quoted and names and _NOTATION_RE.search(text) and not any(p.startswith("\\") for p in pieces):
        # Notation typed as text (softmax(QK^T/sqrt(d))) is not a phrase of the note's prose
        # or TeX: its names are searched as words, its one-letter variables left out.
        return [Term((name,)) for name in names]
    # Inside a phrase the words must be adjacent in one column, so a control sequence there
    # stands for its name as it appears in the body's TeX.
    return [Term(tuple(p.lstrip("\\") for p in pieces), quoted=quoted or len(pieces) > 1)]


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
        terms = _terms(phrase, quoted=True) if not bare else _terms(bare[1:] if negated else bare, quoted=False)
        (excluded if negated else required).extend(terms)
    close()
    if not conjuncts:
        raise QueryError("Type at least one word to search for (not only punctuation, operators or -exclusions).")
    return _without_stop_words(ParsedQuery(tuple(conjuncts)))


def _without_stop_words(query: ParsedQuery) -> ParsedQuery:
    def kept(terms: tuple[Term, ...]) -> tuple[Term, ...]:
        return tuple(t for t in terms if t.math or t.quoted or t.words[0].casefold() not in STOP_WORDS)

    conjuncts = tuple(Conjunct(kept(c.required), kept(c.excluded)) for c in query.conjuncts)
    if not all(c.required for c in conjuncts):
        return query  # an alternative of stop words alone: searched as typed
    return ParsedQuery(conjuncts)


def _quoted(words) -> str:
    return '"' + " ".join(words) + '"'


def _lexemes(term: Term) -> str:
    """A term in to_tsquery's syntax. Only letters and digits reach here (parse_query), so no
    word can be read as an operator."""
    if term.math:
        return MATH_PREFIX + term.words[0]
    if len(term.words) > 1:
        return "(" + " <-> ".join(term.words) + ")"
    if term.completions:
        return "(" + " | ".join([term.words[0] + ":*", *term.completions]) + ")"
    return term.words[0]


def to_tsquery_text(query: ParsedQuery, *, any_term: bool = False) -> str:
    """The query for PostgreSQL's to_tsquery: conjunctions of terms joined by OR, as typed;
    with `any_term`, any one of its terms (for ranking the parts of a note that matched)."""
    if any_term:
        return " | ".join(_lexemes(t) for t in query.positive_terms())
    parts = []
    for conjunct in query.conjuncts:
        terms = [_lexemes(t) for t in conjunct.required] + ["!" + _lexemes(t) for t in conjunct.excluded]
        parts.append("(" + " & ".join(terms) + ")")
    return " | ".join(parts)


def _fts5_term(term: Term) -> str:
    if term.math:
        return _quoted([MATH_PREFIX + term.words[0]])
    if term.completions:
        return "(" + " OR ".join([_quoted(term.words) + "*", *map(_quoted, ([c] for c in term.completions))]) + ")"
    return _quoted(term.words)


def to_fts5(query: ParsedQuery, *, any_term: bool = False) -> str:
    """The query as an FTS5 expression (FTS5 has no unary NOT: exclusions follow the
    conjunction they belong to); with `any_term`, any one of its terms."""
    if any_term:
        return " OR ".join(_fts5_term(t) for t in query.positive_terms())
    parts = []
    for conjunct in query.conjuncts:
        expression = "(" + " AND ".join(_fts5_term(t) for t in conjunct.required) + ")"
        for term in conjunct.excluded:
            expression += " NOT " + _fts5_term(term)
        parts.append("(" + expression + ")")
    return " OR ".join(parts)
