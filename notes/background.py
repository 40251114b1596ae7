"""The notes' background jobs: work a publish, a rollback or a retirement queues instead of
doing it while the editor waits. Each is idempotent: it reads the state it brings up to date
when it runs, so running it twice, or after a later publish, leaves the same result."""

import hashlib

from jobs.services import enqueue, job_function
from notes.models import Note
from notes.search.services import search_document_update
from notes.selectors import LiveNoteIndex
from notes.services import dependents_rerender


@job_function
def search_document_refresh(*, note_id: int) -> None:
    search_document_update(note=Note.objects.get(pk=note_id))


@job_function
def citing_notes_rerender(*, slugs: list[str]) -> None:
    dependents_rerender(changed=set(slugs), index=LiveNoteIndex())


def queue_search_refresh(note: Note) -> None:
    enqueue(
        search_document_refresh,
        key=f"search:{note.pk}",
        label="Update the search index",
        about_note=note.pk,
        note_id=note.pk,
    )


def queue_citing_rerender(notes: list[Note]) -> None:
    """Re-render the live notes that cite any of `notes` (equation numbers and titles they print)."""
    slugs = sorted(note.slug for note in notes)
    digest = hashlib.sha256(",".join(slugs).encode()).hexdigest()[:32]
    enqueue(
        citing_notes_rerender,
        key=f"citing:{digest}",
        label="Re-render the notes that cite this one"
        if len(slugs) == 1
        else f"Re-render the notes citing {len(slugs)} notes",
        about_note=notes[0].pk if len(notes) == 1 else None,
        slugs=slugs,
    )
