"""The note's background jobs on its review page: what each is doing, the error of a failed one,
and a Retry button that queues the same work again (publishers and checkers only, POST, CSRF)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import Job
from notes.models import Note
from notes.search.models import SearchDocument
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

SEARCH_TASK = "notes.background.search_document_refresh"


@pytest.fixture
def note(publish):
    publish("opt", note_source("Optimisation", body="We minimise $f(x) = x^2$."))
    note = Note.objects.get(slug="opt")
    Job.objects.all().delete()  # the publish's own jobs (run at once in tests)
    return note


def failed_job(note, **fields) -> Job:
    values = {
        "key": f"search:{note.pk}",
        "task": SEARCH_TASK,
        "kwargs": {"note_id": note.pk},
        "label": "Update the search index",
        "note_id": note.pk,
        "state": Job.State.FAILED,
        "attempts": 3,
        "error": "OperationalError: the database did not answer within 2.5 s",
        **fields,
    }
    return Job.objects.create(**values)


def review(client, slug="opt") -> str:
    return client.get(reverse("editor:review", args=[slug])).content.decode()


def test_the_review_page_lists_the_notes_jobs_with_their_state_and_error(client, editor, note, publish):
    failed = failed_job(note)
    Job.objects.create(key="reanchor:x", task="t", label="Move the annotations", note_id=note.pk)
    Job.objects.create(key="citing:x", task="t", label="Re-render the citing notes", note_id=note.pk, state="running")
    publish("other", note_source("Other", body="Elsewhere."))
    other = failed_job(Note.objects.get(slug="other"), label="Another note's job")
    client.force_login(editor)
    html = review(client)
    for text in ("Update the search index", "failed", "Move the annotations", "queued", "running"):
        assert text in html
    assert "the database did not answer within 2.5 s" in html and "attempt 3 of 3" in html
    assert html.count('class="btn btn-secondary">Retry') == 1  # failed jobs only
    assert reverse("editor:job_retry", args=["opt", failed.pk]) in html
    assert "Another note's job" not in html and reverse("editor:job_retry", args=["opt", other.pk]) not in html


def test_the_job_list_takes_the_same_queries_however_many_jobs(client, editor, note, django_assert_max_num_queries):
    client.force_login(editor)
    failed_job(note)
    review(client)  # warm: sessions, permissions
    with CaptureQueriesContext(connection) as few:
        review(client)
    for k in range(11):
        failed_job(note, key=f"k{k}", label=f"Job {k}")
    with django_assert_max_num_queries(len(few)):
        html = review(client)
    assert html.count('class="btn btn-secondary">Retry') == 12


def test_retry_queues_the_failed_work_again_and_it_runs(client, editor, note):
    failed = failed_job(note)
    SearchDocument.objects.filter(note=note).delete()
    client.force_login(editor)
    response = client.post(reverse("editor:job_retry", args=["opt", failed.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("editor:review", args=["opt"])
    again = Job.objects.exclude(pk=failed.pk).get(key=failed.key)
    assert again.state == Job.State.DONE  # the immediate backend ran it
    assert SearchDocument.objects.filter(note=note).exists()
    assert "is queued again" in review(client)


def test_only_a_failed_job_is_retried(client, editor, note):
    done = failed_job(note, state=Job.State.DONE, error="")
    client.force_login(editor)
    client.post(reverse("editor:job_retry", args=["opt", done.pk]))
    assert Job.objects.count() == 1
    assert "nothing to retry" in review(client)


def test_who_may_retry(client, note, reader, reviewer, editor):
    failed = failed_job(note)
    url = reverse("editor:job_retry", args=["opt", failed.pk])
    assert client.post(url).status_code == 302 and "login" in client.post(url)["Location"]
    client.force_login(reader)
    assert client.post(url).status_code == 403
    client.force_login(reviewer)  # publish_note
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    checker = User.objects.create_user("carol", "carol@example.com", "carol-password-1")
    checker.user_permissions.add(Permission.objects.get(codename="run_checks"))
    failed_job(note, key="again")
    client.force_login(checker)
    assert client.post(reverse("editor:job_retry", args=["opt", Job.objects.get(key="again").pk])).status_code == 302
    client.force_login(editor)
    assert client.post(reverse("editor:job_retry", args=["other", failed.pk])).status_code == 404


def test_retry_needs_the_csrf_token(editor, note):
    failed = failed_job(note)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    assert browser.post(reverse("editor:job_retry", args=["opt", failed.pk])).status_code == 403
    assert Job.objects.count() == 1
