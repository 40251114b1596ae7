"""Search candidates in tiers on PostgreSQL (issue 16's latency): the names first, then the
head, then the body, each from its own GIN index, stopping once there are enough.

0007's `notes_search_candidates` ranked every match by the head vector to keep the best n.
A word most notes use ("gradient", or the prefix "gr" with its completions) matches nearly
all of them, and reading and ranking every head took 25-35 ms at 10,000 notes: what made
the instant box slow. This adds:

- `name_vector`, the title and aliases alone (weight A, as in the full vector), generated and
  stored, with a GIN index: the notes whose names satisfy the query are the ones a search
  shows first (notes.search.ranking), and they are few;
- `head_vector` (0007) cut at a word, so that a note whose head matches matches, and a GIN
  index on it, so the head's matches are found without the body's;
- `notes_search_candidates(query, area, n, pool)`, which returns up to n ids, tier by tier,
  each tier only when the ones before found fewer than n:
  1. the notes whose names match, best by the name vector's rank;
  2. those whose head matches (and names do not): at most `pool` of them, the best by the
     head's rank;
  3. those matching only in the body: at most `pool`, the best by the head's rank (the
     query's words it holds).
  A tier of more than `pool` matches ranks the `pool` that come first in the table (oldest
  notes first), not all: a word in thousands of heads but few names costs a bounded read.
  A query that excludes a word is checked against the full vector's index in every tier,
  since a name or head without the word says nothing of the body.
  Sequential scans stay off (0007: the planner would read every full vector to test a
  common word) and so does JIT, which that setting's cost estimates would otherwise
  trigger at 100 ms a query.

The body tier reads the full vectors (TOAST) only to recheck a phrase; any other query is
answered by the index alone. SQLite needs none of this: FTS5 ranks from its own index.

On both engines, the vocabulary gains the words of the notes' equation labels (eq:rope-score:
rope, score), which search finds and notes.search.document.vocabulary now lists, so that a
label's word is never "corrected" to another.
"""

import re

from django.db import migrations

# Frozen copy of notes.search.document._WORD.
_WORD = re.compile(r"[^\W\d_][^\W_]{2,39}")

# The head (0007, 0011) cut its opening at a character count, so its last word could be a
# fragment the note never uses ("lossless" cut to "loss"): matching the head did not mean
# matching the note. Cut before the last whitespace-delimited token instead, the head's
# words are some of the full vector's, at the same positions (the columns before the body
# are the same), so a head match is a match: no candidate needs its full vector checked.
HEAD_BODY_CHARACTERS = 1000
HEAD_MATH_CHARACTERS = 300


def _opening(column: str, characters: int) -> str:
    return (
        f"CASE WHEN length({column}) <= {characters} THEN {column}"
        f" ELSE regexp_replace(left({column}, {characters + 1}), '\\S+$', '') END"
    )


DOCUMENT_VECTOR = """
    setweight(to_tsvector('english'::regconfig, title || ' ' || aliases), 'A')
    || setweight(to_tsvector('english'::regconfig, summary || ' ' || derivations || ' ' || equations), 'B')
    || setweight(to_tsvector('english'::regconfig, {body}), 'C')
    || setweight(to_tsvector('english'::regconfig, {math}), 'D')
"""
OLD_HEAD = DOCUMENT_VECTOR.format(body="left(body, 1000)", math="left(math, 300)")
NEW_HEAD = DOCUMENT_VECTOR.format(
    body=_opening("body", HEAD_BODY_CHARACTERS), math=_opening("math", HEAD_MATH_CHARACTERS)
)


def _head(vector: str) -> list[str]:
    return [
        "ALTER TABLE notes_searchdocument DROP COLUMN head_vector",
        f"ALTER TABLE notes_searchdocument ADD COLUMN head_vector tsvector GENERATED ALWAYS AS ({vector}) STORED",
        # inline and uncompressed, as 0007 explains
        "ALTER TABLE notes_searchdocument ALTER COLUMN head_vector SET STORAGE MAIN",
    ]


NAME_VECTOR = [
    """
    ALTER TABLE notes_searchdocument ADD COLUMN name_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title || ' ' || aliases), 'A')
    ) STORED
    """,
    "CREATE INDEX notes_searchdocument_name ON notes_searchdocument USING GIN (name_vector)",
    *_head(NEW_HEAD),
    "CREATE INDEX notes_searchdocument_head ON notes_searchdocument USING GIN (head_vector)",
]
# Each tier's statement is planned for the call's own query (EXECUTE): how many notes a word
# matches varies by thousands. A query with an exclusion (`adam -rmsprop`) is decided by the
# whole note, since a name or a head without the excluded word says nothing of the body: then
# every tier also asks the full vector, through its GIN index (exact without a phrase, so no
# vector is read). Lexemes are letters and digits (notes.search.query), so a `!` in the
# query's text is the operator. An empty area is an empty string, which strpos finds in any.
TIERED = """
    CREATE FUNCTION notes_search_candidates(query tsquery, area text, n integer, pool integer)
    RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE
    SET enable_seqscan = off
    SET jit = off
    AS $$
    DECLARE
        kept text := ' AND strpos(d.areas, $2) > 0'
            || CASE WHEN position('!' in query::text) > 0 THEN ' AND d.search_vector @@ $1' ELSE '' END;
        padded text := CASE WHEN area = '' THEN '' ELSE ' ' || area || ' ' END;
        found integer := 0;
        tier integer;
    BEGIN
        RETURN QUERY EXECUTE
            'SELECT d.id FROM notes_searchdocument d WHERE d.name_vector @@ $1' || kept
            || ' ORDER BY ts_rank(d.name_vector, $1) DESC, d.id LIMIT $3'
            USING query, padded, n;
        GET DIAGNOSTICS tier = ROW_COUNT;
        found := found + tier;
        IF found >= n THEN
            RETURN;
        END IF;
        RETURN QUERY EXECUTE
            'SELECT s.id FROM (SELECT d.id, d.head_vector FROM notes_searchdocument d'
            || ' WHERE d.head_vector @@ $1 AND NOT d.name_vector @@ $1' || kept || ' LIMIT $4) AS s'
            || ' ORDER BY ts_rank(s.head_vector, $1) DESC, s.id LIMIT $3'
            USING query, padded, n - found, pool;
        GET DIAGNOSTICS tier = ROW_COUNT;
        found := found + tier;
        IF found >= n THEN
            RETURN;
        END IF;
        RETURN QUERY EXECUTE
            'SELECT s.id FROM (SELECT d.id, d.head_vector FROM notes_searchdocument d'
            || ' WHERE d.search_vector @@ $1 AND NOT d.head_vector @@ $1' || kept || ' LIMIT $4) AS s'
            || ' ORDER BY ts_rank(s.head_vector, $1) DESC, s.id LIMIT $3'
            USING query, padded, n - found, pool;
    END
    $$
"""
# 0011's, restored on the way back.
HEAD_RANKED = """
    CREATE FUNCTION notes_search_candidates(query tsquery, area text, n integer) RETURNS SETOF bigint
    LANGUAGE sql STABLE
    SET enable_seqscan = off
    AS $$
        SELECT d.id
        FROM notes_searchdocument d
        WHERE d.search_vector @@ query AND (area = '' OR strpos(d.areas, ' ' || area || ' ') > 0)
        ORDER BY ts_rank(d.head_vector, query) DESC, d.id
        LIMIT n
    $$
"""

FORWARD = [
    "DROP FUNCTION notes_search_candidates(tsquery, text, integer)",
    *NAME_VECTOR,
    TIERED,
]
BACKWARD = [
    "DROP FUNCTION notes_search_candidates(tsquery, text, integer, integer)",
    "DROP INDEX notes_searchdocument_head",
    *_head(OLD_HEAD),
    "DROP INDEX notes_searchdocument_name",
    "ALTER TABLE notes_searchdocument DROP COLUMN name_vector",
    HEAD_RANKED,
]


def _run(schema_editor, statements):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise RuntimeError(f"full-text search is implemented for PostgreSQL and SQLite, not {vendor}")
    if vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement)


def tiers_create(apps, schema_editor):
    _run(schema_editor, FORWARD)


def tiers_drop(apps, schema_editor):
    _run(schema_editor, BACKWARD)


def label_words_add(apps, schema_editor):
    SearchDocument = apps.get_model("notes", "SearchDocument")
    SearchTerm = apps.get_model("notes", "SearchTerm")
    words = set()
    for equations in SearchDocument.objects.values_list("equations", flat=True).iterator():
        words |= {word.casefold() for word in _WORD.findall(equations)}
    SearchTerm.objects.bulk_create((SearchTerm(term=w) for w in sorted(words)), ignore_conflicts=True, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0011_search_units_and_terms"),
    ]

    operations = [
        migrations.RunPython(tiers_create, tiers_drop),
        # Words are only ever added to the vocabulary (notes.search.models.SearchTerm).
        migrations.RunPython(label_words_add, migrations.RunPython.noop),
    ]
