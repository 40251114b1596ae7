"""`manage.py jobs`: what the background queue holds, and the operator's levers on it.

manage.py jobs                      counts by state, then every failed job with its error
manage.py jobs --retry-failed       queue every failed job's work again
manage.py jobs --requeue-stale 30   resend jobs queued or running for over 30 minutes
                                    (a worker killed mid-job; RQ's task lost after a commit)
manage.py jobs --prune 30           delete finished jobs older than 30 days (failed ones stay
                                    until retried) and the backend's finished results
"""

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from jobs.models import Job
from jobs.services import requeue_stale as requeue_stale_jobs
from jobs.services import retry


class Command(BaseCommand):
    help = "Show the background jobs; retry failed ones, resend stale ones, prune old ones."

    def add_arguments(self, parser):
        parser.add_argument("--retry-failed", action="store_true", help="queue every failed job's work again")
        parser.add_argument("--requeue-stale", type=int, metavar="MINUTES", help="resend jobs stuck this long")
        parser.add_argument("--prune", type=int, metavar="DAYS", help="delete finished jobs older than this")

    def handle(self, *args, retry_failed=False, requeue_stale=None, prune=None, **options):
        if retry_failed:
            failed = list(Job.objects.filter(state=Job.State.FAILED))
            for job in failed:
                retry(job)
            self.stdout.write(f"queued again: {len(failed)} failed job(s)")
        if requeue_stale is not None:
            sent = requeue_stale_jobs(older_than=timedelta(minutes=requeue_stale))
            self.stdout.write(f"sent again: {sent} stale job(s)")
        if prune is not None:
            cutoff = timezone.now() - timedelta(days=prune)
            deleted, _ = Job.objects.filter(
                state__in=[Job.State.DONE, Job.State.MERGED], finished_at__lt=cutoff
            ).delete()
            self.stdout.write(f"pruned: {deleted} finished job(s)")
            if settings.TASKS_BACKEND == "database":  # RQ expires its own results
                call_command("prune_db_task_results", min_age_days=prune, verbosity=0)
        counts = dict(Job.objects.values_list("state").annotate(n=Count("pk")).order_by())
        self.stdout.write(", ".join(f"{state}: {counts.get(state, 0)}" for state in Job.State.values))
        for job in Job.objects.filter(state=Job.State.FAILED).order_by("-finished_at")[:50]:
            self.stdout.write(f"#{job.pk} {job.key} [{job.label}] after {job.attempts} attempt(s): {job.error}")
