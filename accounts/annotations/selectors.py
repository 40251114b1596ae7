"""Reads of private annotations: the one way to read them.

Every read goes through `annotation_for_owner` or `Annotation.objects.owned_by(user)`: an
annotation answers 404 to anyone but its owner, editors and staff included.
"""

import uuid
from dataclasses import dataclass
from dataclasses import fields as fields_of

from django.http import Http404

from accounts.models import Annotation
from notes.models import Note


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
    prefix: str
    suffix: str
    state: str
    anchored_by: str
    body_html: str
    revision_number: int


def annotations_on_note(user, note: Note) -> list[PanelItem]:
    """The reader's annotations on a note: anchored ones in document order, then orphans."""
    fields = [f.name for f in fields_of(PanelItem) if f.name != "revision_number"]
    rows = (
        Annotation.objects.owned_by(user)
        .filter(note=note)
        .order_by("state", "start", "created_at")
        .values_list(*fields, "revision__number")
    )
    return [PanelItem(*row) for row in rows]
