"""Reads of private annotations: the one way to read them. One annotation, a note's panel, the
list across notes (also what the exports hold), and the live revision an annotation is made on.

Every read goes through `annotation_for_owner` or `Annotation.objects.owned_by(user)`: an
annotation answers 404 to anyone but its owner, editors and staff included.
"""

import uuid
from dataclasses import dataclass
from dataclasses import fields as fields_of

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Annotation
from notes.models import Note, Revision
from notes.selectors import live_note_or_404

MAX_SEARCH_CHARS = 200  # the longest search of the annotation list


def live_revision_or_404(slug: str) -> tuple[Note, Revision]:
    """A published note and its live revision, or 404 (drafts and unknown slugs)."""
    note = live_note_or_404(slug)
    return note, note.live_revision


def annotation_for_owner(user, annotation_id) -> Annotation:
    """The user's own annotation, or 404 (for anyone else, and for malformed ids)."""
    try:
        annotation_id = uuid.UUID(str(annotation_id))
    except ValueError:
        raise Http404("No such annotation") from None
    annotation = (
        Annotation.objects.owned_by(user)
        .select_related("note", "revision")
        .defer("revision__html", "revision__source")
        .filter(pk=annotation_id)
        .first()
    )
    if annotation is None:
        raise Http404("No such annotation")
    return annotation


@dataclass(frozen=True)
class PanelItem:
    """An annotation as the note page shows it. Plain rows, not model instances: a reader may
    keep hundreds on one note, and building model objects was a third of their cost."""

    pk: uuid.UUID
    kind: str
    block_id: str
    quote: str
    quote_html: str
    prefix: str
    suffix: str
    state: str
    anchored_by: str
    body_html: str
    revision_id: int
    revision_number: int
    # Anchored in an older revision than the live one: a publish has queued its move into the
    # new text (accounts.background), which has not run yet. Its offsets are the old text's,
    # so the page draws no highlight for it and says it is being updated (never an orphan).
    updating: bool = False

    @property
    def shown_state(self) -> str:
        """ "anchored", "orphaned", or "updating": what the page shows and its script draws."""
        return "updating" if self.updating else self.state


def annotations_on_note(user, note: Note) -> list[PanelItem]:
    """The reader's annotations on a note: anchored ones in document order, then orphans."""
    fields = [f.name for f in fields_of(PanelItem) if f.name not in ("revision_number", "updating")]
    rows = (
        Annotation.objects.owned_by(user)
        .filter(note=note)
        .order_by("state", "start", "created_at")
        .values_list(*fields, "revision__number")
    )
    live, anchored = note.live_revision_id, Annotation.State.ANCHORED
    state, revision = fields.index("state"), fields.index("revision_id")
    if live is None:  # a retired note: its annotations stay where they were, nothing to update
        return [PanelItem(*row) for row in rows]
    return [PanelItem(*row, updating=row[state] == anchored and row[revision] != live) for row in rows]


def annotations_across_notes(owner, *, query: str = "", state: str = "") -> QuerySet:
    """The owner's annotations, grouped by note (title order), each note's in reading order
    with its orphans last; `note_title` and `updating` (as `PanelItem.updating`) annotated.
    One query, whatever the number of notes."""
    rows = (
        Annotation.objects.owned_by(owner)
        .select_related("note__live_revision", "revision", "made_on")
        .only(
            *("id", "kind", "block_id", "quote", "quote_html", "prefix", "suffix", "start", "end", "body", "body_html"),
            *("state", "created_at", "updated_at", "note", "revision", "made_on"),
            *("note__slug", "note__live_revision", "note__live_revision__title"),
            *("revision__number", "revision__title", "revision__created_at", "made_on__number"),
        )
        # A retired note has no live revision; its annotations keep their revision's title.
        .annotate(
            note_title=Coalesce("note__live_revision__title", "revision__title"),
            # anchored in an older revision while its move into the live one is queued
            updating=ExpressionWrapper(
                Q(state=Annotation.State.ANCHORED, note__live_revision__isnull=False)
                & ~Q(revision=F("note__live_revision")),
                output_field=BooleanField(),
            ),
        )
        .order_by("note_title", "note_id", "state", "start", "created_at")
    )
    if state:
        rows = rows.filter(state=state)
    if query:
        rows = rows.filter(Q(body__icontains=query) | Q(quote__icontains=query))
    return rows
