"""The graph's layout runs in a job, never in a page view: the page shows the list and says the
map is being drawn, queues the layout once, and finds the drawing a worker stored (in the
database, which every web process and machine shares)."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Job
from notes.graph.models import GraphDrawing
from tests.conftest import note_source, run_queue_worker

pytestmark = pytest.mark.queue


@pytest.fixture
def pair(publish):
    publish("base", note_source("Base note"))
    publish("second", note_source("Second note", prerequisites=["base"], topics=["optimization"]))


def layout_jobs():
    return Job.objects.filter(key__startswith="graph-layout:")


def test_a_missing_drawing_is_queued_once_and_the_page_shows_the_list(db, client, pair):
    tasks_before = DBTaskResult.objects.count()
    for _ in range(2):
        html = client.get(reverse("notes:graph")).content.decode()
        assert "The map is being drawn" in html and "<svg" not in html
        assert 'href="/notes/base/">Base note</a>' in html and 'href="/notes/second/">Second note</a>' in html
    assert [job.state for job in layout_jobs()] == ["queued"]
    assert DBTaskResult.objects.count() == tasks_before + 1
    assert not GraphDrawing.objects.exists()  # the page view laid nothing out


def test_a_worker_draws_the_map_and_every_process_reads_it(transactional_db, client, pair):
    client.get(reverse("notes:graph"))
    run_queue_worker()
    assert [job.state for job in layout_jobs()] == ["done"]
    drawing = GraphDrawing.objects.get()
    assert 'data-slug="base"' in drawing.svg and 'data-slug="second"' in drawing.svg
    cache.clear()  # as on another web machine: nothing in this process's cache
    html = client.get(reverse("notes:graph")).content.decode()
    assert "The map is being drawn" not in html
    assert html.count('class="graph-edge"') == 1 and "data-graph-canvas" in html
    assert layout_jobs().count() == 1  # nothing queued again


def test_a_layout_killed_at_its_timeout_is_retried(transactional_db, client, pair):
    client.get(reverse("notes:graph"))
    env = {"GRAPH_LAYOUT_TIMEOUT_SECONDS": "0.01", "JOBS_RETRY_BACKOFF_SECONDS": "3600"}
    run_queue_worker(env=env)
    job = layout_jobs().get()
    assert job.state == Job.State.QUEUED and job.attempts == 1
    assert "layout took over 0.01 s" in job.error
    assert "The map is being drawn" in client.get(reverse("notes:graph")).content.decode()
    assert layout_jobs().count() == 1  # the retry waiting is the same job
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_queue_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2
    assert "data-graph-canvas" in client.get(reverse("notes:graph")).content.decode()


def test_a_layout_failing_every_attempt_says_so_and_is_not_queued_by_every_view(transactional_db, client, pair):
    client.get(reverse("notes:graph"))
    run_queue_worker(env={"GRAPH_LAYOUT_TIMEOUT_SECONDS": "0.01", "JOBS_RETRY_BACKOFF_SECONDS": "0"})
    assert [job.state for job in layout_jobs()] == ["failed"]
    html = client.get(reverse("notes:graph")).content.decode()
    assert "The map could not be drawn" in html and "Second note" in html
    assert layout_jobs().count() == 1
