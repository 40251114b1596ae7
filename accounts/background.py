"""Readers' data brought in step with a publish, in the background (jobs.services).

A publish only queues this: with a hundred thousand annotations on a popular note, moving
them would hold the editor's request (and the note's row lock) for over a minute. Until the
job has run, the reader's page shows those annotations as being updated, never as orphans.
"""

from accounts.annotations.quote_display import annotation_quotes_render
from accounts.annotations.reanchoring import annotations_reanchor
from jobs.services import enqueue, job_function
from notes.models import Note


@job_function
def annotations_follow_live(*, note_id: int) -> None:
    """Anchor every annotation of the note in its live revision as it is when the job runs (a
    later publish queues this again; a retired note keeps its annotations where they are),
    then typeset the quotes that moved."""
    note = Note.objects.select_related("live_revision").get(pk=note_id)
    if note.live_revision is None:
        return
    annotations_reanchor(note=note, revision=note.live_revision)
    annotation_quotes_render(revision_ids=[note.live_revision_id])


def reanchor_on_publish(sender, *, note, revision, **kwargs) -> None:
    """`revision_published` receiver: queue the annotations' move, inside the publish's
    transaction (the database queue stores it with the publish, or not at all)."""
    enqueue(
        annotations_follow_live,
        key=f"reanchor:{note.pk}",
        label="Move readers' annotations into the new text",
        about_note=note.pk,
        note_id=note.pk,
    )
