"""A large import as a job (`manage.py import_notes --background`): the files are read, checked
and published by a worker, which must see the same paths (a shared disk, or the machine the
command ran on).

Idempotent: an unchanged file writes nothing, so a retry after a failure part-way publishes
only what the first attempt did not. A file that went missing is a failure worth retrying (a
folder being synced); files that do not pass their checks fail the job at once, each error
with its file, line and column, kept on the job.
"""

import hashlib
from pathlib import Path

from jobs.services import PermanentFailure, enqueue, job_function
from notes.editorial.files import collect_paths, import_files, read_note_files, read_topics, topics_upsert


@job_function
def notes_import(*, paths: list[str], message: str) -> None:
    files = collect_paths(paths)  # FileNotFoundError for a path gone since it was queued
    topics = read_topics(paths)
    if topics:
        topics_upsert(topics)
    outcome = import_files(read_note_files(files), message=message)
    if outcome.rejected:
        problems = [f"{note.path}:{p.line}:{p.col}: {p.message}" for note in outcome.rejected for p in note.errors]
        raise PermanentFailure(
            f"{len(outcome.created)} published, {len(outcome.unchanged)} unchanged, "
            f"{len(outcome.rejected)} rejected:\n" + "\n".join(problems)
        )


def queue_import(paths: list[str], *, message: str):
    """Queue the import of these files and folders (absolute paths; the same import is queued once)."""
    absolute = sorted(str(Path(path).resolve()) for path in paths)
    digest = hashlib.sha256(repr((absolute, message)).encode()).hexdigest()[:32]
    return enqueue(
        notes_import,
        key=f"import:{digest}",
        label=f"Import notes from {absolute[0]}" + (f" and {len(absolute) - 1} more" if len(absolute) > 1 else ""),
        paths=absolute,
        message=message,
    )
