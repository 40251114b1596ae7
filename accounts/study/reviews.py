"""Spaced re-derivation: each learner's review schedule of the derivations they worked through.

The schedule. A derivation marked worked through gets a review card kept by FSRS: the `fsrs`
package's `Scheduler` with its default parameters (90% desired retention, learning steps of 1
and 10 minutes, interval fuzzing). A new card is FSRS's new card, in its learning state and due
at once: working through a derivation with the text in front of you is not recall, so its first
review is the first re-derivation in study mode, steps hidden. The learner grades themselves
(again, hard, good, easy) and FSRS moves the due date.

Stale marks. A card whose worked-through mark was made against a fingerprint that differs from
the live derivation's is due at once, until the learner grades themselves on the live text or
re-confirms the mark on the note.

Implicit credit (Math Academy's fractional implicit repetition). Re-deriving a result exercises
the results it builds on. A self-grade of good or easy on a derivation of note N passes credit to
the learner's cards on the derivations of N's prerequisite notes (the live prerequisite graph):

- CREDIT_WEIGHTS[0] = 0.5 to each derivation of a direct prerequisite of N;
- CREDIT_WEIGHTS[1] = 0.25 to each derivation of a prerequisite of a prerequisite; no deeper;
- a note reached at both depths takes the larger weight, once.

When a card's credit reaches 1, FSRS reviews it as Good at that moment and 1 is taken off the
credit. Again and hard pass nothing down (a struggle says nothing good about the foundations);
implicit reviews pass nothing further; a self-grade clears the card's pending credit, since the
real review supersedes it. Every share of credit is logged (`ReviewLog`, kind implicit, with its
weight); the shares that completed a review are marked `applied`.

Only active cards count anywhere here: the derivation is in its note's live revision and the
learner's mark on it is "worked through". Other cards are kept, never deleted, and count again
once they qualify.

Every function takes the owner and never reads or writes another learner's rows.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from accounts.models import DerivationProgress, ReviewCard, ReviewLog
from notes.models import Derivation, Note
from notes.selectors import live_derivation_or_404, live_edges


@dataclass
class Activity:
    """One line of the dashboard's recent activity: a mark or a review."""

    at: datetime
    what: str
    slug: str
    key: str
    title: str


CREDIT_WEIGHTS = (0.5, 0.25)  # credit per derivation, by distance in the prerequisite graph: 1, 2
PASSING = frozenset({ReviewLog.Rating.GOOD, ReviewLog.Rating.EASY})

SCHEDULER = Scheduler()

GRADES = {str(r.value): r for r in ReviewLog.Rating}


class ReviewError(ValueError):
    """A grade that cannot be recorded; the message tells the learner why and what to do."""


class StaleGradeError(ReviewError):
    """The card was graded after the form was shown: a repeated or outdated submission."""


def _utc(now: datetime | None) -> datetime:
    # fsrs insists on datetime.timezone.utc itself, not merely an aware datetime.
    return (now or timezone.now()).astimezone(UTC)


def rating_parse(value) -> ReviewLog.Rating:
    """The grade 1-4 (again, hard, good, easy) from a form value or an int; anything else refused."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or text not in GRADES:
        raise ReviewError(
            f"{value!r} is not a grade. Grade yourself with one of: "
            + ", ".join(f"{r.label.lower()} ({r.value})" for r in ReviewLog.Rating)
            + "."
        )
    return GRADES[text]


def _store(row: ReviewCard, card: Card) -> None:
    row.card = card.to_dict()
    row.due = card.due
    row.last_review = card.last_review


def _live(field: str) -> Subquery:
    # order_by() drops Derivation's default ordering, whose join to the note table would
    # otherwise stand unaliased inside the subquery and let OuterRef("note__live_revision")
    # match another note's live revision.
    live = Derivation.objects.filter(revision=OuterRef("note__live_revision"), key=OuterRef("derivation_key"))
    return Subquery(live.order_by().values(field)[:1])


def _active_cards(owner) -> QuerySet[ReviewCard]:
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


def review_card_ensure(*, owner, note: Note, derivation_key: str, now: datetime | None = None) -> ReviewCard:
    """The owner's review card on the derivation, created if missing; idempotent and safe
    under concurrent calls. An existing card keeps its schedule. A new card is FSRS's new card,
    due at `now` (see the module docstring for why)."""
    existing = ReviewCard.objects.filter(owner=owner, note=note, derivation_key=derivation_key).first()
    if existing is not None:
        return existing
    now = _utc(now)
    row = ReviewCard(owner=owner, note=note, derivation_key=derivation_key)
    _store(row, Card(due=now))
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # A concurrent request created the card between our read and our insert; its card stands.
        return ReviewCard.objects.get(owner=owner, note=note, derivation_key=derivation_key)
    return row


@dataclass
class GradeResult:
    card: ReviewCard
    log: ReviewLog
    credited: list[ReviewLog]  # the shares of implicit credit this grade passed down


def _gradable(owner, note: Note, derivation_key: str) -> Derivation:
    """The live derivation the owner may grade: 404 if it is not live, ReviewError if the
    owner has not marked it worked through."""
    derivation = (
        Derivation.objects.filter(revision_id=note.live_revision_id, key=derivation_key).first()
        if note.live_revision_id
        else None
    )
    if derivation is None:
        raise Http404("No such derivation in the live revision")
    marks = DerivationProgress.objects.worked_through().filter(owner=owner, note=note, derivation_key=derivation_key)
    if not marks.exists():
        raise ReviewError(
            f"“{derivation.title}” is not in your review schedule yet: mark it worked through on its note "
            "first, then grade your re-derivations here."
        )
    return derivation


def review_grade(
    *,
    owner,
    note: Note,
    derivation_key: str,
    rating,
    expected_last_review: datetime | None,
    now: datetime | None = None,
) -> GradeResult:
    """Record the owner's self-grade on a live derivation and reschedule its card with FSRS.

    Refuses (ReviewError, with a message for the learner) a rating that is not 1-4 and a
    derivation the owner has not marked worked through; 404 for a draft note or a key not in
    the live revision. `expected_last_review` is the card's last review as the grade form
    showed it (None: never reviewed); if the card has been reviewed since, the grade is refused
    with StaleGradeError and nothing changes, so a form submitted twice counts once. A good or
    easy grade then passes implicit credit down the prerequisite graph, in the same transaction.
    """
    rating = rating_parse(rating)
    now = _utc(now)
    derivation = _gradable(owner, note, derivation_key)
    review_card_ensure(owner=owner, note=note, derivation_key=derivation_key, now=now)
    with transaction.atomic():
        # The race: two submissions of one form (a double click, a resent request) both read
        # the card before either writes. The row lock makes the second wait; it then sees the
        # first one's review stamp and is refused instead of counting twice.
        row = ReviewCard.objects.select_for_update().get(owner=owner, note=note, derivation_key=derivation_key)
        if row.last_review != expected_last_review:
            raise StaleGradeError(
                f"This grade was not counted: “{derivation.title}” was reviewed after this page was "
                "loaded (a form sent twice, or a review in another tab). The earlier review stands."
            )
        card, _ = SCHEDULER.review_card(Card.from_dict(row.card), Rating(rating), review_datetime=now)
        _store(row, card)
        row.implicit_credit = 0.0
        row.reviewed_fingerprint = derivation.fingerprint
        row.save(update_fields=["card", "due", "last_review", "implicit_credit", "reviewed_fingerprint"])
        log = ReviewLog.objects.create(
            owner=owner,
            note=note,
            derivation_key=derivation_key,
            rating=rating,
            kind=ReviewLog.Kind.EXPLICIT,
            weight=1.0,
            applied=True,
            revision_id=note.live_revision_id,
            reviewed_at=now,
        )
        credited = _credit_prerequisites(owner=owner, note=note, cause=log, now=now) if rating in PASSING else []
    return GradeResult(row, log, credited)


def credit_weights(slug: str, edges: dict[str, set[str]]) -> dict[str, float]:
    """Prerequisite notes of `slug` within reach of CREDIT_WEIGHTS, each with its weight."""
    weights: dict[str, float] = {}
    frontier = {slug}
    for weight in CREDIT_WEIGHTS:
        frontier = set().union(*(edges.get(s, set()) for s in frontier))
        for prereq in frontier:
            weights.setdefault(prereq, weight)  # the nearer distance wins
    weights.pop(slug, None)
    return weights


def _credit_prerequisites(*, owner, note: Note, cause: ReviewLog, now: datetime) -> list[ReviewLog]:
    weights = credit_weights(note.slug, live_edges())
    if not weights:
        return []
    # Locked so that two grades passing credit to the same card add up instead of overwriting.
    cards = (
        _active_cards(owner)
        .filter(note__slug__in=weights)
        .select_related("note")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    logs = []
    for row in cards:
        weight = weights[row.note.slug]
        credit = row.implicit_credit + weight
        applied = round(credit, 9) >= 1.0
        fields = ["implicit_credit"]
        if applied:
            card, _ = SCHEDULER.review_card(Card.from_dict(row.card), Rating.Good, review_datetime=now)
            _store(row, card)
            credit -= 1.0
            fields += ["card", "due", "last_review"]
        row.implicit_credit = max(credit, 0.0)
        row.save(update_fields=fields)
        logs.append(
            ReviewLog(
                owner=owner,
                note=row.note,
                derivation_key=row.derivation_key,
                rating=ReviewLog.Rating.GOOD,
                kind=ReviewLog.Kind.IMPLICIT,
                weight=weight,
                applied=applied,
                revision_id=row.note.live_revision_id,
                caused_by=cause,
                reviewed_at=now,
            )
        )
    return ReviewLog.objects.bulk_create(logs)


# -- reads ---------------------------------------------------------------------------------------


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
    return _active_cards(owner).filter(Q(due__lte=now) | Q(stale=True))


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
        _active_cards(owner)
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
    # the rule of `_active_cards`: a stale mark, unless the learner has graded the live text
    stale = (
        mark is not None
        and mark.is_stale_against(derivation.fingerprint)
        and not (card and card.reviewed_fingerprint == derivation.fingerprint)
    )
    return StudyItem(note, derivation, card, mark is not None, stale)


def stamp_parse(value: str) -> datetime | None:
    """The review stamp a grade form sent back; a damaged one is refused."""
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        raise ReviewError("This grade form is damaged; reload the page and grade again.")
    return stamp


def recent_reviews(owner, limit: int) -> list[Activity]:
    """The owner's latest reviews (self-grades and completed implicit reviews), newest first."""
    logs = (
        ReviewLog.objects.filter(owner=owner)
        .filter(Q(kind=ReviewLog.Kind.EXPLICIT) | Q(applied=True))
        .annotate(title=_live("title"))
        .order_by("-reviewed_at", "-pk")
        .values_list("reviewed_at", "kind", "rating", "note__slug", "derivation_key", "title")[:limit]
    )
    activity = []
    for at, kind, rating, slug, key, title in logs:
        if kind == ReviewLog.Kind.EXPLICIT:
            what = f"Re-derived, graded {ReviewLog.Rating(rating).label.lower()}"
        else:
            what = "Reviewed by implicit credit"
        activity.append(Activity(at, what, slug, key, title or ""))
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
