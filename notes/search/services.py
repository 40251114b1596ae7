"""Writes of search: each live note's search row mirrors its live revision."""

from django.db import transaction

from notes.models import Note, SearchDocument, SearchFormula
from notes.search.document import area_slugs, build_document


@transaction.atomic
def search_document_update(*, note: Note) -> SearchDocument | None:
    """Make the note's search row mirror its live revision, as stored now.

    Reads the live revision afresh (the caller's note may be stale), so it is idempotent and
    safe to call after any change; a note with nothing live has no row, so drafts are never
    found. The database re-indexes the row itself (generated column or FTS5 triggers). The
    snippet material (text and typeset formulas) is copied as the revision stored it.
    """
    note = Note.objects.select_related("live_revision").get(pk=note.pk)
    revision = note.live_revision
    if revision is None:
        SearchDocument.objects.filter(note=note).delete()
        return None
    fields = build_document(
        title=revision.title,
        summary=revision.summary,
        plain_text=revision.plain_text,
        derivation_titles=list(revision.derivations.values_list("title", flat=True)),
        labels=list(revision.equations.values_list("label", flat=True)),
        areas=area_slugs(note.topics.select_related("parent__parent")),
    )
    fields["snippet_text"] = revision.search_text
    document, _ = SearchDocument.objects.update_or_create(note=note, defaults={"revision": revision, **fields})
    # Snippets read formulas by number; the numbers are the live revision's, so all go.
    document.typeset_formulas.all().delete()
    SearchFormula.objects.bulk_create(
        SearchFormula(document=document, number=n, html=html) for n, html in enumerate(revision.search_formulas)
    )
    return document
