"""Every model is in the admin; revisions are read-only there."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from notes.models import Revision
from tests.conftest import note_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, publish):
    publish("base", note_source("Base", body="::: derivation {#d} D\n1. a\n\nR.\n:::\n\n$$\nx \\label{eq:x}\n$$"))
    admin_user = User.objects.create_superuser("root", "root@example.com", "root-password-1")
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "topic",
        "note",
        "revision",
        "derivation",
        "checkresult",
        "equation",
        "link",
        "prerequisite",
        "review",
        "reviewcomment",
        "publishrecord",
    ],
)
def test_changelists_open(staff_client, model):
    assert staff_client.get(reverse(f"admin:notes_{model}_changelist")).status_code == 200


def test_revisions_are_read_only_in_the_admin(staff_client):
    revision = Revision.objects.get()
    url = reverse("admin:notes_revision_change", args=[revision.pk])
    page = staff_client.get(url)
    assert page.status_code == 200 and b'name="source"' not in page.content
    response = staff_client.post(url, {"title": "Hacked", "source": "x"})
    assert response.status_code == 403
    assert Revision.objects.get().title == "Base"
    assert (
        staff_client.post(reverse("admin:notes_revision_delete", args=[revision.pk]), {"post": "yes"}).status_code
        == 403
    )
