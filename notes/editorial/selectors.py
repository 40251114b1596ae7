"""Reads of the editors' area: the list of notes with their editorial state, one note."""

from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.http import Http404

from jobs.models import Job
from notes.models import Note, Review

STATE_LABELS = {
    "draft": "Draft",
    "in_review": "In review",
    "changes_requested": "Changes requested",
    "live": "Live",
    "live_changes": "Live, with unpublished changes",
}


def notes_for_editors(*, q: str = "", state: str = "", topic: str = "") -> list[Note]:
    """Every note with its editorial state (one query), filtered as the editors' list asks."""
    open_review = Review.objects.filter(note=OuterRef("pk"), state=Review.State.IN_REVIEW)
    latest_review_state = Subquery(
        Review.objects.filter(note=OuterRef("pk"), revision=OuterRef("latest_revision"))
        .order_by("-submitted_at", "-pk")
        .values("state")[:1]
    )
    notes = (
        Note.objects.select_related("latest_revision", "live_revision")
        .annotate(latest_review_state=latest_review_state)
        .annotate(
            state=Case(
                When(Exists(open_review), then=Value("in_review")),
                When(Q(latest_review_state=Review.State.CHANGES_REQUESTED), then=Value("changes_requested")),
                When(live_revision__isnull=True, then=Value("draft")),
                When(live_revision=F("latest_revision"), then=Value("live")),
                default=Value("live_changes"),
            )
        )
        .order_by("latest_revision__title", "slug")
    )
    if q:
        notes = notes.filter(latest_revision__title__icontains=q)
    if state:
        notes = notes.filter(state=state)
    notes = list(notes)
    for note in notes:
        note.state_label = STATE_LABELS[note.state]
    if topic:
        notes = [n for n in notes if n.latest_revision and topic in n.latest_revision.front_matter.get("topics", [])]
    return notes


def note_for_editor(slug: str) -> Note:
    note = Note.objects.select_related("latest_revision", "live_revision").filter(slug=slug).first()
    if note is None:
        raise Http404("No such note")
    return note


# The review page lists a note's most recent jobs: enough to see the last few publishes' work.
RECENT_JOBS = 12


def note_jobs(note: Note, *, limit: int = RECENT_JOBS) -> list[Job]:
    """The note's most recent background jobs, newest first (one query): what a publish or a
    check queued, its state, attempts and the last error."""
    fields = ("id", "label", "state", "attempts", "max_attempts", "error", "created_at", "run_after")
    return list(Job.objects.for_note(note.pk).only(*fields, "started_at", "finished_at")[:limit])
