"""Two editors save at the same moment from the same revision: one wins, one is told.

Runs on whichever database the suite runs on (SQLite locally, SQLite and PostgreSQL in CI),
with real threads and real connections.
"""

import threading

import pytest
from django.db import connection

from notes.editorial import EditConflict, revision_save
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
