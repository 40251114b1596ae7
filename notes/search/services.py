"""Writes of search: each live note's search row mirrors its live revision."""

from django.db import transaction

from notes.models import Note, SearchDocument, SearchFormula, SearchTerm, SearchUnit
from notes.search.document import VOCABULARY_FIELDS, area_slugs, build_document, build_units, vocabulary


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
        aliases=revision.front_matter.get("aliases", []),
        alias_anchors=revision.front_matter.get("alias_anchors", {}),
        summary=revision.summary,
        plain_text=revision.plain_text,
        derivation_titles=list(revision.derivations.values_list("title", flat=True)),
        labels=list(revision.equations.values_list("label", flat=True)),
        areas=area_slugs(note.topics.select_related("parent__parent")),
    )
    fields["snippet_text"] = revision.search_text
    document, _ = SearchDocument.objects.update_or_create(note=note, defaults={"revision": revision, **fields})
    # Snippets read formulas by number, units by position; both are the live revision's, so all go.
    document.typeset_formulas.all().delete()
    SearchFormula.objects.bulk_create(
        SearchFormula(document=document, number=n, html=html) for n, html in enumerate(revision.search_formulas)
    )
    document.units.all().delete()
    units = build_units(revision.search_text, revision.search_units)
    SearchUnit.objects.bulk_create(SearchUnit(document=document, **unit) for unit in units)
    terms = vocabulary(fields, units, revision.search_text)
    SearchTerm.objects.bulk_create((SearchTerm(term=t) for t in sorted(terms)), ignore_conflicts=True, batch_size=500)
    return document


def search_terms_rebuild() -> int:
    """The vocabulary afresh from every live note's search rows (words are otherwise only
    added); returns its size."""
    terms: set[str] = set()
    documents = SearchDocument.objects.select_related("revision").prefetch_related("units")
    for document in documents:
        units = [{"title": unit.title} for unit in document.units.all()]
        fields = {name: getattr(document, name) for name in VOCABULARY_FIELDS}
        terms |= vocabulary(fields, units, document.revision.search_text)
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create((SearchTerm(term=t) for t in sorted(terms)), batch_size=500)
    return len(terms)
