"""Queueing work once, running it, retrying it: the one way the site sends work to the background.

A job function is a plain module-level function marked with `@job_function`; `enqueue` records a
`Job` and hands the backend one task, `jobs.tasks.run_job(job_id)`, which calls the function
with the job's keyword arguments. Job functions must be idempotent: a job can run again after a
failure, a lost worker or an operator's retry, and must then leave the same state.

When the task reaches the backend matters. The database backend stores it in the caller's
transaction, so the worker sees it exactly when the data it needs is committed (and never, if
that transaction rolls back). RQ lives outside the database: its task is sent once the
transaction has committed. The immediate backend (tests) runs it at once, inside the caller.
"""

import logging
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks_db.backend import DatabaseBackend

from jobs.models import Job

logger = logging.getLogger(__name__)

# Retries wait JOBS_RETRY_BACKOFF_SECONDS (15 s), then four times as long: long enough for a
# restarted database or a deploy to come back, short enough that an editor sees the outcome
# while still on the page.
BACKOFF_FACTOR = 4
DEFAULT_ATTEMPTS = 3
IMMEDIATE_BACKEND = "django_tasks.backends.immediate.ImmediateBackend"

_functions: dict[str, Callable] = {}


class PermanentFailure(Exception):
    """Raised by a job function when another attempt would fail the same way (a file that
    does not pass its checks): the job fails at once, with this as its error."""


def job_function(function: Callable) -> Callable:
    """Allow `function` to be run as a job (only marked functions are: a job row names its
    function by path, and nothing else may be imported from there)."""
    _functions[_name(function)] = function
    return function


def _name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def _path(function: Callable) -> str:
    path = _name(function)
    if _functions.get(path) is not function:
        raise ValueError(f"{path} is not a job function (mark it with @job_function)")
    return path


def enqueue(function: Callable, *, key: str, label: str, about_note: int | None = None, **kwargs) -> Job:
    """Queue `function(**kwargs)` unless the same work (`key`) is already queued; return the job.

    A job already running does not count: what it read may predate the caller's change, so
    the work is queued again. `kwargs` must be JSON (ids and slugs, never model instances);
    `about_note` is the id of the note whose review page lists the job.
    """
    path = _path(function)
    for _ in range(3):
        # Read first: on a busy note the work is usually queued already (a publish while the
        # last one's annotations are still moving), and one read is a quarter of the queries of
        # a refused insert, which a publish pays under its lock.
        found = Job.objects.queued().filter(key=key).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    key=key, task=path, kwargs=kwargs, label=label, note_id=about_note, max_attempts=DEFAULT_ATTEMPTS
                )
        except IntegrityError:
            continue  # queued by someone else since the read (or it started running): read again
        _dispatch(job.pk)
        return job
    raise RuntimeError(f"could not queue {key}")


def _dispatch(job_id: int, *, run_after=None) -> None:
    from jobs.tasks import run_job

    task = run_job if run_after is None else run_job.using(run_after=run_after)
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend | ImmediateBackend):
        task.enqueue(job_id=job_id)
    else:
        transaction.on_commit(lambda: task.enqueue(job_id=job_id), robust=True)


def _retry_or_fail(job: Job, error: str) -> bool:
    """After a failed attempt: queue the next one, deferred by the backoff, or record the failure.
    True if another attempt is queued (or the same work already was)."""
    now = timezone.now()
    if job.attempts >= job.max_attempts:
        Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, error=error, finished_at=now)
        logger.error("job %s (%s) failed after %d attempts: %s", job.pk, job.key, job.attempts, error)
        return False
    delay = timedelta(seconds=settings.JOBS_RETRY_BACKOFF_SECONDS * BACKOFF_FACTOR ** (job.attempts - 1))
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    run_after = now + delay if backend.supports_defer else None
    try:
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED, error=error, run_after=run_after)
    except IntegrityError:  # the same work was queued again meanwhile; that job does it
        Job.objects.filter(pk=job.pk).update(state=Job.State.MERGED, error=error, finished_at=now)
        return True
    logger.warning("job %s (%s) attempt %d failed, retrying: %s", job.pk, job.key, job.attempts, error)
    _dispatch(job.pk, run_after=run_after)
    return True


def run(job_id: int) -> str:
    """Run one attempt of a queued job; returns its state afterwards.

    Claiming is one conditional update (queued -> running), so a job delivered twice (an
    operator's requeue, a backend's redelivery) runs once. The function runs outside any
    transaction of ours: it takes its own, short ones.
    """
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now(), run_after=None
    )
    if not claimed:
        return Job.objects.filter(pk=job_id).values_list("state", flat=True).first() or "missing"
    job = Job.objects.get(pk=job_id)
    try:
        _function(job.task)(**job.kwargs)
    except Exception as exc:
        error = "".join(traceback.format_exception_only(exc)).strip()
        if isinstance(exc, PermanentFailure):
            job.attempts = job.max_attempts
        return Job.State.QUEUED if _retry_or_fail(job, error) else Job.State.FAILED
    Job.objects.filter(pk=job_id).update(state=Job.State.DONE, error="", finished_at=timezone.now())
    return Job.State.DONE


def _function(path: str) -> Callable:
    """The job function a row names; its module is imported first (a worker process starts with
    none of them), which registers its job functions."""
    if path not in _functions:
        import_module(path.rpartition(".")[0])
    if path not in _functions:
        raise LookupError(f"{path} is not a job function")
    return _functions[path]


def retry(job: Job) -> Job:
    """Queue a failed job's work again (an editor's button, `manage.py jobs --retry-failed`).
    The failure stays on record, its error kept, as merged into the new job."""
    again = enqueue(_function(job.task), key=job.key, label=job.label, about_note=job.note_id, **job.kwargs)
    Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(state=Job.State.MERGED)
    return again


def requeue_stale(*, older_than: timedelta) -> int:
    """Send again every job queued or running for longer than `older_than`: a worker that died
    mid-job, a task RQ never received because its sender died after the commit. Claiming
    makes a second delivery harmless. Returns how many were sent."""
    cutoff = timezone.now() - older_than
    stale_running = Job.objects.filter(state=Job.State.RUNNING, started_at__lt=cutoff)
    for job in stale_running:
        _retry_or_fail(job, "the worker running it stopped before it finished")
    stale_queued = list(
        Job.objects.queued()
        .filter(created_at__lt=cutoff)
        .exclude(run_after__gt=timezone.now())
        .values_list("pk", flat=True)
    )
    for job_id in stale_queued:
        _dispatch(job_id)
    return len(stale_queued) + len(stale_running)


@contextmanager
def running_inline():
    """Run the jobs queued inside the block at once, in this process: for management commands
    (`import_notes`, `seed_demo`), whose user waits for the command to finish anyway and
    expects the site to be up to date when it does."""
    with override_settings(TASKS={DEFAULT_TASK_BACKEND_ALIAS: {"BACKEND": IMMEDIATE_BACKEND}}):
        yield
