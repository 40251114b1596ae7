"""Search that lands on a passage and forgives typing (issue 16).

- `SearchDocument.aliases`: the other names a note is searched by, indexed with the title's
  weight, and `alias_anchors`, the part of the note an alias names, where a result lands. The indexes over the row are made again around the change, as both engines need:
  PostgreSQL refuses to alter a table under generated columns that read it, and SQLite's
  table rebuild drops the FTS5 triggers. `formulas` goes: nothing has read it since snippets
  moved to `SearchFormula`.
- `SearchUnit`: sections, derivations and labelled equations as their own searchable rows,
  indexed like the documents (a generated weighted tsvector with a GIN index; an FTS5 table
  kept by triggers). Both FTS5 tables keep prefix indexes for the instant box's prefix queries.
- `SearchTerm`: the vocabulary that corrects misspelt words, with a trigram index (pg_trgm)
  on PostgreSQL.
- `Revision.search_units`: filled by the renderer (version 6); `manage.py rerender` fills it
  for stored revisions and their search rows.
"""

from django.db import migrations, models

DOCUMENT_VECTOR = """
    setweight(to_tsvector('english'::regconfig, title || ' ' || aliases), 'A')
    || setweight(to_tsvector('english'::regconfig, summary || ' ' || derivations || ' ' || equations), 'B')
    || setweight(to_tsvector('english'::regconfig, {body}), 'C')
    || setweight(to_tsvector('english'::regconfig, {math}), 'D')
"""
OLD_DOCUMENT_VECTOR = DOCUMENT_VECTOR.replace("title || ' ' || aliases", "title")
HEAD = {"body": "left(body, 1000)", "math": "left(math, 300)"}  # the opening, as in 0007
FULL = {"body": "body", "math": "math"}
CANDIDATES = """
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


def _pg_document_indexes(vector: str) -> list[str]:
    return [
        f"ALTER TABLE notes_searchdocument ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"{vector.format(**FULL)}) STORED",
        "CREATE INDEX notes_searchdocument_vector ON notes_searchdocument USING GIN (search_vector)",
        f"ALTER TABLE notes_searchdocument ADD COLUMN head_vector tsvector GENERATED ALWAYS AS ("
        f"{vector.format(**HEAD)}) STORED",
        "ALTER TABLE notes_searchdocument ALTER COLUMN head_vector SET STORAGE MAIN",
        CANDIDATES,
    ]


PG_DOCUMENT_DROP = [
    "DROP FUNCTION notes_search_candidates(tsquery, text, integer)",
    "ALTER TABLE notes_searchdocument DROP COLUMN head_vector",
    "DROP INDEX notes_searchdocument_vector",
    "ALTER TABLE notes_searchdocument DROP COLUMN search_vector",
]
PG_NEW = [
    *_pg_document_indexes(DOCUMENT_VECTOR),
    """
    ALTER TABLE notes_searchunit ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, body), 'C')
        || setweight(to_tsvector('english'::regconfig, math), 'D')
    ) STORED
    """,
    "CREATE INDEX notes_searchunit_vector ON notes_searchunit USING GIN (search_vector)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX notes_searchterm_trigram ON notes_searchterm USING GIN (term gin_trgm_ops)",
]
PG_NEW_DROP = [
    "DROP INDEX notes_searchterm_trigram",
    "DROP INDEX notes_searchunit_vector",
    "ALTER TABLE notes_searchunit DROP COLUMN search_vector",
    *PG_DOCUMENT_DROP,
]


def _fts(table: str, columns: str, options: str = "") -> list[str]:
    new = ", ".join(f"new.{c.strip()}" for c in columns.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in columns.split(","))
    fts = f"{table}_fts"
    return [
        f"""CREATE VIRTUAL TABLE {fts} USING fts5({columns}, content='{table}', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'{options})""",
        f"""CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new}); END""",
        f"""CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {old}); END""",
        f"""CREATE TRIGGER {fts}_update AFTER UPDATE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {old});
            INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new}); END""",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _fts_drop(table: str) -> list[str]:
    fts = f"{table}_fts"
    return [
        f"DROP TRIGGER {fts}_update",
        f"DROP TRIGGER {fts}_delete",
        f"DROP TRIGGER {fts}_insert",
        f"DROP TABLE {fts}",
    ]


PREFIX = ", prefix='2 3 4'"
SQLITE_OLD = _fts("notes_searchdocument", "title, summary, body, derivations, equations, math")
SQLITE_NEW = [
    *_fts("notes_searchdocument", "title, summary, body, derivations, equations, math, aliases", PREFIX),
    *_fts("notes_searchunit", "title, body, math", PREFIX),
]
SQLITE_NEW_DROP = [*_fts_drop("notes_searchunit"), *_fts_drop("notes_searchdocument")]


def _run(schema_editor, statements):
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise RuntimeError(f"full-text search is implemented for PostgreSQL and SQLite, not {vendor}")
    for statement in statements[vendor]:
        schema_editor.execute(statement)


def old_indexes_drop(apps, schema_editor):
    _run(schema_editor, {"postgresql": PG_DOCUMENT_DROP, "sqlite": _fts_drop("notes_searchdocument")})


def old_indexes_create(apps, schema_editor):
    _run(schema_editor, {"postgresql": _pg_document_indexes(OLD_DOCUMENT_VECTOR), "sqlite": SQLITE_OLD})


def new_indexes_create(apps, schema_editor):
    _run(schema_editor, {"postgresql": PG_NEW, "sqlite": SQLITE_NEW})


def new_indexes_drop(apps, schema_editor):
    _run(schema_editor, {"postgresql": PG_NEW_DROP, "sqlite": SQLITE_NEW_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0010_formula_cache"),
    ]

    operations = [
        migrations.RunPython(old_indexes_drop, old_indexes_create),
        migrations.RemoveField(model_name="searchdocument", name="formulas"),
        migrations.AddField(model_name="searchdocument", name="aliases", field=models.TextField(blank=True)),
        migrations.AddField(model_name="searchdocument", name="alias_anchors", field=models.JSONField(default=dict)),
        migrations.AddField(model_name="revision", name="search_units", field=models.JSONField(default=list)),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[("term", models.CharField(max_length=40, primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name="SearchUnit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[("section", "Section"), ("derivation", "Derivation"), ("equation", "Equation")],
                        max_length=12,
                    ),
                ),
                ("anchor", models.CharField(max_length=120)),
                ("title", models.CharField(max_length=300)),
                ("body", models.TextField(blank=True)),
                ("math", models.TextField(blank=True)),
                ("snippet_text", models.TextField(blank=True)),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE, related_name="units", to="notes.searchdocument"
                    ),
                ),
            ],
            options={"ordering": ["document", "position"]},
        ),
        migrations.AddConstraint(
            model_name="searchunit",
            constraint=models.UniqueConstraint(fields=("document", "position"), name="search_unit_unique"),
        ),
        migrations.RunPython(new_indexes_create, new_indexes_drop),
    ]
