"""Readers' annotations while a publish's re-anchoring waits in the queue, and the job itself:
shown as being updated (never as orphans) until a real worker has moved them, in chunks, a
reader's own change winning over the job's; the editors' orphan count bounded by a sample."""

import json
import re
from collections import Counter

import pytest
from django.urls import reverse

from accounts.annotations.reanchoring import _move, _pending, _Planner, annotations_reanchor, orphan_estimate
from accounts.annotations.services import annotation_reattach, annotation_update
from accounts.models import Annotation
from jobs.models import Job
from notes.models import Note
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.accounts.annotations.test_anchoring import BODY, annotate, publish_body
from tests.conftest import note_source, run_queue_worker

NEW_OPENING = "A new opening paragraph pushes everything down.\n\n"


def page_items(client, slug="opt") -> tuple[str, dict[str, str]]:
    """The reader's note page, and the state of each annotation as the page script gets it."""
    html = client.get(reverse("notes:note", args=[slug])).content.decode()
    data = re.search(r'<script id="annotation-data" type="application/json">(.*?)</script>', html, re.S)
    return html, {item["id"]: item["state"] for item in json.loads(data.group(1))["items"]}


@pytest.mark.queue
def test_a_publish_shows_annotations_as_being_updated_until_a_worker_moves_them(
    transactional_db, client, publish, reader
):
    first = publish_body(publish, BODY)
    run_queue_worker()  # the first publish's own jobs
    kept = annotate(reader, first, "running average of past gradients")
    gone = annotate(reader, first, "So the slope at one is two.")
    client.force_login(reader)
    _, items = page_items(client)
    assert items == {str(kept.pk): "anchored", str(gone.pk): "anchored"}

    second = publish_body(publish, NEW_OPENING + BODY.replace("So the slope at one is two.", "Done."))
    assert Job.objects.for_note(second.note_id).unfinished().filter(key=f"reanchor:{second.note_id}").exists()
    html, items = page_items(client)
    # Still on revision 1 (offsets of the old text): listed, not drawn, and not called orphans.
    assert items == {str(kept.pk): "updating", str(gone.pk): "updating"}
    assert html.count("being updated</strong>") == 2 and "orphaned</strong>" not in html
    listing = client.get(reverse("accounts:annotations")).content.decode()
    assert listing.count("Being updated</span>") == 2 and "Orphaned</span>" not in listing

    run_queue_worker()
    kept.refresh_from_db()
    assert (kept.revision_id, kept.state) == (second.pk, Annotation.State.ANCHORED)
    html, items = page_items(client)  # the reader's cached parts were keyed on the old state
    assert items == {str(kept.pk): "anchored", str(gone.pk): "orphaned"}
    assert "being updated</strong>" not in html and html.count("orphaned</strong>") == 1
    assert "Being updated</span>" not in client.get(reverse("accounts:annotations")).content.decode()


def second_revision(editor):
    note = Note.objects.get(slug="opt")
    source = note_source("Optimisation", body=NEW_OPENING + BODY.replace("So the slope at one is two.", "Done."))
    return note, revision_create(note=note, source=source, author=editor, index=LiveNoteIndex())


QUOTES = [
    "running average of past gradients",
    "Its step size $\\eta$ trades speed against stability",
    "So the slope at one is two.",
    "moves the parameters against the gradient",
    "consistent directions accumulate",
    "Gradient descent",
    "the loss",
]


@pytest.mark.django_db
def test_the_job_works_in_chunks_and_moves_every_annotation(publish, reader, stranger, editor):
    first = publish_body(publish, BODY)
    made = [annotate((reader, stranger)[k % 2], first, quote) for k, quote in enumerate(QUOTES)]
    note, revision = second_revision(editor)
    counts = annotations_reanchor(note=note, revision=revision, chunk=3)
    assert sum(counts.values()) == len(made) and counts["orphan"] == 1
    rows = {a.pk: a for a in Annotation.objects.all()}
    assert {rows[a.pk].revision_id for a in made if rows[a.pk].state == "anchored"} == {revision.pk}
    assert rows[made[2].pk].state == Annotation.State.ORPHANED  # its sentence is gone
    assert annotations_reanchor(note=note, revision=revision, chunk=3)["diff"] == 0  # nothing left to move


@pytest.mark.django_db
def test_a_readers_change_while_the_job_plans_wins_and_an_edit_is_moved_afterwards(publish, reader, editor):
    first = publish_body(publish, BODY)
    edited = annotate(reader, first, "running average of past gradients")
    reattached = annotate(reader, first, "consistent directions accumulate")
    untouched = annotate(reader, first, "Gradient descent")
    note, revision = second_revision(editor)
    Note.objects.filter(pk=note.pk).update(live_revision=revision)  # live, its move still to come
    rows = list(_pending(note, revision))  # what the job read
    # ...then, before its write, the reader edits one annotation and re-attaches another.
    annotation_update(annotation=edited, body="rewritten meanwhile", version=edited.version)
    annotation_reattach(annotation=reattached, quote="keeps a running average")

    changed = _move(_Planner(revision), rows, Counter())
    assert set(changed) == {edited.pk, reattached.pk}
    after = {a.pk: a for a in Annotation.objects.all()}
    assert after[untouched.pk].revision_id == revision.pk
    assert after[edited.pk].revision_id == first.pk and after[edited.pk].body == "rewritten meanwhile"
    assert after[reattached.pk].anchored_by == Annotation.Method.REATTACHED
    assert after[reattached.pk].quote == "keeps a running average"

    annotations_reanchor(note=note, revision=revision)  # the edited one is planned again, from its new state
    edited.refresh_from_db()
    assert (edited.revision_id, edited.body, edited.state) == (revision.pk, "rewritten meanwhile", "anchored")
    assert Annotation.objects.get(pk=reattached.pk).quote == "keeps a running average"  # not moved again


@pytest.mark.django_db
def test_the_orphan_count_is_estimated_from_a_sample_and_says_so(client, settings, publish, reader, stranger, editor):
    first = publish_body(publish, BODY)
    for k in range(6):  # all six on the sentence the new revision deletes
        annotate((reader, stranger)[k % 2], first, "So the slope at one is two.")
    annotate(reader, first, "running average of past gradients")
    note, revision = second_revision(editor)
    assert orphan_estimate(note=note, revision=revision, sample=None) == (6, 7, 7)
    count, tried, total = orphan_estimate(note=note, revision=revision, sample=3)
    assert (tried, total) == (3, 7) and count in (0, 2, 5, 7)  # 0-3 orphans of 3, scaled to 7

    settings.ANNOTATION_IMPACT_SAMPLE = 3
    client.force_login(editor)
    html = client.get(reverse("editor:review", args=["opt"])).content.decode()
    assert f'<dd class="orphan-impact">about {count} <small>(an estimate: 3 of the 7 anchored annotations' in html
    settings.ANNOTATION_IMPACT_SAMPLE = 100
    html = client.get(reverse("editor:review", args=["opt"])).content.decode()
    assert '<dd class="orphan-impact">6</dd>' in html
