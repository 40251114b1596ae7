"""Writes of private annotations: making, editing, deleting, re-attaching and importing them.

Reads are in accounts.annotations.selectors; the export and import document formats in
accounts.annotations.exchange; re-anchoring on publish in accounts.annotations.reanchoring.

Every write is one transaction that validates first, so a refused save changes nothing; a
body is rendered before that transaction starts.
"""

import uuid
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from accounts.annotations.anchoring import LIST_MARKER
from accounts.annotations.errors import AnnotationError, capped
from accounts.annotations.exchange import ImportItem, annotations_parse
from accounts.annotations.quote_display import annotation_quotes_render
from accounts.annotations.quotes import CONTEXT, MAX_QUOTE_CHARS, Span, collapse, context_of, find_quote
from accounts.annotations.selectors import live_revision_or_404
from accounts.models import Annotation
from notes.models import Derivation, Equation, Note, PublishRecord, Revision
from notes.rendering.pipeline import derivation_of_step
from notes.rendering.untrusted import render_untrusted


def _body_html(body: str) -> str:
    body = body.strip()
    if not body:
        return ""
    rendered = render_untrusted(body)
    if not rendered.ok:
        raise AnnotationError(*rendered.errors)
    return rendered.html


def block_anchor(revision: Revision, kind: str, block_id: str) -> tuple[str, Span]:
    """The quote and span of a whole equation, derivation or step of the revision (or 404)."""
    if kind == Annotation.Kind.EQUATION:
        tex = Equation.objects.filter(revision=revision, label=block_id).values_list("tex", flat=True).first()
        if tex is None:
            raise Http404("No such equation in this revision")
        quote = tex
    else:
        key = (derivation_of_step(block_id) or "") if kind == Annotation.Kind.STEP else block_id
        derivation = Derivation.objects.filter(revision=revision, key=key).values("title", "steps").first()
        if derivation is None:
            raise Http404("No such derivation in this revision")
        if kind == Annotation.Kind.STEP:
            step = next((s for s in derivation["steps"] if s["id"] == block_id), None)
            if step is None:
                raise Http404("No such step in this derivation")
            quote = step["source"]
        else:
            quote = derivation["title"]
    # A step is stored with its list number ("2. ..."), which the plain text does not have.
    text = revision.plain_text
    span = find_quote(text, quote) or find_quote(text, LIST_MARKER.sub("", quote, count=1)) or Span(0, 0)
    return quote, span


def _passage(revision, kind, block_id, quote, prefix, suffix, near) -> tuple[str, Span]:
    """The quote and its span in the revision's plain text, for a text selection or a block."""
    if kind != Annotation.Kind.TEXT:
        return block_anchor(revision, kind, block_id)
    if not quote.strip():
        raise AnnotationError("select some text to annotate")
    if len(quote) > MAX_QUOTE_CHARS:
        raise AnnotationError(f"the selection is {len(quote):,} characters; the limit is {MAX_QUOTE_CHARS:,}")
    span = find_quote(revision.plain_text, quote, prefix[-CONTEXT:], suffix[:CONTEXT], near)
    if span is None:
        raise AnnotationError(
            "the selected text was not found in the note (a selection across a displayed equation "
            "cannot be matched; annotate the equation itself)"
        )
    return quote, span


def annotation_create(
    *,
    owner,
    slug: str,
    revision_number: int,
    kind: str = Annotation.Kind.TEXT,
    block_id: str = "",
    quote: str = "",
    prefix: str = "",
    suffix: str = "",
    near: float | None = None,
    body: str = "",
) -> Annotation:
    """Annotate a passage (kind "text": the quote and its context as the page saw them) or a
    whole equation, derivation or step (by block id) of the note's live revision."""
    if kind not in Annotation.Kind.values:
        raise AnnotationError(f"unknown kind {kind!r}; use one of: {', '.join(Annotation.Kind.values)}")
    # Rendered before the lock below is taken: KaTeX may take seconds, and a publish of the
    # note would wait for it.
    body_html = _body_html(body)
    with transaction.atomic():
        note, revision = live_revision_or_404(slug)
        # Publishing locks the note row while it moves the live revision and re-anchors every
        # annotation; holding the same lock here means an annotation is either written before
        # that (and re-anchored by it) or sees the new revision number and is refused.
        live_now = Note.objects.select_for_update().filter(pk=note.pk).values_list("live_revision_id", flat=True).get()
        if live_now != revision.pk or revision_number != revision.number:
            raise AnnotationError(
                f"the note changed while you were reading (revision {revision_number} is no longer live); "
                "reload the page and select the passage again"
            )
        quote, span = _passage(revision, kind, block_id, quote, prefix, suffix, near)
        if kind == Annotation.Kind.TEXT:
            block_id = ""
        text = revision.plain_text
        prefix, suffix = context_of(text, span)
        annotation = Annotation.objects.create(
            owner=owner,
            note=note,
            made_on=revision,
            revision=revision,
            kind=kind,
            block_id=block_id,
            # a passage is the text itself; a block keeps its own text (a step its number)
            quote=text[span.start : span.end] if kind == Annotation.Kind.TEXT else quote,
            prefix=prefix,
            suffix=suffix,
            start=span.start,
            end=span.end,
            body=body.strip(),
            body_html=body_html,
        )
    return _with_quote_html(annotation)


def _with_quote_html(annotation: Annotation) -> Annotation:
    """The quote rendered for display and stored, after the write's transaction: KaTeX runs
    with no lock held (render, then lock, holds for everything but this derived field)."""
    annotation_quotes_render(annotation_ids=[annotation.pk], every=True)
    annotation.refresh_from_db(fields=["quote_html", "changed_at"])
    return annotation


class AnnotationConflict(AnnotationError):
    """The annotation was saved elsewhere (another tab) after the version this edit was made on."""

    def __init__(self, *, current: Annotation, yours: str):
        super().__init__(
            "this annotation was changed in another tab or window after you opened it; both versions are "
            "shown: keep the one you want, or combine them, and save again"
        )
        self.current = current
        self.yours = yours


def annotation_update(*, annotation: Annotation, body: str, version: int) -> Annotation:
    """Replace the body if the annotation is still at `version`, or raise AnnotationConflict.

    The body is rendered (and refused if it does not render) before any write. The check and
    the write are one UPDATE ... WHERE version = ..., so of several edits made on the same
    version exactly one is saved and the others are told, never silently overwritten.
    """
    body_html = _body_html(body)
    now = timezone.now()
    saved = Annotation.objects.filter(pk=annotation.pk, version=version).update(
        body=body.strip(), body_html=body_html, version=F("version") + 1, updated_at=now, changed_at=now
    )
    if not saved:
        raise AnnotationConflict(current=Annotation.objects.get(pk=annotation.pk), yours=body)
    annotation.refresh_from_db(fields=["body", "body_html", "version", "updated_at"])
    return annotation


def annotation_delete(*, annotation: Annotation) -> None:
    annotation.delete()


def annotation_reattach(
    *, annotation: Annotation, quote: str, prefix: str = "", suffix: str = "", near: float | None = None
) -> Annotation:
    """Attach an annotation (an orphan, usually) to a passage of the note's live revision."""
    with transaction.atomic():
        _reattach(annotation, quote, prefix, suffix, near)
    return _with_quote_html(annotation)


def _reattach(annotation: Annotation, quote: str, prefix: str, suffix: str, near: float | None) -> None:
    note, revision = live_revision_or_404(annotation.note.slug)
    span = find_quote(revision.plain_text, quote, prefix[-CONTEXT:], suffix[:CONTEXT], near)
    if span is None:
        raise AnnotationError("the selected text was not found in the note; select a passage of its text")
    text = revision.plain_text
    annotation.prefix, annotation.suffix = context_of(text, span)
    annotation.quote, annotation.start, annotation.end = text[span.start : span.end], span.start, span.end
    annotation.revision = revision
    annotation.kind, annotation.block_id = Annotation.Kind.TEXT, ""
    annotation.state = Annotation.State.ANCHORED
    annotation.anchored_by, annotation.anchor_score = Annotation.Method.REATTACHED, None
    annotation.quote_html = ""
    annotation.save()


# Import of an exported collection ----------------------------------------------------------


@dataclass
class ImportReport:
    created: int = 0
    skipped_same_id: int = 0  # already yours: the same annotation imported before
    skipped_duplicate: int = 0  # you already have one on the same note with the same quote and body
    new_ids: int = 0  # the id belonged to another reader: imported under a new id
    orphaned: int = 0
    details: list[str] = field(default_factory=list)  # one line per item worth a look

    @property
    def skipped(self) -> int:
        return self.skipped_same_id + self.skipped_duplicate


def annotations_import(*, owner, data) -> ImportReport:
    """Import a collection written by `annotations_export` (from this or another account).

    All or nothing: the document is checked whole (structure, limits, every body rendered by
    the untrusted renderer, every note published) and AnnotationError names the problems by
    item; only a clean document is written, in one transaction. Anchoring follows creation:
    the quote (or block id) is looked for in the exported revision if the note published one
    with that number, else in the live revision; an item whose passage is not there, or whose
    revision is no longer live, is imported as an orphan on that revision, never dropped.
    Duplicates are skipped: an id the owner already has, or the same (note, quote, body). An
    id belonging to another reader is never overwritten: the item gets a new id.
    """
    items = annotations_parse(data)
    report = ImportReport()
    with transaction.atomic():
        # Two imports of the same file at once (a double submit) would both find its ids free
        # and the second would fail on the primary key; locking the owner's row serializes one
        # owner's imports so the second sees the first's rows and skips them as duplicates.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        notes, revisions = _notes_and_revisions(items)
        missing = [
            f"item {item.number}: no published note “{item.slug}”"
            for item in items
            if item.slug not in notes or notes[item.slug].live_revision_id is None
        ]
        if missing:
            raise AnnotationError(*capped(missing))
        rows = _new_rows(owner, items, notes, revisions, report)
        Annotation.objects.bulk_create(rows, batch_size=500)
    report.created = len(rows)
    annotation_quotes_render(annotation_ids=[row.pk for row in rows])  # typeset after the write's transaction
    return report


def _notes_and_revisions(items: list[ImportItem]) -> tuple[dict[str, Note], dict[tuple[int, int], Revision]]:
    """The notes named by the items, and their published revisions by (note id, number).

    Only revisions that have been live count: anchoring against a draft would tell the
    importer whether a passage is in text that readers cannot see.
    """
    notes = {
        note.slug: note
        for note in Note.objects.filter(slug__in={item.slug for item in items}).only("id", "slug", "live_revision_id")
    }
    published = PublishRecord.objects.filter(note__in=list(notes.values())).values("to_revision_id")
    live = [note.live_revision_id for note in notes.values() if note.live_revision_id]
    revisions = Revision.objects.filter(Q(pk__in=published) | Q(pk__in=live)).only(
        "id", "note_id", "number", "created_at", "plain_text"
    )
    return notes, {(r.note_id, r.number): r for r in revisions}


def _new_rows(owner, items, notes, revisions, report: ImportReport) -> list[Annotation]:
    taken = dict(
        # Whose ids these are is read only to keep another reader's row from being overwritten;
        # nothing of theirs leaves this function.
        Annotation.objects.filter(pk__in=[item.id for item in items if item.id]).values_list("pk", "owner_id")
    )
    have = {
        (note_id, collapse(quote).strip(), body)
        for note_id, quote, body in Annotation.objects.owned_by(owner)
        .filter(note__in=list(notes.values()))
        .values_list("note_id", "quote", "body")
    }
    live_ids = {note.live_revision_id for note in notes.values()}
    live = {r.note_id: r for r in revisions.values() if r.pk in live_ids}
    rows = []
    for item in items:
        note = notes[item.slug]
        if item.id and taken.get(item.id) == owner.pk:
            report.skipped_same_id += 1
            continue
        if (note.pk, *item.duplicate_key) in have:
            report.skipped_duplicate += 1
            continue
        annotation_id = item.id
        if item.id in taken:
            annotation_id = uuid.uuid4()
            report.new_ids += 1
            report.details.append(f"item {item.number}: its id belongs to another account; imported under a new id")
        row = _anchored(item, note, live[note.pk], revisions, report)
        row.id, row.owner = annotation_id or uuid.uuid4(), owner
        taken[row.id] = owner.pk  # the same id twice in one file: the second is a duplicate
        have.add((note.pk, *item.duplicate_key))
        rows.append(row)
    return rows


def _anchored(item: ImportItem, note: Note, live: Revision, revisions, report: ImportReport) -> Annotation:
    """The item placed in its revision as `annotation_create` would place it, or an orphan."""
    revision = revisions.get((note.pk, item.revision_number), live)
    made_on = revisions.get((note.pk, item.made_on_number), revision)
    text = revision.plain_text
    quote, span = item.exact, None
    if item.kind == Annotation.Kind.TEXT:
        near = item.start / max(1, len(text)) if item.start is not None else None
        span = find_quote(text, item.exact, item.prefix, item.suffix, near)
        if span is not None:
            quote = text[span.start : span.end]
    else:
        try:
            quote, span = block_anchor(revision, item.kind, item.block_id)
        except Http404:
            span = None
    row = Annotation(note=note, made_on=made_on, revision=revision, kind=item.kind, block_id=item.block_id, quote=quote)
    row.body, row.body_html = item.body, item.body_html
    if span is not None and revision.pk == live.pk:
        row.prefix, row.suffix = context_of(text, span)
        row.start, row.end = span.start, span.end
        return row
    # An anchor on a revision that is no longer live would be drawn on the wrong text: orphan
    # it there, where the revision page can still show the passage; the reader can reattach.
    report.orphaned += 1
    row.state, row.anchored_by = Annotation.State.ORPHANED, Annotation.Method.ORPHAN
    if span is None:
        row.start = row.end = 0
        row.prefix, row.suffix = item.prefix, item.suffix
        why = "is not in"
    else:
        row.start, row.end = span.start, span.end
        row.prefix, row.suffix = context_of(text, span)
        why = "is only in"
    report.details.append(
        f"item {item.number}: the passage {why} revision {revision.number} of “{note.slug}”; imported as an orphan"
    )
    return row
