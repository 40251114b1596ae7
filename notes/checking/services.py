"""Writes of numerical checks: run a note's checks and store each outcome as a CheckResult."""

from django.utils import timezone

from notes.checking.runner import Outcome, checks_file, function_name, numbers_functions, run_check
from notes.models import CheckResult, Derivation, Note, Revision


def _store(revision_id: int, key: str, fingerprint: str, outcome: Outcome) -> None:
    CheckResult.objects.update_or_create(
        revision_id=revision_id,
        derivation_key=key,
        fingerprint=fingerprint,
        defaults={
            "status": outcome.status,
            "detail": outcome.detail[:500],
            "error": outcome.error,
            "tolerance": outcome.tolerance,
            "seconds": round(outcome.seconds, 3),
            "checked_at": timezone.now(),
        },
    )


def check_note(note: Note, *, progress=None, only_unchecked: bool = False) -> list[tuple[str, Outcome]]:
    """Run the checks of the note's live and latest revisions and store each outcome.

    An outcome is stored per (revision, derivation id, fingerprint): re-rendering a revision
    keeps it, and a changed derivation is checked anew. The checks file's numbers_ functions
    are then run against each revision's source (`check_numbers`). Returns (derivation id or
    numbers_ function, outcome) pairs; `progress(revision, key, outcome)` is called after each.
    """
    path = checks_file(note.slug)
    revisions = {note.live_revision_id, note.latest_revision_id} - {None}
    derivations = Derivation.objects.filter(revision_id__in=revisions)
    if only_unchecked:
        derivations = derivations.unchecked()
    derivations = list(derivations.select_related("revision__note").order_by("revision_id", "position"))
    results = []
    cache: dict[tuple[str, str], Outcome] = {}  # the same derivation content in two revisions runs once
    for derivation in derivations:
        if not path.exists():
            outcome = Outcome("", f"no checks file {path.name}")
        else:
            key = (derivation.key, derivation.fingerprint)
            if key not in cache:
                cache[key] = run_check(path, function_name(derivation.key))
            outcome = cache[key]
        _store(derivation.revision_id, derivation.key, derivation.fingerprint, outcome)
        results.append((derivation.key, outcome))
        if progress:
            progress(derivation.revision, derivation.key, outcome)
    for revision in Revision.objects.filter(id__in=revisions).select_related("note").order_by("id"):
        results += check_numbers(revision, progress=progress, only_unchecked=only_unchecked)
    return results


def check_numbers(revision: Revision, *, progress=None, only_unchecked: bool = False) -> list[tuple[str, Outcome]]:
    """Run the checks file's numbers_ functions against the revision's source and store each
    outcome under the function's name and the source's fingerprint."""
    path = checks_file(revision.note.slug)
    if not path.exists():
        return []
    fingerprint = revision.content_hash
    done = set()
    if only_unchecked:
        done = set(revision.check_results.filter(fingerprint=fingerprint).values_list("derivation_key", flat=True))
    results = []
    for name in numbers_functions(path):
        if name in done:
            continue
        outcome = run_check(path, name, note_text=revision.source)
        _store(revision.id, name, fingerprint, outcome)
        results.append((name, outcome))
        if progress:
            progress(revision, name, outcome)
    return results
