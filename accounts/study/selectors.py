"""Reads of a learner's study: marks on derivations, the due queue, the study page, history.

Writes (setting marks, the review schedule and its rules) are in accounts.study.services.

Marks. A mark belongs to the stable (note, derivation key) pair and remembers the revision and
the derivation fingerprint it was made against. Compared with the live revision a mark is

- valid: the live derivation has the same fingerprint (the content did not change, even if
  the note was revised or the derivation retitled);
- stale: the live derivation's fingerprint differs; the reader is shown the change and can
  re-confirm with one action;
- retired: the key is no longer in the live revision; the row is kept (history is never
  lost) but counts nowhere.

Review cards. Only active cards count (`active_cards`): the derivation is in its note's live
revision and the learner's mark on it is "worked through". A card whose worked-through mark is
stale is due at once, until the learner grades themselves on the live text or re-confirms the
mark. Other cards are kept, never deleted, and count again once they qualify.

Every function takes the owner and never returns another learner's rows.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from accounts.models import DerivationProgress, ReviewCard, ReviewLog
from notes.models import Derivation, Note
from notes.selectors import live_derivation_or_404

STATES = {
    "none": "Not started",
    DerivationProgress.State.WORKING: "Working on it",
    DerivationProgress.State.WORKED_THROUGH: "Worked through",
}


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


# -- review cards --------------------------------------------------------------------------------


def _live(field: str) -> Subquery:
    # order_by() drops Derivation's default ordering, whose join to the note table would
    # otherwise stand unaliased inside the subquery and let OuterRef("note__live_revision")
    # match another note's live revision.
    live = Derivation.objects.filter(revision=OuterRef("note__live_revision"), key=OuterRef("derivation_key"))
    return Subquery(live.order_by().values(field)[:1])


def active_cards(owner) -> QuerySet[ReviewCard]:
    """The owner's cards on live derivations they have marked worked through, each annotated
    with the live title and fingerprint and whether the card is due at once for a stale mark
    (`stale`: the mark is stale against the live fingerprint, by the one rule of
    `DerivationProgressQuerySet.stale_against`, and the learner has not graded themselves on
    the live text since; `study_item` states the same in Python)."""
    marks = DerivationProgress.objects.filter(
        owner=OuterRef("owner"), note=OuterRef("note"), derivation_key=OuterRef("derivation_key")
    )
    return (
        ReviewCard.objects.filter(owner=owner)
        .annotate(live_fingerprint=_live("fingerprint"), live_title=_live("title"))
        .filter(Exists(marks.worked_through()), live_fingerprint__isnull=False)
        .annotate(
            stale=Case(
                When(
                    Exists(marks.stale_against(OuterRef("live_fingerprint")))
                    & ~Q(reviewed_fingerprint=F("live_fingerprint")),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


@dataclass(frozen=True)
class DueItem:
    """A derivation due for re-derivation, as the queue lists it."""

    slug: str
    note_title: str
    key: str
    title: str
    due: datetime
    stale: bool  # due at once: the derivation changed since the learner's mark

    @property
    def reason(self) -> str:
        return "changed since your mark" if self.stale else "scheduled"


def _due(owner, now: datetime) -> QuerySet[ReviewCard]:
    return active_cards(owner).filter(Q(due__lte=now) | Q(stale=True))


def due_queue(owner, now: datetime) -> list[DueItem]:
    """The owner's due derivations, stale ones first, then by due time; one query."""
    rows = (
        _due(owner, now)
        .order_by("-stale", "due", "note__slug", "derivation_key")
        .values_list("note__slug", "note__live_revision__title", "derivation_key", "live_title", "due", "stale")
    )
    return [DueItem(*row) for row in rows]


def due_count(owner, now: datetime) -> int:
    """How many derivations the owner has due at `now`, in one query."""
    return _due(owner, now).count()


def next_scheduled(owner, now: datetime) -> DueItem | None:
    """The owner's next derivation to come due after `now`, if any; one query."""
    row = (
        active_cards(owner)
        .filter(due__gt=now, stale=False)
        .order_by("due", "pk")
        .values_list("note__slug", "note__live_revision__title", "derivation_key", "live_title", "due", "stale")
        .first()
    )
    return DueItem(*row) if row else None


@dataclass
class StudyItem:
    """A live derivation as one learner studies it."""

    note: Note
    derivation: Derivation
    card: ReviewCard | None
    marked: bool  # worked through, so a grade counts
    stale: bool

    @property
    def stamp(self) -> str:
        """The card's last review as the grade form carries it ("" before the first)."""
        return self.card.last_review.isoformat() if self.card and self.card.last_review else ""


def study_item(*, owner, slug: str, key: str) -> StudyItem:
    """A live derivation with the owner's card and mark on it, or 404 (drafts, unknown keys)."""
    note, derivation = live_derivation_or_404(slug, key)
    card = ReviewCard.objects.filter(owner=owner, note=note, derivation_key=key).first()
    mark = DerivationProgress.objects.worked_through().filter(owner=owner, note=note, derivation_key=key).first()
    # the rule of `active_cards`: a stale mark, unless the learner has graded the live text
    stale = (
        mark is not None
        and mark.is_stale_against(derivation.fingerprint)
        and not (card and card.reviewed_fingerprint == derivation.fingerprint)
    )
    return StudyItem(note, derivation, card, mark is not None, stale)


@dataclass(frozen=True)
class ContinuePoint:
    """Where a learner left off: a live derivation they marked, with its note."""

    slug: str
    note_title: str
    key: str
    title: str
    state: str

    @property
    def label(self) -> str:
        return STATES[self.state]


def continue_point(owner, note_ids=None) -> ContinuePoint | None:
    """The live derivation the owner last marked "working on it", else the last they marked
    at all; among `note_ids` when given. One query; None when there is no such mark.

    Only marks whose key is in the note's live revision count: a derivation an edit removed
    is not a place to continue from.
    """
    marks = DerivationProgress.objects.filter(owner=owner).annotate(live_title=_live("title"))
    marks = marks.filter(live_title__isnull=False)
    if note_ids is not None:
        marks = marks.filter(note_id__in=note_ids)
    working_first = Case(When(state=DerivationProgress.State.WORKING, then=Value(0)), default=Value(1))
    row = (
        marks.order_by(working_first, "-updated_at", "-pk")
        .values_list("note__slug", "note__live_revision__title", "derivation_key", "live_title", "state")
        .first()
    )
    return ContinuePoint(*row) if row else None


@dataclass
class Activity:
    """One line of the dashboard's recent activity: a mark or a review."""

    at: datetime
    what: str
    slug: str
    key: str
    title: str  # the derivation's live title; "" when the key left the live revision
    note_title: str = ""


def recent_marks(owner, limit: int) -> list[Activity]:
    """The owner's latest marks with their note's and derivation's live titles, newest first;
    one query."""
    rows = (
        DerivationProgress.objects.filter(owner=owner)
        .annotate(title=_live("title"))
        .order_by("-updated_at", "-pk")
        .values_list("updated_at", "state", "note__slug", "derivation_key", "title", "note__live_revision__title")[
            :limit
        ]
    )
    return [
        Activity(at, DerivationProgress.State(state).label, slug, key, title or "", note_title or "")
        for at, state, slug, key, title, note_title in rows
    ]


def recent_reviews(owner, limit: int) -> list[Activity]:
    """The owner's latest reviews (self-grades and completed implicit reviews), newest first."""
    logs = (
        ReviewLog.objects.filter(owner=owner)
        .filter(Q(kind=ReviewLog.Kind.EXPLICIT) | Q(applied=True))
        .annotate(title=_live("title"))
        .order_by("-reviewed_at", "-pk")
        .values_list(
            "reviewed_at", "kind", "rating", "note__slug", "derivation_key", "title", "note__live_revision__title"
        )[:limit]
    )
    activity = []
    for at, kind, rating, slug, key, title, note_title in logs:
        if kind == ReviewLog.Kind.EXPLICIT:
            what = f"Re-derived, graded {ReviewLog.Rating(rating).label.lower()}"
        else:
            what = "Reviewed by implicit credit"
        activity.append(Activity(at, what, slug, key, title or "", note_title or ""))
    return activity


def export_reviews(owner) -> dict:
    """The owner's review cards and review history as plain data (JSON-ready)."""
    cards = (
        ReviewCard.objects.filter(owner=owner)
        .order_by("note__slug", "derivation_key")
        .values_list("note__slug", "derivation_key", "due", "last_review", "implicit_credit", "card")
    )
    logs = (
        ReviewLog.objects.filter(owner=owner)
        .order_by("reviewed_at", "pk")
        .values_list(
            "pk",
            "note__slug",
            "derivation_key",
            "rating",
            "kind",
            "weight",
            "applied",
            "revision__number",
            "reviewed_at",
            "caused_by",
        )
    )
    return {
        "review_cards": [
            {
                "note": slug,
                "derivation": key,
                "due": due.isoformat(),
                "last_review": last.isoformat() if last else None,
                "implicit_credit": credit,
                "fsrs_card": card,
            }
            for slug, key, due, last, credit, card in cards
        ],
        "review_log": [
            {
                "id": pk,
                "note": slug,
                "derivation": key,
                "rating": ReviewLog.Rating(rating).label.lower(),
                "kind": kind,
                "weight": weight,
                "applied": applied,
                "revision": number,
                "reviewed_at": at.isoformat(),
                "caused_by": cause,
            }
            for pk, slug, key, rating, kind, weight, applied, number, at, cause in logs
        ],
    }
