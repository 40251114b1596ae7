"""`rerender --background` and `import_notes --background` queue jobs a real worker runs; both
commands' default still does the work, and the jobs it queues, before returning."""

import pytest
from django.core.management import CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Job
from notes.formula_store import RenderedFormula
from notes.management.commands import rerender as rerender_command
from notes.models import Note, Revision
from notes.rendering import RENDERER_VERSION
from tests.conftest import note_source, run_queue_worker
from tests.notes.editorial.test_files import BASE, USER, run, write_corpus

pytestmark = pytest.mark.queue


def imported(tmp_path):
    folder = write_corpus(tmp_path / "corpus", {"base": BASE, "user": USER})
    code, out, _ = run("import_notes", str(folder))
    assert code == 0 and "2 published" in out, out
    return folder


def outdated():
    Revision.objects.update(renderer_version=0)  # as after an upgrade of the renderer
    return list(Revision.objects.order_by("pk").values_list("pk", flat=True))


def push_backoff():
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


# -- the default: inline, with the jobs it queues ------------------------------------------


def test_an_import_runs_the_jobs_it_queues_before_it_returns(db, tmp_path):
    imported(tmp_path)
    assert Job.objects.exists()  # search rows, the citing notes' re-render, annotations
    assert not Job.objects.unfinished().exists()


# -- rerender --background -----------------------------------------------------------------


def test_rerender_in_the_background_queues_each_batch_once(db, tmp_path, monkeypatch):
    imported(tmp_path)
    revisions = outdated()
    monkeypatch.setattr(rerender_command, "BATCH", 1)
    tasks_before = DBTaskResult.objects.count()
    code, out, _ = run("rerender", "--background")
    assert code == 0 and "2 revision(s) queued for re-rendering in 2 job(s)" in out
    run("rerender", "--background")  # asked again before a worker came by
    jobs = Job.objects.filter(key__startswith="rerender:").order_by("pk")
    assert [job.kwargs["revision_ids"] for job in jobs] == [[pk] for pk in revisions]
    assert {job.state for job in jobs} == {"queued"}
    assert DBTaskResult.objects.count() == tasks_before + 2
    assert set(Revision.objects.values_list("renderer_version", flat=True)) == {0}  # nothing done here


def test_a_worker_rerenders_the_batch(transactional_db, tmp_path):
    imported(tmp_path)
    outdated()
    run("rerender", "--background")
    run_queue_worker()
    assert Job.objects.get(key__startswith="rerender:").state == Job.State.DONE
    assert set(Revision.objects.values_list("renderer_version", flat=True)) == {RENDERER_VERSION}
    assert "(1)" in Note.objects.get(slug="user").live_revision.html  # the equation it cites


def test_a_rerender_whose_formulas_time_out_keeps_the_pages_and_is_retried(transactional_db, tmp_path):
    imported(tmp_path)
    outdated()
    html_before = dict(Revision.objects.values_list("pk", "html"))
    RenderedFormula.objects.all().delete()  # a new KaTeX: no formula is typeset yet
    run("rerender", "--background")
    run_queue_worker(env={"KATEX_TIMEOUT_SECONDS": "0.000001", "JOBS_RETRY_BACKOFF_SECONDS": "3600"})
    job = Job.objects.get(key__startswith="rerender:")
    assert job.state == Job.State.QUEUED and job.attempts == 1
    assert "TypesettingFailed" in job.error and "the stored render is kept" in job.error
    assert dict(Revision.objects.values_list("pk", "html")) == html_before  # no error marks stored
    push_backoff()
    run_queue_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    assert set(Revision.objects.values_list("renderer_version", flat=True)) == {RENDERER_VERSION}
    assert 'class="katex' in Note.objects.get(slug="base").live_revision.html


def test_rerender_background_refuses_prune(db):
    with pytest.raises(CommandError, match="--prune needs every re-render done first"):
        run("rerender", "--background", "--prune")
    assert not Job.objects.exists()


# -- import_notes --background -------------------------------------------------------------


def test_an_import_in_the_background_is_queued_once_and_publishes_nothing_yet(db, tmp_path):
    folder = write_corpus(tmp_path / "corpus", {"base": BASE, "user": USER})
    tasks_before = DBTaskResult.objects.count()
    code, out, _ = run("import_notes", "--background", str(folder))
    assert code == 0 and "2 file(s) queued for import" in out
    run("import_notes", "--background", str(folder / "."))  # the same folder, written otherwise
    [job] = Job.objects.filter(key__startswith="import:")
    assert job.state == "queued" and job.kwargs["paths"] == [str(folder.resolve())]
    assert DBTaskResult.objects.count() == tasks_before + 1
    assert not Note.objects.exists()
    with pytest.raises(CommandError, match="absent"):
        run("import_notes", "--background", str(tmp_path / "absent"))


def test_a_worker_imports_the_files(transactional_db, tmp_path):
    folder = write_corpus(tmp_path / "corpus", {"base": BASE, "user": USER})
    run("import_notes", "--background", str(folder))
    run_queue_worker()
    assert Job.objects.get(key__startswith="import:").state == Job.State.DONE
    assert set(Note.objects.live().values_list("slug", flat=True)) == {"base", "user"}
    assert not Job.objects.unfinished().exists()  # and the jobs the import queued ran too


def test_an_import_whose_folder_went_missing_is_retried(transactional_db, tmp_path):
    folder = write_corpus(tmp_path / "corpus", {"base": BASE, "user": USER})
    run("import_notes", "--background", str(folder))
    folder.rename(tmp_path / "elsewhere")  # still being synced when the worker came by
    run_queue_worker(env={"JOBS_RETRY_BACKOFF_SECONDS": "3600"})
    job = Job.objects.get(key__startswith="import:")
    assert job.state == Job.State.QUEUED and job.attempts == 1 and "corpus" in job.error
    assert not Note.objects.exists()
    (tmp_path / "elsewhere").rename(folder)
    push_backoff()
    run_queue_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    assert set(Note.objects.live().values_list("slug", flat=True)) == {"base", "user"}


def test_an_import_with_a_rejected_file_fails_at_once_with_each_error(transactional_db, tmp_path):
    broken = note_source("Broken", body="See [[nowhere]].")
    folder = write_corpus(tmp_path / "corpus", {"base": BASE, "broken": broken})
    run("import_notes", "--background", str(folder))
    run_queue_worker(env={"JOBS_RETRY_BACKOFF_SECONDS": "0"})
    job = Job.objects.get(key__startswith="import:")
    assert job.state == Job.State.FAILED and job.attempts == 1  # another attempt would fail alike
    assert "1 published, 0 unchanged, 1 rejected" in job.error and "broken.md:" in job.error
    assert set(Note.objects.live().values_list("slug", flat=True)) == {"base"}
