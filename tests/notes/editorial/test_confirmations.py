"""Rolling back and retiring ask first: a page says what will happen, and only a POST that
carries `confirm` acts. The review page of a live revision says it is live instead of showing
an empty diff."""

import pytest
from django.test import Client
from django.urls import reverse

from notes.editorial.impact import rollback_plan
from notes.models import Note, PublishRecord, Revision
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.conftest import note_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(publish, editor):
    """Revisions 1 and 2 were published (2 is live), 3 is a draft."""
    publish("kl", note_source("KL note", body="One."))
    publish("kl", note_source("KL note", body="Two."))
    note = Note.objects.get(slug="kl")
    revision_create(note=note, source=note_source("KL note", body="Three."), author=editor, index=LiveNoteIndex())
    return Note.objects.select_related("live_revision", "latest_revision").get(slug="kl")


def state(slug="kl"):
    note = Note.objects.select_related("live_revision").get(slug=slug)
    return (note.revisions.count(), note.live_revision.number if note.live_revision else None)


# -- rollback ----------------------------------------------------------------------------------


def test_the_rollback_page_says_what_will_happen_and_changes_nothing(client, editor, three):
    client.force_login(editor)
    response = client.get(reverse("editor:rollback", args=["kl", 1]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Roll back to revision 1?" in html
    assert "Revision 1&#x27;s text becomes live again as revision 4; revisions 2–3 stay in the history." in html
    assert "Readers see it at once in place of revision 2." in html
    assert 'name="confirm"' in html and "csrfmiddlewaretoken" in html
    assert state() == (3, 2)


def test_a_rollback_post_without_confirm_shows_the_confirmation_and_does_not_roll_back(client, editor, three):
    client.force_login(editor)
    response = client.post(reverse("editor:rollback", args=["kl", 1]))
    assert response.status_code == 200
    assert "Roll back to revision 1?" in response.content.decode()
    assert state() == (3, 2)
    assert not PublishRecord.objects.filter(action=PublishRecord.Action.ROLLBACK).exists()
    response = client.post(reverse("editor:rollback", args=["kl", 1]), {"confirm": ""})
    assert response.status_code == 200 and state() == (3, 2)


def test_a_confirmed_rollback_rolls_back(client, editor, three):
    client.force_login(editor)
    response = client.post(reverse("editor:rollback", args=["kl", 1]), {"confirm": "yes"}, follow=True)
    assert "Rolled back to the content of revision 1." in response.content.decode()
    assert state() == (4, 4)
    note = Note.objects.get(slug="kl")
    assert note.live_revision.source == note.revisions.get(number=1).source


def test_the_rollback_keeps_csrf(editor, three):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(reverse("editor:rollback", args=["kl", 1]), {"confirm": "yes"})
    assert response.status_code == 403
    assert state() == (3, 2)


def test_readers_can_neither_see_nor_confirm_a_rollback(client, reader, three):
    client.force_login(reader)
    assert client.get(reverse("editor:rollback", args=["kl", 1])).status_code == 403
    assert client.post(reverse("editor:rollback", args=["kl", 1]), {"confirm": "yes"}).status_code == 403
    assert state() == (3, 2)


def test_rolling_back_to_the_live_revision_offers_nothing_to_confirm(client, editor, three):
    client.force_login(editor)
    html = client.get(reverse("editor:rollback", args=["kl", 2])).content.decode()
    assert "is the live revision already" in html and 'name="confirm"' not in html


def test_a_rollback_the_gates_would_refuse_shows_why_and_offers_no_button(client, editor, three, publish):
    publish("citer", note_source("Citer", body="See [[kl]]."))
    broken = revision_create(
        note=three, source=note_source("KL note", body="See [[nowhere]]."), author=editor, index=LiveNoteIndex()
    )
    client.force_login(editor)
    html = client.get(reverse("editor:rollback", args=["kl", broken.number])).content.decode()
    assert "Rolling back is blocked" in html and "nowhere" in html
    assert 'name="confirm"' not in html


@pytest.mark.parametrize(
    "number, said",
    [
        (1, "Revision 1's text becomes live again as revision 4; revisions 2–3 stay in the history."),
        (3, "Revision 3 goes live as it is; no new revision is written."),
    ],
)
def test_rollback_plan_wording(three, number, said):
    assert rollback_plan(target=three.revisions.get(number=number)).consequence == said


def test_rollback_plan_names_a_single_later_revision_and_a_never_published_text(editor, three):
    revision_create(note=three, source=note_source("KL note", body="Four."), author=editor, index=LiveNoteIndex())
    three.refresh_from_db()
    plan = rollback_plan(target=three.revisions.get(number=3))
    assert plan.consequence == "Revision 3's text becomes live as revision 5; revision 4 stays in the history."


# -- retire ------------------------------------------------------------------------------------


def test_the_retire_page_says_what_will_happen(client, editor, three):
    client.force_login(editor)
    html = client.get(reverse("editor:retire", args=["kl"])).content.decode()
    assert (
        "Retire this note? It leaves the site, search and the graph; readers' marks and annotations are kept; "
        "you can publish it again." in html
    )
    assert 'name="confirm"' in html
    assert state() == (3, 2)


def test_a_retire_post_without_confirm_shows_the_confirmation_and_does_not_retire(client, editor, three):
    client.force_login(editor)
    response = client.post(reverse("editor:retire", args=["kl"]))
    assert response.status_code == 200
    assert "Retire this note?" in response.content.decode()
    assert state() == (3, 2)
    assert not PublishRecord.objects.filter(action=PublishRecord.Action.RETIRE).exists()


def test_a_confirmed_retire_retires(client, editor, three):
    client.force_login(editor)
    response = client.post(reverse("editor:retire", args=["kl"]), {"confirm": "yes"})
    assert response.status_code == 302
    assert state() == (3, None)
    assert client.get(reverse("notes:note", args=["kl"])).status_code == 404


def test_retiring_a_note_others_depend_on_offers_no_button_and_a_forced_confirm_is_refused(
    client, editor, three, publish
):
    publish("needer", note_source("Needer", prerequisites=["kl"]))
    client.force_login(editor)
    html = client.get(reverse("editor:retire", args=["kl"])).content.decode()
    assert "Not possible while other live notes depend on it" in html and 'name="confirm"' not in html
    response = client.post(reverse("editor:retire", args=["kl"]), {"confirm": "yes"}, follow=True)
    assert "needer" in response.content.decode()
    assert state() == (3, 2)


# -- the pages that lead there -----------------------------------------------------------------


def test_history_and_review_link_to_the_confirmations_and_post_nothing(client, editor, three):
    client.force_login(editor)
    history = client.get(reverse("notes:history", args=["kl"])).content.decode()
    assert f'href="{reverse("editor:rollback", args=["kl", 1])}"' in history
    assert 'action="/edit/kl/rollback/' not in history  # no form that rolls back in one click
    review = client.get(reverse("editor:review", args=["kl"])).content.decode()
    assert f'href="{reverse("editor:retire", args=["kl"])}"' in review
    assert f'action="{reverse("editor:retire", args=["kl"])}"' not in review


def test_the_review_page_of_a_live_revision_says_so_instead_of_an_empty_diff(client, editor, publish):
    publish("kl", note_source("KL note", body="One."))
    publish("kl", note_source("KL note", body="Two."))
    client.force_login(editor)
    html = client.get(reverse("editor:review", args=["kl"])).content.decode()
    assert "Revision 2 is live: it is identical to what readers see" in html
    assert 'class="diff-table"' not in html and "No differences." not in html
    assert f"{reverse('notes:diff', args=['kl'])}?from=1&amp;to=2" in html
    assert "Publish revision 2" not in html


def test_the_review_page_of_a_draft_shows_the_diff_with_its_legend(client, editor, three):
    client.force_login(editor)
    html = client.get(reverse("editor:review", args=["kl"])).content.decode()
    assert 'class="diff-table"' in html and 'class="diff-legend"' in html
    assert '<tr class="diff-replace">' in html and "<del>Two</del>" in html and "<ins>Three</ins>" in html
    assert Revision.objects.filter(note=three).count() == 3
