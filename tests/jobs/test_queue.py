"""The job layer on a real queue: jobs stored by the database backend and run by a real
`db_worker` process; deduplication, retries with backoff, failures kept, stale jobs resent."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Job
from jobs.services import enqueue, job_function, requeue_stale, retry
from notes.models import Note
from notes.search.models import SearchDocument
from tests.conftest import note_source, run_queue_worker

pytestmark = pytest.mark.queue


@job_function
def touch_file(*, path: str) -> None:
    """Appends a line: how many times the job's work ran."""
    with Path(path).open("a") as out:
        out.write("ran\n")


@job_function
def fail_first(*, path: str, failures: int) -> None:
    """Fails `failures` times (counted in the file), then succeeds."""
    marker = Path(path)
    seen = len(marker.read_text().splitlines()) if marker.exists() else 0
    with marker.open("a") as out:
        out.write("attempt\n")
    if seen < failures:
        raise ValueError(f"attempt {seen + 1} refused on purpose")


def test_the_same_work_is_queued_once_while_it_waits(db, tmp_path):
    first = enqueue(touch_file, key="touch:a", label="Touch", path=str(tmp_path / "a"))
    again = enqueue(touch_file, key="touch:a", label="Touch", path=str(tmp_path / "a"))
    other = enqueue(touch_file, key="touch:b", label="Touch", path=str(tmp_path / "b"))
    assert again.pk == first.pk and other.pk != first.pk
    assert Job.objects.queued().count() == 2
    assert DBTaskResult.objects.count() == 2  # the backend got one task per job, not per request


def test_work_queued_while_the_same_work_runs_is_queued_again(db, tmp_path):
    running = enqueue(touch_file, key="touch:a", label="Touch", path=str(tmp_path / "a"))
    Job.objects.filter(pk=running.pk).update(state=Job.State.RUNNING)
    # what the running job read may predate the change that queues this one
    assert enqueue(touch_file, key="touch:a", label="Touch", path=str(tmp_path / "a")).pk != running.pk


def test_a_worker_process_runs_a_publishs_jobs(transactional_db, publish):
    publish("q", note_source("Quadratic", body="We minimise $f(x) = x^2$."))
    note = Note.objects.get(slug="q")
    assert not SearchDocument.objects.filter(note=note).exists()  # queued, not done in the publish
    assert set(Job.objects.for_note(note.pk).values_list("state", flat=True)) == {"queued"}
    run_queue_worker()
    assert SearchDocument.objects.filter(note=note).exists()
    assert set(Job.objects.for_note(note.pk).values_list("state", flat=True)) == {"done"}
    assert DBTaskResult.objects.successful().count() == DBTaskResult.objects.count() > 0


def test_a_failed_attempt_is_retried_with_backoff_then_succeeds(transactional_db, tmp_path):
    marker = tmp_path / "flaky"
    job = enqueue(fail_first, key="flaky", label="Flaky", path=str(marker), failures=1)
    run_queue_worker(env={"JOBS_RETRY_BACKOFF_SECONDS": "3600"})
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.attempts == 1
    assert "attempt 1 refused on purpose" in job.error
    assert job.run_after > timezone.now() + timedelta(minutes=59)  # deferred by the backoff
    run_queue_worker()  # nothing is due yet
    assert len(marker.read_text().splitlines()) == 1
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # time passes
    run_queue_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2 and job.error == ""
    assert len(marker.read_text().splitlines()) == 2


def test_a_job_failing_every_attempt_is_kept_with_its_error_and_can_be_retried(transactional_db, tmp_path):
    marker = tmp_path / "broken"
    job = enqueue(fail_first, key="broken", label="Broken", path=str(marker), failures=5)
    run_queue_worker(env={"JOBS_RETRY_BACKOFF_SECONDS": "0"})
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.attempts == job.max_attempts == 3
    assert "ValueError: attempt 3 refused on purpose" in job.error
    assert DBTaskResult.objects.failed().count() == 1  # the backend reports the last attempt too
    again = retry(job)
    assert again.pk != job.pk and again.state == Job.State.QUEUED and again.kwargs == job.kwargs
    run_queue_worker(env={"JOBS_RETRY_BACKOFF_SECONDS": "0"})
    again.refresh_from_db()
    assert again.state == Job.State.DONE  # the fourth and fifth failures, then success
    assert len(marker.read_text().splitlines()) == 6


def test_a_job_delivered_twice_runs_once(transactional_db, tmp_path):
    marker = tmp_path / "once"
    job = enqueue(touch_file, key="once", label="Once", path=str(marker))
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert requeue_stale(older_than=timedelta(minutes=10)) == 1  # as if its task had been lost
    assert DBTaskResult.objects.count() == 2
    run_queue_worker()
    assert marker.read_text() == "ran\n"


def test_a_job_whose_worker_died_is_sent_again(transactional_db, tmp_path, settings):
    settings.JOBS_RETRY_BACKOFF_SECONDS = 0
    marker = tmp_path / "orphan"
    job = enqueue(touch_file, key="orphan", label="Orphan", path=str(marker))
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, attempts=1, started_at=timezone.now() - timedelta(hours=2)
    )
    DBTaskResult.objects.all().delete()  # the dead worker's claim
    assert requeue_stale(older_than=timedelta(minutes=30)) == 1
    run_queue_worker(env={"JOBS_RETRY_BACKOFF_SECONDS": "0"})
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2 and marker.read_text() == "ran\n"
    assert "stopped before it finished" not in job.error  # success clears the last error
