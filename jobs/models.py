"""What the site has asked to be done in the background, and how it went.

The queue itself is Django's Tasks API (the `django-tasks` backport) on the backend the
settings choose: the database (django-tasks-db) by default, RQ on Redis when configured.
A `Job` is the site's own record of one piece of work, kept beside the backend's:

- its **key** names the work ("reanchor:note=12"), so the same work is never queued twice:
  at most one queued job per key (a constraint, which every backend and every machine obeys);
- its **state**, attempts and last error are what editors see on a note's review page;
- a failure is retried with backoff (a new attempt is deferred on the backend), and a job
  that fails its last attempt stays in the table, with its error, until someone retries it.
"""

from django.db import models
from django.db.models import Q


class JobQuerySet(models.QuerySet):
    def for_note(self, note_id: int):
        return self.filter(note_id=note_id)

    def unfinished(self):
        return self.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING])

    def queued(self):
        return self.filter(state=Job.State.QUEUED)


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        # Its work was handed to a later job with the same key (queued again meanwhile, or an
        # operator's retry of a failure): that job does it.
        MERGED = "merged"

    key = models.CharField(max_length=200, db_index=True)
    task = models.CharField(max_length=200)  # the task's module path, for the record and a retry
    kwargs = models.JSONField(default=dict)
    label = models.CharField(max_length=200)  # what an editor reads: "Re-anchor readers' annotations"
    # The note the work is about, if any: the review page lists its jobs. A plain id, so that
    # this app depends on no other.
    note_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    error = models.TextField(blank=True)  # the last failure's exception and message
    result_id = models.CharField(max_length=64, blank=True)  # the backend's id of the last attempt
    created_at = models.DateTimeField(auto_now_add=True)
    run_after = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(state="queued"), name="one_queued_job_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.state})"
