"""Revisions are history: nothing changes or deletes a stored one."""

import pytest

from notes.models import ImmutableRevisionError, Revision
from notes.services import revision_rerender
from tests.conftest import note_source


@pytest.fixture
def revision(publish):
    return publish("stable", note_source("Stable", body="Text $x$."))


def test_saving_a_stored_revision_raises(revision):
    revision.title = "Changed"
    with pytest.raises(ImmutableRevisionError):
        revision.save()
    assert Revision.objects.get(pk=revision.pk).title == "Stable"


@pytest.mark.parametrize("field, value", [("source", "x"), ("title", "y"), ("author", None), ("number", 9)])
def test_queryset_update_of_content_raises(revision, field, value):
    with pytest.raises(ImmutableRevisionError):
        Revision.objects.filter(pk=revision.pk).update(**{field: value})


def test_revisions_cannot_be_deleted(revision):
    with pytest.raises(ImmutableRevisionError):
        revision.delete()
    with pytest.raises(ImmutableRevisionError):
        Revision.objects.all().delete()
    assert Revision.objects.filter(pk=revision.pk).exists()


def test_rerender_rewrites_only_the_render_cache(revision):
    Revision.objects.filter(pk=revision.pk).update(html="stale", renderer_version=0)
    fresh = revision_rerender(revision=Revision.objects.get(pk=revision.pk))
    assert "katex" in fresh.html and fresh.renderer_version > 0
    assert (fresh.source, fresh.title, fresh.number, fresh.author_id) == (
        revision.source,
        revision.title,
        revision.number,
        revision.author_id,
    )
