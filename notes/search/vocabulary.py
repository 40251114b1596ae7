"""The site's words, for finishing a word being typed and correcting a misspelt one.

`SearchTerm` holds every word of the live notes' titles, aliases, headings and prose
(notes.search.services adds a note's words when it is published). Both engines answer the
same two questions through it:

- completions: the words that begin with what the reader has typed so far, shortest first
  (`attent` -> attention, attentive...), a range scan of the primary key;
- corrections: for a word the site does not use, the closest word it does. Candidates come
  from a trigram index on PostgreSQL (pg_trgm, `%` similarity) and from the words of about the
  same length on SQLite; on both, rapidfuzz's Damerau-Levenshtein similarity picks among
  them, so a swapped pair of letters (`entorpy`) costs one edit, as a reader would count it.
"""

from django.db import connection
from django.db.models.functions import Length
from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne

from notes.models import SearchTerm

COMPLETIONS = 8  # words a typed prefix also matches
MIN_CORRECTABLE = 3  # shorter words are left alone: too many words are one edit from them
CORRECTION_CUTOFF = 0.7  # normalized similarity; 1 edit in a word of 4+ letters passes
TRIGRAM_CANDIDATES = 12
_HIGHEST = "\U0010ffff"


def completions(prefix: str) -> tuple[str, ...]:
    """The site's words that begin with `prefix` (not itself), shortest first."""
    rows = (
        SearchTerm.objects.filter(term__gt=prefix, term__lt=prefix + _HIGHEST)
        .order_by(Length("term"), "term")
        .values_list("term", flat=True)[:COMPLETIONS]
    )
    return tuple(rows)


def known(words: list[str]) -> set[str]:
    return set(SearchTerm.objects.filter(term__in=set(words)).values_list("term", flat=True))


def _candidates(words: list[str]) -> dict[str, list[str]]:
    if connection.vendor == "postgresql":
        sql = """
            SELECT w, t.term FROM unnest(%s::text[]) AS w,
            LATERAL (SELECT term FROM notes_searchterm WHERE term %% w
                     ORDER BY similarity(term, w) DESC, term LIMIT %s) AS t
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [words, TRIGRAM_CANDIDATES])
            rows = cursor.fetchall()
        found: dict[str, list[str]] = {w: [] for w in words}
        for word, term in rows:
            found[word].append(term)
        return found
    shortest, longest = min(map(len, words)) - 2, max(map(len, words)) + 2
    terms = list(
        SearchTerm.objects.annotate(size=Length("term"))
        .filter(size__gte=shortest, size__lte=longest)
        .values_list("term", flat=True)
    )
    return {w: [t for t in terms if abs(len(t) - len(w)) <= 2] for w in words}


def corrections(words: list[str]) -> dict[str, str]:
    """word -> the site's closest word, for each of `words` (lowercase, not in the
    vocabulary) that has one close enough; one query."""
    words = sorted({w for w in words if len(w) >= MIN_CORRECTABLE and not w.isdigit()})
    if not words:
        return {}
    fixed = {}
    for word, candidates in _candidates(words).items():
        best = extractOne(
            word, candidates, scorer=DamerauLevenshtein.normalized_similarity, score_cutoff=CORRECTION_CUTOFF
        )
        if best:
            fixed[word] = best[0]
    return fixed
