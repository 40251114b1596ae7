"""Two-phase search ranking on PostgreSQL: a small vector to order all matches, the full one
only for the best few.

Every note's full weighted vector (0005) is about 20 KB and lives in TOAST; reading it costs
more than anything else a search does, so ranking thousands of matches by it is what made a
common word slow. This adds, on PostgreSQL:

- `head_vector`, weighted A title, B summary + derivation titles + equation labels,
  C the opening of the body, D the opening's math tokens (about 2 KB): a note's opening
  defines its problem and notation, so a word there says more than a word anywhere in it.
  Its rank puts notes whose title holds the query words first, as title weight A outweighs
  the rest;
- a table-level TOAST target of half a page, and MAIN storage for `head_vector`, so it
  stays inline and uncompressed in the row (at the default target of 2 KB PostgreSQL would
  compress it, or move it and the title out of line, and each match would cost a TOAST
  fetch again);
- `notes_search_candidates(query, area, n)`, the ids of the n matches whose head ranks
  best (ties: oldest first). It runs with sequential scans disabled: for a word in most
  notes the planner prefers a sequential scan, which must read every full vector to test
  the match (about 180 ms for 10,000 notes), while the GIN index answers the same test
  without reading any (6 ms).

notes.search sorts the candidates by title match and the full vector's rank, and writes
snippets for the page only. SQLite needs none of this: FTS5 ranks from its own index (migration 0005).
"""

from django.db import migrations

HEAD_BODY_CHARACTERS = 1000  # the body's opening: its first paragraph or two
HEAD_MATH_CHARACTERS = 300  # the opening formulas' tokens (\KL -> texKL), about 40 of them

POSTGRESQL_FORWARD = [
    "ALTER TABLE notes_searchdocument SET (toast_tuple_target = 4080)",
    f"""
    ALTER TABLE notes_searchdocument ADD COLUMN head_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, summary || ' ' || derivations || ' ' || equations), 'B')
        || setweight(to_tsvector('english'::regconfig, left(body, {HEAD_BODY_CHARACTERS})), 'C')
        || setweight(to_tsvector('english'::regconfig, left(math, {HEAD_MATH_CHARACTERS})), 'D')
    ) STORED
    """,
    "ALTER TABLE notes_searchdocument ALTER COLUMN head_vector SET STORAGE MAIN",
    """
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
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP FUNCTION notes_search_candidates(tsquery, text, integer)",
    "ALTER TABLE notes_searchdocument DROP COLUMN head_vector",
    "ALTER TABLE notes_searchdocument RESET (toast_tuple_target)",
]


def _run(schema_editor, statements):
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise RuntimeError(f"full-text search is implemented for PostgreSQL and SQLite, not {vendor}")
    for statement in statements[vendor]:
        schema_editor.execute(statement)


def columns_create(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_FORWARD, "sqlite": []})


def columns_drop(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_BACKWARD, "sqlite": []})


class Migration(migrations.Migration):

    dependencies = [
        ("notes", "0006_publish_record_retire"),
    ]

    operations = [
        migrations.RunPython(columns_create, columns_drop),
    ]
