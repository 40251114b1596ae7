"""What readers search: one row per live note, its parts, the formulas its snippets show, and
the site's vocabulary (notes.search.services writes them; notes.search.selectors reads them).
Registered through notes.models; foreign keys name their models as strings, so this module
imports nothing of notes.models.
"""

from django.db import models


class SearchDocument(models.Model):
    """What readers search in one live note, copied from its live revision by
    `notes.search.services.search_document_update`; one row per live note, none for drafts.

    The database indexes it beyond what this model declares (migrations 0005, 0007, 0011,
    0012): on PostgreSQL a stored generated `search_vector` column with a GIN index, plus the
    small generated `name_vector` (title and aliases) and `head_vector`, each with its own GIN
    index, that pick which matches to rank, and the `notes_search_candidates` function that
    reads them; on SQLite the FTS5 table `notes_searchdocument_fts` kept in step
    by triggers. Django's SQLite backend rebuilds a
    table to alter it, which drops those triggers, so a migration that alters this table must
    create them again; PostgreSQL refuses to alter a column the generated one reads.
    """

    note = models.OneToOneField("notes.Note", on_delete=models.CASCADE, related_name="search_document")
    revision = models.ForeignKey("notes.Revision", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    aliases = models.TextField(blank=True)  # the front matter's other names, one a line: title weight
    alias_anchors = models.JSONField(default=dict)  # alias -> the anchor of the part it names
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)  # the revision's plain text: prose and formulas' TeX
    derivations = models.TextField(blank=True)  # derivation titles, one a line
    equations = models.TextField(blank=True)  # equation labels
    math = models.TextField(blank=True)  # control sequences as words: \KL -> texKL
    # The live revision's search_text. Nullable because SQLite adds a nullable column in
    # place, where any other would rebuild the table and drop the FTS5 triggers.
    snippet_text = models.TextField(null=True, blank=True)  # noqa: DJ001
    areas = models.CharField(max_length=500, blank=True)  # area slugs, space-separated and padded
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"search row of {self.note_id}"


class SearchUnit(models.Model):
    """A part of a live note a search result can land on: a section, a derivation or a labelled
    equation, with its page anchor, copied with the note's search row from the revision's
    `search_units` (notes.search.services).

    Indexed like the row itself (migration 0011): on PostgreSQL a stored generated, weighted
    `search_vector` (title A, body C, math D) with a GIN index; on SQLite the FTS5 table
    `notes_searchunit_fts` kept in step by triggers.
    """

    class Kind(models.TextChoices):
        SECTION = "section", "Section"
        DERIVATION = "derivation", "Derivation"
        EQUATION = "equation", "Equation"

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveIntegerField()  # page order
    kind = models.CharField(max_length=12, choices=Kind.choices)
    anchor = models.CharField(max_length=120)
    title = models.CharField(max_length=300)  # as shown: a heading, a derivation's title, "Equation (3)"
    body = models.TextField(blank=True)  # its blocks' plain text, formulas as TeX (and a label's words)
    math = models.TextField(blank=True)  # control sequences as words: \KL -> texKL
    snippet_text = models.TextField(blank=True)  # its blocks as search_text lines, for snippets

    class Meta:
        ordering = ["document", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="search_unit_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.anchor} of {self.document_id}"


class SearchTerm(models.Model):
    """A word of the site's vocabulary (titles, aliases, headings, prose), for correcting a
    query's misspelt words: on PostgreSQL through a trigram index (pg_trgm, migration 0011),
    on SQLite by rapidfuzz over the words of about the same length. Words are only added (a
    correction is applied only when it finds notes, so a word no note uses any more is
    harmless); `manage.py search_terms --rebuild` starts the list afresh."""

    term = models.CharField(max_length=40, primary_key=True)

    def __str__(self) -> str:
        return self.term


class SearchFormula(models.Model):
    """One typeset formula of a search row's `snippet_text`, by its placeholder's number, so
    a snippet reads only the formulas it shows (a long note has hundreds)."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="typeset_formulas")
    number = models.PositiveIntegerField()
    html = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="search_formula_unique")]

    def __str__(self) -> str:
        return f"formula {self.number} of {self.document_id}"
