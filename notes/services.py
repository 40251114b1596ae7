"""Writes of revisions: writing one, and re-rendering stored ones.

Each function is keyword-only and states in its docstring what it guarantees. The editorial
workflow (who may write, review, publish) is built on these in notes.editorial.services.
"""

import hashlib

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notes.hooks import revision_rerendered
from notes.models import Derivation, Equation, Figure, Link, Note, Prerequisite, Revision
from notes.rendering import RENDERER_VERSION, RenderResult, render
from notes.rendering.formula_prefill import prefill
from notes.rendering.katex import katex_version
from notes.rendering.links import NoteIndex
from notes.rendering.pipeline import formulas_of
from notes.search.services import search_document_update
from notes.selectors import stored_figures


def content_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def render_fields(result: RenderResult) -> dict:
    return {
        "html": result.html,
        "toc": [vars(entry) for entry in result.toc],
        "plain_text": result.plain_text,
        "summary_html": result.summary_html,
        "summary_text": result.summary_text,
        "search_text": result.search_text,
        "search_formulas": result.search_formulas,
        "search_units": result.search_units,
        "anchors": result.anchors,
        "errors": [p.as_dict() for p in result.errors],
        "warnings": [p.as_dict() for p in result.warnings],
        "word_count": result.word_count,
        "renderer_version": RENDERER_VERSION,
        "katex_version": katex_version(),
        "rendered_at": timezone.now(),
    }


def _first_of_each(items, key):
    """A revision with errors is still stored; a duplicated id keeps its first occurrence."""
    seen = set()
    for item in items:
        if key(item) and key(item) not in seen:
            seen.add(key(item))
            yield item


def _write_extracted(revision: Revision, result: RenderResult) -> None:
    """Derivations, equations, links and prerequisite edges of one revision."""
    Derivation.objects.bulk_create(
        Derivation(
            revision=revision,
            key=d.key,
            title=d.title,
            position=d.position,
            statement_html=d.statement_html,
            steps=d.steps,
            result_html=d.result_html,
            source=d.source,
            fingerprint=d.fingerprint,
        )
        for d in _first_of_each(result.derivations, lambda d: d.key)
    )
    Equation.objects.bulk_create(
        Equation(revision=revision, label=e.label, number=e.number, tex=e.tex, html=e.html, position=e.position)
        for e in _first_of_each(result.equations, lambda e: e.label)
    )
    slugs = {link.target_slug for link in result.links} | set(result.prerequisites)
    notes = {n.slug: n for n in Note.objects.filter(slug__in=slugs)}
    Link.objects.bulk_create(
        Link(
            revision=revision,
            target_note=notes[link.target_slug],
            anchor=link.anchor,
            text=link.text[:300],
            context_html=link.context_html,
        )
        for link in result.links
        if link.target_slug in notes
    )
    Prerequisite.objects.bulk_create(
        Prerequisite(revision=revision, prerequisite=notes[slug], position=i)
        for i, slug in enumerate(result.prerequisites)
        if slug in notes
    )


@transaction.atomic
def revision_create(
    *,
    note: Note,
    source: str,
    author=None,
    message: str = "",
    result: RenderResult | None = None,
    index: NoteIndex | None = None,
) -> Revision | None:
    """Write a new revision of `note` and make it the latest.

    Returns None when `source` equals the latest revision's source: a save that changes
    nothing writes nothing. The revision is stored even with render errors (an editor's work
    is never lost); such a revision cannot be published. Callers that hold the note's row
    lock pass `result`, rendered before they took it, so KaTeX never runs under the lock.
    The data of the figures drawn is stored with the revision (Figure), as written.
    """
    if result is None:
        result = render(source, slug=note.slug, index=index)
    note = Note.objects.select_for_update().get(pk=note.pk)
    digest = content_hash(source)
    latest = note.latest_revision
    if latest is not None and latest.content_hash == digest:
        return None
    revision = Revision.objects.create(
        note=note,
        number=(latest.number + 1) if latest else 1,
        parent=latest,
        title=result.title or note.slug,
        summary=result.summary,
        source=source,
        front_matter=result.front_matter,
        content_hash=digest,
        author=author,
        message=message[:500],
        **render_fields(result),
    )
    _write_extracted(revision, result)
    Figure.objects.bulk_create(Figure(revision=revision, key=f.key, data=f.data) for f in result.figures)
    note.latest_revision = revision
    note.save(update_fields=["latest_revision"])
    return revision


class TypesettingFailed(Exception):
    """The engine could not typeset some of a revision's formulas (time, memory): the render
    that was stored is kept."""


def revision_rerender(*, revision: Revision, index: NoteIndex | None = None, keep_if_engine_fails=False) -> Revision:
    """Re-render a stored revision with the current pipeline.

    Only the render cache changes (RENDER_FIELDS and the extracted rows); the source, the
    author, the message and the number stay as written, and so do the numerical check
    results, which are kept apart (CheckResult), and the figures' data, from which the figures
    are drawn again (no figure function runs). The render runs before the note's row lock
    is taken; the lock is held only for the write. With `keep_if_engine_fails`, a render in
    which the engine failed on some formula raises TypesettingFailed and writes nothing: a job
    retries later rather than replace typeset math with error marks on a busy machine.
    """
    result = render(revision.source, slug=revision.note.slug, index=index, figures=stored_figures(revision))
    if keep_if_engine_fails and result.engine_failures:
        raise TypesettingFailed(
            f"{revision.note.slug} revision {revision.number}: the engine could not typeset "
            f"{result.engine_failures} formula(s); the stored render is kept"
        )
    with transaction.atomic():
        Note.objects.select_for_update().filter(pk=revision.note_id).first()
        Revision.objects.filter(pk=revision.pk).update(**render_fields(result))
        for related in (revision.derivations, revision.equations, revision.links, revision.prerequisites):
            related.all().delete()
        _write_extracted(revision, result)
        search_document_update(note=revision.note)
    revision_rerendered.send(sender=Revision, revision=revision)
    return Revision.objects.get(pk=revision.pk)


def dependents_rerender(*, changed: set[str], index: NoteIndex | None = None) -> list[Revision]:
    """Re-render live revisions of other notes that link into `changed` notes.

    A cross-note reference prints the target's equation number and title at render time;
    when the target changes, the referring pages are refreshed so "(4)" stays the right
    number. The referring revisions' sources are untouched. Call it after the publish has
    committed: each note is rendered with no lock held and locked only for its own write.
    """
    revisions = (
        Revision.objects.filter(note__live_revision=F("pk"), links__target_note__slug__in=changed)
        .exclude(note__slug__in=changed)
        .select_related("note")
        .distinct()
    )
    return [revision_rerender(revision=revision, index=index) for revision in revisions]


def formulas_prefill(sources: list[str], *, progress=None) -> int:
    """Typeset, on every engine of the pool, every formula of `sources` the formula cache lacks,
    so that rendering them afterwards (one by one, each with its own row lock) finds them all.

    For many notes at once (rerender, import): a note's own render splits only its own misses
    across the engines, and a few hundred formulas keep them busy for a few milliseconds;
    this keeps every engine busy for the whole batch. `progress(total)` may give a bar
    (tqdm-like). Returns how many formulas were typeset. Nothing is written but the cache.
    """
    return prefill([formulas_of(source) for source in sources], progress=progress)
