"""The site's words, for finishing a word being typed and correcting a misspelt one.

`SearchTerm` holds every word of the live notes' titles, aliases, headings and prose
(notes.search.services adds a note's words when it is published). Both engines answer the
same two questions through it:

- completions: the words that begin with what the reader has typed so far, shortest first
  (`attent` -> attention, attentive...), a range scan of the primary key, asked in the same
  query as which of the query's words the site uses (`lookup`);
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


_KNOWN = "SELECT term, 1 FROM notes_searchterm WHERE term IN ({words})"
_COMPLETIONS = """
SELECT term, 0 FROM (
    SELECT term FROM notes_searchterm WHERE term > %s AND term < %s ORDER BY length(term), term LIMIT %s
) AS completions
"""


def lookup(words: list[str], prefix: str | None) -> tuple[set[str], tuple[str, ...]]:
    """Of `words`, those the site uses; and the site's words that begin with `prefix` (not
    itself; none without one), shortest first, at most COMPLETIONS: one query (none when
    there is nothing to look up), a key lookup and a range scan of the primary key."""
    parts, params = [], []
    if words:
        parts.append(_KNOWN.format(words=", ".join(["%s"] * len(set(words)))))
        params += sorted(set(words))
    if prefix:
        parts.append(_COMPLETIONS)
        params += [prefix, prefix + _HIGHEST, COMPLETIONS]
    if not parts:
        return set(), ()
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    completed = sorted((term for term, known in rows if not known), key=lambda term: (len(term), term))
    return {term for term, known in rows if known}, tuple(completed)


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
