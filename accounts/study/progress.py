"""A learner's marks on derivations: writing them, and reading them against the live text.

A mark belongs to the stable (note, derivation key) pair and remembers the revision and the
derivation fingerprint it was made against. Compared with the live revision a mark is

- valid: the live derivation has the same fingerprint (the content did not change, even if
  the note was revised or the derivation retitled);
- stale: the live derivation's fingerprint differs; the reader is shown the change and can
  re-confirm with one action;
- retired: the key is no longer in the live revision; the row is kept (history is never
  lost) but counts nowhere.

Every function takes the owner and never returns another learner's rows.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import Http404

from accounts.models import DerivationProgress
from accounts.study.reviews import review_card_ensure
from notes.models import Derivation, Note
from notes.selectors import live_derivation_or_404

STATES = {
    "none": "Not started",
    DerivationProgress.State.WORKING: "Working on it",
    DerivationProgress.State.WORKED_THROUGH: "Worked through",
}


class ProgressError(ValueError):
    """A request that cannot be carried out; the message says what to fix."""


@dataclass
class Mark:
    """A derivation of a live note as one learner stands with it."""

    key: str
    title: str
    state: str  # "none", "working", "worked_through"
    stale: bool = False
    marked_revision: int | None = None  # the revision number the mark was made against

    @property
    def label(self) -> str:
        return STATES[self.state]

    @property
    def done(self) -> bool:
        return self.state == DerivationProgress.State.WORKED_THROUGH and not self.stale


def marks_for_note(owner, note: Note, derivations) -> dict[str, Mark]:
    """Each live derivation's mark for `owner`, in one query (none for anonymous readers)."""
    rows = {}
    if owner.is_authenticated:
        rows = {
            p.derivation_key: p
            for p in DerivationProgress.objects.filter(owner=owner, note=note).select_related("revision")
        }
    marks = {}
    for d in derivations:
        row = rows.get(d.key)
        if row is None:
            marks[d.key] = Mark(d.key, d.title, "none")
        else:
            marks[d.key] = Mark(d.key, d.title, row.state, row.is_stale_against(d.fingerprint), row.revision.number)
    return marks


def progress_mark(*, owner, slug: str, key: str, state: str) -> Mark:
    """Set the owner's mark on a live derivation; idempotent, safe under concurrent requests.

    "none" removes the mark; "working" and "worked_through" record the live revision and
    fingerprint; "reconfirm" re-confirms a stale worked-through mark against the live text.
    A worked-through derivation enters the owner's review schedule.
    """
    note, derivation = live_derivation_or_404(slug, key)
    if state not in STATES and state != "reconfirm":
        raise ProgressError(f"unknown progress state {state!r}; use one of: {', '.join(STATES)}")
    existing = DerivationProgress.objects.filter(owner=owner, note=note, derivation_key=key)
    if state == "none":
        existing.delete()
        return Mark(key, derivation.title, "none")
    if state == "reconfirm":
        mark = existing.first()
        if mark is None or mark.state != DerivationProgress.State.WORKED_THROUGH:
            raise ProgressError("only a worked-through mark can be re-confirmed; mark it worked through instead")
        state = DerivationProgress.State.WORKED_THROUGH
    values = {"state": state, "revision": note.live_revision, "fingerprint": derivation.fingerprint}
    try:
        with transaction.atomic():
            DerivationProgress.objects.update_or_create(owner=owner, note=note, derivation_key=key, defaults=values)
    except IntegrityError:
        # Another request created the row between our read and our insert: the unique
        # constraint kept one row; write our state over it.
        existing.update(**values)
    if state == DerivationProgress.State.WORKED_THROUGH:
        review_card_ensure(owner=owner, note=note, derivation_key=key)
    return Mark(key, derivation.title, state, False, note.live_revision.number)


def stale_change(*, owner, slug: str, key: str):
    """The owner's stale mark on a live derivation with the derivation it was made against.

    Returns (mark, old derivation, live derivation); 404 when there is no such mark.
    """
    note, live = live_derivation_or_404(slug, key)
    mark = (
        DerivationProgress.objects.filter(owner=owner, note=note, derivation_key=key).select_related("revision").first()
    )
    if mark is None:
        raise Http404("You have no mark on this derivation")
    old = Derivation.objects.filter(revision=mark.revision, key=key).first()
    return mark, old, live
