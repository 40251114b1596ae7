"""Two editors save at the same moment from the same revision: one wins, one is told.

Runs on whichever database the suite runs on (SQLite locally, SQLite and PostgreSQL in CI),
with real threads and real connections.
"""

import threading

import pytest
from django.db import connection

from notes.editorial.services import EditConflict, revision_save
from notes.models import Note, Revision
from notes.services import revision_create
from tests.conftest import note_source

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_saves_never_overwrite(editor, areas, attempt):
    note = Note.objects.create(slug="contested")
    base = revision_create(note=note, source=note_source("Contested", body="Start."), author=editor)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            body = f"Written by {name}."
            revision_save(
                note=note,
                source=note_source("Contested", body=body),
                body=body,
                base_revision_id=base.pk,
                author=editor,
            )
            outcomes[name] = "saved"
        except EditConflict:
            outcomes[name] = "conflict"
        except Exception as exc:  # recorded, so the assertion below shows it
            outcomes[name] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(name,)) for name in ("ada", "grace")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["conflict", "saved"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    revisions = list(Revision.objects.filter(note=note).order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].parent_id == base.pk
    assert f"Written by {winner}." in revisions[1].source
    assert Note.objects.get(pk=note.pk).latest_revision_id == revisions[1].pk


def test_a_slow_render_of_one_note_does_not_block_a_save_of_another(editor, publish, monkeypatch):
    """Publishing `cited` re-renders `citing`; while that render runs, an editor saves `cited`.

    The render is the real one, held open until the save is done (or 15 s pass): were it
    running under the publish's lock (or, on SQLite, inside its write transaction), the save
    would wait for it and the render would time out waiting for the save.
    """
    from notes import services
    from notes.editorial.services import note_publish

    publish("cited", note_source("Cited", body="$$\na \\label{eq:a}\n$$"))
    publish("citing", note_source("Citing", body="See [[cited#eq:a]]."))
    cited = Note.objects.get(slug="cited")
    draft = revision_create(
        note=cited,
        source=note_source("Cited", body="$$\nz \\label{eq:z}\n$$\n\n$$\na \\label{eq:a}\n$$"),
        author=editor,
    )
    rendering, saved = threading.Event(), threading.Event()
    real_render = services.render
    waited: dict[str, bool] = {}

    def render_held_open(source, *, slug="", index=None, figures=None):
        result = real_render(source, slug=slug, index=index, figures=figures)
        if slug == "citing":
            rendering.set()
            waited["save finished during the render"] = saved.wait(timeout=15)
        return result

    monkeypatch.setattr(services, "render", render_held_open)
    outcomes: dict[str, str] = {}

    def publish() -> None:
        try:
            note_publish(revision=draft, user=editor)
            outcomes["publish"] = "published"
        except Exception as exc:
            outcomes["publish"] = repr(exc)
        finally:
            connection.close()

    def save() -> None:
        try:
            assert rendering.wait(timeout=15), "the citing note was never re-rendered"
            body = "Edited while the citing note renders."
            revision_save(
                note=cited,
                source=note_source("Cited", body=body),
                body=body,
                base_revision_id=draft.pk,
                author=editor,
            )
            outcomes["save"] = "saved"
        except Exception as exc:
            outcomes["save"] = repr(exc)
        finally:
            saved.set()
            connection.close()

    threads = [threading.Thread(target=publish), threading.Thread(target=save)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == {"publish": "published", "save": "saved"}, outcomes
    assert waited == {"save finished during the render": True}
    assert "(2)" in Note.objects.select_related("live_revision").get(slug="citing").live_revision.html
