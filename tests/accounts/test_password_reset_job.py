"""Password-reset mail is sent by a worker: the request only queues it (once per account while
it waits), the job builds the link itself and never holds a token or a password, and a send
that fails is retried."""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Job
from tests.conftest import run_queue_worker

pytestmark = pytest.mark.queue


def ask_for_reset(client, address="bob@example.com"):
    response = client.post(reverse("accounts:password_reset"), {"email": address})
    assert response.status_code == 302
    return response


def sent_mails(folder: Path) -> list[str]:
    return [path.read_text() for path in sorted(folder.glob("*.log"))]


def test_a_reset_queues_one_mail_job_per_account_and_sends_nothing_in_the_request(db, client, reader):
    tasks_before = DBTaskResult.objects.count()
    ask_for_reset(client)
    ask_for_reset(client, "BOB@example.com")  # asked again while the first waits
    ask_for_reset(client, "nobody@example.com")  # no account: nothing to send
    jobs = list(Job.objects.filter(key__startswith="password-reset-mail:"))
    assert [(job.key, job.state) for job in jobs] == [(f"password-reset-mail:{reader.pk}", "queued")]
    assert DBTaskResult.objects.count() == tasks_before + 1
    assert mail.outbox == []
    kwargs = jobs[0].kwargs
    assert kwargs["user_id"] == reader.pk and "token" not in kwargs and "uid" not in kwargs
    assert "bob-password-1" not in str(kwargs) and "bob@example.com" not in str(kwargs)


def test_a_worker_sends_the_mail_and_its_link_works(transactional_db, client, reader, tmp_path):
    ask_for_reset(client)
    run_queue_worker(env={"EMAIL_FILE_PATH": str(tmp_path / "mail")})
    [message] = sent_mails(tmp_path / "mail")
    assert "To: bob@example.com" in message
    link = re.search(r"https?://[^/\s]+(/\S+)", message).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200 and b"new_password1" in page.content  # the token is valid
    assert Job.objects.get(key=f"password-reset-mail:{reader.pk}").state == Job.State.DONE


def test_a_send_that_fails_is_retried(transactional_db, client, reader, tmp_path):
    outbox = tmp_path / "mail"
    outbox.write_text("a file where the mail folder should be")  # the mail backend refuses it
    ask_for_reset(client)
    run_queue_worker(env={"EMAIL_FILE_PATH": str(outbox), "JOBS_RETRY_BACKOFF_SECONDS": "3600"})
    job = Job.objects.get(key=f"password-reset-mail:{reader.pk}")
    assert job.state == Job.State.QUEUED and job.attempts == 1 and "not a directory" in job.error
    outbox.unlink()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_queue_worker(env={"EMAIL_FILE_PATH": str(outbox)})
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    assert len(sent_mails(outbox)) == 1


def test_the_throttle_still_counts_requests_not_mails(db, client, reader, settings):
    for _ in range(settings.PASSWORD_RESETS_PER_ADDRESS):
        ask_for_reset(client)
    assert client.post(reverse("accounts:password_reset"), {"email": "bob@example.com"}).status_code == 429
    assert Job.objects.filter(key__startswith="password-reset-mail:").count() == 1
