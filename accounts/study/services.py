"""Writes of a learner's study: marks on derivations, and the review schedule of re-derivation.

Reads (marks against the live text, the due queue, the study page, history) are in
accounts.study.selectors.

Marks. `progress_mark` sets, removes or re-confirms the owner's mark on a live derivation; a
derivation marked worked through enters the owner's review schedule.

The schedule. A derivation marked worked through gets a review card kept by FSRS: the `fsrs`
package's `Scheduler` with its default parameters (90% desired retention, interval fuzzing) and
no learning or relearning steps. The rule, stated to readers as SCHEDULE_RULE: a derivation just
marked worked through (or re-confirmed after a change) is first due FIRST_REVIEW_AFTER, a day,
later, never at once; and every grade puts the next review at least a day away. Why: working
through a derivation with the text in front of you is not recall, and neither is re-deriving it
ten minutes later (FSRS's default learning steps are 1 and 10 minutes), with the steps still in
mind. Without steps FSRS schedules in whole days, one at least. The first review is the first
re-derivation in study mode, steps hidden; the learner grades themselves (again, hard, good,
easy) and FSRS moves the due date.

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

Only active cards count anywhere here (`selectors.active_cards`): the derivation is in its note's
live revision and the learner's mark on it is "worked through". Other cards are kept, never
deleted, and count again once they qualify.

Every function takes the owner and never reads or writes another learner's rows.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from accounts.models import DerivationProgress, ReviewCard, ReviewLog
from accounts.study.selectors import STATES, Mark, active_cards
from notes.models import Derivation, Note
from notes.selectors import live_derivation_or_404, live_edges

CREDIT_WEIGHTS = (0.5, 0.25)  # credit per derivation, by distance in the prerequisite graph: 1, 2
PASSING = frozenset({ReviewLog.Rating.GOOD, ReviewLog.Rating.EASY})

# No learning steps: a new card's first grade, like every later one, schedules in whole days.
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=())
FIRST_REVIEW_AFTER = timedelta(days=1)
SCHEDULE_RULE = (
    "A derivation you mark worked through is first due for re-derivation a day later, never at once, "
    "and each grade you give puts the next re-derivation at least a day away."
)

GRADES = {str(r.value): r for r in ReviewLog.Rating}


class ProgressError(ValueError):
    """A request that cannot be carried out; the message says what to fix."""


class ReviewError(ValueError):
    """A grade that cannot be recorded; the message tells the learner why and what to do."""


class StaleGradeError(ReviewError):
    """The card was graded after the form was shown: a repeated or outdated submission."""


# -- marks ---------------------------------------------------------------------------------------


def progress_mark(*, owner, slug: str, key: str, state: str, now: datetime | None = None) -> Mark:
    """Set the owner's mark on a live derivation; idempotent, safe under concurrent requests.

    "none" removes the mark; "working" and "worked_through" record the live revision and
    fingerprint; "reconfirm" re-confirms a stale worked-through mark against the live text.
    A worked-through derivation enters the owner's review schedule. Marking it worked through
    (from no mark or "working") or re-confirming it means the learner has just read it, so its
    next review is at least FIRST_REVIEW_AFTER after `now` (SCHEDULE_RULE); marking it worked
    through again when it already is changes nothing.
    """
    note, derivation = live_derivation_or_404(slug, key)
    now = _utc(now)
    if state not in STATES and state != "reconfirm":
        raise ProgressError(f"unknown progress state {state!r}; use one of: {', '.join(STATES)}")
    existing = DerivationProgress.objects.filter(owner=owner, note=note, derivation_key=key)
    if state == "none":
        existing.delete()
        return Mark(key, derivation.title, "none")
    mark = existing.first()
    was_worked_through = mark is not None and mark.state == DerivationProgress.State.WORKED_THROUGH
    if state == "reconfirm":
        if not was_worked_through:
            raise ProgressError("only a worked-through mark can be re-confirmed; mark it worked through instead")
        state = DerivationProgress.State.WORKED_THROUGH
        was_worked_through = False  # re-read against the live text: as good as a fresh mark
    values = {"state": state, "revision": note.live_revision, "fingerprint": derivation.fingerprint}
    try:
        with transaction.atomic():
            DerivationProgress.objects.update_or_create(owner=owner, note=note, derivation_key=key, defaults=values)
    except IntegrityError:
        # Another request created the row between our read and our insert: the unique
        # constraint kept one row; write our state over it.
        existing.update(**values, updated_at=timezone.now())  # update() leaves auto_now alone
    if state == DerivationProgress.State.WORKED_THROUGH:
        card = review_card_ensure(owner=owner, note=note, derivation_key=key, now=now)
        if not was_worked_through:
            review_card_defer(card=card, now=now)
    return Mark(key, derivation.title, state, False, note.live_revision.number)


# -- the review schedule -------------------------------------------------------------------------


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


def _store(row: ReviewCard, card: Card) -> None:
    row.card = card.to_dict()
    row.due = card.due
    row.last_review = card.last_review


def review_card_ensure(*, owner, note: Note, derivation_key: str, now: datetime | None = None) -> ReviewCard:
    """The owner's review card on the derivation, created if missing; idempotent and safe
    under concurrent calls. An existing card keeps its schedule. A new card is FSRS's new card,
    first due FIRST_REVIEW_AFTER after `now` (see the module docstring for why)."""
    existing = ReviewCard.objects.filter(owner=owner, note=note, derivation_key=derivation_key).first()
    if existing is not None:
        return existing
    now = _utc(now)
    row = ReviewCard(owner=owner, note=note, derivation_key=derivation_key)
    _store(row, Card(due=now + FIRST_REVIEW_AFTER))
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # A concurrent request created the card between our read and our insert; its card stands.
        return ReviewCard.objects.get(owner=owner, note=note, derivation_key=derivation_key)
    return row


def review_card_defer(*, card: ReviewCard, now: datetime | None = None) -> ReviewCard:
    """Move the card's due date to at least FIRST_REVIEW_AFTER after `now`: the learner has just
    worked the derivation through. A later due date is kept; the FSRS state is not touched."""
    floor = _utc(now) + FIRST_REVIEW_AFTER
    with transaction.atomic():
        # Locked so that a grade landing at the same moment is not overwritten by our older copy.
        row = ReviewCard.objects.select_for_update().get(pk=card.pk)
        if row.due < floor:
            fsrs_card = Card.from_dict(row.card)
            fsrs_card.due = floor
            _store(row, fsrs_card)
            row.save(update_fields=["card", "due"])
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
        active_cards(owner)
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
