"""Writes of numerical checks: run a note's checks and store each outcome as a CheckResult."""

from django.utils import timezone

from notes.checking.runner import Outcome, checks_file, function_name, run_check
from notes.models import CheckResult, Derivation, Note


def check_note(note: Note, *, progress=None, only_unchecked: bool = False) -> list[tuple[Derivation, Outcome]]:
    """Run the checks of the note's live and latest revisions and store each outcome.

    An outcome is stored per (revision, derivation id, fingerprint): re-rendering a revision
    keeps it, and a changed derivation is checked anew.
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
        CheckResult.objects.update_or_create(
            revision_id=derivation.revision_id,
            derivation_key=derivation.key,
            fingerprint=derivation.fingerprint,
            defaults={
                "status": outcome.status,
                "detail": outcome.detail[:500],
                "error": outcome.error,
                "tolerance": outcome.tolerance,
                "seconds": round(outcome.seconds, 3),
                "checked_at": timezone.now(),
            },
        )
        results.append((derivation, outcome))
        if progress:
            progress(derivation, outcome)
    return results
