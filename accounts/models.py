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
