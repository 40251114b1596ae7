"""What belongs to one reader. Everything here is private to its owner."""

import uuid

from django.conf import settings
from django.db import models

from notes.models import Note, Revision


class DerivationProgressQuerySet(models.QuerySet):
    def worked_through(self):
        return self.filter(state=DerivationProgress.State.WORKED_THROUGH)

    def stale_against(self, live_fingerprint):
        """Marks made stale by `live_fingerprint` (a value, or an expression such as
        OuterRef("fingerprint")): the queryset form of `DerivationProgress.is_stale_against`."""
        return self.worked_through().exclude(fingerprint=live_fingerprint)


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
        # The note page's stamp of a reader reads the newest change of their marks on a note
        # from this index alone (ReaderLayer.note_page_stamp), on every view.
        indexes = [models.Index(fields=["owner", "note", "updated_at"], name="mark_owner_note_updated")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.note_id}#{self.derivation_key} {self.state}"

    def is_stale_against(self, live_fingerprint: str) -> bool:
        """The one rule of staleness: a worked-through mark made against other content than
        the live derivation's. A "working on it" mark is never stale."""
        return self.state == self.State.WORKED_THROUGH and self.fingerprint != live_fingerprint

    # The same rule in SQL, for the one place the ORM cannot reach: the plan and dashboard
    # standings aggregate marks over a recursive closure in raw SQL (accounts.study.plans).
    # Format `{mark}` with the mark row's table alias and `{live_fingerprint}` with the SQL of
    # the live derivation's fingerprint. True exactly when `is_stale_against` is; unknown (NULL)
    # when there is no live derivation, which a CASE counts nowhere. A test checks that it,
    # this method and `DerivationProgressQuerySet.stale_against` agree on every state and on a
    # same and a different fingerprint (tests/accounts/study/test_progress.py).
    STALE_SQL = f"({{mark}}.state = '{State.WORKED_THROUGH.value}' AND {{mark}}.fingerprint <> {{live_fingerprint}})"


class ReviewCard(models.Model):
    """One learner's review schedule for one derivation, kept by FSRS (see accounts/study/services.py).

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


class AnnotationQuerySet(models.QuerySet):
    def owned_by(self, user):
        """The only way views reach annotations: a reader's own, nobody else's (staff included)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def anchored(self):
        return self.filter(state=Annotation.State.ANCHORED)

    def orphaned(self):
        return self.filter(state=Annotation.State.ORPHANED)


class Annotation(models.Model):
    """A reader's private note on a passage, a whole equation, a derivation or one of its steps.

    Anchoring follows the Web Annotation model's selectors: the quote with a little text
    before and after it (TextQuoteSelector) and its position in the revision's plain text
    (TextPositionSelector), plus the block id for equations, derivations and steps. `revision`
    is the revision the anchor refers to: when a new revision goes live, `accounts.annotations.anchoring`
    moves the anchor into it (through the diff, by fuzzy quote matching, or by block id) or
    marks the annotation an orphan; `made_on` never changes. Nothing deletes an orphan but
    its owner.
    """

    class Kind(models.TextChoices):
        TEXT = "text", "Passage"
        EQUATION = "equation", "Equation"
        DERIVATION = "derivation", "Derivation"
        STEP = "step", "Derivation step"

    class State(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        ORPHANED = "orphaned", "Orphaned"

    class Method(models.TextChoices):
        MADE = "made", "Made on this revision"
        DIFF = "diff", "Followed the edit exactly"
        FUZZY = "fuzzy", "Found by fuzzy quote matching"
        BLOCK = "block", "Followed its equation or derivation id"
        REATTACHED = "reattached", "Re-attached by you"
        ORPHAN = "orphan", "Not found"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # never guessable
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="+")
    made_on = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEXT)
    block_id = models.CharField(max_length=120, blank=True)  # equation label, derivation key, step id
    quote = models.TextField()  # source, as anchoring matches it: plain text with $tex$, a step's Markdown, TeX
    # The quote as pages show it (prose, typeset math), rendered once per anchoring
    # (accounts.annotations.quote_display); empty until then.
    quote_html = models.TextField(blank=True)
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    start = models.PositiveIntegerField()  # [start, end) in revision.plain_text
    end = models.PositiveIntegerField()
    body = models.TextField(blank=True)  # Markdown with math, as the reader wrote it
    body_html = models.TextField(blank=True)  # rendered once on save, untrusted mode
    state = models.CharField(max_length=10, choices=State.choices, default=State.ANCHORED)
    anchored_by = models.CharField(max_length=12, choices=Method.choices, default=Method.MADE)
    anchor_score = models.FloatField(null=True, blank=True)  # fuzzy matches: how close, 0-1
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # the owner's own last edit
    # When anything a page shows of it last changed, by its owner or by the site (a publish
    # moving it, its quote typeset again): every write sets it, updates included. The note
    # page keys its cached copy of a reader's parts on it (ReaderLayer.note_page_stamp).
    changed_at = models.DateTimeField(auto_now=True)
    # Bumped by every edit of the body: an edit names the version it was made on, and one made
    # on an older version (another tab saved first) is refused rather than lost.
    version = models.PositiveIntegerField(default=1)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["start", "created_at"]
        # A reader's annotations on a note, and the newest change among them from the index
        # alone (the note page's stamp of a reader, on every view).
        indexes = [models.Index(fields=["owner", "note", "changed_at"], name="annotation_owner_note_changed")]
        constraints = [models.CheckConstraint(condition=models.Q(start__lte=models.F("end")), name="annotation_span")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.note_id} {self.kind} {self.state}"
