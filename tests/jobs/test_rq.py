"""The job layer on RQ for real: the test process queues onto Redis through django-tasks-rq,
and a separate `manage.py worker` process (TASKS_BACKEND=rq: `rqworker --with-scheduler`, in
burst mode) runs the jobs, with deferred retries released by RQ's scheduler.

Settings are read when a process starts, and this one started with the immediate backend (the
test settings) or the database queue. So the tests switch it to RQ the way the settings module
would with TASKS_BACKEND=rq: TASKS names django-tasks-rq's backend, RQ_QUEUES points at a
Redis database of the tests' own (emptied before each test), and django_rq is installed; the
backend's own system checks must pass on that configuration. The worker process gets the
same through its environment (TASKS_BACKEND=rq, REDIS_URL), with the test database's URL.

Skipped when Redis does not answer, except in CI (CI=true), where .ci/run starts Redis and
the tests must run.
"""

import os
import time
from datetime import timedelta

import pytest
import redis
from django.test.utils import modify_settings, override_settings
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from jobs.models import Job
from jobs.services import enqueue
from notes.models import Note
from notes.search.models import SearchDocument
from tests.conftest import note_source, run_queue_worker
from tests.jobs.test_queue import fail_first, touch_file

pytestmark = pytest.mark.queue

REDIS_HOST = "redis://127.0.0.1:6379"
# A Redis database per pytest-xdist worker, so that two workers' queues never mix.
REDIS_DB = 12 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = f"{REDIS_HOST}/{REDIS_DB}"
SCHEDULED = "rq:scheduled:default"  # RQ's registry of deferred jobs, by due time


@pytest.fixture
def rq_redis():
    """The tests' Redis database, empty; skips (fails in CI) when Redis does not answer."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.flushdb()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({error}); start redis-server to run the RQ tests")
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def on_rq(rq_redis):
    """This process queues onto RQ, as the settings do with TASKS_BACKEND=rq and REDIS_URL."""
    rq_settings = override_settings(
        TASKS={DEFAULT_TASK_BACKEND_ALIAS: {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
        RQ_QUEUES={"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}},
    )
    with modify_settings(INSTALLED_APPS={"append": "django_rq"}), rq_settings:
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        assert type(backend).__name__ == "RQBackend"
        assert list(backend.check()) == []  # django_rq installed, the queue configured
        yield rq_redis


def rq_worker(**env: str):
    return run_queue_worker(env={"TASKS_BACKEND": "rq", "REDIS_URL": REDIS_URL, **env})


def rq_queued(client: redis.Redis) -> int:
    return client.llen("rq:queue:default")


def test_a_publishs_jobs_go_to_redis_and_an_rq_worker_runs_them(transactional_db, publish, on_rq):
    publish("q", note_source("Quadratic", body="We minimise $f(x) = x^2$."))
    note = Note.objects.get(slug="q")
    jobs = Job.objects.for_note(note.pk)
    assert set(jobs.values_list("state", flat=True)) == {"queued"}
    assert rq_queued(on_rq) == jobs.count() > 0  # one RQ job per queued job, in Redis
    assert not SearchDocument.objects.filter(note=note).exists()
    rq_worker()
    assert rq_queued(on_rq) == 0
    assert set(jobs.values_list("state", flat=True)) == {"done"}
    assert SearchDocument.objects.filter(note=note).exists()
    finished = on_rq.zcard("rq:finished:default")
    assert finished == jobs.count()  # RQ recorded each as finished, none as failed
    assert on_rq.zcard("rq:failed:default") == 0


def test_the_same_work_is_sent_to_rq_once_while_it_waits(transactional_db, tmp_path, on_rq):
    marker = tmp_path / "once"
    first = enqueue(touch_file, key="touch:once", label="Touch", path=str(marker))
    again = enqueue(touch_file, key="touch:once", label="Touch", path=str(marker))
    assert again.pk == first.pk
    assert rq_queued(on_rq) == 1
    rq_worker()
    first.refresh_from_db()
    assert first.state == Job.State.DONE and marker.read_text() == "ran\n"


def test_a_failed_job_is_deferred_through_rqs_scheduler_then_done(transactional_db, tmp_path, on_rq):
    marker = tmp_path / "flaky"
    job = enqueue(fail_first, key="flaky", label="Flaky", path=str(marker), failures=1)
    rq_worker(JOBS_RETRY_BACKOFF_SECONDS="3600")
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.attempts == 1
    assert "attempt 1 refused on purpose" in job.error
    # The retry waits in RQ's scheduled registry (not in the queue) until the job's run_after.
    assert rq_queued(on_rq) == 0
    [(retry_id, due)] = on_rq.zrange(SCHEDULED, 0, -1, withscores=True)
    assert abs(due - job.run_after.timestamp()) < 1 and job.run_after > timezone.now() + timedelta(minutes=59)
    rq_worker()  # not due: the worker's scheduler leaves it where it is
    assert len(marker.read_text().splitlines()) == 1 and on_rq.zcard(SCHEDULED) == 1
    # Time passes: the retry falls due. RQ's scheduler compares due times with the current second
    # rounded down, so "due now" (time.time()) is not yet due to a worker started within the same
    # second; due a minute ago is due to any worker.
    on_rq.zadd(SCHEDULED, {retry_id: time.time() - 60})
    rq_worker()  # due: the worker's scheduler moves it to the queue, and the worker runs it
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2 and job.error == ""
    assert len(marker.read_text().splitlines()) == 2
    assert on_rq.zcard(SCHEDULED) == 0 and on_rq.zcard("rq:failed:default") == 0
