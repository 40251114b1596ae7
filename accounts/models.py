"""What belongs to one reader. Everything here is private to its owner."""

from django.conf import settings
from django.db import models

from notes.models import Note, Revision


class DerivationProgressQuerySet(models.QuerySet):
    def worked_through(self):
        return self.filter(state=DerivationProgress.State.WORKED_THROUGH)


class DerivationProgress(models.Model):
    """A reader's mark on one derivation of a note, against the content they worked through.

    The mark attaches to the stable (note, derivation key) pair and remembers the revision and
    the fingerprint of the derivation it was made against: when a newer live revision changes
    the fingerprint, the mark is stale.
    """

    class State(models.TextChoices):
        WORKING = "working", "Working on it"
        WORKED_THROUGH = "worked_through", "Worked through"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="derivation_progress")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="+")
    derivation_key = models.CharField(max_length=100)
    state = models.CharField(max_length=20, choices=State.choices)
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DerivationProgressQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "note", "derivation_key"], name="one_mark_per_derivation")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.note_id}#{self.derivation_key} {self.state}"


class ReviewCard(models.Model):
    """One learner's review schedule for one derivation, kept by FSRS (see accounts/reviews.py).

    `card` is the `fsrs.Card` as `Card.to_dict()` writes it; `due` and `last_review` copy its
    fields so the database can sort and compare them. `implicit_credit` is the fraction of a
    review earned from reviews of derivations that build on this one, below 1.0.
    `reviewed_fingerprint` is the derivation fingerprint the learner last graded themselves on:
    a stale mark stops making the card due once the learner has re-derived the live text.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="+")
    derivation_key = models.CharField(max_length=100)
    card = models.JSONField()
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    implicit_credit = models.FloatField(default=0.0)
    reviewed_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "note", "derivation_key"], name="one_card_per_derivation")
        ]
        # The due queue asks for one owner's cards in due order.
        indexes = [models.Index(fields=["owner", "due"], name="review_card_owner_due")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.note_id}#{self.derivation_key} due {self.due:%Y-%m-%d %H:%M}"


class ReviewLog(models.Model):
    """The review history, append-only: one row per self-grade and per share of implicit credit.

    An explicit row is a self-grade in study mode (weight 1). An implicit row is credit passed
    down from a review of a derivation that builds on this one (`caused_by`), with its weight;
    `applied` says whether that credit completed a whole review, applied to the FSRS card as
    a Good. The applied rows, in order, replay the card's schedule.
    """

    class Rating(models.IntegerChoices):
        AGAIN = 1, "Again"
        HARD = 2, "Hard"
        GOOD = 3, "Good"
        EASY = 4, "Easy"

    class Kind(models.TextChoices):
        EXPLICIT = "explicit", "Self-graded"
        IMPLICIT = "implicit", "Implicit credit"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="+")
    derivation_key = models.CharField(max_length=100)
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    weight = models.FloatField()
    applied = models.BooleanField()
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    caused_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="credits")
    reviewed_at = models.DateTimeField()

    class Meta:
        ordering = ["reviewed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=4), name="review_rating_1_to_4"),
            models.CheckConstraint(condition=models.Q(weight__gt=0, weight__lte=1), name="review_weight_fraction"),
        ]
        indexes = [models.Index(fields=["owner", "-reviewed_at"], name="review_log_owner_recent")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.note_id}#{self.derivation_key} {self.kind} {self.rating}"
