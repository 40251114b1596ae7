"""`manage.py jobs`: the operator's view of the queue and levers on it."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Job
from jobs.services import enqueue
from tests.jobs.test_queue import touch_file

pytestmark = pytest.mark.queue


def jobs(*args) -> str:
    out = StringIO()
    call_command("jobs", *args, stdout=out)
    return out.getvalue()


def test_failed_jobs_are_listed_with_their_error_and_queued_again_on_demand(db, tmp_path):
    job = enqueue(touch_file, key="t", label="Touch", path=str(tmp_path / "t"))
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, attempts=3, error="OSError: disk full")
    shown = jobs()
    assert "failed: 1" in shown and f"#{job.pk} t [Touch] after 3 attempt(s): OSError: disk full" in shown
    shown = jobs("--retry-failed")
    assert "queued again: 1 failed job(s)" in shown and "queued: 1" in shown and "failed: 0" in shown
    again = Job.objects.get(state=Job.State.QUEUED)
    assert again.pk != job.pk and again.kwargs == job.kwargs
    assert Job.objects.get(pk=job.pk).error == "OSError: disk full"  # the failure stays on record
    assert DBTaskResult.objects.count() == 2


def test_prune_deletes_old_finished_jobs_and_keeps_failures(db, tmp_path):
    old = timezone.now() - timedelta(days=40)
    for key, state in [("done-old", Job.State.DONE), ("failed-old", Job.State.FAILED)]:
        job = enqueue(touch_file, key=key, label="Touch", path=str(tmp_path / key))
        Job.objects.filter(pk=job.pk).update(state=state, finished_at=old)
    recent = enqueue(touch_file, key="done-new", label="Touch", path=str(tmp_path / "new"))
    Job.objects.filter(pk=recent.pk).update(state=Job.State.DONE, finished_at=timezone.now())
    assert "pruned: 1 finished job(s)" in jobs("--prune", "30")
    assert set(Job.objects.values_list("key", flat=True)) == {"failed-old", "done-new"}


def test_requeue_stale_resends_only_jobs_stuck_that_long(db, tmp_path):
    stuck = enqueue(touch_file, key="stuck", label="Touch", path=str(tmp_path / "s"))
    enqueue(touch_file, key="fresh", label="Touch", path=str(tmp_path / "f"))
    Job.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert "sent again: 1 stale job(s)" in jobs("--requeue-stale", "30")
    assert DBTaskResult.objects.filter(args_kwargs__kwargs__job_id=stuck.pk).count() == 2
