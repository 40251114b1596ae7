"""A note's numerical checks as a job: an editor's "Run the checks" queues it, a worker runs it.

Each check still runs in its own limited child process (notes.checking.runner): that is the
sandbox, and a worker is no more trusted with a check's code than a web process was. The job
is idempotent: outcomes are stored per (revision, derivation, fingerprint), so a second run
overwrites them with the same values.
"""

from jobs.services import enqueue, job_function
from notes.checking.services import check_note
from notes.models import Note


@job_function
def note_checks_run(*, note_id: int) -> None:
    """Run the checks of the note's live and latest revisions as they are when the job runs."""
    note = Note.objects.filter(pk=note_id).first()
    if note is not None:  # a note deleted since has nothing left to check
        check_note(note)


def queue_note_checks(note: Note):
    """Queue the note's checks (once: a second request while they wait adds nothing)."""
    return enqueue(
        note_checks_run,
        key=f"checks:{note.pk}",
        label="Run the numerical checks",
        about_note=note.pk,
        note_id=note.pk,
    )
