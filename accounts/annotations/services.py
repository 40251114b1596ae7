"""Writes of private annotations (reads are in accounts.annotations.selectors).

Every write is one transaction that validates first, so a refused save changes nothing; a
body is rendered before that transaction starts.
"""

from django.db import transaction
from django.http import Http404

from accounts.annotations.anchoring import LIST_MARKER
from accounts.annotations.quotes import CONTEXT, Span, context_of, find_quote
from accounts.models import Annotation
from notes.models import Derivation, Equation, Note, Revision
from notes.rendering.pipeline import derivation_of_step
from notes.rendering.untrusted import render_untrusted
from notes.selectors import live_note_or_404

MAX_QUOTE_CHARS = 2_000


class AnnotationError(ValueError):
    """A request that cannot be carried out; the messages say what to fix."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def live_revision_or_404(slug: str) -> tuple[Note, Revision]:
    note = live_note_or_404(slug)
    return note, note.live_revision


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
        return Annotation.objects.create(
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


@transaction.atomic
def annotation_update(*, annotation: Annotation, body: str) -> Annotation:
    annotation.body_html = _body_html(body)
    annotation.body = body.strip()
    annotation.save(update_fields=["body", "body_html", "updated_at"])
    return annotation


def annotation_delete(*, annotation: Annotation) -> None:
    annotation.delete()


@transaction.atomic
def annotation_reattach(
    *, annotation: Annotation, quote: str, prefix: str = "", suffix: str = "", near: float | None = None
) -> Annotation:
    """Attach an annotation (an orphan, usually) to a passage of the note's live revision."""
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
    annotation.save()
    return annotation
