"""The notes' background jobs: work a publish, a rollback or a retirement queues instead of
doing it while the editor waits. Each is idempotent: it reads the state it brings up to date
when it runs, so running it twice, or after a later publish, leaves the same result."""

import hashlib

from jobs.services import enqueue, job_function
from notes.models import Note, Revision
from notes.search.services import search_document_update
from notes.selectors import LiveNoteIndex
from notes.services import dependents_rerender, formulas_prefill, revision_rerender


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


@job_function
def revisions_rerender(*, revision_ids: list[int]) -> None:
    """Re-render a batch of stored revisions (`manage.py rerender --background`), their formulas
    typeset together first. Running it again renders the same sources to the same result; a
    revision deleted meanwhile is skipped. A render in which the engine failed (a worker too
    busy to typeset in time) is not stored: the job fails and is retried, the page unchanged."""
    batch = list(Revision.objects.select_related("note").filter(pk__in=revision_ids).order_by("pk"))
    formulas_prefill([revision.source for revision in batch])
    index = LiveNoteIndex()
    for revision in batch:
        revision_rerender(revision=revision, index=index, keep_if_engine_fails=True)


def queue_rerender(revision_ids: list[int]):
    """Queue the re-render of these revisions as one job (the same batch is queued once)."""
    digest = hashlib.sha256(",".join(map(str, sorted(revision_ids))).encode()).hexdigest()[:32]
    return enqueue(
        revisions_rerender,
        key=f"rerender:{digest}",
        label=f"Re-render {len(revision_ids)} revision(s) with the current renderer",
        revision_ids=sorted(revision_ids),
    )
