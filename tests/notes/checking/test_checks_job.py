"""'Run the checks' queues a job that a real worker process runs; each check still runs in its
own limited child process. Queued once, retried after a real failure."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Job
from notes.models import CheckResult, Note
from tests.conftest import note_source, run_queue_worker

pytestmark = pytest.mark.queue

CHECKS = """
import numpy as np

def check_good():
    return float(abs(np.sum(np.ones(3)) - 3.0)), 1e-12
"""
DERIVATION = "::: derivation {#good} Good\n1. Step.\n\nResult.\n:::\n"


@pytest.fixture
def checker(editor):
    editor.user_permissions.add(Permission.objects.get(codename="run_checks"))
    return editor


@pytest.fixture
def checked(publish, tmp_path):
    (tmp_path / "checked.checks.py").write_text(CHECKS)
    publish("checked", note_source("Checked", body=DERIVATION))
    return Note.objects.get(slug="checked")


def worker_env(tmp_path) -> dict:
    return {"CHECKS_DIR": str(tmp_path), "CHECK_TIMEOUT_SECONDS": "20"}


def test_run_the_checks_queues_one_job_and_runs_nothing_in_the_request(db, client, checker, checked):
    client.force_login(checker)
    url = reverse("editor:run_checks", args=["checked"])
    tasks_before = DBTaskResult.objects.count()
    response = client.post(url)
    assert response.status_code == 302
    assert "Checks queued" in [str(m) for m in get_messages(response.wsgi_request)][-1]
    client.post(url)  # a second click while they wait
    jobs = Job.objects.filter(key=f"checks:{checked.pk}")
    assert [(job.state, job.note_id) for job in jobs] == [("queued", checked.pk)]
    assert DBTaskResult.objects.count() == tasks_before + 1  # one task, not one per click
    assert not CheckResult.objects.exists()  # nothing ran in the request


def test_a_worker_runs_the_checks_in_their_child_processes(transactional_db, client, checker, checked, tmp_path):
    client.force_login(checker)
    client.post(reverse("editor:run_checks", args=["checked"]))
    run_queue_worker(env=worker_env(tmp_path))
    job = Job.objects.get(key=f"checks:{checked.pk}")
    assert job.state == Job.State.DONE and job.attempts == 1
    result = CheckResult.objects.get(revision=checked.live_revision, derivation_key="good")
    assert result.status == "passed" and "tolerance" in result.detail


def test_a_checks_file_the_worker_cannot_read_fails_the_attempt_and_the_retry_runs_them(
    transactional_db, client, checker, checked, tmp_path
):
    # Saved in Latin-1 by mistake: the child reports a failed check, and reading the file for
    # its numbers_ functions raises in the job itself.
    (tmp_path / "checked.checks.py").write_bytes(CHECKS.encode() + "# r\xe9sultat\n".encode("latin-1"))
    client.force_login(checker)
    client.post(reverse("editor:run_checks", args=["checked"]))
    run_queue_worker(env={**worker_env(tmp_path), "JOBS_RETRY_BACKOFF_SECONDS": "3600"})
    job = Job.objects.get(key=f"checks:{checked.pk}")
    assert job.state == Job.State.QUEUED and job.attempts == 1
    assert "UnicodeDecodeError" in job.error
    (tmp_path / "checked.checks.py").write_text(CHECKS)  # the editor saves it again, in UTF-8
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # the backoff passes
    run_queue_worker(env=worker_env(tmp_path))
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2 and job.error == ""
    assert CheckResult.objects.get(revision=checked.live_revision, derivation_key="good").status == "passed"
